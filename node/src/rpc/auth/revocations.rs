//! Ended sessions: sign-ins signed out (`auth_signOut`) and accounts whose every session the
//! node's operator ended (`carechain auth revoke-account`), bounded in memory and on disk and
//! kept across restarts, since the token key is.
//!
//! Every sign-in gets the next number of this node; renewals keep it, so a sign-out ends the
//! whole renewal chain of that sign-in. Sign-outs are one bit per sign-in number, in chunks of
//! [`CHUNK`] numbers; a chunk goes once the newest sign-in in it is past the longest session
//! life (12 hours), when every token of its sign-ins has expired anyway. So the set is at most
//! one bit per sign-in of the last 12 hours, and at most `max_sign_ins` of them: past that a
//! sign-in is refused until the oldest chunk goes. (Sign-in challenges already limit sign-ins
//! to fewer than the default bound.) An operator's revocation is one entry per account, kept
//! 12 hours: it ends every sign-in of the account numbered before it.
//!
//! On disk (`<base path>/chains/<id>/rpc/revocations`): framed SCALE records, each synced
//! before the sign-out is answered; numbers are reserved in blocks, so a restart never reuses
//! one. The file is rewritten as a snapshot at start and whenever it grows to twice its last
//! snapshot, so it holds at most about two snapshots (a bit per sign-in of 12 hours).

use super::token::TokenError;
use crate::rpc::disclosures::{frame, frames};
use carechain_runtime::AccountId;
use codec::{Decode, Encode};
use parking_lot::RwLock;
use std::{
	collections::{HashMap, VecDeque},
	io::Write as _,
	path::{Path, PathBuf},
	time::Duration,
};

/// Sign-in numbers per chunk of the sign-out bits.
pub const CHUNK: u64 = 4096;
const WORDS: usize = (CHUNK / 64) as usize;
/// Sign-in numbers reserved on disk at once.
const RESERVE: u64 = 1024;
/// Accounts whose sessions the operator ended, kept at once.
pub const MAX_ENDED_ACCOUNTS: usize = 65_536;
/// The folder of the operator's requests, beside the file.
const REQUESTS: &str = "revoke-account";

/// Why a sign-in, sign-out or revocation could not be done.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
	/// `limit` sign-ins within the longest session life are tracked already.
	#[error("this node tracks {limit} sign-ins of the last session lifetime already; the oldest are forgotten at {until} ms since the Unix epoch")]
	Full {
		/// The bound.
		limit: u64,
		/// When the oldest chunk of sign-ins goes.
		until: u64,
	},
	/// The operator ended the sessions of too many accounts within 12 hours.
	#[error("the sessions of {0} accounts were ended within the longest session life already")]
	TooManyAccounts(usize),
	/// The file could not be written; in memory the revocation holds.
	#[error("{0}")]
	Io(String),
}

/// One record of the file.
#[derive(Encode, Decode)]
enum Record {
	/// Sign-ins numbered below are past their horizon.
	Floor(u64),
	/// Sign-ins numbered below may have been given out.
	Reserved(u64),
	/// A snapshot of a chunk of sign-out bits.
	Chunk {
		/// Its first sign-in number.
		first: u64,
		/// When its newest sign-in passes the longest session life.
		horizon: u64,
		/// Whether every number of it was given out when the snapshot was taken.
		complete: bool,
		/// The bits.
		bits: Vec<u64>,
	},
	/// A sign-in signed out.
	SignedOut {
		/// Its number.
		sign_in: u64,
		/// When it passes the longest session life.
		horizon: u64,
	},
	/// Every sign-in of `account` numbered below `below` ended.
	AccountEnded {
		/// The account.
		account: AccountId,
		/// The first number not ended.
		below: u64,
		/// When the entry may go.
		horizon: u64,
	},
}

struct Chunk {
	horizon: u64,
	bits: Box<[u64; WORDS]>,
}

impl Chunk {
	fn new(horizon: u64) -> Self {
		Self { horizon, bits: Box::new([0; WORDS]) }
	}
}

