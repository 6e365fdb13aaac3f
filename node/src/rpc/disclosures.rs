//! The node's own accounting of the patient-linked reads it answered to someone other than the
//! patient or a guardian: a grantee's listing of the patient's records. (Reading a record's
//! content is audited on chain: the vault serves a read only against its own
//! `records.log_access` entry.)
//!
//! Each answered read is appended, and synced, to `<base path>/chains/<id>/rpc/disclosures`
//! before the answer leaves the node, so an answer the patient cannot later account for is
//! never given. The patient and guardians read the log with `consent_nodeDisclosures`.

use carechain_primitives::RecordId;
use carechain_runtime::AccountId;
use codec::{Decode, Encode};
use parking_lot::Mutex;
use std::{
	io::{Read as _, Write as _},
	path::{Path, PathBuf},
};

/// The most record ids one entry lists (a page of `records_byPatient`).
pub const MAX_RECORDS_PER_ENTRY: usize = 100;

/// Which method disclosed.
#[derive(
	Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub enum DisclosedBy {
	/// `records_byPatient`.
	#[serde(rename = "records_byPatient")]
	RecordsByPatient,
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

/// The log; in memory only when it has no file (tests).
pub struct DisclosureLog {
	file: Option<(PathBuf, Mutex<std::fs::File>)>,
	memory: Mutex<Vec<NodeDisclosure>>,
}

impl DisclosureLog {
	/// A log in memory only.
	pub fn in_memory() -> Self {
		Self { file: None, memory: Mutex::default() }
	}

	/// The log in `path` (made, with its folder, on first use).
	pub fn open(path: &Path) -> std::io::Result<Self> {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir)?;
		}
		let mut file =
			std::fs::OpenOptions::new().create(true).read(true).append(true).open(path)?;
		let mut bytes = Vec::new();
		file.read_to_end(&mut bytes)?;
		// Entries appended after a torn one would never be read: cut it off.
		let whole = bytes.len() - entries(&bytes).1.len();
		if whole < bytes.len() {
			file.set_len(whole as u64)?;
		}
		Ok(Self { file: Some((path.to_owned(), Mutex::new(file))), memory: Mutex::default() })
	}

	/// Appends `entry` and makes it durable.
	pub fn append(&self, entry: NodeDisclosure) -> Result<(), String> {
		let Some((path, file)) = &self.file else {
			self.memory.lock().push(entry);
			return Ok(());
		};
		let body = entry.encode();
		let length = u32::try_from(body.len()).map_err(|_| "an entry is too large".to_owned())?;
		let framed = [length.to_le_bytes().as_slice(), &body].concat();
		let mut file = file.lock();
		file.write_all(&framed)
			.and_then(|()| file.sync_data())
			.map_err(|e| format!("{}: {e}", path.display()))
	}

	/// The entries about `patient` at or after `since` (ms), oldest first.
	pub fn of_patient(
		&self,
		patient: &AccountId,
		since: u64,
	) -> Result<Vec<NodeDisclosure>, String> {
		let keep = |e: &NodeDisclosure| e.patient == *patient && e.at >= since;
		let Some((path, _)) = &self.file else {
			return Ok(self.memory.lock().iter().filter(|e| keep(e)).cloned().collect());
		};
		let mut bytes = Vec::new();
		std::fs::File::open(path)
			.and_then(|mut f| f.read_to_end(&mut bytes))
			.map_err(|e| format!("{}: {e}", path.display()))?;
		Ok(entries(&bytes).0.into_iter().filter(keep).collect())
	}
}

/// The whole entries at the start of `bytes`, and what follows them: a torn last entry (a crash
/// mid-append), which was never answered.
fn entries(bytes: &[u8]) -> (Vec<NodeDisclosure>, &[u8]) {
	let mut entries = Vec::new();
	let mut rest = bytes;
	while let Some((length, tail)) = rest.split_first_chunk::<4>() {
		let length = u32::from_le_bytes(*length) as usize;
		let Some((body, tail)) = tail.split_at_checked(length) else { break };
		let Ok(entry) = NodeDisclosure::decode(&mut &body[..]) else { break };
		entries.push(entry);
		rest = tail;
	}
	(entries, rest)
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_keyring::Ed25519Keyring;

	#[test]
	fn entries_survive_a_reopening_and_a_torn_tail() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("rpc/disclosures");
		let eve = Ed25519Keyring::Eve.to_account_id();
		let entry = |at, patient: &AccountId| NodeDisclosure {
			at,
			patient: patient.clone(),
			accessor: Ed25519Keyring::Bob.to_account_id(),
			method: DisclosedBy::RecordsByPatient,
			records: vec![RecordId::repeat_byte(at as u8)],
		};
		{
			let log = DisclosureLog::open(&path).unwrap();
			log.append(entry(1, &eve)).unwrap();
			log.append(entry(2, &Ed25519Keyring::Ferdie.to_account_id())).unwrap();
			log.append(entry(3, &eve)).unwrap();
		}
		std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&[9; 7]).unwrap();
		let log = DisclosureLog::open(&path).unwrap();
		log.append(entry(4, &eve)).unwrap();
		let all = vec![entry(1, &eve), entry(3, &eve), entry(4, &eve)];
		assert_eq!(log.of_patient(&eve, 0).unwrap(), all);
		assert_eq!(log.of_patient(&eve, 2).unwrap(), all[1..]);
	}
}
