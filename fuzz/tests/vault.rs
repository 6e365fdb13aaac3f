//! The vault's parsers: the FHIR validator on any bytes and on valid resources mutated, and the
//! envelope (sealed records and wrapped keys) on any bytes, fail cleanly.

// Fuzz-input arithmetic works on small bounded values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_fuzz::mutate;
use carechain_vault::envelope::{self, DataKey, SecretKey};

const RESOURCES: &[&str] = &[
	r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1970-01-01","active":true}"#,
	r#"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72,"unit":"/min"}}"#,
	r#"{"resourceType":"DiagnosticReport","status":"partial","code":{"text":"x"},"extension":[{"url":"http://x","valueString":"y"}]}"#,
];

#[test]
fn fhir_validation_answers_any_bytes() {
	bolero::check!().with_type::<(u8, bool, Vec<u8>)>().for_each(|(pick, raw, bytes)| {
		let input = if *raw {
			bytes.clone()
		} else {
			mutate(RESOURCES[usize::from(*pick) % RESOURCES.len()].as_bytes(), bytes)
		};
		let _ = carechain_vault::fhir::validate(&input);
	});
}

#[test]
fn envelopes_refuse_what_they_did_not_seal() {
	let (sealed, key) = envelope::seal(br#"{"resourceType":"Patient"}"#);
	let secret = SecretKey::derive(b"fuzz");
	let wrapped = envelope::wrap_key(&key, &secret.public_key()).unwrap();
	bolero::check!().with_type::<(bool, Vec<u8>)>().for_each(|(raw, bytes)| {
		let ciphertext = if *raw { bytes.clone() } else { mutate(&sealed.ciphertext, bytes) };
		// Anything but the sealed bytes fails authentication.
		if let Ok(plain) = envelope::open(&ciphertext, &key) {
			assert_eq!(ciphertext, sealed.ciphertext, "a changed envelope opened to {plain:?}");
		}
		let wrapped_input = if *raw { bytes.clone() } else { mutate(&wrapped, bytes) };
		if let Ok(unwrapped) = envelope::unwrap_key(&wrapped_input, &secret) {
			assert_eq!(wrapped_input, wrapped, "a changed wrapped key unwrapped");
			let _: &DataKey = &unwrapped;
		}
	});
}
