//! The running node: the chain, the pool and the signature verifier, shared by consensus and
//! RPC, with the notifications and metrics they produce.

use crate::{
	client::Client,
	pool::{Pool, Submitter},
	signatures::{BatchReport, BatchVerifier},
};
use carechain_runtime::{Block, Header};
use prometheus_client::{
	metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
	registry::Registry,
};
use sp_core::H256;
use std::{collections::HashSet, sync::Arc, time::Duration};
use tokio::sync::{broadcast, mpsc};

/// Extrinsics waiting to be gossiped; beyond this they stay with this node only.
const GOSSIP_QUEUE: usize = 65_536;

/// Prometheus metrics of the node.
pub struct Metrics {
	/// The registry served on the Prometheus port.
	pub registry: Registry,
	finalized_height: Gauge,
	pool_size: Gauge,
	transactions: Counter,
	batch_size: Histogram,
	verify_seconds: Histogram,
	gpu_signatures: Counter,
	cpu_signatures: Counter,
	/// RPC calls served.
	pub rpc_calls: Counter,
}

impl Metrics {
	fn new() -> Self {
		let mut m = Self {
			finalized_height: Gauge::default(),
			pool_size: Gauge::default(),
			transactions: Counter::default(),
			batch_size: Histogram::new([1.0, 16.0, 128.0, 1024.0, 4096.0, 16384.0]),
			verify_seconds: Histogram::new([0.0005, 0.002, 0.01, 0.05, 0.2, 1.0]),
			gpu_signatures: Counter::default(),
			cpu_signatures: Counter::default(),
			rpc_calls: Counter::default(),
			registry: Registry::with_prefix("carechain"),
		};
		m.registry.register(
			"finalized_height",
			"Number of the finalized head",
			m.finalized_height.clone(),
		);
		m.registry.register("pool_transactions", "Transactions in the pool", m.pool_size.clone());
		m.registry.register(
			"block_transactions",
			"Transactions in finalized blocks",
			m.transactions.clone(),
		);
		m.registry.register(
			"signature_batch_size",
			"Signatures per verification batch",
			m.batch_size.clone(),
		);
		m.registry.register(
			"signature_verify_seconds",
			"Wall time of a verification batch",
			m.verify_seconds.clone(),
		);
		m.registry.register(
			"gpu_signatures",
			"Signatures verified on the GPU",
			m.gpu_signatures.clone(),
		);
		m.registry.register(
			"cpu_signatures",
			"Signatures verified on the CPU",
			m.cpu_signatures.clone(),
		);
		m.registry.register("rpc_calls", "JSON-RPC calls served", m.rpc_calls.clone());
		m
	}

	/// Records a verification batch.
	pub fn record_batch(&self, report: BatchReport) {
		if report.signatures == 0 {
			return;
		}
		self.batch_size.observe(report.signatures as f64);
		self.verify_seconds.observe(report.elapsed.as_secs_f64());
		let counter = if report.on_gpu { &self.gpu_signatures } else { &self.cpu_signatures };
		counter.inc_by(report.signatures as u64);
	}

	/// The metrics in Prometheus text format.
	pub fn encode(&self) -> String {
		let mut text = String::new();
		// Writing into a String cannot fail.
		let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
		text
	}
}

/// The node's shared parts.
pub struct Node {
	/// The chain.
	pub client: Arc<Client>,
	/// The transaction pool.
	pub pool: Arc<Pool>,
	/// Submits to the pool through batch verification.
	pub submitter: Submitter,
	/// The batch signature verifier.
	pub verifier: Arc<BatchVerifier>,
	/// Metrics.
	pub metrics: Arc<Metrics>,
	/// Every finalized block's header and extrinsic hashes, as it is committed.
	pub finalized: broadcast::Sender<Arc<Finalized>>,
	/// The connected peers and their heights, once consensus has started.
	pub peers: Arc<crate::consensus::peers::PeerBook>,
	/// Extrinsics this node's users submitted, for consensus to gossip to the peers.
	gossip: parking_lot::Mutex<Option<mpsc::Receiver<Vec<u8>>>>,
}

/// A block just finalized.
pub struct Finalized {
	/// Its header.
	pub header: Header,
	/// The hashes of its extrinsics.
	pub extrinsics: HashSet<H256>,
}

impl Node {
	/// Wires the parts together and starts the pool's batch validator.
	pub fn new(client: Arc<Client>, pool: Arc<Pool>, verifier: Arc<BatchVerifier>) -> Arc<Self> {
		let metrics = Arc::new(Metrics::new());
		let on_batch = {
			let metrics = metrics.clone();
			move |report| metrics.record_batch(report)
		};
		let (gossip, gossip_receiver) = mpsc::channel(GOSSIP_QUEUE);
		let submitter = crate::pool::start_validator(
			pool.clone(),
			client.clone(),
			verifier.clone(),
			gossip,
			on_batch,
		);
		metrics.finalized_height.set(client.head().number.into());
		Arc::new(Self {
			client,
			pool,
			submitter,
			verifier,
			metrics,
			finalized: broadcast::channel(256).0,
			peers: Arc::default(),
			gossip: parking_lot::Mutex::new(Some(gossip_receiver)),
		})
	}

	/// The extrinsics admitted from this node's users, to gossip; the first caller gets them.
	pub fn take_gossip(&self) -> Option<mpsc::Receiver<Vec<u8>>> {
		self.gossip.lock().take()
	}

	/// Announces a committed block (`extrinsics`: the hashes of all of its extrinsics): the
	/// pool drops what it included and stops waiting for the tags they provided, then one log
	/// line, metrics, subscribers.
	pub fn imported(&self, block: &Block, extrinsics: Vec<H256>, elapsed: Duration) {
		let header = &block.header;
		self.pool.included(header.number, &extrinsics);
		let hash = header.hash();
		let txs = block.extrinsics.len().saturating_sub(1);
		tracing::info!(
			"Imported #{} ({}), {} txs, commit {:.1} ms, verify on {}",
			header.number,
			short(&hash),
			txs,
			elapsed.as_secs_f64() * 1000.0,
			self.verifier.adapter(),
		);
		self.metrics.finalized_height.set(header.number.into());
		self.metrics.transactions.inc_by(txs as u64);
		self.metrics.pool_size.set(self.pool.len() as i64);
		let extrinsics = extrinsics.into_iter().collect();
		let _ = self.finalized.send(Arc::new(Finalized { header: header.clone(), extrinsics }));
	}
}

/// `0xab12…cd34`, as Substrate prints hashes.
pub fn short(hash: &H256) -> String {
	let hex = hex::encode(hash.as_bytes());
	format!("0x{}…{}", &hex[..4], &hex[60..])
}
