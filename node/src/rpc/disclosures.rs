//! The node's own accounting of the patient-linked reads it answered to someone other than the
//! patient or a guardian: a grantee's listing of the patient's records, over RPC or the FHIR
//! interface. (Reading a record's
//! content is audited on chain: the vault serves a read only against its own
//! `records.log_access` entry.)
//!
//! Each answered read is appended, and synced, to the newest segment of
//! `<base path>/chains/<id>/rpc/disclosures/` before the answer leaves the node, so an answer
//! the patient cannot later account for is never given. The patient and guardians read the log
//! with `consent_nodeDisclosures`.
//!
//! The log is bounded ([`DisclosureLimits`]): entries are kept for the retention the operator
//! sets (6 years by default, HIPAA's for an accounting of disclosures), in segments that are
//! dropped whole once their newest entry is past it; the log's bytes, in all and per accessor,
//! are capped. An entry still within retention is never dropped to make room: when a cap is
//! reached, the read that would disclose is refused ([`LOG_FULL`], [`ACCESSOR_SHARE_FULL`]).

use carechain_primitives::RecordId;
use carechain_runtime::AccountId;
use codec::{Decode, Encode};
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use parking_lot::Mutex;
use std::{
	collections::HashMap,
	io::{Read as _, Write as _},
	path::{Path, PathBuf},
	time::Duration,
};

/// The most record ids one entry lists (a page of `records_byPatient`).
pub const MAX_RECORDS_PER_ENTRY: usize = 100;

/// The read could not be written to the log (a disk error); transient.
pub const NOT_ACCOUNTED: i32 = 4003;
/// The log holds its most bytes of entries still within retention.
pub const LOG_FULL: i32 = 4004;
/// The accessor's entries within retention hold its most bytes.
pub const ACCESSOR_SHARE_FULL: i32 = 4005;

/// How much the log keeps, and for how long.
#[derive(Clone, Debug)]
pub struct DisclosureLimits {
	/// How long an entry is kept; a segment goes once its newest entry is older.
	pub retention: Duration,
	/// The most bytes of the log, all segments together.
	pub max_bytes: u64,
	/// The most bytes of one accessor's entries: one grantee that hammers cannot fill the log
	/// for every other.
	pub max_bytes_per_accessor: u64,
	/// A segment's most bytes; it also closes once its first entry is 1/64 of the retention
	/// old, so what outlives the retention is at most a segment's span.
	pub segment_bytes: u64,
}

impl Default for DisclosureLimits {
	fn default() -> Self {
		Self {
			// Six years, leap days included (HIPAA 164.528: an accounting covers six years).
			retention: Duration::from_secs(2_192 * 24 * 60 * 60),
			max_bytes: 1 << 30,
			max_bytes_per_accessor: 1 << 26,
			segment_bytes: 16 << 20,
		}
	}
}

/// Which method disclosed.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub enum DisclosedBy {
	/// `records_byPatient`.
	#[serde(rename = "records_byPatient")]
	RecordsByPatient,
	/// The FHIR interface: a DocumentReference or Provenance read or search.
	#[serde(rename = "fhir")]
	Fhir,
}

/// One read the node answered.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeDisclosure {
	/// When, in milliseconds since the Unix epoch.
	pub at: u64,
	/// Whose records.
	pub patient: AccountId,
	/// Who read.
	pub accessor: AccountId,
	/// How.
	pub method: DisclosedBy,
	/// The records whose index entries were disclosed.
	pub records: Vec<RecordId>,
}