#[derive(Clone, Copy)]
struct AccountEnd {
	below: u64,
	horizon: u64,
}

struct State {
	/// The first number of `chunks[0]`; sign-ins below are past their horizon.
	floor: u64,
	chunks: VecDeque<Chunk>,
	/// The next sign-in's number.
	next: u64,
	/// Numbers below are reserved on disk.
	reserved: u64,
	accounts: HashMap<AccountId, AccountEnd>,
	file: Option<std::fs::File>,
	bytes: u64,
	snapshot_bytes: u64,
}

/// Ended sessions: see the module documentation.
pub struct Revocations {
	state: RwLock<State>,
	path: Option<PathBuf>,
	max_age: u64,
	max_chunks: usize,
}

fn ms(d: Duration) -> u64 {
	u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Revocations {
	/// Revocations in memory only, which a restart forgets: for tests, and nodes whose token key
	/// is not kept either.
	pub fn in_memory(max_age: Duration, max_sign_ins: u64) -> Self {
		Self {
			state: RwLock::new(State {
				floor: 0,
				chunks: VecDeque::new(),
				next: 0,
				reserved: u64::MAX,
				accounts: HashMap::new(),
				file: None,
				bytes: 0,
				snapshot_bytes: 0,
			}),
			path: None,
			max_age: ms(max_age),
			max_chunks: usize::try_from(max_sign_ins.div_ceil(CHUNK)).unwrap_or(usize::MAX).max(1),
		}
	}

	/// The revocations kept in `path` (made on first use), as of `now` (ms); the operator's
	/// requests waiting beside it are applied.
	pub fn open(
		path: &Path,
		max_age: Duration,
		max_sign_ins: u64,
		now: u64,
	) -> Result<Self, String> {
		let err = |e: std::io::Error| format!("{}: {e}", path.display());
		let mut this = Self::in_memory(max_age, max_sign_ins);
		this.path = Some(path.to_owned());
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir.join(REQUESTS)).map_err(err)?;
		}
		let bytes = match std::fs::read(path) {
			Ok(bytes) => bytes,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
			Err(e) => return Err(err(e)),
		};
		{
			let state = this.state.get_mut();
			state.reserved = 0;
			let mut snapshots = HashMap::new();
			let mut signed_out = Vec::new();
			// A torn last record (a crash mid-append) was never answered: it is left out.
			for body in frames(&bytes).0 {
				let Ok(record) = Record::decode(&mut &body[..]) else { break };
				match record {
					Record::Floor(floor) => state.floor = state.floor.max(floor),
					Record::Reserved(through) => state.reserved = state.reserved.max(through),
					Record::Chunk { first, horizon, complete, bits } => {
						snapshots.insert(first, (horizon, complete, bits));
					}
					Record::SignedOut { sign_in, horizon } => signed_out.push((sign_in, horizon)),
					Record::AccountEnded { account, below, horizon } => {
						let end =
							state.accounts.entry(account).or_insert(AccountEnd { below, horizon });
						end.below = end.below.max(below);
						end.horizon = end.horizon.max(horizon);
					}
				}
			}
			// Sign-ins since the last snapshot were made before now: their horizon is at most
			// now + the longest life. Beyond the bound, the oldest count as past it (refused).
			state.next = state.reserved.max(state.floor);
			let span = (this.max_chunks as u64).saturating_mul(CHUNK);
			if state.next - state.floor > span {
				state.floor += (state.next - state.floor - span).div_ceil(CHUNK) * CHUNK;
			}
			let mut first = state.floor;
			while first < state.next {
				let mut chunk = Chunk::new(now.saturating_add(this.max_age));
				if let Some((horizon, complete, bits)) = snapshots.remove(&first) {
					if complete {
						chunk.horizon = horizon;
					}
					for (word, bits) in chunk.bits.iter_mut().zip(bits) {
						*word = bits;
					}
				}
				state.chunks.push_back(chunk);
				first += CHUNK;
			}
			for (sign_in, horizon) in signed_out {
				if let Some((chunk, word, bit)) = state.place(sign_in) {
					let chunk = &mut state.chunks[chunk];
					chunk.bits[word] |= bit;
					chunk.horizon = chunk.horizon.max(horizon);
				}
			}
			state.sweep(now);
			snapshot(path, state).map_err(err)?;
		}
		this.apply_requests(now);
		Ok(this)
	}

	/// A number for a sign-in made at `now`; refused when the bound is reached.
	pub fn issue(&self, now: u64) -> Result<u64, RevocationError> {
		let mut state = self.state.write();
		state.sweep(now);
		let sign_in = state.next;
		let index = usize::try_from((sign_in - state.floor) / CHUNK).unwrap_or(usize::MAX);
		if index >= self.max_chunks {
			return Err(RevocationError::Full {
				limit: (self.max_chunks as u64).saturating_mul(CHUNK),
				until: state.chunks.front().map_or(now, |c| c.horizon),
			});
		}
		while state.chunks.len() <= index {
			state.chunks.push_back(Chunk::new(0));
		}
		if sign_in >= state.reserved {
			let through = sign_in.saturating_add(RESERVE);
			self.append(&mut state, &Record::Reserved(through))?;
			state.reserved = through;
		}
		let horizon = now.saturating_add(self.max_age);
		let chunk = &mut state.chunks[index];
		chunk.horizon = chunk.horizon.max(horizon);
		state.next = sign_in + 1;
		Ok(sign_in)
	}

	/// Whether the sign-in `sign_in` of `account` may still be used.
	pub fn check(&self, account: &AccountId, sign_in: u64) -> Result<(), TokenError> {
		let state = self.state.read();
		if state.accounts.get(account).is_some_and(|end| sign_in < end.below) {
			return Err(TokenError::Revoked);
		}
		match state.place(sign_in) {
			// Older than the longest session life, or never given out by this node.
			None => Err(TokenError::Unknown),
			Some((chunk, word, bit)) if state.chunks[chunk].bits[word] & bit != 0 => {
				Err(TokenError::SignedOut)
			}
			Some(_) => Ok(()),
		}
	}

	/// Ends the sign-in `sign_in` (made at `signed_in_at`), and every token renewed from it;
	/// durable when this returns `Ok`.
	pub fn sign_out(&self, sign_in: u64, signed_in_at: u64) -> Result<(), RevocationError> {
		let mut state = self.state.write();
		let Some((chunk, word, bit)) = state.place(sign_in) else { return Ok(()) };
		let horizon = signed_in_at.saturating_add(self.max_age);
		let chunk = &mut state.chunks[chunk];
		if chunk.bits[word] & bit != 0 {
			return Ok(());
		}
		chunk.bits[word] |= bit;
		chunk.horizon = chunk.horizon.max(horizon);
		self.append(&mut state, &Record::SignedOut { sign_in, horizon })
	}

	/// Ends every session of `account` signed in before `now`; durable when this returns `Ok`.
	pub fn end_account(&self, account: &AccountId, now: u64) -> Result<(), RevocationError> {
		let mut state = self.state.write();
		state.sweep(now);
		if state.accounts.len() >= MAX_ENDED_ACCOUNTS && !state.accounts.contains_key(account) {
			return Err(RevocationError::TooManyAccounts(MAX_ENDED_ACCOUNTS));
		}
		let end = AccountEnd { below: state.next, horizon: now.saturating_add(self.max_age) };
		state.accounts.insert(account.clone(), end);
		let record = Record::AccountEnded {
			account: account.clone(),
			below: end.below,
			horizon: end.horizon,
		};
		self.append(&mut state, &record)
	}

	/// Sign-in numbers tracked now, and accounts ended: for tests and metrics.
	pub fn tracked(&self) -> (u64, usize) {
		let state = self.state.read();
		(state.chunks.len() as u64 * CHUNK, state.accounts.len())
	}

	/// Applies the operator's requests waiting in the folder beside the file (written by
	/// `carechain auth revoke-account`), each removed once it holds; the accounts ended.
	pub fn apply_requests(&self, now: u64) -> Vec<AccountId> {
		let Some(dir) = self.path.as_ref().and_then(|p| p.parent()).map(|d| d.join(REQUESTS))
		else {
			return Vec::new();
		};
		let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
		let mut ended = Vec::new();
		for entry in entries.flatten() {
			let path = entry.path();
			if path.extension().is_none_or(|e| e != "request") {
				continue;
			}
			let account = std::fs::read_to_string(&path).ok().and_then(|t| parse_account(&t));
			let Some(account) = account else {
				tracing::warn!("{} names no account: removed", path.display());
				let _ = std::fs::remove_file(&path);
				continue;
			};
			match self.end_account(&account, now) {
				Ok(()) => {
					tracing::info!("Every session of {account} ended, as the operator asked");
					let _ = std::fs::remove_file(&path);
					ended.push(account);
				}
				Err(e) => tracing::warn!("The sessions of {account} could not be ended: {e}"),
			}
		}
		ended
	}

	/// Appends `record` and syncs it; rewrites the file as a snapshot once it doubled.
	fn append(&self, state: &mut State, record: &Record) -> Result<(), RevocationError> {
		let Some(path) = &self.path else { return Ok(()) };
		let framed = frame(&record.encode());
		let io = |e: std::io::Error| RevocationError::Io(format!("{}: {e}", path.display()));
		let file = state.file.as_mut().ok_or_else(|| RevocationError::Io("not open".into()))?;
		if let Err(e) = file.write_all(&framed).and_then(|()| file.sync_data()) {
			// A part written would hide every later record: take it back.
			let _ = file.set_len(state.bytes).and_then(|()| file.sync_data());
			return Err(io(e));
		}
		state.bytes += framed.len() as u64;
		if state.bytes > state.snapshot_bytes.saturating_mul(2).saturating_add(64 << 10) {
			snapshot(path, state).map_err(io)?;
		}
		Ok(())
	}
}

