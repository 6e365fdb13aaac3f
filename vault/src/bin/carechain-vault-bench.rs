//! Measures `carechain vault audit`'s core: blobs of 1 KiB and 1 MiB written to a local
//! store, then audited (read, blake2b-256 in batches, compared) on the CPU (all cores) and on
//! the GPU adapter wgpu finds (a software one, lavapipe, when there is no hardware).
//!
//! `cargo run --release -p carechain-vault --bin carechain-vault-bench -- [--blobs-1k N]
//! [--blobs-1m N] [--modes cpu,gpu] [--json PATH]` prints a table and writes JSON.

#![allow(clippy::arithmetic_side_effects)]

use carechain_gpu::{Mode, Verifier};
use carechain_vault::{
	audit::{audit, AuditSettings},
	BlobStore, LocalStore,
};
use std::{collections::HashSet, path::PathBuf};

struct Args {
	blobs_1k: usize,
	blobs_1m: usize,
	modes: Vec<Mode>,
	json: PathBuf,
}

fn args() -> Args {
	let mut args = Args {
		blobs_1k: 32_768,
		blobs_1m: 128,
		modes: vec![Mode::Cpu, Mode::Gpu],
		json: PathBuf::from("target/carechain-vault-bench.json"),
	};
	let mut it = std::env::args().skip(1);
	while let Some(flag) = it.next() {
		let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
		match flag.as_str() {
			"--blobs-1k" => args.blobs_1k = value.parse().expect("--blobs-1k takes a count"),
			"--blobs-1m" => args.blobs_1m = value.parse().expect("--blobs-1m takes a count"),
			"--modes" => {
				args.modes = value.split(',').map(|m| m.parse().expect("cpu or gpu")).collect()
			}
			"--json" => args.json = value.into(),
			other => panic!("unknown flag {other}; see the binary's documentation"),
		}
	}
	args
}

#[tokio::main]
async fn main() {
	let args = args();
	let mut rows = Vec::new();
	println!(
		"{:<5} {:>8} {:>7} {:>10} {:>9} {:>11} {:>13}  adapter",
		"mode", "blob", "blobs", "MiB", "audit s", "audit MB/s", "hashing MB/s"
	);
	for (size, count) in [(1024usize, args.blobs_1k), (1 << 20, args.blobs_1m)] {
		if count == 0 {
			continue;
		}
		let dir = tempfile::tempdir().expect("a temporary directory");
		let store = LocalStore::open(dir.path()).expect("the store opens");
		let mut live = HashSet::new();
		let mut payload = vec![0u8; size - carechain_vault::envelope::OVERHEAD];
		for i in 0..count {
			payload[..8].copy_from_slice(&(i as u64).to_le_bytes());
			let (sealed, _) = carechain_vault::seal(&payload);
			live.insert(sealed.content_hash);
			store.put(sealed.content_hash, sealed.ciphertext.into()).await.expect("stored");
		}
		for mode in &args.modes {
			let verifier = match Verifier::new(*mode) {
				Ok(v) => v,
				Err(e) => {
					println!("{mode:?}: no adapter ({e})");
					continue;
				}
			};
			let adapter = verifier
				.gpu()
				.map(|g| g.adapter_name().to_string())
				.unwrap_or_else(|| format!("CPU, {} threads", rayon_threads()));
			// One warm-up pass reads the files into the page cache and compiles the shader.
			let settings = AuditSettings::default();
			audit(&store, &verifier, &live, settings, |_, _| {}).await.expect("audit");
			let report = audit(&store, &verifier, &live, settings, |_, _| {}).await.expect("audit");
			assert!(report.is_clean(), "{report:?}");
			let mb = report.bytes as f64 / 1e6;
			let row = serde_json::json!({
				"mode": format!("{mode:?}").to_lowercase(),
				"blob_bytes": size,
				"blobs": count,
				"bytes": report.bytes,
				"audit_seconds": report.elapsed.as_secs_f64(),
				"audit_mb_per_s": mb / report.elapsed.as_secs_f64(),
				"hashing_mb_per_s": report.hashing_throughput() / 1e6,
				"gpu_batches": report.gpu_batches,
				"cpu_batches": report.cpu_batches,
				"adapter": adapter,
			});
			println!(
				"{:<5} {:>8} {:>7} {:>10.1} {:>9.3} {:>11.1} {:>13.1}  {}",
				row["mode"].as_str().unwrap(),
				if size == 1024 { "1 KiB" } else { "1 MiB" },
				count,
				report.bytes as f64 / (1 << 20) as f64,
				report.elapsed.as_secs_f64(),
				row["audit_mb_per_s"].as_f64().unwrap(),
				row["hashing_mb_per_s"].as_f64().unwrap(),
				adapter,
			);
			rows.push(row);
		}
	}
	if let Some(parent) = args.json.parent() {
		std::fs::create_dir_all(parent).expect("the JSON directory can be created");
	}
	let json = serde_json::json!({ "benchmark": "vault audit", "rows": rows });
	std::fs::write(&args.json, serde_json::to_string_pretty(&json).unwrap()).expect("JSON written");
	println!("wrote {}", args.json.display());
}

fn rayon_threads() -> usize {
	std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
