//! Envelope encryption of record payloads.
//!
//! A payload is sealed with a fresh random 256-bit data key under XChaCha20-Poly1305 (a random
//! 192-bit nonce, so keys never need counters). The data key is then wrapped to each reader's
//! X25519 public key with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20-Poly1305). The node stores only ciphertext and wrapped keys; only a holder of an
//! X25519 secret key can unwrap a data key, and only a data key opens a payload.
//!
//! Formats, stable across implementations (client-js mirrors them):
//! - sealed payload: `"CCV1" ‖ nonce (24) ‖ XChaCha20-Poly1305(key, nonce, payload, aad = "CCV1")`
//! - wrapped key: `encapsulated X25519 key (32) ‖ ChaCha20-Poly1305 ciphertext of the data key
//!   (32 + 16)`, with HPKE info `carechain/vault/data-key/v1`
//! - blob id: blake2b-256 of the sealed payload, as pallet-records stores it.

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem as _,
	OpModeR, OpModeS, Serializable,
};
use rand::{rngs::OsRng, RngCore};
use zeroize::Zeroizing;

/// The version tag that starts every sealed payload, also its associated data.
pub const FORMAT: &[u8; 4] = b"CCV1";
/// Bytes of an XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of a Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed payload adds to its plaintext.
pub const OVERHEAD: usize = FORMAT.len() + NONCE_LEN + TAG_LEN;
/// Bytes of a wrapped data key.
pub const WRAPPED_KEY_LEN: usize = 32 + 32 + TAG_LEN;
/// HPKE's `info`: binds wrapped keys to this use.
const WRAP_INFO: &[u8] = b"carechain/vault/data-key/v1";

type Kem = X25519HkdfSha256;

/// What went wrong sealing, opening, wrapping or unwrapping.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
	/// The ciphertext is shorter than the format allows.
	#[error("sealed payload of {0} bytes is shorter than the {OVERHEAD}-byte minimum")]
	TooShort(usize),
	/// The ciphertext does not start with the format tag.
	#[error("sealed payload does not start with \"CCV1\": not a Carechain vault payload")]
	UnknownFormat,
	/// Authentication failed: wrong key, or the ciphertext was altered.
	#[error(
		"sealed payload failed authentication: the data key is wrong or the ciphertext was altered"
	)]
	Tampered,
	/// A wrapped key has the wrong length.
	#[error("wrapped key of {0} bytes: expected {WRAPPED_KEY_LEN}")]
	WrappedKeyLength(usize),
	/// A wrapped key failed to open: not wrapped to this secret key, or altered.
	#[error(
		"wrapped key does not open with this secret key: it was wrapped to another key or altered"
	)]
	UnwrapFailed,
	/// The recipient's public key is not usable (for example a low-order point).
	#[error("recipient public key is not a usable X25519 key")]
	BadPublicKey,
	/// The payload is not FHIR R4 JSON.
	#[error("payload is not FHIR R4 JSON: {0}")]
	NotFhir(#[from] crate::fhir::FhirError),
}

/// 32 bytes from the operating system's generator, zeroized when dropped.
fn random_secret() -> Zeroizing<[u8; 32]> {
	let mut bytes = Zeroizing::new([0u8; 32]);
	OsRng.fill_bytes(bytes.as_mut());
	bytes
}

/// A record's 256-bit data key. Zeroized when dropped and never printed.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
	/// A fresh random key from the operating system's generator.
	pub fn generate() -> Self {
		Self(random_secret())
	}

	/// The key's bytes, for wrapping.
	pub fn expose(&self) -> &[u8; 32] {
		&self.0
	}
}

impl core::fmt::Debug for DataKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("DataKey(<secret>)")
	}
}

/// An X25519 public key to which data keys are wrapped (registered on chain for patients).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

/// An X25519 secret key. Zeroized when dropped and never printed.
pub struct SecretKey(Zeroizing<[u8; 32]>);

impl SecretKey {
	/// A fresh random key.
	pub fn generate() -> Self {
		Self(random_secret())
	}

	/// The key derived from seed material (for example a wallet's seed), as HPKE's
	/// `DeriveKeyPair` derives it.
	pub fn derive(seed: &[u8]) -> Self {
		let (secret, _) = Kem::derive_keypair(seed);
		Self(Zeroizing::new(secret.to_bytes().into()))
	}