/// Rewrites the file as what `state` holds, atomically.
fn snapshot(path: &Path, state: &mut State) -> std::io::Result<()> {
	let mut records = vec![Record::Floor(state.floor), Record::Reserved(state.reserved)];
	for (i, chunk) in state.chunks.iter().enumerate() {
		let first = state.floor + i as u64 * CHUNK;
		if chunk.bits.iter().any(|w| *w != 0) || first + CHUNK <= state.next {
			records.push(Record::Chunk {
				first,
				horizon: chunk.horizon,
				complete: first + CHUNK <= state.next,
				bits: chunk.bits.to_vec(),
			});
		}
	}
	for (account, end) in &state.accounts {
		records.push(Record::AccountEnded {
			account: account.clone(),
			below: end.below,
			horizon: end.horizon,
		});
	}
	let bytes: Vec<u8> = records.iter().flat_map(|r| frame(&r.encode())).collect();
	let temporary = path.with_extension("new");
	let mut file = std::fs::File::create(&temporary)?;
	file.write_all(&bytes)?;
	file.sync_all()?;
	std::fs::rename(&temporary, path)?;
	if let Some(dir) = path.parent() {
		std::fs::File::open(dir)?.sync_all()?;
	}
	state.file = Some(std::fs::OpenOptions::new().append(true).open(path)?);
	state.bytes = bytes.len() as u64;
	state.snapshot_bytes = state.bytes;
	Ok(())
}

