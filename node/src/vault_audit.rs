//! `carechain vault audit`: hashes every blob of a vault in GPU batches and compares the
//! blobs with the record index of a running node, reporting missing, corrupted and orphaned
//! blobs.
//!
//! It reads the chain through the node's standard RPC (`state_getKeysPaged`,
//! `state_queryStorageAt` on the `Records` map at the finalized head), so it runs beside a
//! live node, and the blobs straight from the store the node writes to. A node that
//! authenticates RPC answers those only to a member: the audit then signs in as one, on the
//! same connection.

use carechain_runtime::Runtime;
use carechain_vault::{
	audit::{audit, AuditReport, AuditSettings},
	BlobId, BlobStore,
};
use codec::Decode;
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClientBuilder};
use serde_json::Value as Json;
use sp_core::{Bytes, H256};
use std::collections::HashSet;

/// Keys fetched per page.
const PAGE: u32 = 1000;

/// The storage prefix of pallet-records' `Records` map.
pub fn records_prefix() -> Vec<u8> {
	[sp_io::hashing::twox_128(b"Records"), sp_io::hashing::twox_128(b"Records")].concat()
}

/// The chain's view: blobs that live records reference, at the finalized head.
pub struct ChainIndex {
	/// Content hashes of records not erased (current, amended or entered in error).
	pub live: HashSet<BlobId>,
	/// Record versions read, erased ones included.
	pub records: usize,
	/// The finalized head it was read at.
	pub head: H256,
}

/// Reads the record index from the node at `rpc_url`, signed in as `signer` when given.
pub async fn chain_index(
	rpc_url: &str,
	signer: Option<&sp_core::ed25519::Pair>,
) -> eyre::Result<ChainIndex> {
	let client = WsClientBuilder::default()
		.max_response_size(256 << 20)
		.build(rpc_url)
		.await
		.map_err(|e| eyre::eyre!("cannot reach the node at {rpc_url}: {e}"))?;
	if let Some(signer) = signer {
		crate::rpc::auth::sign_in(&client, signer)
			.await
			.map_err(|e| eyre::eyre!("cannot sign in to the node at {rpc_url}: {e}"))?;
	}
	let head: H256 = client.request("chain_getFinalizedHead", rpc_params![]).await?;
	let prefix = Bytes(records_prefix());
	let mut live = HashSet::new();
	let mut records = 0;
	let mut start: Option<Bytes> = None;
	loop {
		let keys: Vec<Bytes> = client
			.request("state_getKeysPaged", rpc_params![prefix.clone(), PAGE, start.clone(), head])
			.await?;
		if keys.is_empty() {
			break;
		}
		let sets: Vec<Json> =
			client.request("state_queryStorageAt", rpc_params![keys.clone(), head]).await?;
		for set in &sets {
			for change in set["changes"].as_array().into_iter().flatten() {
				let Some(value) = change.get(1).and_then(Json::as_str) else { continue };
				let bytes = hex::decode(value.trim_start_matches("0x"))?;
				let record = pallet_records::Record::<Runtime>::decode(&mut &bytes[..])
					.map_err(|e| eyre::eyre!("a Records value does not decode: {e}"))?;
				records += 1;
				if record.status != pallet_records::RecordStatus::Erased {
					live.insert(record.content_hash.0);
				}
			}
		}
		if keys.len() < PAGE as usize {
			break;
		}
		start = keys.last().cloned();
	}
	Ok(ChainIndex { live, records, head })
}

/// Audits `store` against the chain behind `rpc_url` (signed in as `signer` when given), with a
/// progress bar on a terminal.
pub async fn run(
	rpc_url: &str,
	signer: Option<&sp_core::ed25519::Pair>,
	store: &dyn BlobStore,
	verifier: &carechain_gpu::Verifier,
	settings: AuditSettings,
) -> eyre::Result<(ChainIndex, AuditReport)> {
	let index = chain_index(rpc_url, signer).await?;
	let total = store.list().await?.len();
	let bar = indicatif::ProgressBar::new(total as u64);
	bar.set_style(
		indicatif::ProgressStyle::with_template(
			"{spinner} [{elapsed_precise}] [{wide_bar}] {pos}/{len} blobs, {msg}",
		)
		.expect("the template is valid"),
	);
	let mut bytes = 0u64;
	let report = audit(store, verifier, &index.live, settings, |batch_bytes, blobs| {
		bytes += batch_bytes;
		bar.inc(blobs as u64);
		bar.set_message(indicatif::HumanBytes(bytes).to_string());
	})
	.await?;
	bar.finish_and_clear();
	Ok((index, report))
}

/// The report as people read it.
pub fn summary(store: &str, index: &ChainIndex, report: &AuditReport) -> String {
	let mut text = format!(
		"Vault audit of {store}\n  chain: {} record versions, {} live blobs, finalized head {:?}\n  checked: {} blobs, {} in {:.2} s; hashing {:.1} MB/s ({} GPU and {} CPU batches)\n  intact: {}\n  missing: {}\n  corrupted: {}\n  orphaned: {}\n",
		index.records,
		index.live.len(),
		index.head,
		report.checked,
		indicatif::HumanBytes(report.bytes),
		report.elapsed.as_secs_f64(),
		report.hashing_throughput() / 1e6,
		report.gpu_batches,
		report.cpu_batches,
		report.intact,
		report.missing.len(),
		report.corrupted.len(),
		report.orphaned.len(),
	);
	for (label, ids) in [
		("missing", &report.missing),
		("corrupted", &report.corrupted),
		("orphaned", &report.orphaned),
	] {
		for id in ids {
			text.push_str(&format!("  {label} 0x{}\n", hex::encode(id)));
		}
	}
	text.push_str(if report.is_clean() { "Clean.\n" } else { "Problems found.\n" });
	text
}

/// The report as JSON.
pub fn to_json(index: &ChainIndex, report: &AuditReport) -> Json {
	let ids =
		|ids: &[BlobId]| ids.iter().map(|id| format!("0x{}", hex::encode(id))).collect::<Vec<_>>();
	serde_json::json!({
		"head": index.head,
		"records": index.records,
		"liveBlobs": index.live.len(),
		"checked": report.checked,
		"bytes": report.bytes,
		"intact": report.intact,
		"missing": ids(&report.missing),
		"corrupted": ids(&report.corrupted),
		"orphaned": ids(&report.orphaned),
		"gpuBatches": report.gpu_batches,
		"cpuBatches": report.cpu_batches,
		"hashingSeconds": report.hashing.as_secs_f64(),
		"seconds": report.elapsed.as_secs_f64(),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_prefix_is_the_records_map() {
		let key = pallet_records::Records::<Runtime>::hashed_key_for(H256::repeat_byte(7));
		assert_eq!(key[..32], records_prefix()[..]);
	}
}