	/// The key from its 32 bytes.
	pub fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
		Self(bytes)
	}

	/// Its public key.
	pub fn public_key(&self) -> PublicKey {
		let secret = self.hpke_key();
		PublicKey(<Kem as hpke::Kem>::sk_to_pk(&secret).to_bytes().into())
	}

	fn hpke_key(&self) -> <Kem as hpke::Kem>::PrivateKey {
		// Any 32 bytes are an X25519 secret key (clamped when used).
		<Kem as hpke::Kem>::PrivateKey::from_bytes(self.0.as_ref())
			.expect("32 bytes are an X25519 secret key")
	}
}

impl core::fmt::Debug for SecretKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(f, "SecretKey(<secret>, public {:?})", self.public_key())
	}
}

/// A sealed payload and its blob id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
	/// The ciphertext, as the vault stores it.
	pub ciphertext: Vec<u8>,
	/// blake2b-256 of the ciphertext: the record's `content_hash` and the blob's name.
	pub content_hash: [u8; 32],
}

/// blake2b-256 of `bytes`, the hash pallet-records and the vault name blobs by.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
	let digest = blake2b_simd::Params::new().hash_length(32).hash(bytes);
	digest.as_bytes().try_into().expect("a 32-byte digest")
}

/// Seals `plaintext` under a fresh data key.
pub fn seal(plaintext: &[u8]) -> (Sealed, DataKey) {
	let key = DataKey::generate();
	(seal_with(&key, plaintext), key)
}

/// Validates `json` as a FHIR R4 resource and seals it under a fresh data key; returns the
/// resource type to record on chain.
pub fn seal_fhir(
	json: &[u8],
) -> Result<(carechain_primitives::FhirResourceType, Sealed, DataKey), EnvelopeError> {
	let resource_type = crate::fhir::validate(json)?;
	let (sealed, key) = seal(json);
	Ok((resource_type, sealed, key))
}

/// Seals `plaintext` under `key` with a fresh random nonce.
pub fn seal_with(key: &DataKey, plaintext: &[u8]) -> Sealed {
	let mut nonce = [0u8; NONCE_LEN];
	OsRng.fill_bytes(&mut nonce);
	seal_with_nonce(key, nonce, plaintext)
}

fn seal_with_nonce(key: &DataKey, nonce: [u8; NONCE_LEN], plaintext: &[u8]) -> Sealed {
	let cipher = XChaCha20Poly1305::new(key.expose().into());
	let body = cipher
		.encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: FORMAT })
		.expect("XChaCha20-Poly1305 encrypts any payload below 256 GiB");
	let mut ciphertext = Vec::with_capacity(OVERHEAD + plaintext.len());
	ciphertext.extend_from_slice(FORMAT);
	ciphertext.extend_from_slice(&nonce);
	ciphertext.extend_from_slice(&body);
	let content_hash = content_hash(&ciphertext);
	Sealed { ciphertext, content_hash }
}

/// Opens a sealed payload; fails if the key is wrong or a single bit was altered.
pub fn open(ciphertext: &[u8], key: &DataKey) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
	if ciphertext.len() < OVERHEAD {
		return Err(EnvelopeError::TooShort(ciphertext.len()));
	}
	let (format, rest) = ciphertext.split_at(FORMAT.len());
	if format != FORMAT {
		return Err(EnvelopeError::UnknownFormat);
	}
	let (nonce, body) = rest.split_at(NONCE_LEN);
	let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
	let cipher = XChaCha20Poly1305::new(key.expose().into());
	cipher
		.decrypt(&XNonce::from(nonce), Payload { msg: body, aad: FORMAT })
		.map(Zeroizing::new)
		.map_err(|_| EnvelopeError::Tampered)
}

/// Wraps a data key to a recipient's X25519 public key.
pub fn wrap_key(key: &DataKey, recipient: &PublicKey) -> Result<Vec<u8>, EnvelopeError> {
	wrap_key_with(key, recipient, &mut rand_core::UnwrapErr(rand_core::OsRng))
}

