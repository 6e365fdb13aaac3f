//! `carechain-garbage`: throws mixed garbage at a node's RPC for a while and measures whether it
//! stays well.
//!
//! Starts `carechain --dev` (the binary beside this one, its log captured) or uses `--url`
//! (then give `--pid` for its RSS; its log is not read). Measures the log's rate for
//! `--quiet-secs` first, then for `--duration-secs` runs `--workers` tasks that each send one of: malformed JSON, bodies past the size limit (declared and chunked), bodies just below
//! it, JSON nested 100,000 deep, broken chunked framing, ids that are objects, bad SCALE
//! extrinsics, extrinsics with bad signatures, `state_call`s with bad arguments (which panic
//! inside the runtime, caught), WebSocket garbage, calls nested 1,024 and 100,000 deep
//! (submitted and passed to `state_call`), and holds `--idle-connections` connections
//! open that send half a request and stall. Meanwhile it asks `system_health` every 250 ms on
//! a connection opened before the attack, samples the node's RSS (`/proc/<pid>/status`) and
//! follows finalized heads. Prints a table and writes JSON; the targets of issue 17 are: blocks
//! keep finalizing, `system_health` answers within 1 s, RSS below 256 MiB and fewer than 100
//! log lines a minute more than at rest.

// Benchmark bookkeeping works on counts and durations it bounds itself.
#![allow(clippy::arithmetic_side_effects)]

use carechain_node::extrinsic::{self, sign};
use carechain_runtime::{Header, RuntimeCall, UncheckedExtrinsic};
use clap::Parser;
use codec::Encode;
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use parking_lot::Mutex;
use rand::{Rng, RngCore, SeedableRng};
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use sp_runtime::transaction_validity::TransactionSource;
use std::{
	collections::BTreeMap,
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, OnceLock,
	},
	time::{Duration, Instant},
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
};

/// Garbage generator for a Carechain node.
#[derive(Parser, Debug)]
struct Args {
	/// Seconds of garbage.
	#[arg(long, default_value_t = 60)]
	duration_secs: u64,
	/// Seconds of rest before, to measure the log's rate at rest.
	#[arg(long, default_value_t = 20)]
	quiet_secs: u64,
	/// Tasks sending garbage, each one request at a time, each of one kind (in turn).
	#[arg(long, default_value_t = 26)]
	workers: usize,
	/// Connections held open that send half a request and stall.
	#[arg(long, default_value_t = 300)]
	idle_connections: usize,
	/// Use a running node (HTTP and WebSocket on one port) instead of starting one.
	#[arg(long)]
	url: Option<String>,
	/// The running node's process id, to read its RSS.
	#[arg(long)]
	pid: Option<u32>,
	/// `--rpc-max-connections` of the started node.
	#[arg(long, default_value_t = 100)]
	rpc_max_connections: u32,
	/// Loopback addresses the attack comes from (127.0.0.1 and up; the node's monitor uses
	/// 127.0.0.1 too). One is a single caller, whom the node's per-address cap holds to a
	/// quarter of its connections; more are a botnet.
	#[arg(long, default_value_t = 16)]
	source_addresses: u32,
	/// Where to write the JSON report.
	#[arg(long, default_value = "garbage.json")]
	json: PathBuf,
}

/// The largest request a node with the default vault takes: 2 × 16 MiB + 1 MiB.
const NODE_MAX_BODY: usize = (2 << 24) + (1 << 20);

struct Started {
	child: Child,
	port: u16,
	log: PathBuf,
	_base: tempfile::TempDir,
}

