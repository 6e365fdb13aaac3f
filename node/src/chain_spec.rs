//! Chain specifications: the genesis state (the founding organizations, the council and the
//! validators among them) and the chain's properties, built in (`dev`, `local`), written from a
//! consortium description (`build-spec --consortium`), or read from a JSON file in Substrate's
//! raw format.

use carechain_primitives::{OrgKind, Role};
use carechain_runtime::{AccountId, Balance, RuntimeGenesisConfig};
use pallet_registry::Licence;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use sp_core::{crypto::Ss58Codec, storage::Storage, H256};
use sp_runtime::BuildStorage;
use std::{
	collections::{BTreeMap, BTreeSet},
	path::{Path, PathBuf},
};

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
	/// Consensus peers every node of the chain connects to (multiaddrs).
	pub boot_nodes: Vec<String>,
	/// The time between blocks.
	pub block_time_ms: u64,
	/// The genesis storage; the founding validators are in it (`Registry::Validators`).
	pub genesis: Storage,
}

fn properties() -> Json {
	json!({ "ss58Format": 42, "tokenDecimals": 0, "tokenSymbol": "CARE" })
}

fn build(config: &RuntimeGenesisConfig) -> Result<Storage, String> {
	// Pallets' genesis builders assert on what they cannot store; the description was checked
	// before, so a panic here is a bug, reported as an error rather than a crash.
	let mut storage = std::panic::catch_unwind(|| config.build_storage())
		.map_err(|_| "the genesis does not build: see the message above".to_string())??;
	// Clients key runtimes by the hash of `:code`: the native runtime's identity stands there.
	storage.top.insert(
		sp_core::storage::well_known_keys::CODE.to_vec(),
		carechain_runtime::identity::runtime_identity(),
	);
	Ok(storage)
}

impl ChainSpec {
	/// This chain's folder under a base path: its database, consensus log, vault and keys.
	pub fn dir(&self, base_path: &Path) -> PathBuf {
		base_path.join("chains").join(&self.id)
	}

	/// The built-in spec named `dev` or `local`, or the JSON file at `name`.
	pub fn load(name: &str) -> Result<Self, String> {
		match name {
			"dev" | "" => Ok(Self::development()),
			"local" => Ok(Self::local()),
			path => Self::from_json_file(Path::new(path)),
		}
	}

	/// A spec of this genesis config, with the development properties and block time.
	pub fn built_in(name: &str, id: &str, chain_type: &str, config: RuntimeGenesisConfig) -> Self {
		Self {
			name: name.into(),
			id: id.into(),
			chain_type: chain_type.into(),
			properties: properties(),
			boot_nodes: Vec::new(),
			block_time_ms: carechain_runtime::MILLISECS_PER_BLOCK,
			genesis: build(&config).expect("the built-in genesis builds"),
		}
	}

	/// One validator (Alice) on the development consortium.
	pub fn development() -> Self {
		Self::built_in(
			"Development",
			"dev",
			"Development",
			carechain_runtime::genesis::development(),
		)
	}

	/// Four validators (Alice, Bob, Charlie, Dave) on the development consortium, for a
	/// local network.
	pub fn local() -> Self {
		Self::built_in(
			"Local Testnet",
			"local_testnet",
			"Local",
			carechain_runtime::genesis::local_testnet(),
		)
	}