/// Why a read was not entered in the log, and so not answered.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
	/// The log could not be written.
	#[error("this read could not be entered in the node's accounting of disclosures ({0}), so it was not answered: retry")]
	Io(String),
	/// The log is full of entries still within retention.
	#[error("the node's accounting of disclosures holds its most ({max_bytes} bytes) of entries within retention, so this read, which it would have to account for, was not answered: retry after {until} ms since the Unix epoch, when its oldest entries leave retention, or ask the node's operator to raise --disclosure-log-max-bytes")]
	Full {
		/// The cap.
		max_bytes: u64,
		/// When the oldest segment leaves retention.
		until: u64,
	},
	/// The accessor's share is full.
	#[error("{accessor}'s reads already fill its share ({max_bytes} bytes) of the node's accounting of disclosures, so this read was not answered: read through the vault (audited on chain), or ask the node's operator to raise --disclosure-log-max-bytes-per-accessor")]
	AccessorFull {
		/// The accessor.
		accessor: AccountId,
		/// Its share.
		max_bytes: u64,
	},
}

impl From<DisclosureError> for ErrorObjectOwned {
	fn from(error: DisclosureError) -> Self {
		let code = match &error {
			DisclosureError::Io(_) => NOT_ACCOUNTED,
			DisclosureError::Full { .. } => LOG_FULL,
			DisclosureError::AccessorFull { .. } => ACCESSOR_SHARE_FULL,
		};
		ErrorObject::owned(code, error.to_string(), None::<()>)
	}
}

/// One file of the log.
#[derive(Debug)]
struct Segment {
	/// Its number: files are named by it, in order; 0 is a log from before segments.
	number: u64,
	/// Bytes of whole entries.
	bytes: u64,
	/// When its first and newest entries were made; `None` while empty.
	span: Option<(u64, u64)>,
}

/// What the log holds, and the newest segment open for appending.
#[derive(Default)]
struct Ledger {
	/// Oldest first; the last takes appends.
	segments: Vec<Segment>,
	/// Bytes of all segments.
	total: u64,
	/// Bytes of each accessor's entries.
	per_accessor: HashMap<AccountId, u64>,
	/// The last segment, open for appending.
	open: Option<std::fs::File>,
	/// Entries of a log without a folder (tests).
	memory: Vec<NodeDisclosure>,
}

/// The log; in memory only when it has no folder (tests).
pub struct DisclosureLog {
	dir: Option<PathBuf>,
	limits: DisclosureLimits,
	ledger: Mutex<Ledger>,
}

fn segment_name(number: u64) -> String {
	format!("{number:016}.log")
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
	move |e| format!("{}: {e}", path.display())
}

impl DisclosureLog {
	/// A log in memory only, with the default limits.
	pub fn in_memory() -> Self {
		Self::in_memory_with(DisclosureLimits::default())
	}

	/// A log in memory only, with `limits` (retention is not applied).
	pub fn in_memory_with(limits: DisclosureLimits) -> Self {
		Self { dir: None, limits, ledger: Mutex::default() }
	}

	/// The log in the folder `path`, with the default limits.
	pub fn open(path: &Path) -> std::io::Result<Self> {
		Self::open_with(path, DisclosureLimits::default())
	}

	/// The log in the folder `path` (made on first use), with `limits`. A log kept in one
	/// file at `path`, as nodes before segments kept it, becomes the folder's first segment.
	/// A torn last entry (a crash mid-append, never answered) is cut off.
	pub fn open_with(path: &Path, limits: DisclosureLimits) -> std::io::Result<Self> {
		let legacy = path.with_file_name(format!(
			"{}.single-file",
			path.file_name().and_then(|n| n.to_str()).unwrap_or("disclosures")
		));
		if path.is_file() {
			std::fs::rename(path, &legacy)?;
		}
		std::fs::create_dir_all(path)?;
		if legacy.is_file() {
			std::fs::rename(&legacy, path.join(segment_name(0)))?;
		}
		let mut numbers = Vec::new();
		for entry in std::fs::read_dir(path)? {
			let name = entry?.file_name();
			let number = name.to_str().and_then(|n| n.strip_suffix(".log")?.parse::<u64>().ok());
			numbers.extend(number);
		}
		numbers.sort_unstable();
		let mut ledger = Ledger::default();
		for number in numbers {
			let file_path = path.join(segment_name(number));
			let mut file = std::fs::OpenOptions::new().read(true).append(true).open(&file_path)?;
			let mut bytes = Vec::new();
			file.read_to_end(&mut bytes)?;
			let (entries, whole) = decode_entries(&bytes);
			// Entries appended after a torn one would never be read: cut it off.
			if whole < bytes.len() {
				file.set_len(whole as u64)?;
				file.sync_data()?;
			}
			let mut segment = Segment { number, bytes: whole as u64, span: None };
			for (entry, size) in entries {
				segment.span = Some(match segment.span {
					None => (entry.at, entry.at),
					Some((first, last)) => (first, last.max(entry.at)),
				});
				*ledger.per_accessor.entry(entry.accessor).or_default() += size;
			}
			ledger.total += segment.bytes;
			ledger.segments.push(segment);
			ledger.open = Some(file);
		}
		Ok(Self { dir: Some(path.to_owned()), limits, ledger: Mutex::new(ledger) })
	}

