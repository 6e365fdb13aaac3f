//! A real S3-compatible server for tests: moto (`pip install "moto[server]"`), started on a
//! free port and stopped when dropped.

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// A running `moto` server with one bucket.
pub struct MotoServer {
	child: Child,
	/// Its URL, `http://127.0.0.1:<port>`.
	pub endpoint: String,
	/// The bucket created in it.
	pub bucket: String,
}

impl MotoServer {
	/// Starts moto and creates `bucket`. Panics, saying how to install it, when moto is
	/// missing: S3 tests never pass without a server.
	pub fn start(bucket: &str) -> Self {
		let port = TcpListener::bind("127.0.0.1:0")
			.and_then(|l| l.local_addr())
			.expect("a free port")
			.port();
		let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
		let child = Command::new(&python)
			.args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.unwrap_or_else(|e| panic!("cannot run {python}: {e}; S3 tests need Python 3"));
		let mut server =
			Self { child, endpoint: format!("http://127.0.0.1:{port}"), bucket: bucket.into() };
		let deadline = Instant::now() + Duration::from_secs(60);
		loop {
			if let Some(status) = server.child.try_wait().expect("moto's status") {
				panic!(
					"moto exited at once ({status}): install it with `python3 -m pip install \"moto[server]\"` (the README test command does)"
				);
			}
			if let Ok(status) = server.request("PUT", &format!("/{bucket}")) {
				assert_eq!(status, 200, "moto refused to create bucket {bucket}");
				break;
			}
			assert!(Instant::now() < deadline, "moto did not answer on port {port} within 60 s");
			std::thread::sleep(Duration::from_millis(200));
		}
		server
	}

	/// The store settings that reach it (moto takes any credentials).
	pub fn settings(&self) -> crate::S3Settings {
		crate::S3Settings {
			endpoint: Some(self.endpoint.clone()),
			bucket: self.bucket.clone(),
			region: "us-east-1".into(),
			access_key_id: Some("carechain-test".into()),
			secret_access_key: Some("carechain-test-secret".into()),
		}
	}

	/// The names of every object in the bucket, read straight from moto.
	pub fn object_names(&self) -> Vec<String> {
		let (status, listing) =
			self.exchange("GET", &format!("/{}?list-type=2", self.bucket)).expect("moto answers");
		assert_eq!(status, 200, "moto lists bucket {}", self.bucket);
		String::from_utf8_lossy(&listing)
			.split("<Key>")
			.skip(1)
			.filter_map(|part| part.split("</Key>").next())
			.map(str::to_owned)
			.collect()
	}

	fn request(&self, method: &str, path: &str) -> std::io::Result<u16> {
		let (status, _) = self.exchange(method, path)?;
		Ok(status)
	}

	fn exchange(&self, method: &str, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
		let address = self.endpoint.trim_start_matches("http://");
		let mut stream = TcpStream::connect(address)?;
		write!(
			stream,
			"{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
		)?;
		let mut response = Vec::new();
		stream.read_to_end(&mut response)?;
		let head_end = response
			.windows(4)
			.position(|w| w == b"\r\n\r\n")
			.ok_or_else(|| std::io::Error::other("no HTTP header"))?;
		let head = String::from_utf8_lossy(&response[..head_end]).into_owned();
		let status = head
			.split_whitespace()
			.nth(1)
			.and_then(|s| s.parse().ok())
			.ok_or_else(|| std::io::Error::other("no HTTP status"))?;
		let mut body = response[head_end + 4..].to_vec();
		if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
			body = dechunk(&body);
		}
		Ok((status, body))
	}
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
	let mut out = Vec::new();
	while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
		let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16)
			.unwrap_or(0);
		if size == 0 {
			break;
		}
		let start = line_end + 2;
		out.extend_from_slice(&body[start..start + size]);
		body = &body[start + size + 2..];
	}
	out
}

impl Drop for MotoServer {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}