	/// The spec of a consortium described in JSON (see [`Consortium`]).
	pub fn from_consortium_file(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read consortium {}: {e}", path.display()))?;
		let consortium: Consortium = serde_json::from_str(&text)
			.map_err(|e| format!("consortium {}: {e}", path.display()))?;
		consortium.chain_spec().map_err(|e| format!("consortium {}: {e}", path.display()))
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
			"bootNodes": self.boot_nodes,
			"properties": self.properties,
			"consensus": { "blockTimeMs": self.block_time_ms },
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
		let top = json
			.pointer("/genesis/raw/top")
			.and_then(Json::as_object)
			.ok_or("missing genesis.raw.top: only raw specs are supported")?
			.iter()
			.map(|(k, v)| Ok((unhex(k)?, unhex(v.as_str().unwrap_or_default())?)))
			.collect::<Result<BTreeMap<_, _>, String>>()?;
		if !top.contains_key(&crate::client::validators_key()) {
			return Err("the genesis has no validators (Registry.Validators)".into());
		}
		let boot_nodes = match json.get("bootNodes") {
			None | Some(Json::Null) => Vec::new(),
			Some(nodes) => nodes
				.as_array()
				.and_then(|nodes| nodes.iter().map(|n| n.as_str().map(str::to_owned)).collect())
				.ok_or("bootNodes must be a list of multiaddr strings")?,
		};
		Ok(Self {
			name: text("name")?,
			id: text("id")?,
			chain_type: text("chainType")?,
			properties: json.get("properties").cloned().unwrap_or_else(properties),
			boot_nodes,
			block_time_ms: json
				.pointer("/consensus/blockTimeMs")
				.and_then(Json::as_u64)
				.unwrap_or(carechain_runtime::MILLISECS_PER_BLOCK),
			genesis: Storage { top, children_default: Default::default() },
		})
	}
}

/// A consortium's founding description, from which `carechain build-spec --consortium FILE`
/// writes a chain spec:
///
/// ```json
/// {
///   "name": "Northwind Health Network",
///   "id": "northwind",
///   "blockTimeMs": 1000,
///   "bootNodes": ["/ip4/10.0.0.1/tcp/30333", "/ip4/10.0.0.2/tcp/30333"],
///   "council": ["5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"],
///   "organizations": [
///     { "kind": "Hospital", "licence": "npi:1234567893",
///       "credentials": "St. Mary's Hospital; licence H-1042",
///       "admins": ["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"],
///       "validator": "0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee" },
///     { "kind": "Payer", "licence": "gln:0614141000012",
///       "credentials": "Northwind Mutual; licence P-77",
///       "admins": ["5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y"] }
///   ]
/// }
/// ```
///
/// Accounts are SS58 addresses or 0x-prefixed public keys; a validator is the ed25519 public
/// key that `carechain key generate --scheme ed25519` printed for it. Each organization is
/// stored with its licence (`npi:` and the 10 digits of an NPI, for care providers and
/// pharmacies, or `gln:` and the 13 digits of a GS1 GLN, check digits included) and the
/// blake2b-256 hash of its credentials text: the text stays off chain.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Consortium {
	name: String,
	id: String,
	#[serde(default)]
	chain_type: Option<String>,
	#[serde(default)]
	block_time_ms: Option<u64>,
	#[serde(default)]
	boot_nodes: Vec<String>,
	council: Vec<String>,
	organizations: Vec<Founder>,
	/// Accounts funded at genesis with the settlement currency (cents), such as payers.
	#[serde(default)]
	balances: Vec<(String, Balance)>,
}

/// A founding organization.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Founder {
	kind: OrgKind,
	licence: String,
	credentials: String,
	admins: Vec<String>,
	#[serde(default)]
	validator: Option<String>,
}

/// An account or public key from SS58 or 0x-prefixed hex.
fn public_key(text: &str, what: &str) -> Result<[u8; 32], String> {
	let bytes = match text.strip_prefix("0x") {
		Some(digits) => hex::decode(digits).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()),
		None => AccountId::from_ss58check(text).ok().map(Into::into),
	};
	bytes.ok_or(format!(
		"{what} {text:?} is neither an SS58 address nor a 0x-prefixed 32-byte public key"
	))
}

