//! What a wallet signs to use a node's vault.
//!
//! The node hands out single-use challenges (`vault_challenge`); a request carries the
//! challenge and the account's signature over the SCALE encoding of a domain tag, the
//! challenge and the request's parameters. A signature therefore proves control of the account
//! now, for this node and this request only: it cannot be replayed, reused for another record
//! or purpose, or taken to another node.

use carechain_primitives::{Purpose, RecordId};
use codec::Encode;

/// Bytes of a challenge.
pub const CHALLENGE_LEN: usize = 32;

/// The message signed to upload the blob `content_hash`.
pub fn put_message(challenge: &[u8; CHALLENGE_LEN], content_hash: &[u8; 32]) -> Vec<u8> {
	(b"carechain/vault/put/v1", challenge, content_hash).encode()
}

/// The message signed to read `record` for `purpose`.
pub fn get_message(
	challenge: &[u8; CHALLENGE_LEN],
	record: &RecordId,
	purpose: Purpose,
) -> Vec<u8> {
	(b"carechain/vault/get/v1", challenge, record, purpose).encode()
}

/// The message signed to read `record` for `purpose` and have the data key wrapped to
/// `reader_key` (the reader's X25519 public key): how an emergency (break-glass) reader, whom
/// no key was wrapped for, obtains one from the vault's escrow copy.
pub fn get_message_for_key(
	challenge: &[u8; CHALLENGE_LEN],
	record: &RecordId,
	purpose: Purpose,
	reader_key: &[u8; 32],
) -> Vec<u8> {
	(b"carechain/vault/get/v2", challenge, record, purpose, reader_key).encode()
}

/// The message signed to follow `patient`'s audit trail (`vault_subscribeDisclosures`).
pub fn disclosures_message<AccountId: Encode>(
	challenge: &[u8; CHALLENGE_LEN],
	patient: &AccountId,
) -> Vec<u8> {
	(b"carechain/vault/disclosures/v1", challenge, patient).encode()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn messages_bind_every_parameter() {
		let challenge = [1u8; 32];
		let record = RecordId::repeat_byte(2);
		let get = get_message(&challenge, &record, Purpose::Treatment);
		assert_ne!(get, get_message(&[3u8; 32], &record, Purpose::Treatment));
		assert_ne!(get, get_message(&challenge, &RecordId::repeat_byte(4), Purpose::Treatment));
		assert_ne!(get, get_message(&challenge, &record, Purpose::Payment));
		assert_ne!(put_message(&challenge, &[2u8; 32]), get[..].to_vec());
		assert!(put_message(&challenge, &[2u8; 32]).starts_with(b"carechain/vault/put/v1"));
		let keyed = get_message_for_key(&challenge, &record, Purpose::Treatment, &[5u8; 32]);
		assert_ne!(keyed, get);
		assert_ne!(keyed, get_message_for_key(&challenge, &record, Purpose::Treatment, &[6u8; 32]));
	}
}
