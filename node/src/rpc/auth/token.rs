//! Session tokens: an account, its sign-in, its sign-in time and expiry under a MAC of the
//! node's secret.

use crate::challenge::equal;
use carechain_runtime::AccountId;
use zeroize::Zeroizing;

/// Bytes of a token: version (1), account (32), sign-in number (8), sign-in time (8), expiry
/// (8), MAC (16).
const TOKEN_LEN: usize = 73;
const TOKEN_MAC_AT: usize = 57;
/// Version 2 carries the sign-in number that revocation names; version 1 tokens (no number)
/// are refused, so they end at an upgrade.
const TOKEN_VERSION: u8 = 2;

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
	/// Not the hex of a token.
	#[error("it is not a Carechain session token")]
	Malformed,
	/// The MAC does not verify: altered, or issued by another node.
	#[error("it was altered, or another node issued it")]
	Forged,
	/// Past its expiry.
	#[error("it expired at {0} ms since the Unix epoch")]
	Expired(u64),
	/// Its sign-in was signed out (`auth_signOut`), with every token renewed from it.
	#[error("its sign-in was signed out")]
	SignedOut,
	/// The node's operator ended every session of its account (`carechain auth
	/// revoke-account`).
	#[error("the node's operator ended every session of its account")]
	Revoked,
	/// A sign-in this node does not track: older than the longest session life, or never
	/// given out here.
	#[error("this node keeps no sign-in of it")]
	Unknown,
}

/// A signed-in account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
	/// The account.
	pub account: AccountId,
	/// The node's number of the sign-in this session comes from: renewals keep it, so ending
	/// it ends every token renewed from that sign-in.
	pub sign_in: u64,
	/// When it signed in, in milliseconds since the Unix epoch.
	pub signed_in_at: u64,
	/// When the token stops working, in milliseconds since the Unix epoch.
	pub expires_at: u64,
}

/// The node's session tokens: see the module documentation.
pub struct Sessions {
	key: Zeroizing<[u8; 32]>,
}

impl Sessions {
	/// Tokens under `key`.
	pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
		Self { key }
	}

	fn mac(&self, body: &[u8]) -> [u8; 16] {
		let mut input = Zeroizing::new(Vec::with_capacity(32 + 32 + TOKEN_MAC_AT));
		input.extend_from_slice(b"carechain-rpc-session-mac-v1");
		input.extend_from_slice(&self.key[..]);
		input.extend_from_slice(body);
		sp_io::hashing::blake2_128(&input)
	}

	/// The token of `session`, as hex.
	pub fn issue(&self, session: &Session) -> String {
		let mut bytes = [0u8; TOKEN_LEN];
		bytes[0] = TOKEN_VERSION;
		bytes[1..33].copy_from_slice(session.account.as_ref());
		bytes[33..41].copy_from_slice(&session.sign_in.to_le_bytes());
		bytes[41..49].copy_from_slice(&session.signed_in_at.to_le_bytes());
		bytes[49..TOKEN_MAC_AT].copy_from_slice(&session.expires_at.to_le_bytes());
		let mac = self.mac(&bytes[..TOKEN_MAC_AT]);
		bytes[TOKEN_MAC_AT..].copy_from_slice(&mac);
		hex::encode(bytes)
	}

	/// The session of `token` if this node issued it, expired or not: what `auth_signOut`
	/// needs, since a sign-in outlives its first token through renewals.
	pub fn open(&self, token: &str) -> Result<Session, TokenError> {
		let bytes = hex::decode(token.trim().trim_start_matches("0x"))
			.ok()
			.and_then(|b| <[u8; TOKEN_LEN]>::try_from(b).ok())
			.filter(|b| b[0] == TOKEN_VERSION)
			.ok_or(TokenError::Malformed)?;
		if !equal(&self.mac(&bytes[..TOKEN_MAC_AT]), &bytes[TOKEN_MAC_AT..]) {
			return Err(TokenError::Forged);
		}
		let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
		let account: [u8; 32] = bytes[1..33].try_into().expect("32 bytes");
		Ok(Session {
			account: AccountId::from(account),
			sign_in: word(33),
			signed_in_at: word(41),
			expires_at: word(49),
		})
	}

	/// The session of `token`, if this node issued it and it has not expired at `now` (ms).
	/// Revocation is the caller's to check ([`super::Auth`]).
	pub fn verify(&self, token: &str, now: u64) -> Result<Session, TokenError> {
		let session = self.open(token)?;
		if session.expires_at <= now {
			return Err(TokenError::Expired(session.expires_at));
		}
		Ok(session)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Ed25519Keyring;

	fn sessions() -> Sessions {
		let mut key = Zeroizing::new([0u8; 32]);
		rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key[..]);
		Sessions::new(key)
	}

	#[test]
	fn tokens_verify_only_unaltered_unexpired_and_from_their_node() {
		let sessions = sessions();
		let session = Session {
			account: Ed25519Keyring::Eve.to_account_id(),
			sign_in: 7,
			signed_in_at: 1_000,
			expires_at: 2_000,
		};
		let token = sessions.issue(&session);
		assert_eq!(token.len(), 2 * TOKEN_LEN);
		assert_eq!(sessions.verify(&token, 1_999), Ok(session.clone()));
		assert_eq!(sessions.verify(&token, 2_000), Err(TokenError::Expired(2_000)));
		// Signing out needs the sign-in of an expired token too.
		assert_eq!(sessions.open(&token), Ok(session.clone()));
		assert_eq!(self::sessions().verify(&token, 1_500), Err(TokenError::Forged));
		// Every byte matters: the account, the sign-in, the times, the MAC, the version.
		for byte in 0..TOKEN_LEN {
			let mut bytes = hex::decode(&token).unwrap();
			bytes[byte] ^= 1;
			let refused = sessions.verify(&hex::encode(bytes), 1_500).unwrap_err();
			let expected = if byte == 0 { TokenError::Malformed } else { TokenError::Forged };
			assert_eq!(refused, expected, "byte {byte}");
		}
		assert_eq!(sessions.verify("zz", 0), Err(TokenError::Malformed));
		assert_eq!(sessions.verify(&token[..128], 0), Err(TokenError::Malformed));
	}

	#[test]
	fn a_version_1_token_is_refused() {
		let sessions = sessions();
		let mut bytes = [0u8; 65];
		bytes[0] = 1;
		assert_eq!(sessions.verify(&hex::encode(bytes), 0), Err(TokenError::Malformed));
	}
}
