//! Single-use challenges that an account signs to prove that it holds its key now, shared by
//! the vault (`vault_challenge`) and sign-in (`auth_challenge`), and the signature check both
//! use.
//!
//! A challenge carries its own issue time and block and a MAC over them and the account under
//! a secret of this process, so issuing one keeps nothing: a flood of requests, for any
//! accounts, cannot push out a challenge already given, and a challenge issued to one account
//! does not verify for another. Only a challenge that a request signed by its account redeemed
//! is kept (until it expires, to refuse replays), at most `max_redeemed_per_account` per
//! account, so only an account's own requests compete with each other.
//!
//! At most `max_redeemed` are kept in all. When that many are held, the oldest is forgotten
//! and every challenge that expires no later than it is refused from then on, as superseded:
//! many accounts redeeming together shorten the time a fresh challenge may wait before its
//! use (to `max_redeemed` divided by their rate), instead of refusing everyone's requests.

use carechain_runtime::AccountId;
use codec::Decode;
use parking_lot::Mutex;
use rand::RngCore;
use sp_core::{ed25519, sr25519, H256};
use sp_runtime::{traits::Verify, MultiSignature};
use std::{
	collections::{HashMap, HashSet, VecDeque},
	time::{Duration, Instant},
};
use zeroize::Zeroizing;

/// Bytes of a challenge: milliseconds since the issuer started (8), block (4), random (4),
/// MAC (16).
const MAC_AT: usize = 16;

/// Why a challenge was refused. The issuer turns each into its own error, which says what to
/// do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
	/// Not issued by this process to this account: another account's, another node's, from
	/// before a restart, or altered.
	#[error("unknown challenge")]
	Unknown,
	/// Past its lifetime.
	#[error("challenge expired (a challenge lives {0:?})")]
	Expired(Duration),
	/// Already redeemed: a replay.
	#[error("challenge already used")]
	Used,
	/// The account redeemed `limit` challenges within one lifetime.
	#[error("{limit} challenges of this account were used within {ttl:?}")]
	AccountBusy {
		/// The limit.
		limit: usize,
		/// A challenge's lifetime.
		ttl: Duration,
	},
	/// Issued before the oldest redeemed challenge still kept, when `max_redeemed` were kept:
	/// too old to tell from a replay.
	#[error(
		"challenge superseded: this node redeemed its limit of newer ones since it was issued"
	)]
	Superseded,
}

/// What a challenge says of itself, checked by its MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
	/// The finalized head when it was issued.
	pub block: u32,
	/// When it expires.
	pub expires: Instant,
}

/// Challenges redeemed and not yet expired. Every challenge lives the same time, so the order
/// redeemed is close to the order they expire in; an entry is dropped once its challenge
/// expired.
#[derive(Default)]
struct Redeemed {
	challenges: HashSet<[u8; 32]>,
	per_account: HashMap<AccountId, usize>,
	/// (expiry, account, challenge), oldest first.
	order: VecDeque<(Instant, AccountId, [u8; 32])>,
	/// Challenges that expire at or before it are refused: those forgotten to make room.
	floor: Option<Instant>,
}

impl Redeemed {
	fn forget_expired(&mut self, now: Instant) {
		if self.floor.is_some_and(|floor| floor <= now) {
			self.floor = None;
		}
		while let Some((expires, ..)) = self.order.front() {
			if *expires > now {
				break;
			}
			self.forget_oldest();
		}
	}

	/// Forgets the oldest redeemed challenge; returns when it expires.
	fn forget_oldest(&mut self) -> Option<Instant> {
		let (expires, account, challenge) = self.order.pop_front()?;
		self.challenges.remove(&challenge);
		if let std::collections::hash_map::Entry::Occupied(mut count) =
			self.per_account.entry(account)
		{
			*count.get_mut() = count.get().saturating_sub(1);
			if *count.get() == 0 {
				count.remove();
			}
		}
		Some(expires)
	}

