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
		let rpc_port = free_port();
		let prometheus_port = free_port();
		let log = base_path.join(format!("node-{rpc_port}.log"));
		std::fs::create_dir_all(base_path).expect("the base path can be created");
		let out = std::fs::File::create(&log).expect("the log file can be created");
		let child = Command::new(node_binary())
			.args(["--dev", "--gpu", "cpu", "--base-path"])
			.arg(base_path)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--prometheus-port", &prometheus_port.to_string()])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", free_port())])
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

pub use carechain_node::extrinsic::{sign, to_hex as hex_of};
