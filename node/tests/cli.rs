//! The `carechain` command line: specs, keys, purging, and clear errors.

use std::process::Command;

fn carechain(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_carechain")).args(args).output().expect("carechain runs")
}

const ALICE: &str = "88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee";

/// The genesis value of `Registry::Validators` in a spec.
fn genesis_validators(spec: &serde_json::Value) -> String {
	let key = format!("0x{}", hex::encode(carechain_node::client::validators_key()));
	spec["genesis"]["raw"]["top"][&key].as_str().expect("the genesis has validators").to_owned()
}

#[test]
fn build_spec_prints_a_raw_spec_with_the_dev_validator() {
	let out = carechain(&["build-spec", "--chain", "dev", "--raw"]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(spec["id"], "dev");
	// Alice's ed25519 key is the one validator of the dev chain, run by organization 0: a
	// SCALE vector of one (key, org).
	assert_eq!(genesis_validators(&spec), format!("0x04{ALICE}00000000"));
	assert!(spec["genesis"]["raw"]["top"].as_object().unwrap().len() > 10);

	let out = carechain(&["build-spec", "--chain", "local"]);
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(spec["id"], "local_testnet");
	assert!(genesis_validators(&spec).starts_with("0x10"), "four validators");
}

#[test]
fn build_spec_writes_a_consortium_from_its_description() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("consortium.json");
	let description = serde_json::json!({
		"name": "Northwind", "id": "northwind",
		"council": ["5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"],
		"organizations": [{ "kind": "Hospital", "licence": "npi:1234567893", "credentials": "St. Mary's; H-1",
			"admins": ["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"],
			"validator": format!("0x{ALICE}") }],
	});
	std::fs::write(&path, description.to_string()).unwrap();
	let out = carechain(&["build-spec", "--consortium", path.to_str().unwrap()]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(
		(spec["id"].as_str(), spec["chainType"].as_str()),
		(Some("northwind"), Some("Live"))
	);
	assert_eq!(genesis_validators(&spec), format!("0x04{ALICE}00000000"));

	std::fs::write(&path, r#"{ "name": "x", "id": "x", "council": [], "organizations": [] }"#)
		.unwrap();
	let out = carechain(&["build-spec", "--consortium", path.to_str().unwrap()]);
	assert_eq!(out.status.code(), Some(1));
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("a consortium needs founders"), "{stderr}");
}

#[test]
fn a_validator_key_file_is_inserted_and_proves_its_organization() {
	let dir = tempfile::tempdir().unwrap();
	let base = dir.path().to_str().unwrap();
	let out =
		carechain(&["key", "insert", "--base-path", base, "--chain", "local", "--suri", "//Alice"]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	assert!(dir.path().join("chains/local_testnet/validator.key").exists());
	let out = carechain(&[
		"key",
		"validator-proof",
		"--org",
		"2",
		"--base-path",
		base,
		"--chain",
		"local",
	]);
	let text = String::from_utf8_lossy(&out.stdout);
	assert!(text.contains(&format!("Validator key:     0x{ALICE}")), "{text}");
	assert!(text.contains("Proof:             0x"), "{text}");
	// A validator without its key file says how to make one.
	let other = tempfile::tempdir().unwrap();
	let out = carechain(&[
		"--chain",
		"local",
		"--base-path",
		other.path().to_str().unwrap(),
		"--validator",
	]);
	assert_eq!(out.status.code(), Some(1));
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("carechain key insert"), "{stderr}");
}

#[test]
fn key_inspect_shows_the_well_known_dev_key() {
	let out = carechain(&["key", "inspect", "//Alice"]);
	let text = String::from_utf8_lossy(&out.stdout);
	assert!(
		text.contains("0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee"),
		"{text}"
	);
	// Alice's libp2p identity as a validator, which peers name in their --peer addresses.
	assert!(
		text.contains("Peer ID:           12D3KooWK2cN7Q5kmpLfpypBiNg51TiHmAfWgwUzLqHmZ3G4BELm"),
		"{text}"
	);
	let out = carechain(&["key", "generate", "--scheme", "ed25519"]);
	assert!(String::from_utf8_lossy(&out.stdout).contains("Public key (hex):  0x"));
	let out = carechain(&["key", "inspect", "//Alice", "--scheme", "rsa"]);
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scheme \"rsa\""));
}

#[test]
fn purge_chain_removes_only_the_chain_folder() {
	let dir = tempfile::tempdir().unwrap();
	let chain = dir.path().join("chains").join("dev");
	std::fs::create_dir_all(chain.join("db")).unwrap();
	let base = dir.path().to_str().unwrap();
	let out = carechain(&["purge-chain", "--base-path", base, "--chain", "dev"]);
	assert!(out.status.success());
	assert!(chain.exists(), "without -y nothing is deleted");
	let out = carechain(&["purge-chain", "--base-path", base, "--chain", "dev", "-y"]);
	assert!(out.status.success());
	assert!(!chain.exists());
	assert!(dir.path().exists());
}

#[test]
fn a_missing_spec_file_is_a_clear_error() {
	let out = carechain(&["--chain", "/nonexistent/spec.json", "--base-path", "/tmp/x"]);
	assert_eq!(out.status.code(), Some(1));
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("cannot read chain spec /nonexistent/spec.json"), "{stderr}");
}

#[test]
fn an_unknown_gpu_arithmetic_is_a_clear_error() {
	let out = carechain(&["--dev", "--gpu-arithmetic", "l64"]);
	assert_eq!(out.status.code(), Some(2));
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(
		stderr.contains("unknown field arithmetic \"l64\"; use l13, l16, w32 or r26"),
		"{stderr}"
	);
}

#[test]
fn no_threads_for_the_pool_s_checks_is_a_clear_error() {
	let out = carechain(&["--dev", "--pool-check-threads", "0"]);
	assert!(!out.status.success());
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("--pool-check-threads") && stderr.contains("0"), "{stderr}");
}