fn wrap_key_with<R: rand_core::CryptoRng>(
	key: &DataKey,
	recipient: &PublicKey,
	rng: &mut R,
) -> Result<Vec<u8>, EnvelopeError> {
	let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&recipient.0)
		.map_err(|_| EnvelopeError::BadPublicKey)?;
	let (encapped, sealed) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
		&OpModeS::Base,
		&recipient,
		WRAP_INFO,
		key.expose(),
		&[],
		rng,
	)
	.map_err(|_| EnvelopeError::BadPublicKey)?;
	let mut wrapped = Vec::with_capacity(WRAPPED_KEY_LEN);
	wrapped.extend_from_slice(&encapped.to_bytes());
	wrapped.extend_from_slice(&sealed);
	Ok(wrapped)
}

/// Unwraps a data key with the recipient's X25519 secret key.
pub fn unwrap_key(wrapped: &[u8], secret: &SecretKey) -> Result<DataKey, EnvelopeError> {
	if wrapped.len() != WRAPPED_KEY_LEN {
		return Err(EnvelopeError::WrappedKeyLength(wrapped.len()));
	}
	let (encapped, sealed) = wrapped.split_at(32);
	let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped)
		.map_err(|_| EnvelopeError::UnwrapFailed)?;
	let opened = Zeroizing::new(
		hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
			&OpModeR::Base,
			&secret.hpke_key(),
			&encapped,
			WRAP_INFO,
			sealed,
			&[],
		)
		.map_err(|_| EnvelopeError::UnwrapFailed)?,
	);
	let bytes: [u8; 32] = opened.as_slice().try_into().map_err(|_| EnvelopeError::UnwrapFailed)?;
	Ok(DataKey(Zeroizing::new(bytes)))
}

#[cfg(test)]
mod tests {
	use super::*;

	const OBSERVATION: &str =
		r#"{"resourceType":"Observation","status":"final","code":{"text":"glucose"}}"#;

	#[test]
	fn a_sealed_payload_opens_with_its_key_only() {
		let (sealed, key) = seal(OBSERVATION.as_bytes());
		assert_eq!(sealed.ciphertext.len(), OBSERVATION.len() + OVERHEAD);
		assert_eq!(sealed.content_hash, content_hash(&sealed.ciphertext));
		assert!(!sealed.ciphertext.windows(6).any(|w| w == b"status"), "no plaintext leaks");
		assert_eq!(open(&sealed.ciphertext, &key).unwrap().as_slice(), OBSERVATION.as_bytes());
		assert_eq!(open(&sealed.ciphertext, &DataKey::generate()), Err(EnvelopeError::Tampered));
	}

	#[test]
	fn every_flipped_bit_is_caught() {
		let (sealed, key) = seal(b"short payload");
		for byte in 0..sealed.ciphertext.len() {
			for bit in [0, 3, 7] {
				let mut altered = sealed.ciphertext.clone();
				altered[byte] ^= 1 << bit;
				let expected = if byte < FORMAT.len() {
					EnvelopeError::UnknownFormat
				} else {
					EnvelopeError::Tampered
				};
				assert_eq!(open(&altered, &key).unwrap_err(), expected, "byte {byte} bit {bit}");
			}
		}
		assert_eq!(
			open(&sealed.ciphertext[..OVERHEAD - 1], &key),
			Err(EnvelopeError::TooShort(43))
		);
	}

	#[test]
	fn two_seals_of_one_payload_differ() {
		let (a, _) = seal(OBSERVATION.as_bytes());
		let (b, _) = seal(OBSERVATION.as_bytes());
		assert_ne!(a.ciphertext, b.ciphertext);
		assert_ne!(a.content_hash, b.content_hash);
	}

	#[test]
	fn a_wrapped_key_opens_for_its_recipient_only() {
		let patient = SecretKey::generate();
		let stranger = SecretKey::generate();
		let (sealed, key) = seal(OBSERVATION.as_bytes());
		let wrapped = wrap_key(&key, &patient.public_key()).unwrap();
		assert_eq!(wrapped.len(), WRAPPED_KEY_LEN);
		let unwrapped = unwrap_key(&wrapped, &patient).unwrap();
		assert_eq!(unwrapped.expose(), key.expose());
		assert_eq!(
			open(&sealed.ciphertext, &unwrapped).unwrap().as_slice(),
			OBSERVATION.as_bytes()
		);

		assert_eq!(unwrap_key(&wrapped, &stranger).unwrap_err(), EnvelopeError::UnwrapFailed);
		let mut altered = wrapped.clone();
		altered[40] ^= 1;
		assert_eq!(unwrap_key(&altered, &patient).unwrap_err(), EnvelopeError::UnwrapFailed);
		assert_eq!(
			unwrap_key(&wrapped[..79], &patient).unwrap_err(),
			EnvelopeError::WrappedKeyLength(79)
		);
	}