	/// Whether a challenge that expires at `expires` is redeemed, or may have been.
	fn used(&self, challenge: &[u8; 32], expires: Instant) -> Result<(), ChallengeError> {
		if self.floor.is_some_and(|floor| expires <= floor) {
			return Err(ChallengeError::Superseded);
		}
		if self.challenges.contains(challenge) {
			return Err(ChallengeError::Used);
		}
		Ok(())
	}
}

/// An issuer of challenges; see the module documentation.
pub struct Challenges {
	/// Separates this issuer's MACs from every other's.
	domain: &'static [u8],
	/// The MAC key; a restart forgets it, and with it every challenge issued.
	key: Zeroizing<[u8; 32]>,
	/// Challenges count their issue time from it.
	started: Instant,
	ttl: Duration,
	max_redeemed_per_account: usize,
	max_redeemed: usize,
	redeemed: Mutex<Redeemed>,
}

impl Challenges {
	/// An issuer whose MACs are tagged `domain`, of challenges that live `ttl`, keeping at most
	/// `max_redeemed_per_account` redeemed challenges per account and `max_redeemed` in all.
	pub fn new(
		domain: &'static [u8],
		ttl: Duration,
		max_redeemed_per_account: usize,
		max_redeemed: usize,
	) -> Self {
		let mut key = Zeroizing::new([0u8; 32]);
		rand::rngs::OsRng.fill_bytes(&mut key[..]);
		Self {
			domain,
			key,
			started: Instant::now(),
			ttl,
			max_redeemed_per_account,
			max_redeemed,
			redeemed: Mutex::default(),
		}
	}

	/// How long a challenge lives.
	pub fn ttl(&self) -> Duration {
		self.ttl
	}

	/// A challenge for `account`, issued at finalized block `block`. Keeps nothing.
	pub fn issue(&self, account: &AccountId, block: u32) -> H256 {
		let mut bytes = [0u8; 32];
		let since_start = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
		bytes[..8].copy_from_slice(&since_start.to_le_bytes());
		bytes[8..12].copy_from_slice(&block.to_le_bytes());
		rand::rngs::OsRng.fill_bytes(&mut bytes[12..MAC_AT]);
		let mac = self.mac(account, &bytes);
		bytes[MAC_AT..].copy_from_slice(&mac);
		H256(bytes)
	}

	/// The MAC of the first 16 bytes of a challenge issued to `account`. BLAKE2 is a MAC with
	/// the key prefixed (no length extension).
	fn mac(&self, account: &AccountId, challenge: &[u8; 32]) -> [u8; 16] {
		let mut input = Zeroizing::new(Vec::with_capacity(64 + 32 + 32 + MAC_AT));
		input.extend_from_slice(self.domain);
		input.extend_from_slice(&self.key[..]);
		input.extend_from_slice(account.as_ref());
		input.extend_from_slice(&challenge[..MAC_AT]);
		sp_io::hashing::blake2_128(&input)
	}

	/// Checks that this issuer gave `challenge` to `account`, that it has not expired and has
	/// not been redeemed. Keeps nothing: [`Self::redeem`] uses it up.
	pub fn check(&self, challenge: &H256, account: &AccountId) -> Result<Issued, ChallengeError> {
		let bytes = &challenge.0;
		let mac = self.mac(account, bytes);
		if !equal(&mac, &bytes[MAC_AT..]) {
			return Err(ChallengeError::Unknown);
		}
		let since_start = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
		let block = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
		let expires = self.started + Duration::from_millis(since_start) + self.ttl;
		let now = Instant::now();
		if expires <= now {
			return Err(ChallengeError::Expired(self.ttl));
		}
		let mut redeemed = self.redeemed.lock();
		redeemed.forget_expired(now);
		redeemed.used(bytes, expires)?;
		Ok(Issued { block, expires })
	}

