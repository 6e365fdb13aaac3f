//! Helpers for end-to-end tests: start the real `carechain` binary on free ports, talk to it
//! over JSON-RPC, and sign extrinsics as a wallet does.

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use jsonrpsee::{
	core::client::ClientT,
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The `carechain` binary that `cargo test --workspace` built beside the test executables.
pub fn node_binary() -> PathBuf {
	let exe = std::env::current_exe().expect("the test knows its own path");
	let dir = exe.parent().and_then(Path::parent).expect("tests run from target/<profile>/deps");
	let binary = dir.join("carechain");
	assert!(
		binary.exists(),
		"{} is missing: build it with `cargo build -p carechain-node` (cargo test --workspace does)",
		binary.display()
	);
	binary
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A running `carechain --dev` process; killed when dropped.
pub struct DevNode {
	child: Child,
	/// Its RPC port.
	pub rpc_port: u16,
	/// Its Prometheus port.
	pub prometheus_port: u16,
	/// Its base path.
	pub base_path: PathBuf,
	log: PathBuf,
}

impl DevNode {
	/// Starts a dev node with its database under `base_path`.
	pub fn start(base_path: &Path) -> Self {
		Self::start_with(base_path, &[], &[])
	}

	/// Starts a dev node with more arguments and environment variables.
	pub fn start_with(base_path: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
		let listen = format!("/ip4/127.0.0.1/tcp/{}", free_port());
		let mut all = vec!["--dev", "--listen-addr", &listen];
		all.extend_from_slice(args);
		Self::spawn(base_path, free_port(), &all, env)
	}

	/// Starts `carechain` with these arguments, RPC on `rpc_port`, the CPU verifier and a log
	/// file in the base path (appended to, so that a restarted node keeps its history).
	pub fn spawn(base_path: &Path, rpc_port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
		let prometheus_port = free_port();
		let log = base_path.join(format!("node-{rpc_port}.log"));
		std::fs::create_dir_all(base_path).expect("the base path can be created");
		let out = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&log)
			.expect("the log file can be opened");
		let child = Command::new(node_binary())
			.args(["--gpu", "cpu", "--base-path"])
			.arg(base_path)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--prometheus-port", &prometheus_port.to_string()])
			.args(args)
			.envs(env.iter().copied())
			.stdout(Stdio::from(out.try_clone().expect("the log file handle clones")))
			.stderr(Stdio::from(out))
			.spawn()
			.expect("carechain starts");
		Self { child, rpc_port, prometheus_port, base_path: base_path.to_owned(), log }
	}

	/// What the node logged so far.
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// A WebSocket client, once the node answers.
	pub async fn connect(&self) -> WsClient {
		let url = format!("ws://127.0.0.1:{}", self.rpc_port);
		let deadline = Instant::now() + Duration::from_secs(60);
		loop {
			if let Ok(client) = WsClientBuilder::default().build(&url).await {
				if client.request::<String, _>("system_chain", rpc_params![]).await.is_ok() {
					return client;
				}
			}
			assert!(
				Instant::now() < deadline,
				"the node never answered RPC; its log:\n{}",
				self.log()
			);
			tokio::time::sleep(Duration::from_millis(200)).await;
		}
	}

	/// The Prometheus metrics text the node serves.
	pub fn metrics(&self) -> String {
		use std::io::{Read, Write};
		let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.prometheus_port))
			.expect("the Prometheus port accepts connections");
		stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
		let mut text = String::new();
		stream.read_to_string(&mut text).unwrap();
		text
	}

	/// Kills the process at once, as a crash would (SIGKILL).
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Stops the process with SIGTERM and waits for it to exit.
	pub fn terminate(&mut self) -> std::process::ExitStatus {
		let _ = Command::new("kill").arg(self.child.id().to_string()).status();
		self.child.wait().expect("the node exits")
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		self.kill();
	}
}

/// One node of a [`Network`]: how to start it again.
struct Member {
	base_path: PathBuf,
	rpc_port: u16,
	args: Vec<String>,
	process: Option<DevNode>,
}

/// Several `carechain` processes on the `local` chain spec, each listing all the others as
/// peers: validators with development keys and full nodes.
pub struct Network {
	members: Vec<Member>,
	_dir: tempfile::TempDir,
}