impl State {
	/// The chunk, word and bit of `sign_in`, if it is tracked.
	fn place(&self, sign_in: u64) -> Option<(usize, usize, u64)> {
		if sign_in < self.floor || sign_in >= self.next {
			return None;
		}
		let offset = sign_in - self.floor;
		let chunk = usize::try_from(offset / CHUNK).ok()?;
		(chunk < self.chunks.len()).then(|| {
			let bit = offset % CHUNK;
			(chunk, (bit / 64) as usize, 1u64 << (bit % 64))
		})
	}

	/// Forgets the chunks, oldest first, and the accounts whose horizon passed at `now`.
	fn sweep(&mut self, now: u64) {
		while self.chunks.front().is_some_and(|c| c.horizon <= now) {
			self.chunks.pop_front();
			self.floor += CHUNK;
		}
		// Numbers of a chunk that went are never given out.
		self.next = self.next.max(self.floor);
		self.accounts.retain(|_, end| end.horizon > now);
	}
}

/// An account as an operator writes it: SS58 or 0x-hex of its 32 bytes.
pub fn parse_account(text: &str) -> Option<AccountId> {
	use sp_core::crypto::Ss58Codec as _;
	let text = text.trim();
	if let Ok(account) = AccountId::from_ss58check(text) {
		return Some(account);
	}
	let bytes = hex::decode(text.trim_start_matches("0x")).ok()?;
	<[u8; 32]>::try_from(bytes).ok().map(AccountId::from)
}