	#[test]
	fn derived_keys_are_stable_and_distinct() {
		let a = SecretKey::derive(b"//Eve");
		assert_eq!(a.public_key(), SecretKey::derive(b"//Eve").public_key());
		assert_ne!(a.public_key(), SecretKey::derive(b"//Ferdie").public_key());
		assert!(format!("{a:?}").contains("<secret>"));
		assert_eq!(format!("{:?}", DataKey::generate()), "DataKey(<secret>)");
	}

	/// A deterministic generator, so that the vectors below are fixed.
	struct Counter(u8);

	impl rand_core::RngCore for Counter {
		fn next_u32(&mut self) -> u32 {
			rand_core::impls::next_u32_via_fill(self)
		}
		fn next_u64(&mut self) -> u64 {
			rand_core::impls::next_u64_via_fill(self)
		}
		fn fill_bytes(&mut self, dest: &mut [u8]) {
			for byte in dest {
				self.0 = self.0.wrapping_add(1);
				*byte = self.0;
			}
		}
	}

	impl rand_core::CryptoRng for Counter {}

	/// Known answers that every implementation of the format (client-js) must reproduce:
	/// `vault/tests/vectors/envelope-v1.json`. Regenerate with CARECHAIN_WRITE_VECTORS=1 only
	/// when the format changes on purpose (and bump "CCV1").
	#[test]
	fn known_answer_vectors() {
		let key = DataKey(Zeroizing::new([7u8; 32]));
		let plaintext = br#"{"resourceType":"Patient","id":"vector-1"}"#;
		let sealed = seal_with_nonce(&key, [9u8; NONCE_LEN], plaintext);
		let recipient = SecretKey::derive(b"carechain envelope test vector");
		let wrapped = wrap_key_with(&key, &recipient.public_key(), &mut Counter(0)).unwrap();
		assert_eq!(unwrap_key(&wrapped, &recipient).unwrap().expose(), key.expose());
		let vector = serde_json::json!({
			"format": "CCV1",
			"dataKey": hex::encode(key.expose()),
			"nonce": hex::encode([9u8; NONCE_LEN]),
			"plaintext": String::from_utf8(plaintext.to_vec()).unwrap(),
			"ciphertext": hex::encode(&sealed.ciphertext),
			"contentHash": hex::encode(sealed.content_hash),
			"recipientSeed": "carechain envelope test vector",
			"recipientSecret": hex::encode(recipient.0.as_ref()),
			"recipientPublic": hex::encode(recipient.public_key().0),
			"hpkeInfo": String::from_utf8(WRAP_INFO.to_vec()).unwrap(),
			"wrappedKey": hex::encode(&wrapped),
		});
		let path =
			std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/envelope-v1.json");
		if std::env::var_os("CARECHAIN_WRITE_VECTORS").is_some() {
			std::fs::create_dir_all(path.parent().unwrap()).unwrap();
			std::fs::write(&path, serde_json::to_string_pretty(&vector).unwrap() + "\n").unwrap();
		}
		let stored: serde_json::Value = serde_json::from_str(
			&std::fs::read_to_string(&path).expect("the vector file is in the repository"),
		)
		.unwrap();
		assert_eq!(stored, vector, "the envelope format changed");
	}

	#[test]
	fn low_order_recipients_are_refused() {
		let key = DataKey::generate();
		assert_eq!(wrap_key(&key, &PublicKey([0u8; 32])), Err(EnvelopeError::BadPublicKey));
	}

	#[test]
	fn seal_fhir_refuses_what_is_not_fhir() {
		let (resource_type, sealed, key) = seal_fhir(OBSERVATION.as_bytes()).unwrap();
		assert_eq!(resource_type, carechain_primitives::FhirResourceType::Observation);
		assert_eq!(open(&sealed.ciphertext, &key).unwrap().as_slice(), OBSERVATION.as_bytes());
		assert!(matches!(seal_fhir(b"{\"name\":\"x\"}"), Err(EnvelopeError::NotFhir(_))));
	}
}
