//! The embedded default: blobs on local disk under the node's base path.
//!
//! Layout: `blobs/<2 hex>/<64 hex>` for blobs and `keys/<64 hex blob>/<64 hex recipient>` for
//! wrapped keys. Every write goes to a temporary file in `tmp/`, is fsynced, renamed into
//! place and its directory fsynced, so a crash leaves either the old state or the new one.

use super::{check_name, parse_id, BlobId, BlobStore, Recipient, StoreError};
use bytes::Bytes;
use rand::RngCore;
use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
	sync::Arc,
};

/// Blobs in a directory.
#[derive(Clone, Debug)]
pub struct LocalStore {
	root: Arc<PathBuf>,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
	let path = path.to_owned();
	move |source| StoreError::Io { action, path, source }
}

impl LocalStore {
	/// Opens (creating it if needed) the store in `root`, and removes temporary files left by
	/// a crash.
	pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
		let root = root.into();
		for dir in ["blobs", "keys", "tmp"] {
			let path = root.join(dir);
			fs::create_dir_all(&path).map_err(io("cannot create", &path))?;
		}
		let tmp = root.join("tmp");
		for entry in fs::read_dir(&tmp).map_err(io("cannot list", &tmp))?.flatten() {
			let _ = fs::remove_file(entry.path());
		}
		Ok(Self { root: Arc::new(root) })
	}

	/// The directory it lives in.
	pub fn root(&self) -> &Path {
		&self.root
	}

	/// The file of blob `id`.
	pub fn blob_path(&self, id: &BlobId) -> PathBuf {
		let name = hex::encode(id);
		self.root.join("blobs").join(&name[..2]).join(name)
	}

	fn keys_dir(&self, id: &BlobId) -> PathBuf {
		self.root.join("keys").join(hex::encode(id))
	}

	/// Writes `bytes` to `path` atomically and durably.
	fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
		let dir = path.parent().expect("store paths have a parent");
		fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
		let tmp = self.root.join("tmp").join(format!("{:016x}", rand::thread_rng().next_u64()));
		let mut file = fs::File::create(&tmp).map_err(io("cannot create", &tmp))?;
		file.write_all(bytes).map_err(io("cannot write", &tmp))?;
		file.sync_all().map_err(io("cannot fsync", &tmp))?;
		drop(file);
		fs::rename(&tmp, path).map_err(io("cannot move into place", path))?;
		sync_dir(dir)
	}

	async fn blocking<T: Send + 'static>(
		&self,
		work: impl FnOnce(Self) -> Result<T, StoreError> + Send + 'static,
	) -> Result<T, StoreError> {
		let this = self.clone();
		tokio::task::spawn_blocking(move || work(this))
			.await
			.map_err(|e| StoreError::Task(e.to_string()))?
	}
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
	fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("cannot fsync", dir))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
	match fs::read(path) {
		Ok(bytes) => Ok(Some(bytes)),
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
		Err(e) => Err(io("cannot read", path)(e)),
	}
}

#[async_trait::async_trait]
impl BlobStore for LocalStore {
	fn describe(&self) -> String {
		format!("local directory {}", self.root.display())
	}

	async fn put(&self, id: BlobId, bytes: Bytes) -> Result<(), StoreError> {
		check_name(&id, &bytes)?;
		self.blocking(move |this| {
			let path = this.blob_path(&id);
			// A good copy stays; a corrupted one is replaced by the good bytes.
			if read_optional(&path)?.is_some_and(|old| check_name(&id, &old).is_ok()) {
				return Ok(());
			}
			this.write_atomic(&path, &bytes)
		})
		.await
	}

	async fn read(&self, id: &BlobId) -> Result<Option<Bytes>, StoreError> {
		let id = *id;
		self.blocking(move |this| Ok(read_optional(&this.blob_path(&id))?.map(Bytes::from))).await
	}