impl Drop for Started {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

fn start_node(args: &Args) -> eyre::Result<Started> {
	let binary = std::env::current_exe()?.with_file_name("carechain");
	eyre::ensure!(binary.exists(), "{} is missing: build carechain-node", binary.display());
	let base = tempfile::tempdir()?;
	let port = free_port();
	let log = base.path().join("node.log");
	let child = Command::new(&binary)
		.args(["--dev", "--gpu", "cpu", "--no-prometheus", "--base-path"])
		.arg(base.path().join("node"))
		.args(["--rpc-port", &port.to_string()])
		.args(["--rpc-max-connections", &args.rpc_max_connections.to_string()])
		.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", free_port())])
		// The worst case of issue 17: the default hook printed a backtrace per panic.
		.env("RUST_BACKTRACE", "1")
		.stdout(Stdio::from(std::fs::File::create(&log)?))
		.stderr(Stdio::from(std::fs::OpenOptions::new().append(true).open(&log)?))
		.spawn()?;
	Ok(Started { child, port, log, _base: base })
}

async fn connect(url: &str) -> eyre::Result<WsClient> {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		match WsClientBuilder::default().request_timeout(Duration::from_secs(30)).build(url).await {
			Ok(client) => return Ok(client),
			Err(e) if Instant::now() > deadline => eyre::bail!("cannot connect to {url}: {e}"),
			Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
		}
	}
}

fn rss_mib(pid: u32) -> Option<f64> {
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
	let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
	let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
	Some(kib / 1024.0)
}

fn log_lines(log: &Option<PathBuf>) -> usize {
	log.as_ref()
		.and_then(|path| std::fs::read(path).ok())
		.map_or(0, |bytes| bytes.iter().filter(|b| **b == b'\n').count())
}

/// The kinds of garbage, sent in turn.
const KINDS: [&str; 13] = [
	"malformed JSON",
	"body past the limit (declared)",
	"body past the limit (chunked)",
	"body just below the limit",
	"JSON nested 100,000 deep",
	"broken chunked framing",
	"id that is an object",
	"bad SCALE extrinsic",
	"bad signature",
	"state_call with bad arguments",
	"WebSocket garbage",
	"random bytes",
	"call nested 1,024 / 100,000 deep",
];

/// What one kind of garbage got back.
#[derive(Default, Clone, serde::Serialize)]
struct Outcome {
	sent: u64,
	/// HTTP status (or `ws`, `closed`, `timeout`) to count.
	answers: BTreeMap<String, u64>,
}

fn http(headers: &str, body_len: usize) -> Vec<u8> {
	format!(
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n{headers}Content-Length: {body_len}\r\n\r\n"
	)
	.into_bytes()
}

fn call(method: &str, params: &str) -> String {
	format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#)
}

