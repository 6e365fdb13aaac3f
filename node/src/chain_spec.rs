//! Chain specifications: the genesis state, the validators and the chain's properties, built in
//! (`dev`, `local`) or read from a JSON file in Substrate's raw format.

use serde_json::{json, Map, Value as Json};
use sp_core::{crypto::Pair as _, ed25519, storage::Storage};
use sp_runtime::BuildStorage;
use std::{collections::BTreeMap, path::Path};

/// A chain specification.
#[derive(Clone, Debug)]
pub struct ChainSpec {
	/// Human name.
	pub name: String,
	/// Identifier, used for the folder under the base path.
	pub id: String,
	/// `Development`, `Local` or `Live`.
	pub chain_type: String,
	/// Token and address properties for wallets.
	pub properties: Json,
	/// The consensus validators' ed25519 public keys.
	pub validators: Vec<[u8; 32]>,
	/// The time between blocks.
	pub block_time_ms: u64,
	/// The genesis storage.
	pub genesis: Storage,
}

/// The ed25519 seed of a development key such as `//Alice`.
pub fn dev_seed(uri: &str) -> Result<[u8; 32], String> {
	ed25519::Pair::from_string(uri, None)
		.map(|pair| pair.seed())
		.map_err(|e| format!("{uri:?} is not a secret URI: {e:?}"))
}

fn dev_public(uri: &str) -> [u8; 32] {
	ed25519::Pair::from_string(uri, None).expect("dev URIs are valid").public().0
}

fn properties() -> Json {
	json!({ "ss58Format": 42, "tokenDecimals": 0, "tokenSymbol": "CARE" })
}

impl ChainSpec {
	/// The built-in spec named `dev` or `local`, or the JSON file at `name`.
	pub fn load(name: &str) -> Result<Self, String> {
		match name {
			"dev" | "" => Ok(Self::development()),
			"local" => Ok(Self::local()),
			path => Self::from_json_file(Path::new(path)),
		}
	}

	fn with_development_genesis(
		name: &str,
		id: &str,
		chain_type: &str,
		validators: &[&str],
	) -> Self {
		let genesis = carechain_runtime::genesis::development()
			.build_storage()
			.expect("the development genesis builds");
		Self {
			name: name.into(),
			id: id.into(),
			chain_type: chain_type.into(),
			properties: properties(),
			validators: validators.iter().map(|uri| dev_public(uri)).collect(),
			block_time_ms: carechain_runtime::MILLISECS_PER_BLOCK,
			genesis,
		}
	}

	/// One validator (Alice) on the development consortium.
	pub fn development() -> Self {
		Self::with_development_genesis("Development", "dev", "Development", &["//Alice"])
	}

	/// Four validators (Alice, Bob, Charlie, Dave) on the development consortium, for a
	/// local network.
	pub fn local() -> Self {
		Self::with_development_genesis(
			"Local Testnet",
			"local_testnet",
			"Local",
			&["//Alice", "//Bob", "//Charlie", "//Dave"],
		)
	}

	/// The spec as JSON, with the raw genesis storage.
	pub fn to_json(&self) -> Json {
		let top: Map<String, Json> = self
			.genesis
			.top
			.iter()
			.map(|(k, v)| {
				(format!("0x{}", hex::encode(k)), Json::String(format!("0x{}", hex::encode(v))))
			})
			.collect();
		json!({
			"name": self.name,
			"id": self.id,
			"chainType": self.chain_type,
			"bootNodes": [],
			"properties": self.properties,
			"consensus": {
				"validators": self.validators.iter().map(|v| format!("0x{}", hex::encode(v))).collect::<Vec<_>>(),
				"blockTimeMs": self.block_time_ms,
			},
			"genesis": { "raw": { "top": top, "childrenDefault": {} } },
		})
	}

	/// Reads a spec that [`ChainSpec::to_json`] wrote.
	pub fn from_json_file(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read chain spec {}: {e}", path.display()))?;
		let json: Json = serde_json::from_str(&text)
			.map_err(|e| format!("chain spec {} is not JSON: {e}", path.display()))?;
		Self::from_json(&json).map_err(|e| format!("chain spec {}: {e}", path.display()))
	}

	fn from_json(json: &Json) -> Result<Self, String> {
		let text = |key: &str| {
			json.get(key)
				.and_then(Json::as_str)
				.map(str::to_owned)
				.ok_or(format!("missing {key:?}"))
		};
		let unhex = |s: &str| {
			s.strip_prefix("0x")
				.and_then(|digits| hex::decode(digits).ok())
				.ok_or(format!("{s:?} is not 0x-prefixed hex"))
		};
		let consensus = json.get("consensus").ok_or("missing \"consensus\"")?;
		let validators = consensus
			.get("validators")
			.and_then(Json::as_array)
			.ok_or("missing consensus.validators")?
			.iter()
			.map(|v| {
				let bytes = unhex(v.as_str().unwrap_or_default())?;
				<[u8; 32]>::try_from(bytes).map_err(|_| format!("validator {v} is not 32 bytes"))
			})
			.collect::<Result<Vec<_>, String>>()?;
		if validators.is_empty() {
			return Err("consensus.validators is empty".into());
		}
		let top = json
			.pointer("/genesis/raw/top")
			.and_then(Json::as_object)
			.ok_or("missing genesis.raw.top: only raw specs are supported")?
			.iter()
			.map(|(k, v)| Ok((unhex(k)?, unhex(v.as_str().unwrap_or_default())?)))
			.collect::<Result<BTreeMap<_, _>, String>>()?;
		Ok(Self {
			name: text("name")?,
			id: text("id")?,
			chain_type: text("chainType")?,
			properties: json.get("properties").cloned().unwrap_or_else(properties),
			validators,
			block_time_ms: consensus
				.get("blockTimeMs")
				.and_then(Json::as_u64)
				.unwrap_or(carechain_runtime::MILLISECS_PER_BLOCK),
			genesis: Storage { top, children_default: Default::default() },
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn json_round_trip_keeps_genesis_and_validators() {
		let spec = ChainSpec::local();
		let back = ChainSpec::from_json(&spec.to_json()).unwrap();
		assert_eq!(back.genesis.top, spec.genesis.top);
		assert_eq!(back.validators, spec.validators);
		assert_eq!(back.id, "local_testnet");
	}

	#[test]
	fn bad_specs_say_what_is_wrong() {
		let mut json = ChainSpec::development().to_json();
		json["consensus"]["validators"] = json!([]);
		assert_eq!(ChainSpec::from_json(&json).unwrap_err(), "consensus.validators is empty");
		json["consensus"]["validators"] = json!(["0x1234"]);
		assert!(ChainSpec::from_json(&json).unwrap_err().contains("is not 32 bytes"));
	}
}
