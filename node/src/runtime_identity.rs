//! The runtime identity under `:code` at the head, against the runtime compiled into this node
//! (`carechain_runtime::identity`): what the node tells the operator at startup.

use crate::client::{Client, ClientError};
use carechain_runtime::identity::{runtime_identity, IDENTITY_TAG};
use codec::Decode;
use sp_state_machine::Backend as _;
use sp_version::RuntimeVersion;

/// How the identity stored at the head compares with this node's runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityCheck {
	/// The same bytes.
	Current,
	/// A runtime of another spec version (or none) wrote it: the next block, the first of this
	/// runtime, writes this one's.
	UpgradeDue {
		/// The spec version stored, if any.
		stored: Option<u32>,
	},
	/// The same spec version, other bytes: the runtime changed without a spec version bump, so
	/// no block rewrites the identity and clients may keep stale metadata.
	ChangedWithoutVersionBump {
		/// The spec version both claim.
		spec_version: u32,
	},
}

/// Compares the identity at the finalized head with this node's runtime.
pub fn check(client: &Client) -> Result<IdentityCheck, ClientError> {
	let head = client.head().hash;
	let stored = client
		.state_at(head)?
		.storage(sp_core::storage::well_known_keys::CODE)
		.map_err(|e| ClientError::Runtime { method: ":code".into(), message: e.to_string() })?;
	let native = runtime_identity();
	if stored.as_deref() == Some(&native[..]) {
		return Ok(IdentityCheck::Current);
	}
	let stored_version = stored.as_deref().and_then(|bytes| {
		let rest = bytes.strip_prefix(&IDENTITY_TAG[..])?;
		RuntimeVersion::decode(&mut &rest[..]).ok().map(|v| v.spec_version)
	});
	Ok(match stored_version {
		Some(spec_version) if spec_version == carechain_runtime::VERSION.spec_version => {
			IdentityCheck::ChangedWithoutVersionBump { spec_version }
		}
		stored => IdentityCheck::UpgradeDue { stored },
	})
}

/// Logs what [`check`] found: a warning when the runtime changed without a spec version bump.
pub fn log_check(client: &Client) {
	match check(client) {
		Ok(IdentityCheck::Current) => {}
		Ok(IdentityCheck::UpgradeDue { stored }) => tracing::info!(
			"Runtime upgrade from spec version {stored:?} to {}: the next block runs its \
			 migrations and writes its identity under :code",
			carechain_runtime::VERSION.spec_version
		),
		Ok(IdentityCheck::ChangedWithoutVersionBump { spec_version }) => tracing::warn!(
			"This node's runtime differs from the one that wrote :code, under the same spec \
			 version {spec_version}: bump spec_version for any runtime change, or clients keep \
			 the old metadata"
		),
		Err(error) => tracing::warn!("cannot read the runtime identity under :code: {error}"),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{chain_spec::ChainSpec, db::ChainDb};

	#[test]
	fn a_new_chain_holds_this_runtimes_identity_and_the_runtime_version_agrees() {
		let dir = tempfile::tempdir().unwrap();
		let client =
			Client::open(ChainDb::open(dir.path()).unwrap(), &ChainSpec::development().genesis)
				.unwrap();
		assert_eq!(check(&client).unwrap(), IdentityCheck::Current);
		let head = client.head().hash;
		let stored = client
			.state_at(head)
			.unwrap()
			.storage(sp_core::storage::well_known_keys::CODE)
			.unwrap();
		let stored = stored.expect(":code is written at genesis");
		let version: RuntimeVersion =
			crate::client::decode("Core_version", &client.call(head, "Core_version", &[]).unwrap())
				.unwrap();
		let from_code =
			RuntimeVersion::decode(&mut &stored[IDENTITY_TAG.len()..]).expect("a runtime version");
		assert_eq!(from_code, version, ":code and state_getRuntimeVersion agree");
	}
}
