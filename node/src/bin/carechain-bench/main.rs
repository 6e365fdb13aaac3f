//! `carechain-bench`: a load generator for the node.
//!
//! Starts `carechain --dev` (the binary beside this one), or a network of `--validators N`
//! validators on one machine (a chain spec of the development consortium with N validator
//! keys, every node peered with every other), or uses `--url`; pre-signs extrinsics from
//! `--signers` development accounts (round-robin, each with its own nonces), submits them over
//! `--connections` WebSocket connections with `--in-flight` requests each (spread over the
//! validators, so that gossip carries them to each proposer), and reports sustained
//! transactions per second (first submission to last finalization), p50 and p99 finality
//! latency (submission to finalized) in milliseconds and in blocks, the share of signatures
//! verified on the GPU, and the peak RSS of the first node. Prints a table and writes JSON.
//!
//! `--call` picks the workload: `record` and `remark` (see [`Args::call`]), and the trials
//! workloads `enrol` and `capture` (`trials.rs`), whose study, site and subjects are set up and
//! finalized before the clock starts.
//!
//! It checks as well as measures: every transaction the node accepted must be finalized within
//! `--timeout-s`. It exits with status 1 when any accepted transaction was never included (the
//! pool stranded it), after printing how many.

// Benchmark bookkeeping works on counts and durations it bounds itself.
#![allow(clippy::arithmetic_side_effects)]

mod telehealth;
mod trials;

