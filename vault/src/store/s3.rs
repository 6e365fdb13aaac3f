//! The scale-out backend: an S3-compatible object store (MinIO, Garage, Ceph RGW, AWS S3)
//! through the `object_store` crate.
//!
//! Objects: `blobs/<64 hex>` and `keys/<64 hex blob>/<64 hex recipient>`, as on local disk.
//! S3 writes are atomic per object; a blob is checked against its name before it is written
//! and after it is read.

use super::{check_name, parse_id, BlobId, BlobStore, Recipient, StoreError};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{aws::AmazonS3Builder, path::Path, ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;

/// Where an S3-compatible store is and how to sign requests to it.
#[derive(Clone, Debug)]
pub struct S3Settings {
	/// The service's URL, for example `http://127.0.0.1:9000`; AWS when `None`.
	pub endpoint: Option<String>,
	/// The bucket.
	pub bucket: String,
	/// The region (any value for most S3-compatible services).
	pub region: String,
	/// The access key id; `AWS_ACCESS_KEY_ID` when `None`.
	pub access_key_id: Option<String>,
	/// The secret access key; `AWS_SECRET_ACCESS_KEY` when `None`.
	pub secret_access_key: Option<String>,
}

/// Blobs in an S3 bucket.
#[derive(Clone, Debug)]
pub struct S3Store {
	store: Arc<dyn ObjectStore>,
	label: String,
}

impl S3Store {
	/// A store over the bucket that `settings` name. Nothing is contacted until first use.
	pub fn new(settings: &S3Settings) -> Result<Self, StoreError> {
		let mut builder = AmazonS3Builder::from_env()
			.with_bucket_name(&settings.bucket)
			.with_region(&settings.region);
		if let Some(endpoint) = &settings.endpoint {
			builder = builder
				.with_endpoint(endpoint)
				.with_allow_http(endpoint.starts_with("http://"))
				.with_virtual_hosted_style_request(false);
		}
		if let Some(id) = &settings.access_key_id {
			builder = builder.with_access_key_id(id);
		}
		if let Some(secret) = &settings.secret_access_key {
			builder = builder.with_secret_access_key(secret);
		}
		let label = match &settings.endpoint {
			Some(endpoint) => format!("S3 bucket {} at {endpoint}", settings.bucket),
			None => format!("S3 bucket {} ({})", settings.bucket, settings.region),
		};
		Ok(Self { store: Arc::new(builder.build()?), label })
	}

	fn blob_path(id: &BlobId) -> Path {
		Path::from(format!("blobs/{}", hex::encode(id)))
	}

	fn keys_prefix(id: &BlobId) -> Path {
		Path::from(format!("keys/{}", hex::encode(id)))
	}

	fn key_path(id: &BlobId, recipient: &Recipient) -> Path {
		Path::from(format!("keys/{}/{}", hex::encode(id), hex::encode(recipient)))
	}

	async fn get_optional(&self, path: &Path) -> Result<Option<Bytes>, StoreError> {
		match self.store.get(path).await {
			Ok(result) => Ok(Some(result.bytes().await?)),
			Err(object_store::Error::NotFound { .. }) => Ok(None),
			Err(e) => Err(e.into()),
		}
	}

	async fn delete_optional(&self, path: &Path) -> Result<bool, StoreError> {
		// S3 answers a delete of a missing object with success, so ask first.
		match self.store.head(path).await {
			Ok(_) => {}
			Err(object_store::Error::NotFound { .. }) => return Ok(false),
			Err(e) => return Err(e.into()),
		}
		match self.store.delete(path).await {
			Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(true),
			Err(e) => Err(e.into()),
		}
	}

	/// Every object in the bucket with its bytes, for inspection (a scan for plaintext).
	pub async fn everything(&self) -> Result<Vec<(String, Bytes)>, StoreError> {
		let mut objects = Vec::new();
		for path in
			self.store.list(None).map_ok(|meta| meta.location).try_collect::<Vec<_>>().await?
		{
			if let Some(bytes) = self.get_optional(&path).await? {
				objects.push((path.to_string(), bytes));
			}
		}
		Ok(objects)
	}

	async fn names_under(&self, prefix: &Path) -> Result<Vec<Path>, StoreError> {
		Ok(self.store.list(Some(prefix)).map_ok(|meta| meta.location).try_collect().await?)
	}
}

#[async_trait::async_trait]
impl BlobStore for S3Store {
	fn describe(&self) -> String {
		self.label.clone()
	}

	async fn put(&self, id: BlobId, bytes: Bytes) -> Result<(), StoreError> {
		check_name(&id, &bytes)?;
		self.store.put(&Self::blob_path(&id), PutPayload::from_bytes(bytes)).await?;
		Ok(())
	}

	async fn read(&self, id: &BlobId) -> Result<Option<Bytes>, StoreError> {
		self.get_optional(&Self::blob_path(id)).await
	}

	async fn delete(&self, id: &BlobId) -> Result<bool, StoreError> {
		for key in self.names_under(&Self::keys_prefix(id)).await? {
			self.delete_optional(&key).await?;
		}
		self.delete_optional(&Self::blob_path(id)).await
	}

	async fn list(&self) -> Result<Vec<BlobId>, StoreError> {
		let mut ids: Vec<BlobId> = self
			.names_under(&Path::from("blobs"))
			.await?
			.iter()
			.filter_map(|path| path.filename().and_then(parse_id))
			.collect();
		ids.sort_unstable();
		Ok(ids)
	}

	async fn put_key(
		&self,
		id: &BlobId,
		recipient: &Recipient,
		wrapped: Vec<u8>,
	) -> Result<(), StoreError> {
		self.store.put(&Self::key_path(id, recipient), PutPayload::from(wrapped)).await?;
		Ok(())
	}

	async fn key(&self, id: &BlobId, recipient: &Recipient) -> Result<Option<Vec<u8>>, StoreError> {
		Ok(self.get_optional(&Self::key_path(id, recipient)).await?.map(|b| b.to_vec()))
	}

	async fn key_recipients(&self, id: &BlobId) -> Result<Vec<Recipient>, StoreError> {
		Ok(self
			.names_under(&Self::keys_prefix(id))
			.await?
			.iter()
			.filter_map(|path| path.filename().and_then(parse_id))
			.collect())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::MotoServer;

	#[tokio::test(flavor = "multi_thread")]
	async fn s3_store_conformance_against_moto() {
		let moto = MotoServer::start("carechain-conformance");
		let store = S3Store::new(&moto.settings()).unwrap();
		assert!(store.describe().contains("carechain-conformance"));
		crate::store::conformance::run(&store).await;
		// What is left in the bucket is exactly the one blob the conformance run kept.
		let objects = moto.object_names();
		assert_eq!(objects.len(), 1, "{objects:?}");
		assert!(objects[0].starts_with("blobs/"), "{objects:?}");
		let everything = store.everything().await.unwrap();
		assert_eq!(everything.len(), 1);
		assert_eq!(crate::content_hash(&everything[0].1), store.list().await.unwrap()[0]);
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn corruption_in_the_bucket_is_caught_on_read() {
		let moto = MotoServer::start("carechain-corruption");
		let store = S3Store::new(&moto.settings()).unwrap();
		let (sealed, _) = crate::envelope::seal(b"payload");
		let id = sealed.content_hash;
		let mut bytes = sealed.ciphertext.clone();
		bytes[12] ^= 2;
		// Planted behind the store's back, as a faulty disk or operator would.
		store.store.put(&S3Store::blob_path(&id), PutPayload::from(bytes)).await.unwrap();
		let error = store.get(&id).await.unwrap_err();
		assert!(matches!(error, StoreError::Corrupted { .. }), "{error}");
	}
}