	/// Bytes the log holds, all segments together.
	pub fn bytes(&self) -> u64 {
		self.ledger.lock().total
	}

	/// Appends `entry` and makes it durable, or refuses it: the caller then refuses the read.
	pub fn append(&self, entry: NodeDisclosure) -> Result<(), DisclosureError> {
		let framed = frame(&entry.encode());
		let size = framed.len() as u64;
		let mut ledger = self.ledger.lock();
		self.drop_past_retention(&mut ledger, entry.at);
		let accessor_bytes = ledger.per_accessor.get(&entry.accessor).copied().unwrap_or(0);
		if accessor_bytes.saturating_add(size) > self.limits.max_bytes_per_accessor {
			return Err(DisclosureError::AccessorFull {
				accessor: entry.accessor,
				max_bytes: self.limits.max_bytes_per_accessor,
			});
		}
		if ledger.total.saturating_add(size) > self.limits.max_bytes {
			let retention = u64::try_from(self.limits.retention.as_millis()).unwrap_or(u64::MAX);
			let oldest = ledger.segments.iter().find_map(|s| s.span).map_or(0, |(_, last)| last);
			return Err(DisclosureError::Full {
				max_bytes: self.limits.max_bytes,
				until: oldest.saturating_add(retention),
			});
		}
		match &self.dir {
			None => ledger.memory.push(entry.clone()),
			Some(dir) => self.write(&mut ledger, dir, &framed, entry.at)?,
		}
		ledger.total += size;
		*ledger.per_accessor.entry(entry.accessor).or_default() += size;
		Ok(())
	}

	/// Writes `framed`, made at `at`, to the newest segment, or to a new one when it is full
	/// or old, and syncs it.
	fn write(
		&self,
		ledger: &mut Ledger,
		dir: &Path,
		framed: &[u8],
		at: u64,
	) -> Result<(), DisclosureError> {
		let span = u64::try_from(self.limits.retention.as_millis() / 64).unwrap_or(u64::MAX);
		let full = ledger.segments.last().is_none_or(|s| {
			let big = s.bytes > 0
				&& s.bytes.saturating_add(framed.len() as u64) > self.limits.segment_bytes;
			big || s.span.is_some_and(|(first, _)| at.saturating_sub(first) >= span)
		});
		if full || ledger.open.is_none() {
			let number = ledger.segments.last().map_or(1, |s| s.number + 1);
			let path = dir.join(segment_name(number));
			let file = std::fs::OpenOptions::new()
				.create_new(true)
				.read(true)
				.append(true)
				.open(&path)
				.and_then(|f| std::fs::File::open(dir)?.sync_all().map(|()| f))
				.map_err(|e| DisclosureError::Io(io(&path)(e)))?;
			ledger.segments.push(Segment { number, bytes: 0, span: None });
			ledger.open = Some(file);
		}
		let (Some(file), Some(segment)) = (ledger.open.as_mut(), ledger.segments.last_mut()) else {
			return Err(DisclosureError::Io("no segment open".into()));
		};
		let path = dir.join(segment_name(segment.number));
		if let Err(e) = file.write_all(framed).and_then(|()| file.sync_data()) {
			// Whatever part was written would hide every later entry: take it back.
			let _ = file.set_len(segment.bytes).and_then(|()| file.sync_data());
			return Err(DisclosureError::Io(io(&path)(e)));
		}
		segment.bytes += framed.len() as u64;
		segment.span = Some(segment.span.map_or((at, at), |(first, last)| (first, last.max(at))));
		Ok(())
	}