/// How many loopback addresses the attack's connections come from (127.0.0.1 and up).
static SOURCES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A connection to the node from the next of the attack's loopback addresses in turn, so that
/// the attack is many callers, as a botnet is, and not one the per-address cap turns away.
async fn dial(port: u16) -> std::io::Result<TcpStream> {
	static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
	let n = NEXT.fetch_add(1, Ordering::Relaxed) % SOURCES.load(Ordering::Relaxed).max(1);
	let [_, _, high, low] = (n + 1).to_be_bytes();
	let socket = tokio::net::TcpSocket::new_v4()?;
	socket.bind(std::net::SocketAddr::from(([127, 0, high, low], 0)))?;
	socket.connect(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await
}

/// Sends `request` (and `tail`, in pieces) and reads the answer's status.
async fn exchange(port: u16, request: Vec<u8>, tail: Option<(usize, u8)>) -> String {
	let attempt = async {
		let mut stream = dial(port).await.ok()?;
		// The server may answer and close before it read everything: read its answer anyway.
		let written = stream.write_all(&request).await.is_ok();
		if let (true, Some((len, byte))) = (written, tail) {
			let piece = vec![byte; 1 << 20];
			let mut left = len;
			while left > 0 {
				let n = left.min(piece.len());
				if stream.write_all(&piece[..n]).await.is_err() {
					break;
				}
				left -= n;
			}
		}
		let mut answer = vec![0u8; 64];
		let n = stream.read(&mut answer).await.ok()?;
		let text = String::from_utf8_lossy(&answer[..n]).into_owned();
		Some(text.split(' ').nth(1).unwrap_or("closed").to_owned())
	};
	match tokio::time::timeout(Duration::from_secs(30), attempt).await {
		Ok(Some(status)) => status,
		Ok(None) => "refused".to_owned(),
		Err(_) => "timeout".to_owned(),
	}
}

/// One piece of garbage of kind `kind`; what came back.
async fn garbage(kind: usize, port: u16, genesis: H256, nonce: &mut u32) -> String {
	let mut rng = rand::rngs::StdRng::from_entropy();
	match kind {
		0 => {
			let body = r#"{"jsonrpc":"2.0","id":1,"method":"system_health","params":[{"#;
			let mut request = http("", body.len());
			request.extend_from_slice(body.as_bytes());
			exchange(port, request, None).await
		}
		1 => exchange(port, http("", NODE_MAX_BODY * 4), Some((4 << 20, b' '))).await,
		2 => {
			static REQUEST: OnceLock<Vec<u8>> = OnceLock::new();
			let request = REQUEST.get_or_init(|| {
				let text = String::from_utf8_lossy(&http("Transfer-Encoding: chunked\r\n", 0))
					.replace("Content-Length: 0\r\n", "");
				let mut request = text.into_bytes();
				let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
				request.extend_from_slice(b"1\r\n[\r\n");
				for _ in 0..40 {
					request.extend_from_slice(chunk.as_bytes());
				}
				request
			});
			exchange(port, request.clone(), None).await
		}
		3 => {
			// A submission of 12 MB of zeros as an extrinsic: a valid request, bad SCALE.
			static REQUEST: OnceLock<Vec<u8>> = OnceLock::new();
			let request = REQUEST.get_or_init(|| {
				let hex_len = 12 << 20;
				let head =
					r#"{"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["0x"#;
				let tail = r#""]}"#;
				let mut request = http("", head.len() + hex_len + tail.len());
				request.extend_from_slice(head.as_bytes());
				request.extend(std::iter::repeat_n(b'0', hex_len));
				request.extend_from_slice(tail.as_bytes());
				request
			});
			exchange(port, request.clone(), None).await
		}
		4 => {
			static REQUEST: OnceLock<Vec<u8>> = OnceLock::new();
			let request = REQUEST.get_or_init(|| {
				let depth = 100_000;
				let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
				let body = call("system_health", &nested);
				let mut request = http("", body.len());
				request.extend_from_slice(body.as_bytes());
				request
			});
			exchange(port, request.clone(), None).await
		}
		5 => {
			let text = String::from_utf8_lossy(&http("Transfer-Encoding: chunked\r\n", 0))
				.replace("Content-Length: 0\r\n", "");
			let mut request = text.into_bytes();
			request.extend_from_slice(b"zz\r\n{}\r\n0\r\n\r\n");
			exchange(port, request, None).await
		}
		6 => {
			let body = r#"{"jsonrpc":"2.0","id":{"x":[1,2,3]},"method":"system_health"}"#;
			let mut request = http("", body.len());
			request.extend_from_slice(body.as_bytes());
			exchange(port, request, None).await
		}
		7 => {
			let mut bytes = vec![0u8; rng.gen_range(1..4096)];
			rng.fill_bytes(&mut bytes);
			let body = call("author_submitExtrinsic", &format!(r#"["0x{}"]"#, hex::encode(bytes)));
			let mut request = http("", body.len());
			request.extend_from_slice(body.as_bytes());
			exchange(port, request, None).await
		}
		8 => {
			// Empty: the runtime refuses a remark with bytes; the nonce tells them apart.
			let remark = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
			let extrinsic = sign(&Ed25519Keyring::Ferdie.pair(), *nonce, remark, genesis);
			*nonce += 1;
			// The signature follows the signer's key and the signature's variant byte.
			let mut bytes = extrinsic.encode();
			let signer = Ed25519Keyring::Ferdie.public().0;
			if let Some(at) = bytes.windows(32).position(|w| w == signer) {
				bytes[at + 40] ^= 0x55;
			}
			let body = call("author_submitExtrinsic", &format!(r#"["0x{}"]"#, hex::encode(bytes)));
			let mut request = http("", body.len());
			request.extend_from_slice(body.as_bytes());
			exchange(port, request, None).await
		}
		9 => {
			let mut bytes = vec![0u8; rng.gen_range(0..256)];
			rng.fill_bytes(&mut bytes);
			let method = [
				"TaggedTransactionQueue_validate_transaction",
				"BlockBuilder_apply_extrinsic",
				"Core_execute_block",
				"RecordsApi_records_by_patient",
			][rng.gen_range(0..4)];
			let body = call("state_call", &format!(r#"["{method}","0x{}"]"#, hex::encode(bytes)));
			let mut request = http("", body.len());
			request.extend_from_slice(body.as_bytes());
			exchange(port, request, None).await
		}
		10 => ws_garbage(port).await,
		12 => {
			// `Council.execute` around `Council.execute` ..., submitted and passed to the
			// runtime's validation: the node refuses both before anything recurses.
			let depth = if rng.gen_bool(0.5) { 1_024 } else { 100_000 };
			let extrinsic = hex::encode(nested_call(depth));
			let body = if rng.gen_bool(0.5) {
				call("author_submitExtrinsic", &format!(r#"["0x{extrinsic}"]"#))
			} else {
				let source = hex::encode(TransactionSource::External.encode());
				let at = hex::encode(genesis.as_bytes());
				call(
					"state_call",
					&format!(
						r#"["TaggedTransactionQueue_validate_transaction","0x{source}{extrinsic}{at}"]"#
					),
				)
			};
			let mut request = http("", body.len());
			request.extend_from_slice(body.as_bytes());
			exchange(port, request, None).await
		}
		_ => {
			let mut bytes = vec![0u8; rng.gen_range(1..8192)];
			rng.fill_bytes(&mut bytes);
			let mut request = http("", bytes.len());
			request.extend_from_slice(&bytes);
			exchange(port, request, None).await
		}
	}
}

/// A bare extrinsic whose call is a remark inside `depth` levels of `Council.execute`.
fn nested_call(depth: usize) -> Vec<u8> {
	let remark = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	extrinsic::with_call(
		&UncheckedExtrinsic::new_bare(remark.clone()),
		&extrinsic::nested_call(&remark, depth),
	)
}

/// A WebSocket connection that sends malformed JSON, a batch of bad calls and a message past
/// the limit.
async fn ws_garbage(port: u16) -> String {
	let url = format!("ws://127.0.0.1:{port}");
	let attempt = async {
		let client = WsClientBuilder::default()
			.max_request_size(u32::MAX)
			.request_timeout(Duration::from_secs(20))
			.build_with_stream(&url, dial(port).await.ok()?)
			.await
			.ok()?;
		let mut batch = jsonrpsee::core::params::BatchRequestBuilder::new();
		for _ in 0..200 {
			batch.insert("author_submitExtrinsic", rpc_params!["0xdeadbeef"]).ok()?;
		}
		let _ = client.batch_request::<H256>(batch).await;
		let huge = "0".repeat(NODE_MAX_BODY + 1024);
		let answer = client.request::<H256, _>("author_submitExtrinsic", rpc_params![huge]).await;
		Some(match answer {
			Err(jsonrpsee::core::client::Error::Call(e)) => format!("ws {}", e.code()),
			Err(_) => "ws closed".to_owned(),
			Ok(_) => "ws accepted".to_owned(),
		})
	};
	match tokio::time::timeout(Duration::from_secs(30), attempt).await {
		Ok(Some(status)) => status,
		Ok(None) => "ws refused".to_owned(),
		Err(_) => "ws timeout".to_owned(),
	}
}

/// Holds a connection that sent half a request, until `stop`.
async fn idle(port: u16, stop: Arc<AtomicBool>) {
	while !stop.load(Ordering::Relaxed) {
		let Ok(mut stream) = dial(port).await else {
			tokio::time::sleep(Duration::from_millis(500)).await;
			continue;
		};
		let _ = stream.write_all(&http("", 1 << 20)).await;
		let _ = stream.write_all(b"{\"jsonrpc\":").await;
		let mut buffer = [0u8; 256];
		// Wait for the server to give up on us (or the end), then come back.
		while !stop.load(Ordering::Relaxed) {
			match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
				Ok(Ok(0)) | Ok(Err(_)) => break,
				_ => {}
			}
		}
	}
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
	let args = Args::parse();
	SOURCES.store(args.source_addresses, Ordering::Relaxed);
	let started = match &args.url {
		Some(_) => None,
		None => Some(start_node(&args)?),
	};
	let (url, port, pid, log) = match (&args.url, &started) {
		(Some(url), _) => {
			let port = url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(9944);
			(url.clone(), port, args.pid, None)
		}
		(None, Some(node)) => (
			format!("ws://127.0.0.1:{}", node.port),
			node.port,
			Some(node.child.id()),
			Some(node.log.clone()),
		),
		(None, None) => unreachable!("a node is started when no --url is given"),
	};
	let monitor = connect(&url).await?;
	let genesis: H256 = monitor.request("chain_getBlockHash", rpc_params![0]).await?;
	let finalized = Arc::new(Mutex::new(Vec::<(Instant, u32)>::new()));
	let mut heads = monitor
		.subscribe::<Header, _>(
			"chain_subscribeFinalizedHeads",
			rpc_params![],
			"chain_unsubscribeFinalizedHeads",
		)
		.await?;
	let follow = {
		let finalized = finalized.clone();
		tokio::spawn(async move {
			while let Some(Ok(header)) = heads.next().await {
				finalized.lock().push((Instant::now(), header.number));
			}
		})
	};

	eprintln!("resting {} s to measure the log's rate at rest", args.quiet_secs);
	let rest_lines = log_lines(&log);
	tokio::time::sleep(Duration::from_secs(args.quiet_secs)).await;
	let rest_per_minute =
		(log_lines(&log) - rest_lines) as f64 * 60.0 / args.quiet_secs.max(1) as f64;
	let rss_before = pid.and_then(rss_mib);

	eprintln!("garbage for {} s", args.duration_secs);
	let stop = Arc::new(AtomicBool::new(false));
	let outcomes = Arc::new(Mutex::new(vec![Outcome::default(); KINDS.len()]));
	let attack_lines = log_lines(&log);
	let start = Instant::now();
	let finalized_before = finalized.lock().last().map_or(0, |(_, n)| *n);
	// The attack runs on threads of its own, so that its load does not delay the measuring
	// client's answers and notifications on this side.
	let attack = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.thread_name("garbage")
		.enable_all()
		.build()?;
	let mut tasks = Vec::new();
	for worker in 0..args.workers {
		let (stop, outcomes) = (stop.clone(), outcomes.clone());
		tasks.push(attack.spawn(async move {
			// Ferdie's nonces, apart per worker, for the bad-signature kind.
			let mut nonce = (worker as u32) << 20;
			// Each worker keeps to one kind, so that slow kinds (huge bodies) do not hold up
			// the fast ones.
			let kind = worker % KINDS.len();
			while !stop.load(Ordering::Relaxed) {
				let answer = garbage(kind, port, genesis, &mut nonce).await;
				let mut outcomes = outcomes.lock();
				outcomes[kind].sent += 1;
				*outcomes[kind].answers.entry(answer).or_default() += 1;
			}
		}));
	}
	for _ in 0..args.idle_connections {
		tasks.push(attack.spawn(idle(port, stop.clone())));
	}

	let mut health_ms = Vec::new();
	let mut health_failures = 0u64;
	let mut rss_max = rss_before.unwrap_or(0.0);
	while start.elapsed() < Duration::from_secs(args.duration_secs) {
		let asked = Instant::now();
		let answer = tokio::time::timeout(
			Duration::from_secs(5),
			monitor.request::<serde_json::Value, _>("system_health", rpc_params![]),
		)
		.await;
		match answer {
			Ok(Ok(_)) => health_ms.push(asked.elapsed().as_secs_f64() * 1000.0),
			_ => health_failures += 1,
		}
		if let Some(rss) = pid.and_then(rss_mib) {
			rss_max = rss_max.max(rss);
		}
		tokio::time::sleep(Duration::from_millis(250).saturating_sub(asked.elapsed())).await;
	}
	stop.store(true, Ordering::Relaxed);
	let seconds = start.elapsed().as_secs_f64();
	let lines = log_lines(&log) - attack_lines;
	// Requests still out get 40 s in all to come back, then are dropped.
	let _ = tokio::time::timeout(Duration::from_secs(40), futures::future::join_all(tasks)).await;
	attack.shutdown_background();
	let rss_after = pid.and_then(rss_mib);
	let (blocks, longest_gap) = {
		let finalized = finalized.lock();
		let during: Vec<_> = finalized
			.iter()
			.filter(|(at, _)| at.duration_since(start) <= Duration::from_secs_f64(seconds))
			.filter(|(at, _)| *at >= start)
			.collect();
		let mut previous = start;
		let mut gap = Duration::ZERO;
		for (at, _) in &during {
			gap = gap.max(at.duration_since(previous));
			previous = *at;
		}
		let end = start + Duration::from_secs_f64(seconds);
		gap = gap.max(end.saturating_duration_since(previous));
		let last = during.last().map_or(finalized_before, |(_, n)| *n);
		(last.saturating_sub(finalized_before), gap)
	};
	follow.abort();
	health_ms.sort_by(f64::total_cmp);
	let health_max = health_ms.last().copied().unwrap_or(f64::NAN);
	let health_p50 = health_ms.get(health_ms.len() / 2).copied().unwrap_or(f64::NAN);
	let per_minute = lines as f64 * 60.0 / seconds;
	let outcomes = outcomes.lock().clone();
	let sent: u64 = outcomes.iter().map(|o| o.sent).sum();

	println!("| measure ({seconds:.0} s of garbage, {} workers, {} stalled connections, from {} addresses) | value | target |", args.workers, args.idle_connections, args.source_addresses);
	println!("| --- | --- | --- |");
	println!("| garbage requests sent | {sent} | |");
	println!(
		"| blocks finalized during it / longest wait for one | {blocks} / {:.1} s | keeps finalizing |",
		longest_gap.as_secs_f64()
	);
	println!(
		"| system_health p50 / max / failed | {health_p50:.0} / {health_max:.0} ms / {health_failures} | max < 1000 ms |"
	);
	let mib = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{r:.0} MiB"));
	println!(
		"| node RSS before / max / after | {} / {} / {} | < 256 MiB |",
		mib(rss_before),
		mib(pid.map(|_| rss_max)),
		mib(rss_after)
	);
	println!(
		"| log lines a minute at rest / under garbage | {rest_per_minute:.0} / {per_minute:.0} | < 100 more |"
	);
	for (kind, outcome) in KINDS.iter().zip(&outcomes) {
		let answers: Vec<String> =
			outcome.answers.iter().map(|(a, n)| format!("{a}: {n}")).collect();
		println!("| {kind} | {} sent; {} | |", outcome.sent, answers.join(", "));
	}
	let report = serde_json::json!({
		"seconds": seconds,
		"workers": args.workers,
		"idle_connections": args.idle_connections,
		"source_addresses": args.source_addresses,
		"sent": sent,
		"blocks_finalized": blocks,
		"longest_finality_gap_s": longest_gap.as_secs_f64(),
		"health_ms_p50": health_p50,
		"health_ms_max": health_max,
		"health_failures": health_failures,
		"rss_mib_before": rss_before,
		"rss_mib_max": pid.map(|_| rss_max),
		"rss_mib_after": rss_after,
		"log_lines_per_minute_at_rest": rest_per_minute,
		"log_lines_per_minute": per_minute,
		"kinds": KINDS.iter().zip(&outcomes).map(|(k, o)| (k.to_string(), o.clone())).collect::<BTreeMap<_, _>>(),
	});
	std::fs::write(&args.json, serde_json::to_string_pretty(&report)?)?;
	eprintln!("wrote {}", args.json.display());
	if let (Some(node), true) = (&started, std::env::var_os("GARBAGE_KEEP_LOG").is_some()) {
		let _ = std::fs::copy(&node.log, args.json.with_extension("log"));
	}
	Ok(())
}
