//! `carechain benchmark pallet`: runs the runtime's frame-benchmarking v2 benchmarks natively,
//! on this machine, over an in-memory state that counts storage reads and writes as Substrate's
//! benchmarking state does; fits each weight by least squares; and writes the pallet's
//! `weights.rs`.

use crate::executor::NativeExecutor;
use codec::{Decode, Encode};
use frame_benchmarking::{
	Analysis, BenchmarkBatch, BenchmarkConfig, BenchmarkList, BenchmarkResult, BenchmarkSelector,
};
use sp_core::{
	storage::{ChildInfo, Storage, TrackedStorageKey},
	traits::{CallContext, RuntimeCode, WrappedRuntimeCode},
};
use sp_externalities::Extensions;
use sp_runtime::{traits::BlakeTwo256, StateVersion};
use sp_state_machine::{
	Backend, BackendTransaction, ChildStorageCollection, InMemoryBackend, IterArgs,
	OverlayedChanges, StateMachine, StorageCollection, StorageIterator, StorageKey, StorageValue,
	UsageInfo,
};
use std::{
	cell::{Cell, RefCell},
	collections::HashMap,
	fmt::Write as _,
	path::Path,
};

type Inner = InMemoryBackend<BlakeTwo256>;

/// Reads and writes of one key since the last reset.
#[derive(Clone, Copy, Default)]
struct KeyTracker {
	reads: u32,
	writes: u32,
	whitelisted: bool,
}

/// The benchmarking state: genesis in memory, changes committed between a benchmark's set-up and
/// its measured call, and every first and repeated read and write of a key counted.
pub struct BenchState {
	genesis: Storage,
	state: RefCell<Inner>,
	keys: RefCell<HashMap<Vec<u8>, KeyTracker>>,
	whitelist: RefCell<Vec<TrackedStorageKey>>,
	counts: Cell<(u32, u32, u32, u32)>,
}

impl std::fmt::Debug for BenchState {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("BenchState")
	}
}

impl BenchState {
	/// A state holding `genesis`.
	pub fn new(genesis: Storage) -> Self {
		let state = RefCell::new((genesis.clone(), StateVersion::V1).into());
		Self {
			genesis,
			state,
			keys: RefCell::default(),
			whitelist: RefCell::default(),
			counts: Cell::new((0, 0, 0, 0)),
		}
	}

	fn tracker(&self, key: &[u8], update: impl FnOnce(&mut KeyTracker) -> (u32, u32, u32, u32)) {
		let mut keys = self.keys.borrow_mut();
		let whitelisted = self.whitelist.borrow().iter().any(|w| w.key == key);
		let tracker =
			keys.entry(key.to_vec()).or_insert(KeyTracker { whitelisted, ..Default::default() });
		if tracker.whitelisted {
			return;
		}
		let (r, rr, w, rw) = update(tracker);
		let (reads, repeat_reads, writes, repeat_writes) = self.counts.get();
		self.counts.set((reads + r, repeat_reads + rr, writes + w, repeat_writes + rw));
	}

	fn read(&self, key: &[u8]) {
		self.tracker(key, |t| {
			t.reads += 1;
			// A key already read or written costs nothing more to read.
			if t.reads == 1 && t.writes == 0 {
				(1, 0, 0, 0)
			} else {
				(0, 1, 0, 0)
			}
		});
	}

	fn write(&self, key: &[u8]) {
		self.tracker(key, |t| {
			t.writes += 1;
			if t.writes == 1 {
				(0, 0, 1, 0)
			} else {
				(0, 0, 0, 1)
			}
		});
	}
}

/// The iterator of [`BenchState`]: the inner state's, borrowed per step.
pub struct BenchIter(<Inner as Backend<BlakeTwo256>>::RawIter);

impl StorageIterator<BlakeTwo256> for BenchIter {
	type Backend = BenchState;
	type Error = String;

	fn next_key(&mut self, backend: &BenchState) -> Option<Result<StorageKey, String>> {
		self.0.next_key(&backend.state.borrow())
	}

	fn next_pair(
		&mut self,
		backend: &BenchState,
	) -> Option<Result<(StorageKey, StorageValue), String>> {
		self.0.next_pair(&backend.state.borrow())
	}

	fn was_complete(&self) -> bool {
		self.0.was_complete()
	}
}

impl Backend<BlakeTwo256> for BenchState {
	type Error = String;
	type TrieBackendStorage = <Inner as Backend<BlakeTwo256>>::TrieBackendStorage;
	type RawIter = BenchIter;

