//! The `carechain` command line: specs, keys, purging, and clear errors.

use std::process::Command;

fn carechain(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_carechain")).args(args).output().expect("carechain runs")
}

#[test]
fn build_spec_prints_a_raw_spec_with_the_dev_validator() {
	let out = carechain(&["build-spec", "--chain", "dev", "--raw"]);
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(spec["id"], "dev");
	// Alice's ed25519 key is the one validator of the dev chain.
	assert_eq!(
		spec["consensus"]["validators"],
		serde_json::json!(["0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee"])
	);
	assert!(spec["genesis"]["raw"]["top"].as_object().unwrap().len() > 10);
}

#[test]
fn key_inspect_shows_the_well_known_dev_key() {
	let out = carechain(&["key", "inspect", "//Alice"]);
	let text = String::from_utf8_lossy(&out.stdout);
	assert!(
		text.contains("0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee"),
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
