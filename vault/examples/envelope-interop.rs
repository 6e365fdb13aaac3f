//! The envelope format across implementations: reads one JSON request per line on stdin and
//! answers one JSON line each, so that client-js's tests can seal here and open there, and the
//! other way round.
//!
//! - `{"op":"seal","plaintext":"<FHIR JSON>","recipientPublic":"<hex>"}` →
//!   `{"ciphertext","contentHash","wrappedKey"}` (hex)
//! - `{"op":"open","ciphertext":"<hex>","wrappedKey":"<hex>","recipientSeed":"<text>"}` →
//!   `{"plaintext"}`, the recipient's key being `SecretKey::derive(recipientSeed)`
//! - `{"op":"publicKey","recipientSeed":"<text>"}` → `{"publicKey"}`
//!
//! Errors come back as `{"error":"<message>"}`.

use carechain_vault::{envelope, PublicKey, SecretKey};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

fn field<'a>(request: &'a Value, name: &str) -> Result<&'a str, String> {
	request[name].as_str().ok_or_else(|| format!("{name} is missing"))
}

fn bytes(request: &Value, name: &str) -> Result<Vec<u8>, String> {
	hex::decode(field(request, name)?).map_err(|e| format!("{name}: {e}"))
}

fn answer(request: &Value) -> Result<Value, String> {
	match field(request, "op")? {
		"seal" => {
			let recipient: [u8; 32] = bytes(request, "recipientPublic")?
				.try_into()
				.map_err(|_| "recipientPublic must have 32 bytes".to_string())?;
			let (_, sealed, key) = envelope::seal_fhir(field(request, "plaintext")?.as_bytes())
				.map_err(|e| e.to_string())?;
			let wrapped =
				envelope::wrap_key(&key, &PublicKey(recipient)).map_err(|e| e.to_string())?;
			Ok(json!({
				"ciphertext": hex::encode(&sealed.ciphertext),
				"contentHash": hex::encode(sealed.content_hash),
				"wrappedKey": hex::encode(wrapped),
			}))
		}
		"open" => {
			let secret = SecretKey::derive(field(request, "recipientSeed")?.as_bytes());
			let key = envelope::unwrap_key(&bytes(request, "wrappedKey")?, &secret)
				.map_err(|e| e.to_string())?;
			let plaintext =
				envelope::open(&bytes(request, "ciphertext")?, &key).map_err(|e| e.to_string())?;
			let text = String::from_utf8(plaintext.to_vec()).map_err(|e| e.to_string())?;
			Ok(json!({ "plaintext": text }))
		}
		"publicKey" => {
			let secret = SecretKey::derive(field(request, "recipientSeed")?.as_bytes());
			Ok(json!({ "publicKey": hex::encode(secret.public_key().0) }))
		}
		other => Err(format!("unknown op {other}")),
	}
}

fn main() {
	let stdout = std::io::stdout();
	let mut out = stdout.lock();
	for line in std::io::stdin().lock().lines() {
		let line = line.expect("stdin is readable");
		if line.trim().is_empty() {
			continue;
		}
		let reply = serde_json::from_str::<Value>(&line)
			.map_err(|e| format!("not JSON: {e}"))
			.and_then(|request| answer(&request))
			.unwrap_or_else(|error| json!({ "error": error }));
		writeln!(out, "{reply}").expect("stdout is writable");
	}
}