	/// Uses up a challenge that [`Self::check`] accepted.
	pub fn redeem(
		&self,
		challenge: &H256,
		account: &AccountId,
		issued: Issued,
	) -> Result<(), ChallengeError> {
		let mut redeemed = self.redeemed.lock();
		redeemed.forget_expired(Instant::now());
		redeemed.used(&challenge.0, issued.expires)?;
		let count = redeemed.per_account.get(account).copied().unwrap_or(0);
		if count >= self.max_redeemed_per_account {
			return Err(ChallengeError::AccountBusy {
				limit: self.max_redeemed_per_account,
				ttl: self.ttl,
			});
		}
		while redeemed.challenges.len() >= self.max_redeemed.max(1) {
			let Some(expires) = redeemed.forget_oldest() else { break };
			redeemed.floor = redeemed.floor.max(Some(expires));
		}
		// Forgetting made the floor reach this challenge (it was among the oldest): refused,
		// as any other challenge of its age now is.
		redeemed.used(&challenge.0, issued.expires)?;
		redeemed.challenges.insert(challenge.0);
		redeemed.per_account.insert(account.clone(), count.saturating_add(1));
		redeemed.order.push_back((issued.expires, account.clone(), challenge.0));
		Ok(())
	}

	/// Puts a challenge back after a refusal that was not the caller's fault, so the same
	/// signed request can be retried. The challenge's place in the expiry order goes too.
	pub fn unredeem(&self, challenge: &H256, account: &AccountId) {
		let mut redeemed = self.redeemed.lock();
		if redeemed.challenges.remove(&challenge.0) {
			let Redeemed { per_account, order, .. } = &mut *redeemed;
			if let Some(position) = order.iter().rposition(|(_, _, c)| *c == challenge.0) {
				order.remove(position);
			}
			if let Some(count) = per_account.get_mut(account) {
				*count = count.saturating_sub(1);
				if *count == 0 {
					per_account.remove(account);
				}
			}
		}
	}

	/// Redeemed challenges kept: in all, in expiry order, and of `account`.
	#[cfg(test)]
	pub(crate) fn redeemed(&self, account: &AccountId) -> (usize, usize, usize) {
		let redeemed = self.redeemed.lock();
		(
			redeemed.challenges.len(),
			redeemed.order.len(),
			redeemed.per_account.get(account).copied().unwrap_or(0),
		)
	}
}

/// Whether two MACs are equal, comparing every byte. Constant time is not needed (a MAC guessed
/// byte by byte still needs 2^128 tries), but it costs nothing.
pub fn equal(a: &[u8], b: &[u8]) -> bool {
	a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Whether `signature` by `account` over `message` verifies, as the runtime verifies a
/// transaction's `MultiSignature`: 64 bytes as sr25519 or ed25519, or a SCALE-encoded sr25519
/// or ed25519 `MultiSignature` (65 bytes).
pub fn verify_signature(account: &AccountId, message: &[u8], signature: &[u8]) -> bool {
	let candidates = match <[u8; 64]>::try_from(signature) {
		Ok(raw) => vec![
			MultiSignature::Sr25519(sr25519::Signature::from_raw(raw)),
			MultiSignature::Ed25519(ed25519::Signature::from_raw(raw)),
		],
		Err(_) if signature.len() == 65 => {
			MultiSignature::decode(&mut &signature[..]).into_iter().collect()
		}
		Err(_) => Vec::new(),
	};
	candidates.iter().any(|s| s.verify(message, account))
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Ed25519Keyring;

	#[test]
	fn a_challenge_verifies_only_for_its_account_and_issuer() {
		let challenges = Challenges::new(b"test", Duration::from_secs(60), 2, 4);
		let eve = Ed25519Keyring::Eve.to_account_id();
		let ferdie = Ed25519Keyring::Ferdie.to_account_id();
		let challenge = challenges.issue(&eve, 7);
		let issued = challenges.check(&challenge, &eve).unwrap();
		assert_eq!(issued.block, 7);
		assert_eq!(challenges.check(&challenge, &ferdie), Err(ChallengeError::Unknown));
		let other = Challenges::new(b"test", Duration::from_secs(60), 2, 4);
		assert_eq!(other.check(&challenge, &eve), Err(ChallengeError::Unknown));
		challenges.redeem(&challenge, &eve, issued).unwrap();
		assert_eq!(challenges.check(&challenge, &eve), Err(ChallengeError::Used));
		challenges.unredeem(&challenge, &eve);
		assert_eq!(challenges.redeemed(&eve), (0, 0, 0));
		challenges.check(&challenge, &eve).unwrap();
	}
}
