//! The node's keys on disk: a validator's consensus key and a full node's peer-to-peer identity,
//! both under the chain's folder in the base path.
//!
//! - `<base>/chains/<id>/validator.key`: the validator's ed25519 consensus key as a secret URI
//!   or a 0x-prefixed seed, one line, readable by its owner only. `carechain key insert` writes
//!   it; `carechain --validator` reads it.
//! - `<base>/chains/<id>/network/secret_ed25519`: a full node's peer identity, created on the
//!   first start.

use sp_core::{crypto::Pair as _, ed25519};
use std::{
	fs,
	io::Write as _,
	path::{Path, PathBuf},
};
use zeroize::Zeroizing;

/// The validator key file in a chain's folder.
pub fn validator_key_path(chain_dir: &Path) -> PathBuf {
	chain_dir.join("validator.key")
}

/// The ed25519 key pair of a secret URI or 0x-prefixed seed.
pub fn pair(secret: &str) -> Result<ed25519::Pair, String> {
	ed25519::Pair::from_string(secret.trim(), None)
		.map_err(|e| format!("not a secret URI or 0x-prefixed seed: {e:?}"))
}

/// The ed25519 seed of a secret URI or 0x-prefixed seed.
pub fn seed(secret: &str) -> Result<[u8; 32], String> {
	pair(secret).map(|pair| pair.seed())
}

/// Reads the validator's consensus seed from its key file.
pub fn read_validator_key(chain_dir: &Path) -> Result<Zeroizing<[u8; 32]>, String> {
	let path = validator_key_path(chain_dir);
	let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| {
		format!(
			"cannot read the validator key {}: {e}; write it with `carechain key insert \
			 --base-path <base path> --chain <chain> --suri <secret>`",
			path.display()
		)
	})?);
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt as _;
		let mode = fs::metadata(&path).map_err(|e| e.to_string())?.permissions().mode();
		if mode & 0o077 != 0 {
			tracing::warn!(
				"{} can be read by other users (mode {:o}); run chmod 600 on it",
				path.display(),
				mode & 0o777
			);
		}
	}
	let pair = pair(&text).map_err(|e| format!("{}: {e}", path.display()))?;
	Ok(Zeroizing::new(pair.seed()))
}

/// Writes a validator key file, readable by its owner only, and returns it with the key's public
/// half. An existing file is kept: a validator that changes keys must be changed on chain too.
pub fn insert_validator_key(
	chain_dir: &Path,
	secret: &str,
) -> Result<(PathBuf, ed25519::Public), String> {
	let pair = pair(secret)?;
	fs::create_dir_all(chain_dir).map_err(|e| format!("{}: {e}", chain_dir.display()))?;
	let path = validator_key_path(chain_dir);
	let mut options = fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
	let mut file = options.open(&path).map_err(|e| match e.kind() {
		std::io::ErrorKind::AlreadyExists => format!(
			"{} already holds a validator key; remove it first if the validator changes keys \
			 (and have the council swap the key on chain)",
			path.display()
		),
		_ => format!("{}: {e}", path.display()),
	})?;
	let seed = Zeroizing::new(format!("0x{}\n", hex::encode(pair.seed())));
	file.write_all(seed.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
	Ok((path, pair.public()))
}

/// A full node's peer-to-peer identity seed, created on first use.
pub fn node_key(chain_dir: &Path) -> Result<Zeroizing<[u8; 32]>, String> {
	secret_file(&chain_dir.join("network").join("secret_ed25519"))
}

/// A 32-byte secret kept as hex in `path` (mode 0600), made from fresh randomness on first use
/// (with the folders above it).
pub fn secret_file(path: &Path) -> Result<Zeroizing<[u8; 32]>, String> {
	match fs::read_to_string(path) {
		Ok(text) => {
			let text = Zeroizing::new(text);
			let bytes = hex::decode(text.trim())
				.ok()
				.and_then(|b| <[u8; 32]>::try_from(b).ok())
				.ok_or_else(|| format!("{} is not a 32-byte hex key", path.display()))?;
			Ok(Zeroizing::new(bytes))
		}
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
			if let Some(dir) = path.parent() {
				fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
			}
			let mut seed = Zeroizing::new([0u8; 32]);
			rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed[..]);
			let mut options = fs::OpenOptions::new();
			options.write(true).create_new(true);
			#[cfg(unix)]
			std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
			let mut file = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
			file.write_all(Zeroizing::new(hex::encode(&seed[..])).as_bytes())
				.map_err(|e| format!("{}: {e}", path.display()))?;
			Ok(seed)
		}
		Err(e) => Err(format!("{}: {e}", path.display())),
	}
}

/// The proof that governance needs to add this key as a validator run by `org`.
pub fn validator_proof(pair: &ed25519::Pair, org: u32) -> ed25519::Signature {
	pair.sign(&pallet_registry::validator_proof_payload(org, &pair.public().0))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_validator_key_is_written_once_and_read_back() {
		let dir = tempfile::tempdir().unwrap();
		let error = read_validator_key(dir.path()).unwrap_err();
		assert!(error.contains("carechain key insert"), "{error}");
		let bob = pair("//Bob").unwrap();
		let (path, public) = insert_validator_key(dir.path(), "//Bob").unwrap();
		assert_eq!((path, public), (validator_key_path(dir.path()), bob.public()));
		assert_eq!(*read_validator_key(dir.path()).unwrap(), bob.seed());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt as _;
			let mode = fs::metadata(validator_key_path(dir.path())).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
		let error = insert_validator_key(dir.path(), "//Charlie").unwrap_err();
		assert!(error.contains("already holds a validator key"), "{error}");
		assert_eq!(*read_validator_key(dir.path()).unwrap(), bob.seed());
		assert!(insert_validator_key(dir.path(), "not a key at all //").is_err());
	}

	#[test]
	fn a_node_key_is_created_once() {
		let dir = tempfile::tempdir().unwrap();
		let first = node_key(dir.path()).unwrap();
		assert_eq!(*node_key(dir.path()).unwrap(), *first);
		fs::write(dir.path().join("network/secret_ed25519"), "zz").unwrap();
		assert!(node_key(dir.path()).unwrap_err().contains("not a 32-byte hex key"));
	}

	#[test]
	fn the_proof_verifies_as_the_runtime_checks_it() {
		let pair = pair("//Eve").unwrap();
		let proof = validator_proof(&pair, 3);
		let payload = pallet_registry::validator_proof_payload(3, &pair.public().0);
		assert!(ed25519::Pair::verify(&proof, &payload, &pair.public()));
		let other = pallet_registry::validator_proof_payload(4, &pair.public().0);
		assert!(!ed25519::Pair::verify(&proof, &other, &pair.public()));
	}
}