/// Asks the node whose revocations are kept in `path` to end every session of `account`: a
/// request file beside it, which the running node applies within a second (or at its next
/// start), then removes. Answers the request's path.
pub fn request_account_end(path: &Path, account: &AccountId) -> std::io::Result<PathBuf> {
	let dir = path.parent().unwrap_or(Path::new(".")).join(REQUESTS);
	std::fs::create_dir_all(&dir)?;
	let name = format!("{}-{}", hex::encode(account), super::now_ms());
	let temporary = dir.join(format!("{name}.tmp"));
	let request = dir.join(format!("{name}.request"));
	let mut file = std::fs::File::create(&temporary)?;
	file.write_all(format!("0x{}\n", hex::encode(account)).as_bytes())?;
	file.sync_all()?;
	std::fs::rename(&temporary, &request)?;
	Ok(request)
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Ed25519Keyring;

	const HOUR: u64 = 60 * 60 * 1000;
	const TWELVE_HOURS: Duration = Duration::from_secs(12 * 60 * 60);
	const NOW: u64 = 1_000 * HOUR;

	/// A folder for the file, the file's path in it, and Eve.
	fn place() -> (tempfile::TempDir, PathBuf, AccountId) {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("rpc/revocations");
		(dir, path, Ed25519Keyring::Eve.to_account_id())
	}

	#[test]
	fn a_sign_out_ends_its_sign_in_only_and_holds_across_a_restart() {
		let (_dir, path, eve) = place();
		let now = NOW;
		let (kept, ended) = {
			let revocations = Revocations::open(&path, TWELVE_HOURS, 1 << 20, now).unwrap();
			let kept = revocations.issue(now).unwrap();
			let ended = revocations.issue(now).unwrap();
			assert_ne!(kept, ended);
			revocations.sign_out(ended, now).unwrap();
			assert_eq!(revocations.check(&eve, ended), Err(TokenError::SignedOut));
			assert_eq!(revocations.check(&eve, kept), Ok(()));
			(kept, ended)
		};
		let revocations = Revocations::open(&path, TWELVE_HOURS, 1 << 20, now + 1).unwrap();
		assert_eq!(revocations.check(&eve, ended), Err(TokenError::SignedOut));
		assert_eq!(revocations.check(&eve, kept), Ok(()));
		// A number is never given out twice, restart or not.
		let after = revocations.issue(now + 2).unwrap();
		assert!(after > ended);
		assert_eq!(revocations.check(&eve, after), Ok(()));
		// Numbers this node never gave out are not sessions.
		assert_eq!(revocations.check(&eve, after + 1), Err(TokenError::Unknown));
	}

	#[test]
	fn an_operator_ends_every_session_of_an_account_and_no_later_one() {
		let (_dir, path, eve) = place();
		let ferdie = Ed25519Keyring::Ferdie.to_account_id();
		let now = NOW;
		let revocations = Revocations::open(&path, TWELVE_HOURS, 1 << 20, now).unwrap();
		let eves = revocations.issue(now).unwrap();
		let ferdies = revocations.issue(now).unwrap();
		let request = request_account_end(&path, &eve).unwrap();
		assert_eq!(revocations.apply_requests(now), vec![eve.clone()]);
		assert!(!request.exists(), "a request applied is removed");
		assert_eq!(revocations.check(&eve, eves), Err(TokenError::Revoked));
		assert_eq!(revocations.check(&ferdie, ferdies), Ok(()));
		let later = revocations.issue(now + 1).unwrap();
		assert_eq!(revocations.check(&eve, later), Ok(()));
		// A request made while the node is down holds from its next start, and both hold
		// across it.
		drop(revocations);
		request_account_end(&path, &ferdie).unwrap();
		let revocations = Revocations::open(&path, TWELVE_HOURS, 1 << 20, now + 2).unwrap();
		assert_eq!(revocations.check(&eve, eves), Err(TokenError::Revoked));
		assert_eq!(revocations.check(&ferdie, ferdies), Err(TokenError::Revoked));
		assert_eq!(revocations.check(&eve, later), Ok(()));
		// After the longest session life, the entries go.
		revocations.issue(now + 13 * HOUR).unwrap();
		assert_eq!(revocations.tracked().1, 0);
	}

	#[test]
	fn a_flood_of_sign_ins_and_sign_outs_stays_within_its_bound() {
		let (_dir, path, eve) = place();
		let limit = 4 * CHUNK;
		let now = NOW;
		let revocations = Revocations::open(&path, TWELVE_HOURS, limit, now).unwrap();
		let mut numbers = Vec::new();
		for i in 0..limit {
			let sign_in = revocations.issue(now + i).unwrap();
			revocations.sign_out(sign_in, now + i).unwrap();
			numbers.push(sign_in);
		}
		// At the bound: the next sign-in is refused, saying until when; nothing was forgotten.
		let refused = revocations.issue(now + limit).unwrap_err();
		assert_eq!(refused, RevocationError::Full { limit, until: now + CHUNK - 1 + 12 * HOUR });
		assert!(numbers.iter().all(|n| revocations.check(&eve, *n) == Err(TokenError::SignedOut)));
		assert_eq!(revocations.tracked().0, limit);
		// The file holds about two snapshots of the bits at most.
		let most = 2 * (limit / 8 + 64 * (limit / CHUNK)) + (64 << 10) + 4096;
		assert!(std::fs::metadata(&path).unwrap().len() <= most);
		// Once the oldest chunk's sign-ins are past the longest life, it goes, and sign-ins
		// resume; the rest still hold.
		let later = now + CHUNK + 12 * HOUR;
		let sign_in = revocations.issue(later).unwrap();
		assert_eq!(revocations.tracked().0, limit);
		assert_eq!(revocations.check(&eve, numbers[0]), Err(TokenError::Unknown));
		assert_eq!(revocations.check(&eve, numbers[CHUNK as usize]), Err(TokenError::SignedOut));
		assert_eq!(revocations.check(&eve, sign_in), Ok(()));
		drop(revocations);
		let revocations = Revocations::open(&path, TWELVE_HOURS, limit, later).unwrap();
		assert_eq!(revocations.check(&eve, numbers[CHUNK as usize]), Err(TokenError::SignedOut));
		assert_eq!(revocations.check(&eve, *numbers.last().unwrap()), Err(TokenError::SignedOut));
		assert_eq!(revocations.check(&eve, sign_in), Ok(()));
	}

	#[test]
	fn a_torn_last_record_is_left_out_on_reopening() {
		let (_dir, path, eve) = place();
		let now = NOW;
		let revocations = Revocations::open(&path, TWELVE_HOURS, 1 << 20, now).unwrap();
		let ended = revocations.issue(now).unwrap();
		revocations.sign_out(ended, now).unwrap();
		drop(revocations);
		std::fs::OpenOptions::new()
			.append(true)
			.open(&path)
			.unwrap()
			.write_all(&[40, 0, 0, 0, 3])
			.unwrap();
		let revocations = Revocations::open(&path, TWELVE_HOURS, 1 << 20, now).unwrap();
		assert_eq!(revocations.check(&eve, ended), Err(TokenError::SignedOut));
	}
}