use carechain_node::extrinsic::{sign, to_hex};
use carechain_primitives::FhirResourceType;
use carechain_runtime::{Header, RuntimeCall, UncheckedExtrinsic};
use clap::Parser;
use codec::Encode;
use futures::StreamExt;
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use parking_lot::Mutex;
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::{
	collections::HashMap,
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

/// Load generator for a Carechain node.
#[derive(Parser, Debug)]
struct Args {
	/// Signed extrinsics to submit.
	#[arg(long, default_value_t = 20_000)]
	transactions: u32,
	/// WebSocket connections to submit over.
	#[arg(long, default_value_t = 8)]
	connections: usize,
	/// Requests in flight per connection.
	#[arg(long, default_value_t = 64)]
	in_flight: usize,
	/// Use a running node instead of starting one (its RSS and metrics are then not read).
	#[arg(long)]
	url: Option<String>,
	/// `--gpu` of the started node.
	#[arg(long, default_value = "auto")]
	gpu: String,
	/// `--block-time-ms` of the started node.
	#[arg(long, default_value_t = 1000)]
	block_time_ms: u64,
	/// Where to write the JSON report.
	#[arg(long, default_value = "bench-node.json")]
	json: PathBuf,
	/// The call to submit: `record` (records.create_record by a practitioner, the hot path of
	/// a hospital), `remark` (system.remark, the bare cost of a signed extrinsic), `enrol`
	/// (trials.enrol, each from its own subject account: as many signers as transactions) or
	/// `capture` (trials.capture_data by the site's practitioner) or `attest`
	/// (telehealth.attest_encounter by the practitioner, each with its patient's
	/// countersignature, verified in the node's batch). The trials and telehealth workloads
	/// set up their study, site and subjects, or licence, patients and booked appointments,
	/// first, finalized before the clock starts.
	#[arg(long, default_value = "record")]
	call: String,
	/// Give up waiting for inclusion after this many seconds.
	#[arg(long, default_value_t = 300)]
	timeout_s: u64,
	/// Validators to start (1 runs `--dev`).
	#[arg(long, default_value_t = 1)]
	validators: usize,
	/// Development accounts that sign, round-robin, each with its own nonces: for `remark` up
	/// to 8 (the four organizations' members' ed25519, then sr25519 accounts), for `record` and
	/// `capture` up to 2 (the practitioner Bob's two accounts); `enrol` ignores it.
	#[arg(long, default_value_t = 1)]
	signers: usize,
}

/// A development account that signs.
enum Signer {
	Ed25519(Box<sp_core::ed25519::Pair>),
	Sr25519(Box<sp_core::sr25519::Pair>),
}

impl Signer {
	/// The first `n` signers that may make `call`, or why there are not that many: the
	/// members' ed25519 accounts first (their signatures are verified in batches), then their
	/// sr25519 accounts; Bob first, the hospital's practitioner, the only one who may write
	/// records.
	fn development(call: &str, n: usize) -> eyre::Result<Vec<Self>> {
		use sp_keyring::Sr25519Keyring as Sr;
		use Ed25519Keyring as Ed;
		let all = match call {
			"record" | "capture" | "attest" => vec![
				Signer::Ed25519(Box::new(Ed::Bob.pair())),
				Signer::Sr25519(Box::new(Sr::Bob.pair())),
			],
			_ => [Ed::Bob, Ed::Alice, Ed::Charlie, Ed::Dave]
				.map(|k| Signer::Ed25519(Box::new(k.pair())))
				.into_iter()
				.chain(
					[Sr::Bob, Sr::Alice, Sr::Charlie, Sr::Dave]
						.map(|k| Signer::Sr25519(Box::new(k.pair()))),
				)
				.collect(),
		};
		eyre::ensure!(
			(1..=all.len()).contains(&n),
			"--signers {n}: --call {call} has 1 to {} development signers",
			all.len()
		);
		Ok(all.into_iter().take(n).collect())
	}

	fn account(&self) -> carechain_runtime::AccountId {
		match self {
			Signer::Ed25519(pair) => sp_core::Pair::public(&**pair).into(),
			Signer::Sr25519(pair) => sp_core::Pair::public(&**pair).into(),
		}
	}

	fn sign(&self, nonce: u32, call: RuntimeCall, genesis: H256) -> UncheckedExtrinsic {
		match self {
			Signer::Ed25519(pair) => sign(&**pair, nonce, call, genesis),
			Signer::Sr25519(pair) => sign(&**pair, nonce, call, genesis),
		}
	}
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

struct Started {
	children: Vec<Child>,
	urls: Vec<String>,
	metrics: String,
	_base: tempfile::TempDir,
}

impl Drop for Started {
	fn drop(&mut self) {
		for child in &mut self.children {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// The development consortium with `n` validators, the keys of `//Validator1` to `//ValidatorN`.
fn spec_with_validators(
	n: usize,
) -> eyre::Result<(carechain_node::chain_spec::ChainSpec, Vec<[u8; 32]>)> {
	use carechain_node::{chain_spec::ChainSpec, keys};
	use sp_core::crypto::Pair as _;
	let pairs = (1..=n)
		.map(|i| keys::pair(&format!("//Validator{i}")))
		.collect::<Result<Vec<_>, _>>()
		.map_err(eyre::Report::msg)?;
	let config =
		carechain_runtime::genesis::development_with_validators(pairs.iter().map(|p| p.public().0));
	let name = format!("Bench, {n} validators");
	let spec = ChainSpec::built_in(&name, &format!("bench_{n}"), "Local", config);
	Ok((spec, pairs.iter().map(|p| p.seed()).collect()))
}

fn start_network(args: &Args) -> eyre::Result<Started> {
	let binary = std::env::current_exe()?.with_file_name("carechain");
	eyre::ensure!(binary.exists(), "{} is missing: build carechain-node", binary.display());
	let base = tempfile::tempdir()?;
	let n = args.validators.max(1);
	let (spec_path, seeds) = if n == 1 {
		(None, Vec::new())
	} else {
		let (spec, seeds) = spec_with_validators(n)?;
		let path = base.path().join("spec.json");
		std::fs::write(&path, serde_json::to_string(&spec.to_json())?)?;
		(Some(path), seeds)
	};
	let p2p: Vec<u16> = (0..n).map(|_| free_port()).collect();
	let prometheus = free_port();
	let mut children = Vec::new();
	let mut urls = Vec::new();
	for i in 0..n {
		let rpc = free_port();
		let mut command = Command::new(&binary);
		command
			.args(["--gpu", &args.gpu, "--base-path"])
			.arg(base.path().join(format!("node{i}")))
			.args(["--rpc-port", &rpc.to_string(), "--rpc-max-connections", "1000"])
			.args(["--block-time-ms", &args.block_time_ms.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", p2p[i])]);
		if i == 0 {
			command.args(["--prometheus-port", &prometheus.to_string()]);
		} else {
			command.arg("--no-prometheus");
		}
		match &spec_path {
			None => {
				command.arg("--dev");
			}
			Some(path) => {
				command.arg("--chain").arg(path);
				command.args(["--validator-key", &format!("0x{}", hex::encode(seeds[i]))]);
				for (j, port) in p2p.iter().enumerate().filter(|(j, _)| *j != i) {
					let id = carechain_node::consensus::peer_id(&seeds[j])?;
					command.args(["--peer", &format!("/ip4/127.0.0.1/tcp/{port}/p2p/{id}")]);
				}
			}
		}
		let log = std::fs::File::create(base.path().join(format!("node{i}.log")))?;
		children.push(command.stdout(Stdio::null()).stderr(Stdio::from(log)).spawn()?);
		urls.push(format!("ws://127.0.0.1:{rpc}"));
	}
	Ok(Started { children, urls, metrics: format!("127.0.0.1:{prometheus}"), _base: base })
}

async fn connect(url: &str) -> eyre::Result<WsClient> {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		match WsClientBuilder::default()
			.max_concurrent_requests(4096)
			.request_timeout(Duration::from_secs(120))
			.build(url)
			.await
		{
			Ok(client) => return Ok(client),
			Err(e) if Instant::now() > deadline => eyre::bail!("cannot connect to {url}: {e}"),
			Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
		}
	}
}

fn create_record(n: u32) -> RuntimeCall {
	let patient = if n.is_multiple_of(2) { Ed25519Keyring::Eve } else { Ed25519Keyring::Ferdie };
	RuntimeCall::Records(pallet_records::Call::create_record {
		patient: patient.to_account_id(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: BlakeTwo256::hash(&n.to_le_bytes()),
			size: 4096,
			locator: BlakeTwo256::hash(&n.to_le_bytes()),
			patient_key: [7u8; 80],
		},
	})
}

fn metric(text: &str, name: &str) -> f64 {
	text.lines()
		.filter(|l| l.starts_with(name))
		.filter_map(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
		.sum()
}

async fn scrape(address: &str) -> String {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else {
		return String::new();
	};
	let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
	let mut body = String::new();
	let _ = stream.read_to_string(&mut body).await;
	body
}

/// CPU time a process has used so far, user and system, in seconds (`/proc/<pid>/stat`'s
/// `utime` and `stime`, counted in USER_HZ, which is 100 on Linux's x86 and arm64).
fn cpu_seconds(pid: &str) -> Option<f64> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// The command name, in parentheses, may hold spaces: fields are counted after it.
	let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
	let ticks = |n: usize| fields.get(n)?.parse::<f64>().ok();
	Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
	let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
	Some(kib / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
	if sorted.is_empty() {
		return f64::NAN;
	}
	let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
	sorted[index]
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
	let args = Args::parse();
	eyre::ensure!(
		matches!(args.call.as_str(), "record" | "remark" | "enrol" | "capture" | "attest"),
		"--call {:?}: use record, remark, enrol, capture or attest",
		args.call
	);
	let started = match &args.url {
		Some(_) => None,
		None => Some(start_network(&args)?),
	};
	let urls = match (&args.url, &started) {
		(Some(url), _) => vec![url.clone()],
		(None, Some(started)) => started.urls.clone(),
		(None, None) => unreachable!("a network is started when no --url is given"),
	};
	let url = urls[0].clone();
	let watcher = connect(&url).await?;
	// Every validator answers before the clock starts.
	for url in &urls[1..] {
		connect(url).await?;
	}
	let genesis: H256 = watcher.request("chain_getBlockHash", rpc_params![0]).await?;

	// The trials workloads' study, site and subjects, finalized before the clock starts.
	let preparing = Instant::now();
	let prepared = match args.call.as_str() {
		"enrol" => Some(trials::prepare(&watcher, genesis, args.transactions, false).await?),
		"capture" => {
			let subjects = trials::capture_subjects(args.transactions);
			Some(trials::prepare(&watcher, genesis, subjects, true).await?)
		}
		_ => None,
	};
	let visits = match args.call.as_str() {
		"attest" => Some(telehealth::prepare(&watcher, genesis, args.transactions).await?),
		_ => None,
	};
	if visits.is_some() {
		eprintln!(
			"set up {} booked appointment(s) in {:.1} s",
			args.transactions,
			preparing.elapsed().as_secs_f64()
		);
	}
	if let Some(prepared) = &prepared {
		eprintln!(
			"set up study {} with {} subject(s) in {:.1} s",
			prepared.study,
			prepared.subjects.len(),
			preparing.elapsed().as_secs_f64()
		);
	}

	// Pre-sign: signing is the wallets' work, not the node's. Transaction n is signer
	// n mod N's n / N-th transaction from its next nonce; each enrolment is its subject's
	// first.
	let signers = Signer::development(&args.call, args.signers)?;
	let mut first_nonces = Vec::with_capacity(signers.len());
	for signer in &signers {
		let account = signer.account().to_string();
		first_nonces.push(
			watcher.request::<u32, _>("system_accountNextIndex", rpc_params![account]).await?,
		);
	}
	let signing = Instant::now();
	let extrinsics: Vec<UncheckedExtrinsic> = match &prepared {
		_ if visits.is_some() => match &visits {
			Some(visits) => telehealth::attestations(visits, first_nonces[0], genesis),
			None => Vec::new(),
		},
		Some(prepared) if args.call == "enrol" => {
			trials::enrolments(prepared.study, &prepared.subjects, genesis)
		}
		_ => (0..args.transactions)
			.map(|n| {
				let call = match (args.call.as_str(), &prepared) {
					("remark", _) => {
						RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
					}
					("capture", Some(prepared)) => trials::capture(prepared, n),
					_ => create_record(n),
				};
				let count = signers.len() as u32;
				let signer = (n % count) as usize;
				signers[signer].sign(first_nonces[signer] + n / count, call, genesis)
			})
			.collect(),
	};
	let signer_count = match args.call.as_str() {
		"enrol" => extrinsics.len(),
		_ => signers.len(),
	};
	let transactions: Vec<(H256, String)> =
		extrinsics.iter().map(|x| (BlakeTwo256::hash(&x.encode()), to_hex(x))).collect();
	eprintln!(
		"signed {} extrinsics from {signer_count} signer(s) in {:.1} s",
		transactions.len(),
		signing.elapsed().as_secs_f64()
	);

	// Follow finalized blocks: when each transaction's block was finalized, and at what height.
	let head = Arc::new(AtomicU32::new(0));
	let included: Arc<Mutex<HashMap<H256, (Instant, u32)>>> = Arc::default();
	let mut heads = watcher
		.subscribe::<Header, _>(
			"chain_subscribeFinalizedHeads",
			rpc_params![],
			"chain_unsubscribeFinalizedHeads",
		)
		.await?;
	let follower = {
		let (head, included) = (head.clone(), included.clone());
		let client = connect(&url).await?;
		tokio::spawn(async move {
			while let Some(Ok(header)) = heads.next().await {
				let at = Instant::now();
				head.store(header.number, Ordering::SeqCst);
				let block: Option<serde_json::Value> = client
					.request("chain_getBlock", rpc_params![header.hash()])
					.await
					.ok()
					.flatten();
				let Some(block) = block else { continue };
				let extrinsics =
					block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
				let mut included = included.lock();
				for x in extrinsics {
					let Some(bytes) = x.as_str().and_then(|h| hex::decode(&h[2..]).ok()) else {
						continue;
					};
					included.insert(BlakeTwo256::hash(&bytes), (at, header.number));
				}
			}
		})
	};

	// Submit over several connections, each with requests in flight. The connections are
	// opened first, as a wallet's is before it submits, so that opening them is not timed.
	let connections = args.connections.max(1);
	let clients =
		futures::future::try_join_all((0..connections).map(|k| connect(&urls[k % urls.len()])))
			.await?;
	let submitted: Arc<Mutex<HashMap<H256, (Instant, u32)>>> = Arc::default();
	let started_at = Instant::now();
	let node_pid = started.as_ref().map(|node| node.children[0].id().to_string());
	let cpu_at_start = (node_pid.as_deref().and_then(cpu_seconds), cpu_seconds("self"));
	let mut tasks = Vec::new();
	for (k, client) in clients.into_iter().enumerate() {
		// Interleaved, so that every connection sends nonces close to the chain's.
		let chunk: Vec<(H256, String)> =
			transactions.iter().skip(k).step_by(connections).cloned().collect();
		let (head, submitted) = (head.clone(), submitted.clone());
		let in_flight = args.in_flight;
		tasks.push(tokio::spawn(async move {
			let results = futures::stream::iter(chunk)
				.map(|(hash, hex)| {
					let (client, head, submitted) = (&client, &head, &submitted);
					async move {
						submitted
							.lock()
							.insert(hash, (Instant::now(), head.load(Ordering::SeqCst)));
						let answer = client
							.request::<H256, _>("author_submitExtrinsic", rpc_params![hex])
							.await;
						(hash, answer)
					}
				})
				.buffer_unordered(in_flight)
				.collect::<Vec<_>>()
				.await;
			let mut accepted = Vec::with_capacity(results.len());
			let mut refused = 0usize;
			for (hash, result) in results {
				match result {
					Ok(_) => accepted.push(hash),
					Err(error) => {
						refused += 1;
						if refused <= 3 {
							eprintln!("refused: {error}");
						}
					}
				}
			}
			(accepted, refused)
		}));
	}
	let mut refused = 0;
	let mut accepted = Vec::with_capacity(transactions.len());
	for task in tasks {
		let (hashes, count) = task.await?;
		accepted.extend(hashes);
		refused += count;
	}
	let submit_seconds = started_at.elapsed().as_secs_f64();
	let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
	loop {
		let done = {
			let included = included.lock();
			accepted.iter().filter(|h| included.contains_key(*h)).count()
		};
		if done >= accepted.len() || Instant::now() > deadline {
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	follower.abort();
	// CPU used from the first submission to the last finalization (or the timeout), as a
	// share of one core: the node's, and this load generator's on the same machine.
	let window = started_at.elapsed().as_secs_f64();
	let cpu_share = |before: Option<f64>, after: Option<f64>| Some((after? - before?) / window);
	let node_cpu = cpu_share(cpu_at_start.0, node_pid.as_deref().and_then(cpu_seconds));
	let bench_cpu = cpu_share(cpu_at_start.1, cpu_seconds("self"));

	let included = included.lock().clone();
	// Accepted, never refused, and not in a block: the pool stranded it.
	let stranded = accepted.iter().filter(|h| !included.contains_key(*h)).count();

	let submitted = submitted.lock().clone();
	let mut latency_ms = Vec::new();
	let mut latency_blocks = Vec::new();
	let mut last = started_at;
	for (hash, _) in &transactions {
		let (Some((sent, head_then)), Some((final_at, number))) =
			(submitted.get(hash), included.get(hash))
		else {
			continue;
		};
		latency_ms.push(final_at.duration_since(*sent).as_secs_f64() * 1000.0);
		latency_blocks.push(f64::from(number.saturating_sub(*head_then)));
		last = last.max(*final_at);
	}
	latency_ms.sort_by(f64::total_cmp);
	latency_blocks.sort_by(f64::total_cmp);
	let finalized = latency_ms.len();
	let seconds = last.duration_since(started_at).as_secs_f64();
	let tps = finalized as f64 / seconds.max(f64::EPSILON);
	let (gpu_share, rss) = match &started {
		Some(node) => {
			let text = scrape(&node.metrics).await;
			let gpu = metric(&text, "carechain_gpu_signatures_total");
			let cpu = metric(&text, "carechain_cpu_signatures_total");
			(
				if gpu + cpu > 0.0 { gpu / (gpu + cpu) } else { 0.0 },
				peak_rss_mib(node.children[0].id()),
			)
		}
		None => (f64::NAN, None),
	};

	println!(
		"| measure ({} calls from {} signer(s), {} × {} in flight, --gpu {}, {} validator(s)) \
		 | value |",
		args.call, signer_count, args.connections, args.in_flight, args.gpu, args.validators
	);
	println!("| --- | --- |");
	println!(
		"| extrinsics submitted / refused / finalized | {} / {refused} / {finalized} |",
		transactions.len()
	);
	println!(
		"| accepted / included / never included (within {} s) | {} / {} / {stranded} |",
		args.timeout_s,
		accepted.len(),
		accepted.len() - stranded
	);
	println!("| submission time | {submit_seconds:.2} s |");
	println!("| sustained (submitted to finalized) | {tps:.0} tx/s over {seconds:.2} s |");
	println!(
		"| finality latency (submitted to finalized) p50 / p99 | {:.0} / {:.0} ms |",
		percentile(&latency_ms, 0.5),
		percentile(&latency_ms, 0.99)
	);
	println!(
		"| finality latency p50 / p99 | {} / {} blocks |",
		percentile(&latency_blocks, 0.5),
		percentile(&latency_blocks, 0.99)
	);
	let succeeded = match (&prepared, &visits) {
		(_, Some(visits)) => Some(telehealth::succeeded(&watcher, visits).await?),
		(Some(prepared), _) => Some(trials::succeeded(&watcher, prepared, &args.call).await?),
		(None, None) => None,
	};
	if let Some(count) = succeeded {
		println!("| calls that succeeded (the chain's own count) | {count} |");
	}
	println!("| signatures verified on the GPU | {:.0} % |", gpu_share * 100.0);
	println!("| first node's peak RSS | {} |", rss.map_or("n/a".into(), |r| format!("{r:.0} MiB")));
	let percent =
		|share: Option<f64>| share.map_or("n/a".into(), |s| format!("{:.0} %", s * 100.0));
	println!(
		"| CPU, first node / this load generator (100 % = one core, {} cores) | {} / {} |",
		std::thread::available_parallelism().map_or(0, |n| n.get()),
		percent(node_cpu),
		percent(bench_cpu)
	);
	let report = serde_json::json!({
		"transactions": transactions.len(),
		"refused": refused,
		"finalized": finalized,
		"accepted": accepted.len(),
		"stranded": stranded,
		"signers": signer_count,
		"connections": args.connections,
		"in_flight": args.in_flight,
		"call": args.call,
		"gpu_mode": args.gpu,
		"block_time_ms": args.block_time_ms,
		"validators": args.validators,
		"submit_seconds": submit_seconds,
		"sustained_tps": tps,
		"seconds": seconds,
		"latency_ms_p50": percentile(&latency_ms, 0.5),
		"latency_ms_p99": percentile(&latency_ms, 0.99),
		"latency_blocks_p50": percentile(&latency_blocks, 0.5),
		"latency_blocks_p99": percentile(&latency_blocks, 0.99),
		"gpu_share": gpu_share,
		"peak_rss_mib": rss,
		"node_cpu_share": node_cpu,
		"bench_cpu_share": bench_cpu,
		"succeeded": succeeded,
	});
	std::fs::write(&args.json, serde_json::to_string_pretty(&report)?)?;
	eprintln!("wrote {}", args.json.display());
	if let Some(count) = succeeded {
		if count < finalized as u64 {
			eprintln!("only {count} of {finalized} finalized calls succeeded");
			drop(started);
			std::process::exit(1);
		}
	}
	if stranded > 0 {
		eprintln!(
			"{stranded} of {} accepted transactions were neither included within {} s nor \
			 refused: the node stranded them",
			accepted.len(),
			args.timeout_s
		);
		// Exiting skips destructors: stop the nodes first.
		drop(started);
		std::process::exit(1);
	}
	Ok(())
}