	fn storage(&self, key: &[u8]) -> Result<Option<StorageValue>, String> {
		self.read(key);
		self.state.borrow().storage(key)
	}

	fn storage_hash(&self, key: &[u8]) -> Result<Option<sp_core::H256>, String> {
		self.read(key);
		self.state.borrow().storage_hash(key)
	}

	fn closest_merkle_value(
		&self,
		key: &[u8],
	) -> Result<Option<sp_trie::MerkleValue<sp_core::H256>>, String> {
		self.read(key);
		self.state.borrow().closest_merkle_value(key)
	}

	fn child_closest_merkle_value(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<sp_trie::MerkleValue<sp_core::H256>>, String> {
		self.read(key);
		self.state.borrow().child_closest_merkle_value(child_info, key)
	}

	fn child_storage(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<StorageValue>, String> {
		self.read(key);
		self.state.borrow().child_storage(child_info, key)
	}

	fn child_storage_hash(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<sp_core::H256>, String> {
		self.read(key);
		self.state.borrow().child_storage_hash(child_info, key)
	}

	fn next_storage_key(&self, key: &[u8]) -> Result<Option<StorageKey>, String> {
		self.state.borrow().next_storage_key(key)
	}

	fn next_child_storage_key(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<StorageKey>, String> {
		self.state.borrow().next_child_storage_key(child_info, key)
	}

	fn storage_root<'a>(
		&self,
		delta: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
		state_version: StateVersion,
	) -> (sp_core::H256, BackendTransaction<BlakeTwo256>) {
		self.state.borrow().storage_root(delta, state_version)
	}

	fn child_storage_root<'a>(
		&self,
		child_info: &ChildInfo,
		delta: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
		state_version: StateVersion,
	) -> (sp_core::H256, bool, BackendTransaction<BlakeTwo256>) {
		self.state.borrow().child_storage_root(child_info, delta, state_version)
	}

	fn raw_iter(&self, args: IterArgs) -> Result<BenchIter, String> {
		self.state.borrow().raw_iter(args).map(BenchIter)
	}

	fn register_overlay_stats(&self, stats: &sp_state_machine::StateMachineStats) {
		self.state.borrow().register_overlay_stats(stats)
	}

	fn usage_info(&self) -> UsageInfo {
		self.state.borrow().usage_info()
	}

	fn wipe(&self) -> Result<(), String> {
		*self.state.borrow_mut() = (self.genesis.clone(), StateVersion::V1).into();
		self.keys.borrow_mut().clear();
		self.counts.set((0, 0, 0, 0));
		Ok(())
	}

	fn commit(
		&self,
		root: sp_core::H256,
		transaction: BackendTransaction<BlakeTwo256>,
		main_storage_changes: StorageCollection,
		child_storage_changes: ChildStorageCollection,
	) -> Result<(), String> {
		self.state.borrow_mut().apply_transaction(root, transaction);
		for (key, _) in &main_storage_changes {
			self.write(key);
		}
		for (_, changes) in &child_storage_changes {
			for (key, _) in changes {
				self.write(key);
			}
		}
		Ok(())
	}

	fn read_write_count(&self) -> (u32, u32, u32, u32) {
		self.counts.get()
	}

	fn reset_read_write_count(&self) {
		self.counts.set((0, 0, 0, 0));
		self.keys.borrow_mut().clear();
	}

	fn proof_size(&self) -> Option<u32> {
		// Carechain blocks are not proven to a relay chain: no proof is recorded.
		None
	}

	fn get_whitelist(&self) -> Vec<TrackedStorageKey> {
		self.whitelist.borrow().clone()
	}

	fn set_whitelist(&self, whitelist: Vec<TrackedStorageKey>) {
		*self.whitelist.borrow_mut() = whitelist;
	}

	fn get_read_and_written_keys(&self) -> Vec<(Vec<u8>, u32, u32, bool)> {
		self.keys
			.borrow()
			.iter()
			.map(|(k, t)| (k.clone(), t.reads, t.writes, t.whitelisted))
			.collect()
	}
}

fn call(state: &BenchState, method: &str, data: &[u8]) -> Result<Vec<u8>, String> {
	let code = WrappedRuntimeCode(Vec::new().into());
	let runtime_code = RuntimeCode { code_fetcher: &code, heap_pages: None, hash: Vec::new() };
	let mut overlay = OverlayedChanges::default();
	let mut extensions = Extensions::default();
	let result = StateMachine::new(
		state,
		&mut overlay,
		&NativeExecutor,
		method,
		data,
		&mut extensions,
		&runtime_code,
		CallContext::Offchain,
	)
	.execute()
	.map_err(|e| format!("{method}: {e}"));
	result
}

/// What to benchmark and how often.
pub struct Settings {
	/// The pallet, as the runtime names it (`pallet_records`).
	pub pallet: String,
	/// Values per component, from its lowest to its highest.
	pub steps: u32,
	/// Runs per set of component values.
	pub repeat: u32,
}

/// One benchmark's fitted weight.
#[derive(Debug)]
pub struct Fitted {
	/// The benchmark (the call) name.
	pub name: String,
	/// The component names, in the order of the fitted slopes.
	pub components: Vec<String>,
	/// Base compute time, in picoseconds.
	pub base: u128,
	/// Compute time per unit of each component, in picoseconds.
	pub slopes: Vec<u128>,
	/// Base and per-component storage reads.
	pub reads: (u128, Vec<u128>),
	/// Base and per-component storage writes.
	pub writes: (u128, Vec<u128>),
	/// How many runs were measured.
	pub samples: usize,
}

/// Runs every benchmark of a pallet and fits its weights.
pub fn run(genesis: Storage, settings: &Settings) -> Result<Vec<Fitted>, String> {
	let state = BenchState::new(genesis);
	let output = call(&state, "Benchmark_benchmark_metadata", &false.encode())?;
	let (lists, _storage): (Vec<BenchmarkList>, Vec<frame_support::traits::StorageInfo>) =
		Decode::decode(&mut &output[..]).map_err(|e| e.to_string())?;
	let list = lists
		.into_iter()
		.find(|l| l.pallet == settings.pallet.as_bytes())
		.ok_or_else(|| format!("the runtime has no benchmarks for {:?}", settings.pallet))?;
	let mut fitted = Vec::new();
	for benchmark in &list.benchmarks {
		let name = String::from_utf8_lossy(&benchmark.name).into_owned();
		// Each component steps through its range while the others stay at their highest.
		let mut selections: Vec<Vec<(frame_benchmarking::BenchmarkParameter, u32)>> = Vec::new();
		if benchmark.components.is_empty() {
			selections.push(Vec::new());
		}
		for (i, (_, low, high)) in benchmark.components.iter().enumerate() {
			let steps = settings.steps.max(2);
			for step in 0..steps {
				let value = low + (high - low) * step / (steps - 1);
				let selection = benchmark
					.components
					.iter()
					.enumerate()
					.map(|(j, (p, _, h))| (*p, if i == j { value } else { *h }))
					.collect();
				selections.push(selection);
			}
		}
		let mut results: Vec<BenchmarkResult> = Vec::new();
		for selection in &selections {
			for repeat in 0..settings.repeat.max(1) {
				let config = BenchmarkConfig {
					pallet: list.pallet.clone(),
					instance: list.instance.clone(),
					benchmark: benchmark.name.clone(),
					selected_components: selection.clone(),
					verify: repeat == 0,
					internal_repeats: 1,
				};
				let output = call(&state, "Benchmark_dispatch_benchmark", &config.encode())?;
				let batches = <Result<Vec<BenchmarkBatch>, String>>::decode(&mut &output[..])
					.map_err(|e| e.to_string())?
					.map_err(|e| format!("benchmark {name}: {e}"))?;
				results.extend(batches.into_iter().flat_map(|b| b.results));
			}
		}
		let analyse = |selector| {
			Analysis::min_squares_iqr(&results, selector)
				.map_err(|e| format!("benchmark {name}: {e}"))
		};
		let time = analyse(BenchmarkSelector::ExtrinsicTime)?;
		let reads = analyse(BenchmarkSelector::Reads)?;
		let writes = analyse(BenchmarkSelector::Writes)?;
		fitted.push(Fitted {
			name: name.clone(),
			components: time.names.clone(),
			base: time.base,
			slopes: time.slopes.clone(),
			reads: (reads.base, reads.slopes),
			writes: (writes.base, writes.slopes),
			samples: results.len(),
		});
	}
	Ok(fitted)
}

/// Writes the weights as a `weights.rs`: the `WeightInfo` trait, `SubstrateWeight` on the
/// runtime's database weights, and `()` on RocksDB's for tests.
pub fn write_weights(
	fitted: &[Fitted],
	pallet: &str,
	command: &str,
	path: &Path,
) -> std::io::Result<()> {
	let mut out = String::new();
	let hardware = std::fs::read_to_string("/proc/cpuinfo")
		.ok()
		.and_then(|c| {
			c.lines().find(|l| l.starts_with("model name")).map(|l| l[13..].trim().to_owned())
		})
		.unwrap_or_else(|| "unknown CPU".into());
	let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
	let _ = writeln!(
		out,
		"//! Weights for `{pallet}`, measured by frame-benchmarking v2 on the native runtime."
	);
	let _ = writeln!(out, "//!");
	let _ = writeln!(out, "//! Machine: {hardware}, {cores} cores. Command:");
	let _ = writeln!(out, "//! `{command}`");
	let _ = writeln!(out, "//!");
	let _ = writeln!(out, "//! Generated by `carechain benchmark pallet`; do not edit by hand.");
	let _ = writeln!(out);
	let _ =
		writeln!(out, "#![allow(unused_parens, unused_imports, unused_variables, missing_docs)]");
	let _ = writeln!(out, "#![allow(clippy::unnecessary_cast, clippy::arithmetic_side_effects)]");
	let _ = writeln!(out);
	let _ = writeln!(out, "use core::marker::PhantomData;");
	let _ = writeln!(
		out,
		"use frame_support::{{traits::Get, weights::{{constants::RocksDbWeight, Weight}}}};"
	);
	let _ = writeln!(out);
	let _ = writeln!(out, "/// Weight functions needed for `{pallet}`.");
	let _ = writeln!(out, "pub trait WeightInfo {{");
	for f in fitted {
		let _ = writeln!(out, "\tfn {}({}) -> Weight;", f.name, params(f));
	}
	let _ = writeln!(out, "}}");
	for (target, db) in
		[("SubstrateWeight<T>", "T::DbWeight::get()"), ("()", "RocksDbWeight::get()")]
	{
		let _ = writeln!(out);
		if target == "()" {
			let _ =
				writeln!(out, "// For tests: the same compute, RocksDB's read and write costs.");
			let _ = writeln!(out, "impl WeightInfo for () {{");
		} else {
			let _ = writeln!(out, "/// Weights for `{pallet}` on the runtime's database weights.");
			let _ = writeln!(out, "pub struct SubstrateWeight<T>(PhantomData<T>);");
			let _ =
				writeln!(out, "impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {{");
		}
		for f in fitted {
			let _ = writeln!(out, "\t/// {} samples.", f.samples);
			let _ = writeln!(out, "\tfn {}({}) -> Weight {{", f.name, params(f));
			let _ = writeln!(out, "\t\tWeight::from_parts({}, 0)", underscore(f.base));
			for (c, slope) in f.components.iter().zip(&f.slopes) {
				if *slope > 0 {
					let _ = writeln!(out, "\t\t\t.saturating_add(Weight::from_parts({}, 0).saturating_mul({c}.into()))", underscore(*slope));
				}
			}
			for (kind, (base, slopes)) in [("reads", &f.reads), ("writes", &f.writes)] {
				if *base > 0 {
					let _ = writeln!(out, "\t\t\t.saturating_add({db}.{kind}({base}_u64))");
				}
				for (c, slope) in f.components.iter().zip(slopes) {
					if *slope > 0 {
						let _ = writeln!(out, "\t\t\t.saturating_add({db}.{kind}(({slope}_u64).saturating_mul({c}.into())))");
					}
				}
			}
			let _ = writeln!(out, "\t}}");
		}
		let _ = writeln!(out, "}}");
	}
	std::fs::write(path, out)
}

fn params(f: &Fitted) -> String {
	f.components.iter().map(|c| format!("{c}: u32")).collect::<Vec<_>>().join(", ")
}

fn underscore(value: u128) -> String {
	let digits = value.to_string();
	let mut out = String::new();
	for (i, c) in digits.chars().enumerate() {
		if i > 0 && (digits.len() - i).is_multiple_of(3) {
			out.push('_');
		}
		out.push(c);
	}
	out
}

/// What `benchmark storage` measured: the cost of one storage read and one write on parity-db.
#[derive(Debug)]
pub struct StorageCost {
	/// Keys in the measured state.
	pub keys: usize,
	/// Mean nanoseconds to read one random key from a fresh trie backend.
	pub read_ns: u64,
	/// Mean nanoseconds per key to update keys in blocks of `batch`: trie root and commit.
	pub write_ns: u64,
	/// Keys per committed batch.
	pub batch: usize,
}

/// Measures storage reads and writes on a parity-db chain database holding the dev genesis and
/// `keys` more random 64-byte values, in `dir`.
pub fn storage(dir: &Path, keys: usize, batch: usize) -> Result<StorageCost, String> {
	use crate::db::{add_state_changes, ChainDb, StateStore};
	use rand::{seq::SliceRandom, Rng, SeedableRng};
	use sp_database::Transaction;
	use sp_state_machine::TrieBackendBuilder;
	use std::time::Instant;

	let db = ChainDb::open(dir).map_err(|e| e.to_string())?;
	let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
	let mut all: Vec<Vec<u8>> = (0..keys).map(|_| rng.gen::<[u8; 32]>().to_vec()).collect();
	let value = |rng: &mut rand::rngs::SmallRng| rng.gen::<[u8; 32]>().repeat(2);
	let mut number = 0u32;
	let mut commit = |root, changes: Vec<(Vec<u8>, Vec<u8>)>| -> Result<sp_core::H256, String> {
		number += 1;
		let state = TrieBackendBuilder::new(StateStore(db.clone()), root).build();
		let (root, nodes) = state
			.storage_root(changes.iter().map(|(k, v)| (&k[..], Some(&v[..]))), StateVersion::V1);
		let mut transaction = Transaction::new();
		add_state_changes(&mut transaction, number, nodes);
		db.write(transaction).map_err(|e| e.to_string())?;
		Ok(root)
	};
	let mut root = sp_trie::empty_trie_root::<sp_trie::LayoutV1<BlakeTwo256>>();
	for chunk in all.chunks(10_000) {
		let changes = chunk.iter().map(|k| (k.clone(), value(&mut rng))).collect();
		root = commit(root, changes)?;
	}

	// Reads: every key once, in random order, each through a fresh backend (no trie cache).
	all.shuffle(&mut rng);
	let sample = &all[..all.len().min(20_000)];
	let started = Instant::now();
	for key in sample {
		let state = TrieBackendBuilder::new(StateStore(db.clone()), root).build();
		let found = state.storage(key)?;
		if found.is_none() {
			return Err(format!("key 0x{} went missing", hex::encode(key)));
		}
	}
	let read_ns = started.elapsed().as_nanos() as u64 / sample.len() as u64;

	// Writes: blocks of `batch` updated keys, each with its trie root and atomic commit.
	let rounds = 20;
	let started = Instant::now();
	for round in 0..rounds {
		// The keys cycle, so that every round updates `batch` keys however large it is.
		let changes = all
			.iter()
			.cycle()
			.skip(round * batch % all.len())
			.take(batch)
			.map(|k| (k.clone(), value(&mut rng)))
			.collect();
		root = commit(root, changes)?;
	}
	let write_ns = started.elapsed().as_nanos() as u64 / (rounds * batch) as u64;
	Ok(StorageCost { keys, read_ns, write_ns, batch })
}

/// Writes the measured costs as the runtime's database weights.
pub fn write_db_weights(cost: &StorageCost, command: &str, path: &Path) -> std::io::Result<()> {
	let text = format!(
		"//! The cost of one storage read and one write on the node's parity-db chain database,\n\
		 //! measured by `carechain benchmark storage` on this hardware ({} keys; writes\n\
		 //! committed {} per block, as blocks commit them).\n\
		 //!\n\
		 //! `{command}`\n\
		 //!\n\
		 //! Generated; do not edit by hand.\n\
		 \n\
		 use frame_support::{{\n\
		 \tparameter_types,\n\
		 \tweights::{{constants::WEIGHT_REF_TIME_PER_NANOS, RuntimeDbWeight}},\n\
		 }};\n\
		 \n\
		 parameter_types! {{\n\
		 \t/// Measured read and write costs of the chain database.\n\
		 \tpub const CarechainDbWeight: RuntimeDbWeight = RuntimeDbWeight {{\n\
		 \t\tread: {} * WEIGHT_REF_TIME_PER_NANOS,\n\
		 \t\twrite: {} * WEIGHT_REF_TIME_PER_NANOS,\n\
		 \t}};\n\
		 }}\n",
		cost.keys,
		cost.batch,
		underscore(cost.read_ns.into()),
		underscore(cost.write_ns.into()),
	);
	std::fs::write(path, text)
}

/// What `benchmark overhead` measured: the cost of a block and of one extrinsic beyond its call.
#[derive(Debug)]
pub struct Overhead {
	/// Median nanoseconds to build (initialize, timestamp, finalize) an empty block.
	pub block_ns: u64,
	/// Median nanoseconds per signed no-op extrinsic (`system.remark`), beyond the empty block.
	pub extrinsic_ns: u64,
	/// Extrinsics per measured block.
	pub extrinsics: usize,
}

/// Measures block and extrinsic overhead by building blocks on the dev genesis in `dir`, with
/// signatures pre-verified in a batch as the node does.
pub fn overhead(dir: &Path, extrinsics: usize, repeat: usize) -> Result<Overhead, String> {
	use crate::{chain_spec::ChainSpec, client::Client, db::ChainDb, signatures::BatchVerifier};
	use std::time::{Duration, Instant};

	let db = ChainDb::open(dir).map_err(|e| e.to_string())?;
	let client = Client::open(db, &ChainSpec::development().genesis).map_err(|e| e.to_string())?;
	let genesis = client.genesis_hash();
	let alice = sp_keyring::Ed25519Keyring::Alice.pair();
	let remark = || {
		carechain_runtime::RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
	};
	let txs: Vec<_> = (0..extrinsics as u32)
		.map(|nonce| crate::extrinsic::sign(&alice, nonce, remark(), genesis))
		.collect();
	let cpu = carechain_gpu::Verifier::new(carechain_gpu::Mode::Cpu).map_err(|e| e.to_string())?;
	let (verdicts, _) = BatchVerifier::new(cpu).verify(&client, 1, &txs);
	let far = || Instant::now() + Duration::from_secs(600);
	let median = |mut samples: Vec<u64>| {
		samples.sort_unstable();
		samples[samples.len() / 2]
	};
	let mut empty = Vec::new();
	let mut full = Vec::new();
	for _ in 0..repeat.max(1) {
		let started = Instant::now();
		client
			.build_block(0, std::iter::empty(), verdicts.clone(), far())
			.map_err(|e| e.to_string())?;
		empty.push(started.elapsed().as_nanos() as u64);
		let candidates = txs.iter().map(|x| (sp_core::H256::zero(), x));
		let started = Instant::now();
		let built = client
			.build_block(0, candidates, verdicts.clone(), far())
			.map_err(|e| e.to_string())?;
		full.push(started.elapsed().as_nanos() as u64);
		if built.block.extrinsics.len() != extrinsics + 1 {
			return Err(format!(
				"only {} of {extrinsics} remarks fit in a block",
				built.block.extrinsics.len() - 1
			));
		}
	}
	let block_ns = median(empty);
	let extrinsic_ns = median(full).saturating_sub(block_ns) / extrinsics.max(1) as u64;
	Ok(Overhead { block_ns, extrinsic_ns, extrinsics })
}

/// Writes the measured overhead as the runtime's block and extrinsic base weights.
pub fn write_overhead_weights(cost: &Overhead, command: &str, path: &Path) -> std::io::Result<()> {
	let text = format!(
		"//! The cost of executing a block and of one extrinsic beyond its call, measured by\n\
		 //! `carechain benchmark overhead` on this hardware (blocks of {} signed `system.remark`\n\
		 //! extrinsics, signatures verified in a batch as the node does).\n\
		 //!\n\
		 //! `{command}`\n\
		 //!\n\
		 //! Generated; do not edit by hand.\n\
		 \n\
		 use frame_support::{{\n\
		 \tparameter_types,\n\
		 \tweights::{{constants::WEIGHT_REF_TIME_PER_NANOS, Weight}},\n\
		 }};\n\
		 \n\
		 parameter_types! {{\n\
		 \t/// Executing an empty block: initialization, the timestamp, finalization.\n\
		 \tpub const BlockExecutionWeight: Weight =\n\
		 \t\tWeight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul({}), 0);\n\
		 \t/// Applying one extrinsic beyond its call: decoding, checks, nonce, events.\n\
		 \tpub const ExtrinsicBaseWeight: Weight =\n\
		 \t\tWeight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul({}), 0);\n\
		 }}\n",
		cost.extrinsics,
		underscore(cost.block_ns.into()),
		underscore(cost.extrinsic_ns.into()),
	);
	std::fs::write(path, text)
}