	/// Drops the segments whose newest entry is past retention at `now`, oldest first.
	fn drop_past_retention(&self, ledger: &mut Ledger, now: u64) {
		let Some(dir) = &self.dir else { return };
		let retention = u64::try_from(self.limits.retention.as_millis()).unwrap_or(u64::MAX);
		while let Some(segment) = ledger.segments.first() {
			let past = segment.span.is_some_and(|(_, last)| last.saturating_add(retention) <= now);
			if !past {
				break;
			}
			let path = dir.join(segment_name(segment.number));
			let entries = match std::fs::read(&path) {
				Ok(bytes) => decode_entries(&bytes).0,
				Err(e) => {
					tracing::warn!("Disclosure log: cannot read {}: {e}", path.display());
					return;
				}
			};
			if let Err(e) = std::fs::remove_file(&path) {
				tracing::warn!("Disclosure log: cannot drop {}: {e}", path.display());
				return;
			}
			for (entry, size) in entries {
				if let Some(bytes) = ledger.per_accessor.get_mut(&entry.accessor) {
					*bytes = bytes.saturating_sub(size);
					if *bytes == 0 {
						ledger.per_accessor.remove(&entry.accessor);
					}
				}
			}
			ledger.total = ledger.total.saturating_sub(segment.bytes);
			ledger.segments.remove(0);
			if ledger.segments.is_empty() {
				ledger.open = None;
			}
		}
	}

	/// The entries about `patient` at or after `since` (ms), oldest first.
	pub fn of_patient(
		&self,
		patient: &AccountId,
		since: u64,
	) -> Result<Vec<NodeDisclosure>, String> {
		let keep = |e: &NodeDisclosure| e.patient == *patient && e.at >= since;
		let (numbers, memory) = {
			let ledger = self.ledger.lock();
			// A segment whose newest entry is older than `since` holds none of them.
			let numbers: Vec<u64> = ledger
				.segments
				.iter()
				.filter(|s| s.span.is_none_or(|(_, last)| last >= since))
				.map(|s| s.number)
				.collect();
			(numbers, ledger.memory.iter().filter(|e| keep(e)).cloned().collect::<Vec<_>>())
		};
		let Some(dir) = &self.dir else { return Ok(memory) };
		let mut found = Vec::new();
		for number in numbers {
			let path = dir.join(segment_name(number));
			let mut bytes = Vec::new();
			match std::fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)) {
				Ok(_) => {}
				// Dropped past retention since the list was taken.
				Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
				Err(e) => return Err(io(&path)(e)),
			}
			found.extend(decode_entries(&bytes).0.into_iter().map(|(e, _)| e).filter(keep));
		}
		Ok(found)
	}
}

/// `body` framed as the node's append-only files frame a record: its length (4 bytes, little
/// endian), then the body.
pub(crate) fn frame(body: &[u8]) -> Vec<u8> {
	let length = u32::try_from(body.len()).unwrap_or(u32::MAX);
	[length.to_le_bytes().as_slice(), body].concat()
}

/// The whole frames at the start of `bytes`, and the length they take: what follows is a torn
/// last record (a crash mid-append), which was never acted on.
pub(crate) fn frames(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
	let mut frames = Vec::new();
	let mut rest = bytes;
	while let Some((length, tail)) = rest.split_first_chunk::<4>() {
		let length = u32::from_le_bytes(*length) as usize;
		let Some((body, tail)) = tail.split_at_checked(length) else { break };
		frames.push(body);
		rest = tail;
	}
	(frames, bytes.len() - rest.len())
}