impl Consortium {
	/// Checks the description and builds the spec.
	pub fn chain_spec(&self) -> Result<ChainSpec, String> {
		if self.organizations.is_empty() {
			return Err("\"organizations\" is empty: a consortium needs founders".into());
		}
		if self.council.is_empty() {
			return Err("\"council\" is empty: governance needs at least one member".into());
		}
		for node in &self.boot_nodes {
			node.parse::<malachitebft_app_channel::app::net::Multiaddr>()
				.map_err(|e| format!("boot node {node:?} is not a multiaddr: {e}"))?;
		}
		let mut seen = BTreeSet::new();
		let mut organizations = Vec::new();
		let mut validators = Vec::new();
		for (org, founder) in (0u32..).zip(&self.organizations) {
			if founder.admins.is_empty() {
				return Err(format!("organization {org} ({}) has no admins", founder.credentials));
			}
			let mut members = Vec::new();
			for admin in &founder.admins {
				let account = public_key(admin, "admin")?;
				if !seen.insert(account) {
					return Err(format!(
						"admin {admin} is listed twice: an account belongs to one organization"
					));
				}
				members.push((AccountId::from(account), Role::Admin));
			}
			let licence = Licence::parse(&founder.licence)
				.filter(|l| l.is_well_formed() && l.fits(founder.kind))
				.ok_or(format!(
					"organization {org} ({}) has licence {:?}, which is not `npi:` and the 10 \
					 digits of an NPI (care providers and pharmacies only) or `gln:` and the 13 \
					 digits of a GLN, with a right check digit",
					founder.credentials, founder.licence
				))?;
			let credentials = H256(sp_io::hashing::blake2_256(founder.credentials.as_bytes()));
			organizations.push((founder.kind, licence, credentials, members));
			if let Some(validator) = &founder.validator {
				let key = public_key(validator, "validator")?;
				crate::consensus::context::PublicKey::from_bytes(key)?;
				if validators.iter().any(|(k, _)| *k == key) {
					return Err(format!("validator {validator} is listed twice"));
				}
				validators.push((key, org));
			}
		}
		if validators.is_empty() {
			return Err(
				"no organization names a \"validator\": the chain needs at least one".into()
			);
		}
		let council = self
			.council
			.iter()
			.map(|m| public_key(m, "council member").map(AccountId::from))
			.collect::<Result<Vec<_>, _>>()?;
		let balances = self
			.balances
			.iter()
			.map(|(who, amount)| Ok((AccountId::from(public_key(who, "funded account")?), *amount)))
			.collect::<Result<Vec<_>, String>>()?;
		let config = RuntimeGenesisConfig {
			registry: carechain_runtime::RegistryConfig {
				organizations,
				patients: Vec::new(),
				validators,
			},
			council_membership: carechain_runtime::CouncilMembershipConfig {
				members: council
					.try_into()
					.map_err(|_| "the council has more members than the runtime allows")?,
				..Default::default()
			},
			balances: carechain_runtime::BalancesConfig { balances, ..Default::default() },
			..Default::default()
		};
		Ok(ChainSpec {
			name: self.name.clone(),
			id: self.id.clone(),
			chain_type: self.chain_type.clone().unwrap_or_else(|| "Live".into()),
			properties: properties(),
			boot_nodes: self.boot_nodes.clone(),
			block_time_ms: self.block_time_ms.unwrap_or(carechain_runtime::MILLISECS_PER_BLOCK),
			genesis: build(&config)?,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{crypto::Pair as _, ed25519};

	fn validators(spec: &ChainSpec) -> Vec<pallet_registry::Validator> {
		let raw = &spec.genesis.top[&crate::client::validators_key()];
		codec::Decode::decode(&mut &raw[..]).unwrap()
	}

	#[test]
	fn json_round_trip_keeps_genesis_and_boot_nodes() {
		let mut spec = ChainSpec::local();
		spec.boot_nodes = vec!["/ip4/127.0.0.1/tcp/30333".into()];
		let back = ChainSpec::from_json(&spec.to_json()).unwrap();
		assert_eq!(back.genesis.top, spec.genesis.top);
		assert_eq!(back.boot_nodes, spec.boot_nodes);
		assert_eq!(back.id, "local_testnet");
		assert_eq!(validators(&back).len(), 4);
		assert_eq!(validators(&ChainSpec::development()).len(), 1);
	}

	#[test]
	fn bad_specs_say_what_is_wrong() {
		let mut json = ChainSpec::development().to_json();
		json["bootNodes"] = json!("/ip4/1.2.3.4/tcp/1");
		assert_eq!(
			ChainSpec::from_json(&json).unwrap_err(),
			"bootNodes must be a list of multiaddr strings"
		);
		let key = format!("0x{}", hex::encode(crate::client::validators_key()));
		json["genesis"]["raw"]["top"].as_object_mut().unwrap().remove(&key);
		json["bootNodes"] = json!([]);
		assert!(ChainSpec::from_json(&json).unwrap_err().contains("no validators"));
	}

	fn consortium() -> Json {
		let ed = |uri| {
			format!("0x{}", hex::encode(ed25519::Pair::from_string(uri, None).unwrap().public()))
		};
		json!({
			"name": "Northwind Health Network",
			"id": "northwind",
			"blockTimeMs": 2000,
			"bootNodes": ["/ip4/10.0.0.1/tcp/30333"],
			"council": ["5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"],
			"organizations": [
				{ "kind": "Hospital", "licence": "npi:1234567893", "credentials": "St. Mary's; H-1", "admins": [ed("//Mary")], "validator": ed("//MaryNode") },
				{ "kind": "Payer", "licence": "gln:0614141000012", "credentials": "Mutual; P-7", "admins": [ed("//Pat")] },
				{ "kind": "Pharmacy", "licence": "npi:1234567885", "credentials": "Corner; R-2", "admins": [ed("//Rx")], "validator": ed("//RxNode") },
			],
			"balances": [[ed("//Pat"), 5000]],
		})
	}

	fn spec_of(json: Json) -> Result<ChainSpec, String> {
		serde_json::from_value::<Consortium>(json).map_err(|e| e.to_string())?.chain_spec()
	}

	#[test]
	fn a_consortium_description_becomes_a_spec() {
		let spec = spec_of(consortium()).unwrap();
		assert_eq!(
			(spec.id.as_str(), spec.block_time_ms, spec.chain_type.as_str()),
			("northwind", 2000, "Live")
		);
		let set = validators(&spec);
		assert_eq!(set.len(), 2);
		let orgs: BTreeSet<_> = set.iter().map(|v| v.org).collect();
		assert_eq!(orgs, BTreeSet::from([0, 2]));
		let mary = ed25519::Pair::from_string("//MaryNode", None).unwrap().public().0;
		assert!(set.iter().any(|v| v.key == mary && v.org == 0));
		// The spec travels as JSON and comes back the same.
		let back = ChainSpec::from_json(&spec.to_json()).unwrap();
		assert_eq!(back.genesis.top, spec.genesis.top);
		assert_eq!(back.boot_nodes, vec!["/ip4/10.0.0.1/tcp/30333".to_string()]);
	}

	#[test]
	fn bad_consortium_descriptions_say_what_is_wrong() {
		let cases: [(&str, Json, &str); 9] = [
			("/organizations/0/licence", json!("npi:1234567890"), "right check digit"),
			("/organizations/1/licence", json!("npi:1234567893"), "care providers and pharmacies"),
			("/organizations/2/licence", json!("Corner Pharmacy"), "has licence"),
			("/organizations/1/admins", json!([]), "has no admins"),
			("/organizations/0/validator", json!("0x1234"), "neither an SS58 address"),
			(
				"/organizations/2/validator",
				consortium()["organizations"][0]["validator"].clone(),
				"listed twice",
			),
			("/council", json!([]), "\"council\" is empty"),
			("/bootNodes", json!(["not an address"]), "is not a multiaddr"),
			("/organizations/0/kind", json!("Spaceport"), "unknown variant"),
		];
		for (pointer, value, expected) in cases {
			let mut json = consortium();
			*json.pointer_mut(pointer).unwrap() = value;
			let error = spec_of(json).unwrap_err();
			assert!(error.contains(expected), "{pointer}: {error}");
		}
		let mut json = consortium();
		for org in json["organizations"].as_array_mut().unwrap() {
			org.as_object_mut().unwrap().remove("validator");
		}
		assert!(spec_of(json).unwrap_err().contains("no organization names a \"validator\""));
	}
}