	async fn delete(&self, id: &BlobId) -> Result<bool, StoreError> {
		let id = *id;
		self.blocking(move |this| {
			let keys = this.keys_dir(&id);
			match fs::remove_dir_all(&keys) {
				Ok(()) => sync_dir(keys.parent().expect("keys/ is the parent"))?,
				Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
				Err(e) => return Err(io("cannot remove", &keys)(e)),
			}
			let path = this.blob_path(&id);
			match fs::remove_file(&path) {
				Ok(()) => {
					sync_dir(path.parent().expect("blobs have a parent"))?;
					Ok(true)
				}
				Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
				Err(e) => Err(io("cannot remove", &path)(e)),
			}
		})
		.await
	}

	async fn list(&self) -> Result<Vec<BlobId>, StoreError> {
		self.blocking(|this| {
			let blobs = this.root.join("blobs");
			let mut ids = Vec::new();
			for shard in fs::read_dir(&blobs).map_err(io("cannot list", &blobs))? {
				let shard = shard.map_err(io("cannot list", &blobs))?.path();
				if !shard.is_dir() {
					continue;
				}
				for entry in fs::read_dir(&shard).map_err(io("cannot list", &shard))? {
					let entry = entry.map_err(io("cannot list", &shard))?;
					if let Some(id) = entry.file_name().to_str().and_then(parse_id) {
						ids.push(id);
					}
				}
			}
			ids.sort_unstable();
			Ok(ids)
		})
		.await
	}

	async fn put_key(
		&self,
		id: &BlobId,
		recipient: &Recipient,
		wrapped: Vec<u8>,
	) -> Result<(), StoreError> {
		let (id, recipient) = (*id, *recipient);
		self.blocking(move |this| {
			this.write_atomic(&this.keys_dir(&id).join(hex::encode(recipient)), &wrapped)
		})
		.await
	}

	async fn key(&self, id: &BlobId, recipient: &Recipient) -> Result<Option<Vec<u8>>, StoreError> {
		let (id, recipient) = (*id, *recipient);
		self.blocking(move |this| read_optional(&this.keys_dir(&id).join(hex::encode(recipient))))
			.await
	}

	async fn key_recipients(&self, id: &BlobId) -> Result<Vec<Recipient>, StoreError> {
		let id = *id;
		self.blocking(move |this| {
			let dir = this.keys_dir(&id);
			let entries = match fs::read_dir(&dir) {
				Ok(entries) => entries,
				Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
				Err(e) => return Err(io("cannot list", &dir)(e)),
			};
			Ok(entries
				.flatten()
				.filter_map(|e| e.file_name().to_str().and_then(parse_id))
				.collect())
		})
		.await
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn local_store_conformance() {
		let dir = tempfile::tempdir().unwrap();
		let store = LocalStore::open(dir.path()).unwrap();
		crate::store::conformance::run(&store).await;
		assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0, "no temporary files");
	}

	#[tokio::test]
	async fn corruption_on_disk_is_caught_on_read() {
		let dir = tempfile::tempdir().unwrap();
		let store = LocalStore::open(dir.path()).unwrap();
		let (sealed, _) = crate::envelope::seal(b"payload");
		let id = sealed.content_hash;
		store.put(id, sealed.ciphertext.clone().into()).await.unwrap();
		let mut bytes = sealed.ciphertext.clone();
		bytes[10] ^= 0x40;
		fs::write(store.blob_path(&id), &bytes).unwrap();
		let error = store.get(&id).await.unwrap_err();
		assert!(matches!(error, StoreError::Corrupted { .. }), "{error}");
		assert!(error.to_string().contains("corrupted"), "{error}");
		// Putting the good bytes again repairs it.
		store.put(id, sealed.ciphertext.clone().into()).await.unwrap();
		assert_eq!(store.get(&id).await.unwrap().unwrap(), sealed.ciphertext);
	}

	#[tokio::test]
	async fn leftovers_of_a_crash_are_cleaned_on_open() {
		let dir = tempfile::tempdir().unwrap();
		LocalStore::open(dir.path()).unwrap();
		fs::write(dir.path().join("tmp").join("half-written"), b"x").unwrap();
		LocalStore::open(dir.path()).unwrap();
		assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
	}
}