/// A node of a [`Network`] before it starts.
pub enum Role<'a> {
	/// A validator with this development key (`//Alice`).
	Validator(&'a str),
	/// A validator whose key file holds this development key; it validates once governance
	/// adds it.
	KeyFile(&'a str),
	/// A full node.
	Full,
}

impl Network {
	/// Starts the nodes; `extra` adds arguments to node `i`.
	pub fn start(roles: &[Role], extra: &[(usize, &[&str])]) -> Self {
		let dir = tempfile::tempdir().expect("a temporary directory");
		let p2p: Vec<u16> = roles.iter().map(|_| free_port()).collect();
		// Validators' peer identities are their consensus keys; full nodes get one each.
		let identities: Vec<String> = roles
			.iter()
			.enumerate()
			.map(|(i, role)| match role {
				Role::Validator(key) | Role::KeyFile(key) => key.to_string(),
				Role::Full => format!("0x{}", hex::encode([i as u8 + 1; 32])),
			})
			.collect();
		let peer_ids: Vec<String> = identities
			.iter()
			.map(|key| {
				let seed = carechain_node::keys::seed(key).expect("a development key");
				carechain_node::consensus::peer_id(&seed).expect("an ed25519 identity")
			})
			.collect();
		let members = roles
			.iter()
			.enumerate()
			.map(|(i, role)| {
				let base_path = dir.path().join(format!("node{i}"));
				let mut args: Vec<String> = vec![
					"--chain".into(),
					"local".into(),
					"--no-prometheus".into(),
					"--name".into(),
					format!("node{i}"),
					"--listen-addr".into(),
					format!("/ip4/127.0.0.1/tcp/{}", p2p[i]),
				];
				for (j, port) in p2p.iter().enumerate() {
					if j != i {
						let peer = format!("/ip4/127.0.0.1/tcp/{port}/p2p/{}", peer_ids[j]);
						args.extend(["--peer".into(), peer]);
					}
				}
				match role {
					Role::Validator(key) => {
						args.extend(["--validator-key".into(), key.to_string()])
					}
					Role::KeyFile(key) => {
						carechain(
							&["key", "insert", "--chain", "local", "--suri", key],
							&base_path,
						);
						args.push("--validator".into());
					}
					Role::Full => args.extend(["--node-key".into(), identities[i].clone()]),
				}
				for (_, more) in extra.iter().filter(|(n, _)| *n == i) {
					args.extend(more.iter().map(|a| a.to_string()));
				}
				Member { base_path, rpc_port: free_port(), args, process: None }
			})
			.collect();
		let mut network = Self { members, _dir: dir };
		for i in 0..network.members.len() {
			network.restart(i);
		}
		network
	}

	/// The running process of node `i`.
	pub fn node(&self, i: usize) -> &DevNode {
		self.members[i].process.as_ref().expect("the node is running")
	}

	/// A client of node `i`, once it answers.
	pub async fn client(&self, i: usize) -> WsClient {
		self.node(i).connect().await
	}

	/// Kills node `i` with SIGKILL.
	pub fn kill(&mut self, i: usize) {
		if let Some(mut process) = self.members[i].process.take() {
			process.kill();
		}
	}

	/// Starts node `i` again on its database, ports and arguments.
	pub fn restart(&mut self, i: usize) {
		let member = &mut self.members[i];
		let args: Vec<&str> = member.args.iter().map(String::as_str).collect();
		member.process = Some(DevNode::spawn(&member.base_path, member.rpc_port, &args, &[]));
	}

	/// The base path of node `i`.
	pub fn base_path(&self, i: usize) -> &Path {
		&self.members[i].base_path
	}

	/// Every node's log, for failure messages.
	pub fn logs(&self) -> String {
		let mut all = String::new();
		for (i, member) in self.members.iter().enumerate() {
			let log = std::fs::read_dir(&member.base_path)
				.into_iter()
				.flatten()
				.flatten()
				.filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
				.map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
				.collect::<String>();
			let tail: Vec<&str> = log.lines().rev().take(40).collect();
			all.push_str(&format!("--- node{i} (last lines)\n"));
			for line in tail.into_iter().rev() {
				all.push_str(line);
				all.push('\n');
			}
		}
		all
	}
}

/// Runs a `carechain` subcommand with `--base-path` and returns its standard output.
pub fn carechain(args: &[&str], base_path: &Path) -> String {
	let output = Command::new(node_binary())
		.args(args)
		.arg("--base-path")
		.arg(base_path)
		.output()
		.expect("carechain runs");
	assert!(
		output.status.success(),
		"carechain {args:?} failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	String::from_utf8(output.stdout).expect("UTF-8 output")
}

pub use carechain_node::extrinsic::{sign, to_hex as hex_of};
use carechain_primitives::FhirResourceType;
use carechain_runtime::RuntimeCall;
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};

/// A practitioner's record for Eve (whose treatment consent covers the dev organization's
/// practitioners, Bob among them) whose content hash is derived from `seed`: one seed, one
/// content hash, so each seed can anchor one live record.
pub fn create_record(seed: u32) -> RuntimeCall {
	RuntimeCall::Records(pallet_records::Call::create_record {
		patient: Ed25519Keyring::Eve.to_account_id(),
		resource_type: FhirResourceType::Observation,
		content: pallet_records::RecordContent {
			content_hash: BlakeTwo256::hash(&seed.to_le_bytes()),
			size: 1024,
			locator: BlakeTwo256::hash(&seed.to_le_bytes()),
			patient_key: [7u8; 80],
		},
	})
}
