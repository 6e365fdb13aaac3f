//! Bulk integrity audits: every stored blob hashed in batches (on the GPU when there is one)
//! and compared with its name and with the chain's record index.

use crate::store::{BlobId, BlobStore, StoreError};
use carechain_gpu::{Backend, Verifier};
use std::{
	collections::HashSet,
	time::{Duration, Instant},
};

/// What an audit found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
	/// Blobs read and hashed.
	pub checked: usize,
	/// Their bytes.
	pub bytes: u64,
	/// Blobs intact and referenced by a live record.
	pub intact: usize,
	/// Live records whose blob is not stored.
	pub missing: Vec<BlobId>,
	/// Stored blobs whose bytes do not hash to their name.
	pub corrupted: Vec<BlobId>,
	/// Stored blobs that no live record references (never recorded, or erased on chain).
	pub orphaned: Vec<BlobId>,
	/// Batches hashed on the GPU.
	pub gpu_batches: usize,
	/// Batches hashed on the CPU.
	pub cpu_batches: usize,
	/// Time spent hashing, reads excluded.
	pub hashing: Duration,
	/// Wall time of the whole audit.
	pub elapsed: Duration,
}

impl AuditReport {
	/// Whether nothing is wrong.
	pub fn is_clean(&self) -> bool {
		self.missing.is_empty() && self.corrupted.is_empty() && self.orphaned.is_empty()
	}

	/// Bytes hashed per second of hashing.
	pub fn hashing_throughput(&self) -> f64 {
		self.bytes as f64 / self.hashing.as_secs_f64().max(1e-9)
	}
}

/// What an audit failed on.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
	/// The store failed.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The GPU failed.
	#[error("hashing failed: {0}")]
	Hash(#[from] carechain_gpu::Error),
}

/// How an audit batches its work.
#[derive(Clone, Copy, Debug)]
pub struct AuditSettings {
	/// The most bytes read before a batch is hashed.
	pub batch_bytes: usize,
	/// The most blobs in one batch.
	pub batch_blobs: usize,
}

impl Default for AuditSettings {
	fn default() -> Self {
		Self { batch_bytes: 256 << 20, batch_blobs: 65_536 }
	}
}

/// Audits `store` against `live`, the content hashes of the chain's live records. `progress`
/// is told the bytes and blobs of each batch once it is hashed.
pub async fn audit(
	store: &dyn BlobStore,
	verifier: &Verifier,
	live: &HashSet<BlobId>,
	settings: AuditSettings,
	mut progress: impl FnMut(u64, usize),
) -> Result<AuditReport, AuditError> {
	let started = Instant::now();
	let stored = store.list().await?;
	let mut report = AuditReport::default();
	let stored_set: HashSet<BlobId> = stored.iter().copied().collect();
	report.missing = live.iter().filter(|id| !stored_set.contains(*id)).copied().collect();
	report.missing.sort_unstable();

	let mut ids = Vec::new();
	let mut blobs = Vec::new();
	let mut pending_bytes = 0usize;
	let mut remaining = stored.iter().peekable();
	while let Some(id) = remaining.next() {
		// A blob deleted between listing and reading is simply gone.
		if let Some(bytes) = store.read(id).await? {
			pending_bytes += bytes.len();
			ids.push(*id);
			blobs.push(bytes);
		}
		let full = pending_bytes >= settings.batch_bytes || ids.len() >= settings.batch_blobs;
		if !ids.is_empty() && (full || remaining.peek().is_none()) {
			let messages: Vec<&[u8]> = blobs.iter().map(|b| b.as_ref()).collect();
			let hashing = Instant::now();
			let (differing, backend) = verifier.blake2b_256_verify(&messages, &ids)?;
			report.hashing += hashing.elapsed();
			match backend {
				Backend::Gpu => report.gpu_batches += 1,
				Backend::Cpu => report.cpu_batches += 1,
			}
			let differing: HashSet<usize> = differing.into_iter().collect();
			for (index, id) in ids.iter().enumerate() {
				if differing.contains(&index) {
					report.corrupted.push(*id);
				} else if !live.contains(id) {
					report.orphaned.push(*id);
				} else {
					report.intact += 1;
				}
			}
			report.checked += ids.len();
			report.bytes += pending_bytes as u64;
			progress(pending_bytes as u64, ids.len());
			ids.clear();
			blobs.clear();
			pending_bytes = 0;
		}
	}
	report.elapsed = started.elapsed();
	Ok(report)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::store::LocalStore;

	#[tokio::test]
	async fn missing_corrupted_and_orphaned_blobs_are_found() {
		let dir = tempfile::tempdir().unwrap();
		let store = LocalStore::open(dir.path()).unwrap();
		let mut live = HashSet::new();
		let mut kept = Vec::new();
		for i in 0..20u32 {
			let (sealed, _) = crate::envelope::seal(&vec![i as u8; 100 + 37 * i as usize]);
			store.put(sealed.content_hash, sealed.ciphertext.into()).await.unwrap();
			live.insert(sealed.content_hash);
			kept.push(sealed.content_hash);
		}
		let (orphan, _) = crate::envelope::seal(b"never recorded");
		store.put(orphan.content_hash, orphan.ciphertext.into()).await.unwrap();
		let missing = [9u8; 32];
		live.insert(missing);
		let corrupted = kept[7];
		let mut bytes = std::fs::read(store.blob_path(&corrupted)).unwrap();
		bytes[40] ^= 1;
		std::fs::write(store.blob_path(&corrupted), bytes).unwrap();

		let verifier = Verifier::new(carechain_gpu::Mode::Cpu).unwrap();
		let settings = AuditSettings { batch_bytes: 1000, batch_blobs: 4 };
		let mut seen = 0;
		let report =
			audit(&store, &verifier, &live, settings, |_, blobs| seen += blobs).await.unwrap();
		assert_eq!(report.checked, 21);
		assert_eq!(seen, 21);
		assert_eq!(report.intact, 19);
		assert_eq!(report.corrupted, vec![corrupted]);
		assert_eq!(report.orphaned, vec![orphan.content_hash]);
		assert_eq!(report.missing, vec![missing]);
		assert!(report.cpu_batches >= 6, "{report:?}");
		assert!(!report.is_clean());
	}
}
