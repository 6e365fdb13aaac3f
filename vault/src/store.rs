//! Blob stores: where the vault keeps ciphertext and the wrapped keys it holds for readers.
//!
//! Blobs are content-addressed: a blob's name is the blake2b-256 of its bytes, checked when it
//! is written and when it is read, so a store can never serve bytes other than those the chain
//! committed to. Next to a blob, the store keeps wrapped data keys deposited for readers that
//! the chain does not carry a key for (members of the authoring organization), one per
//! recipient account; erasing a blob erases them too.

mod local;
mod s3;

pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};

use bytes::Bytes;

/// A blob's name: the blake2b-256 of its bytes.
pub type BlobId = [u8; 32];
/// A recipient of a wrapped key: an account's 32 bytes.
pub type Recipient = [u8; 32];

/// What went wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// Bytes offered under a name that is not their hash.
	#[error("blob named 0x{} hashes to 0x{}: refused", hex::encode(.expected), hex::encode(.actual))]
	HashMismatch {
		/// The name given.
		expected: BlobId,
		/// The bytes' hash.
		actual: BlobId,
	},
	/// Stored bytes that no longer hash to their name.
	#[error("stored blob 0x{} is corrupted (its bytes hash to 0x{}): restore it from another vault or run `carechain vault audit`", hex::encode(.id), hex::encode(.actual))]
	Corrupted {
		/// The blob.
		id: BlobId,
		/// What its bytes hash to now.
		actual: BlobId,
	},
	/// A local file operation failed.
	#[error("{action} {path}: {source}")]
	Io {
		/// What was being done.
		action: &'static str,
		/// The file.
		path: std::path::PathBuf,
		/// The error.
		source: std::io::Error,
	},
	/// The S3-compatible service failed.
	#[error("object store: {0}")]
	ObjectStore(#[from] object_store::Error),
	/// A blocking task panicked or was cancelled.
	#[error("store task failed: {0}")]
	Task(String),
}

/// A place that keeps blobs and wrapped keys.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
	/// Where it keeps them, for logs and reports.
	fn describe(&self) -> String;

	/// Stores `bytes` as blob `id`, refusing them unless `id` is their blake2b-256. Storing a
	/// blob that is already there is a no-op.
	async fn put(&self, id: BlobId, bytes: Bytes) -> Result<(), StoreError>;

	/// The stored bytes of blob `id`, unchecked (for audits that hash in bulk).
	async fn read(&self, id: &BlobId) -> Result<Option<Bytes>, StoreError>;

	/// Removes blob `id` and every key held for it; whether the blob was there.
	async fn delete(&self, id: &BlobId) -> Result<bool, StoreError>;

	/// The ids of all stored blobs.
	async fn list(&self) -> Result<Vec<BlobId>, StoreError>;

	/// Keeps a key of blob `id` wrapped for `recipient`, replacing an older one.
	async fn put_key(
		&self,
		id: &BlobId,
		recipient: &Recipient,
		wrapped: Vec<u8>,
	) -> Result<(), StoreError>;

	/// The key of blob `id` wrapped for `recipient`, if one is held.
	async fn key(&self, id: &BlobId, recipient: &Recipient) -> Result<Option<Vec<u8>>, StoreError>;

	/// The recipients holding a key of blob `id`.
	async fn key_recipients(&self, id: &BlobId) -> Result<Vec<Recipient>, StoreError>;

	/// The bytes of blob `id`, checked against their name.
	async fn get(&self, id: &BlobId) -> Result<Option<Bytes>, StoreError> {
		let Some(bytes) = self.read(id).await? else { return Ok(None) };
		let actual = crate::envelope::content_hash(&bytes);
		if actual != *id {
			return Err(StoreError::Corrupted { id: *id, actual });
		}
		Ok(Some(bytes))
	}
}

fn check_name(id: &BlobId, bytes: &[u8]) -> Result<(), StoreError> {
	let actual = crate::envelope::content_hash(bytes);
	if actual != *id {
		return Err(StoreError::HashMismatch { expected: *id, actual });
	}
	Ok(())
}

/// Parses a 64-hex-digit name.
fn parse_id(name: &str) -> Option<BlobId> {
	let mut id = [0u8; 32];
	hex::decode_to_slice(name, &mut id).ok()?;
	Some(id)
}

#[cfg(test)]
pub(crate) mod conformance {
	//! The behaviour every store must show, run against each backend.
	use super::*;

	pub async fn run(store: &dyn BlobStore) {
		let (sealed, _) = crate::envelope::seal(b"{\"resourceType\":\"Patient\"}");
		let id = sealed.content_hash;
		let bytes = Bytes::from(sealed.ciphertext.clone());
		assert!(store.read(&id).await.unwrap().is_none());

		// A blob under another name is refused and nothing is stored.
		let wrong = [7u8; 32];
		let refused = store.put(wrong, bytes.clone()).await.unwrap_err();
		assert!(matches!(refused, StoreError::HashMismatch { .. }), "{refused}");
		assert!(store.list().await.unwrap().is_empty());

		store.put(id, bytes.clone()).await.unwrap();
		store.put(id, bytes.clone()).await.unwrap();
		assert_eq!(store.get(&id).await.unwrap().unwrap(), bytes);
		assert_eq!(store.list().await.unwrap(), vec![id]);

		let alice = [1u8; 32];
		let bob = [2u8; 32];
		store.put_key(&id, &alice, vec![9; 80]).await.unwrap();
		store.put_key(&id, &bob, vec![8; 80]).await.unwrap();
		store.put_key(&id, &bob, vec![6; 80]).await.unwrap();
		assert_eq!(store.key(&id, &alice).await.unwrap(), Some(vec![9; 80]));
		assert_eq!(store.key(&id, &bob).await.unwrap(), Some(vec![6; 80]));
		assert_eq!(store.key(&id, &[3u8; 32]).await.unwrap(), None);
		let mut recipients = store.key_recipients(&id).await.unwrap();
		recipients.sort();
		assert_eq!(recipients, vec![alice, bob]);

		// Two blobs; deleting one removes it and its keys, and leaves the other.
		let (other, _) = crate::envelope::seal(b"{\"resourceType\":\"Basic\"}");
		store.put(other.content_hash, other.ciphertext.clone().into()).await.unwrap();
		assert!(store.delete(&id).await.unwrap());
		assert!(!store.delete(&id).await.unwrap());
		assert!(store.read(&id).await.unwrap().is_none());
		assert_eq!(store.key(&id, &alice).await.unwrap(), None);
		assert!(store.key_recipients(&id).await.unwrap().is_empty());
		assert_eq!(store.list().await.unwrap(), vec![other.content_hash]);
		assert_eq!(store.get(&other.content_hash).await.unwrap().unwrap(), other.ciphertext);
	}
}