/// The whole entries at the start of `bytes`, each with its framed size, and the length they
/// take.
fn decode_entries(bytes: &[u8]) -> (Vec<(NodeDisclosure, u64)>, usize) {
	let mut entries = Vec::new();
	let mut whole = 0;
	for body in frames(bytes).0 {
		let Ok(entry) = NodeDisclosure::decode(&mut &body[..]) else { break };
		entries.push((entry, body.len() as u64 + 4));
		whole += body.len() + 4;
	}
	(entries, whole)
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Ed25519Keyring;

	const DAY: u64 = 24 * 60 * 60 * 1000;

	fn entry(at: u64, patient: &AccountId, accessor: Ed25519Keyring) -> NodeDisclosure {
		NodeDisclosure {
			at,
			patient: patient.clone(),
			accessor: accessor.to_account_id(),
			method: DisclosedBy::RecordsByPatient,
			records: vec![RecordId::repeat_byte(at as u8)],
		}
	}

	/// A log in a new folder with the limits `limits` makes of an entry's size: the log, its
	/// folder and path, Eve, the size and the limits.
	#[allow(clippy::type_complexity)]
	fn log_with(
		limits: impl FnOnce(u64) -> DisclosureLimits,
	) -> (DisclosureLog, tempfile::TempDir, PathBuf, AccountId, u64, DisclosureLimits) {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("disclosures");
		let eve = Ed25519Keyring::Eve.to_account_id();
		let size = frame(&entry(1, &eve, Ed25519Keyring::Bob).encode()).len() as u64;
		let limits = limits(size);
		let log = DisclosureLog::open_with(&path, limits.clone()).unwrap();
		(log, dir, path, eve, size, limits)
	}

	fn file_bytes(dir: &Path) -> u64 {
		std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
	}

	#[test]
	fn entries_survive_a_reopening_and_a_torn_tail() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("rpc/disclosures");
		let eve = Ed25519Keyring::Eve.to_account_id();
		let bob = Ed25519Keyring::Bob;
		{
			let log = DisclosureLog::open(&path).unwrap();
			log.append(entry(1, &eve, bob)).unwrap();
			log.append(entry(2, &Ed25519Keyring::Ferdie.to_account_id(), bob)).unwrap();
			log.append(entry(3, &eve, bob)).unwrap();
		}
		// A crash mid-append: part of a length and body.
		let segment = path.join(segment_name(1));
		std::fs::OpenOptions::new()
			.append(true)
			.open(&segment)
			.unwrap()
			.write_all(&[9; 7])
			.unwrap();
		let log = DisclosureLog::open(&path).unwrap();
		log.append(entry(4, &eve, bob)).unwrap();
		let all = vec![entry(1, &eve, bob), entry(3, &eve, bob), entry(4, &eve, bob)];
		assert_eq!(log.of_patient(&eve, 0).unwrap(), all);
		assert_eq!(log.of_patient(&eve, 2).unwrap(), all[1..]);
		assert_eq!(log.bytes(), file_bytes(&path));
	}

	#[test]
	fn a_single_file_log_of_an_older_node_becomes_the_first_segment() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("disclosures");
		let eve = Ed25519Keyring::Eve.to_account_id();
		let old = entry(5, &eve, Ed25519Keyring::Bob);
		std::fs::write(&path, [frame(&old.encode()), vec![1, 2]].concat()).unwrap();
		let log = DisclosureLog::open(&path).unwrap();
		log.append(entry(6, &eve, Ed25519Keyring::Bob)).unwrap();
		assert_eq!(
			log.of_patient(&eve, 0).unwrap(),
			vec![old, entry(6, &eve, Ed25519Keyring::Bob)]
		);
		assert!(path.join(segment_name(0)).is_file());
	}

	#[test]
	fn a_grantee_hammering_the_log_fills_its_share_and_no_more() {
		let (log, _dir, path, eve, size, limits) = log_with(|size| DisclosureLimits {
			max_bytes: 10 * size,
			max_bytes_per_accessor: 4 * size,
			segment_bytes: 3 * size,
			..Default::default()
		});
		let now = 1_000 * DAY;
		for i in 0..4 {
			log.append(entry(now + i, &eve, Ed25519Keyring::Bob)).unwrap();
		}
		// At the share and past it: Bob is refused, with the code and what to do.
		for _ in 0..100 {
			let refused = log.append(entry(now + 9, &eve, Ed25519Keyring::Bob)).unwrap_err();
			assert!(matches!(refused, DisclosureError::AccessorFull { .. }), "{refused}");
			let refused = ErrorObjectOwned::from(refused);
			assert_eq!(refused.code(), ACCESSOR_SHARE_FULL);
			assert!(refused.message().contains("--disclosure-log-max-bytes-per-accessor"));
		}
		// Others share the rest, up to the cap; then every read is refused.
		for who in [Ed25519Keyring::Charlie, Ed25519Keyring::Dave] {
			for i in 0..3 {
				log.append(entry(now + 10 + i, &eve, who)).unwrap();
			}
		}
		let refused = log.append(entry(now + 20, &eve, Ed25519Keyring::Ferdie)).unwrap_err();
		assert!(matches!(refused, DisclosureError::Full { .. }), "{refused}");
		assert_eq!(ErrorObjectOwned::from(refused).code(), LOG_FULL);
		assert_eq!(log.bytes(), 10 * size);
		assert_eq!(file_bytes(&path), 10 * size, "the files never pass the cap");
		assert_eq!(log.of_patient(&eve, 0).unwrap().len(), 10, "nothing was dropped to make room");
		// A restart keeps every entry within retention, and the accounting of them.
		drop(log);
		let log = DisclosureLog::open_with(&path, limits).unwrap();
		assert_eq!(log.of_patient(&eve, 0).unwrap().len(), 10);
		assert!(matches!(
			log.append(entry(now + 21, &eve, Ed25519Keyring::Bob)),
			Err(DisclosureError::AccessorFull { .. })
		));
		assert!(matches!(
			log.append(entry(now + 21, &eve, Ed25519Keyring::Ferdie)),
			Err(DisclosureError::Full { .. })
		));
	}

	#[test]
	fn segments_past_retention_go_whole_and_make_room() {
		let (log, _dir, path, eve, size, limits) = log_with(|size| DisclosureLimits {
			retention: Duration::from_millis(64 * DAY),
			max_bytes: 4 * size,
			max_bytes_per_accessor: 4 * size,
			segment_bytes: 1 << 20,
		});
		let start = 1_000 * DAY;
		// A segment closes once its first entry is a day (1/64 of the retention) old.
		log.append(entry(start, &eve, Ed25519Keyring::Bob)).unwrap();
		log.append(entry(start + DAY / 2, &eve, Ed25519Keyring::Bob)).unwrap();
		log.append(entry(start + DAY, &eve, Ed25519Keyring::Bob)).unwrap();
		log.append(entry(start + 2 * DAY, &eve, Ed25519Keyring::Bob)).unwrap();
		assert_eq!(std::fs::read_dir(&path).unwrap().count(), 3);
		// Full, and nothing is past retention yet.
		let until = start + DAY / 2 + 64 * DAY;
		match log.append(entry(until - 1, &eve, Ed25519Keyring::Bob)) {
			Err(DisclosureError::AccessorFull { .. }) => {}
			other => panic!("{other:?}"),
		}
		// Once the first segment's newest entry is past retention, that segment goes whole.
		drop(log);
		let log = DisclosureLog::open_with(&path, limits).unwrap();
		log.append(entry(until, &eve, Ed25519Keyring::Bob)).unwrap();
		let left: Vec<u64> = log.of_patient(&eve, 0).unwrap().iter().map(|e| e.at).collect();
		assert_eq!(left, vec![start + DAY, start + 2 * DAY, until]);
		let since: Vec<u64> =
			log.of_patient(&eve, start + 2 * DAY).unwrap().iter().map(|e| e.at).collect();
		assert_eq!(since, vec![start + 2 * DAY, until], "segments older than `since` skipped");
		assert_eq!(log.bytes(), 3 * size);
		assert_eq!(file_bytes(&path), 3 * size);
	}
}
