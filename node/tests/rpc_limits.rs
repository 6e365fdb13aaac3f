//! Attacks on the RPC server itself, on a real socket: malformed and oversized bodies, ids that
//! are not ids, batches of too many calls, more calls in flight and subscriptions than a
//! connection may hold, more request bytes than the server holds at once or one address's share
//! of them, connections that never send a request or idle after one (HTTP/1 and HTTP/2), more
//! connections from one address than its share, WebSocket peers that stop answering and peers
//! that never read their answers. Each is refused with an answer a client can act on, and the
//! server keeps answering.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::rpc::{limits::BUSY, start, RpcSettings};
use jsonrpsee::{
	core::client::{ClientT, Error as ClientError, SubscriptionClientT},
	rpc_params,
	server::{PingConfig, ServerHandle},
	ws_client::WsClientBuilder,
	RpcModule, SubscriptionMessage,
};
use std::future::Future as _;
use std::{
	alloc::{GlobalAlloc, Layout, System},
	net::{IpAddr, SocketAddr},
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpSocket, TcpStream},
	sync::Semaphore,
};

/// The allocator, noting the largest single allocation of the process: a request parsed whole
/// shows as one allocation several times its size.
struct NotingLargest;

static LARGEST_ALLOCATION: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for NotingLargest {
	unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
		LARGEST_ALLOCATION.fetch_max(layout.size(), Ordering::Relaxed);
		System.alloc(layout)
	}

	unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
		System.dealloc(ptr, layout)
	}

	unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
		LARGEST_ALLOCATION.fetch_max(layout.size(), Ordering::Relaxed);
		System.alloc_zeroed(layout)
	}

	unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
		LARGEST_ALLOCATION.fetch_max(new_size, Ordering::Relaxed);
		System.realloc(ptr, layout, new_size)
	}
}

#[global_allocator]
static ALLOCATOR: NotingLargest = NotingLargest;

/// The size of an answer of `big`.
const BIG_ANSWER: usize = 16 << 10;

/// A server with `ping`, `hold` (answers once the test releases it), `big` (answers
/// [`BIG_ANSWER`] bytes) and `subscribe_ticks`.
async fn server(
	settings: impl FnOnce(RpcSettings) -> RpcSettings,
) -> (ServerHandle, SocketAddr, Arc<Semaphore>) {
	let release = Arc::new(Semaphore::new(0));
	let mut module = RpcModule::new(());
	module.register_method("ping", |_, _, _| "pong").unwrap();
	module.register_method("big", |_, _, _| "x".repeat(BIG_ANSWER)).unwrap();
	let held = release.clone();
	module
		.register_async_method("hold", move |_, _, _| {
			let held = held.clone();
			async move {
				held.acquire().await.unwrap().forget();
				"released"
			}
		})
		.unwrap();
	module
		.register_subscription(
			"subscribe_ticks",
			"tick",
			"unsubscribe_ticks",
			|_, pending, _, _| async move {
				let Ok(sink) = pending.accept().await else { return };
				while let Ok(tick) = SubscriptionMessage::from_json(&1) {
					if sink.send(tick).await.is_err() {
						return;
					}
					tokio::time::sleep(Duration::from_secs(1)).await;
				}
			},
		)
		.unwrap();
	let settings = settings(RpcSettings::new("127.0.0.1:0".parse().unwrap(), 64 << 10));
	let (handle, address) = start(&settings, module).await.unwrap();
	(handle, address, release)
}

/// Sends `request` as is and reads the whole answer: its status and body.
async fn raw(address: SocketAddr, request: &[u8]) -> (u16, String) {
	let mut stream = TcpStream::connect(address).await.unwrap();
	// The server may answer before it read everything; a write it refuses is no failure.
	let _ = stream.write_all(request).await;
	let mut answer = Vec::new();
	let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer));
	match read.await.expect("an answer within 60 s") {
		Ok(_) => {}
		// A reset after the answer (the server closed with our bytes unread) is fine.
		Err(_) if !answer.is_empty() => {}
		Err(e) => panic!("no answer: {e}"),
	}
	let answer = String::from_utf8_lossy(&answer).into_owned();
	let status = answer
		.split(' ')
		.nth(1)
		.and_then(|s| s.parse().ok())
		.unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
	let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
	(status, body)
}

fn post(body: &str) -> Vec<u8> {
	format!(
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
		body.len()
	)
	.into_bytes()
}

/// The headers of a request declaring a body of `length`, without the empty line that ends them.
fn post_head(length: usize) -> String {
	format!(
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
	)
}

fn chunked(chunks: &str) -> Vec<u8> {
	format!(
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}"
	)
	.into_bytes()
}

async fn still_answers(address: SocketAddr) {
	let (status, body) = raw(address, &post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)).await;
	assert_eq!((status, body.contains("pong")), (200, true), "{body}");
}

#[tokio::test]
async fn bad_chunked_bodies_get_4xx() {
	let (_handle, address, _) = server(|s| s).await;
	// A chunk size that is not hex.
	let (status, body) = raw(address, &chunked("zz\r\n{}\r\n0\r\n\r\n")).await;
	assert_eq!(status, 400, "{body}");
	assert!(body.contains("malformed"), "{body}");
	// A chunk longer than its size says.
	let (status, body) = raw(address, &chunked("2\r\n{\"jsonrpc\"\r\n0\r\n\r\n")).await;
	assert_eq!(status, 400, "{body}");
	// Chunks past the size limit (64 KiB), with no length to refuse up front.
	let chunk = format!("{:x}\r\n{}\r\n", 16 << 10, " ".repeat(16 << 10));
	let (status, body) =
		raw(address, &chunked(&format!("1\r\n{{\r\n{}0\r\n\r\n", chunk.repeat(5)))).await;
	assert_eq!(status, 413, "{body}");
	assert!(body.contains("-32007") && body.contains("65536"), "{body}");
	// A well-formed chunked request is served.
	let call = r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#;
	let (status, body) =
		raw(address, &chunked(&format!("{:x}\r\n{call}\r\n0\r\n\r\n", call.len()))).await;
	assert_eq!((status, body.contains("pong")), (200, true), "{body}");
	still_answers(address).await;
}

#[tokio::test]
async fn ids_that_are_objects_or_arrays_get_invalid_request() {
	let (_handle, address, _) = server(|s| s).await;
	for call in [
		r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
		r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
		r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
		r#"{"jsonrpc":"2.0","id":-1,"method":"ping"}"#,
		r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
		r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":{},"method":"ping"}]"#,
	] {
		let (status, body) = raw(address, &post(call)).await;
		assert_eq!(status, 400, "{call}: {body}");
		let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
		assert_eq!(answer["error"]["code"], -32600, "{call}: {body}");
	}
	// Ids of every valid kind, and a notification, still work.
	for call in [
		r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#,
		r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"}"#,
		r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
	] {
		let (status, body) = raw(address, &post(call)).await;
		assert_eq!((status, body.contains("pong")), (200, true), "{call}: {body}");
	}
	let (status, _) = raw(address, &post(r#"{"jsonrpc":"2.0","method":"ping"}"#)).await;
	assert_eq!(status, 200);
}

#[tokio::test]
async fn a_connection_holds_at_most_its_calls_in_flight_and_subscriptions() {
	let (_handle, address, release) = server(|s| RpcSettings {
		max_calls_per_connection: 4,
		max_subscriptions_per_connection: 2,
		..s
	})
	.await;
	let client = WsClientBuilder::default()
		.max_concurrent_requests(64)
		.build(format!("ws://{address}"))
		.await
		.unwrap();
	let calls: Vec<_> =
		(0..12).map(|_| client.request::<String, _>("hold", rpc_params![])).collect();
	// The refused answer at once; the held wait. Release them only once all twelve answered
	// or are held.
	let release_later = async {
		tokio::time::sleep(Duration::from_secs(2)).await;
		release.add_permits(12);
	};
	let (answers, ()) = tokio::time::timeout(Duration::from_secs(60), async {
		tokio::join!(futures::future::join_all(calls), release_later)
	})
	.await
	.unwrap();
	let held = answers.iter().filter(|a| a.is_ok()).count();
	assert_eq!(held, 4, "{answers:?}");
	for answer in answers.iter().filter_map(|a| a.as_ref().err()) {
		let ClientError::Call(e) = answer else { panic!("{answer:?}") };
		assert_eq!(e.code(), BUSY, "{e}");
		assert!(e.message().contains("4 calls in flight"), "{e}");
	}
	// The slots came back.
	assert_eq!(client.request::<String, _>("ping", rpc_params![]).await.unwrap(), "pong");

	let mut open = Vec::new();
	for _ in 0..2 {
		open.push(
			client
				.subscribe::<u32, _>("subscribe_ticks", rpc_params![], "unsubscribe_ticks")
				.await
				.unwrap(),
		);
	}
	let third =
		client.subscribe::<u32, _>("subscribe_ticks", rpc_params![], "unsubscribe_ticks").await;
	assert!(third.is_err(), "a third subscription was accepted");
	still_answers(address).await;
}

#[tokio::test]
async fn requests_beyond_the_servers_byte_budget_are_refused_unread() {
	let (_handle, address, _) =
		server(|s| RpcSettings { max_request_bytes_in_flight: 48 << 10, ..s }).await;
	// Below the size limit (64 KiB), above what the server holds at once: 503 from the
	// headers alone, the body never sent.
	let request = format!("{}Connection: close\r\n\r\n", post_head(60 << 10));
	let (status, body) = raw(address, request.as_bytes()).await;
	assert_eq!(status, 503, "{body}");
	assert!(body.contains("retry"), "{body}");
	// Past the size limit: 413.
	let request = request.replace(&(60 << 10).to_string(), &(1 << 30).to_string());
	let (status, _) = raw(address, request.as_bytes()).await;
	assert_eq!(status, 413);
	// Connections that declare bodies within the budget and stall hold only what they sent.
	let stalled = request.replace(&(1 << 30).to_string(), &(40 << 10).to_string());
	let mut held = Vec::new();
	for _ in 0..5 {
		let mut stream = TcpStream::connect(address).await.unwrap();
		stream.write_all(stalled.as_bytes()).await.unwrap();
		stream.write_all(b"{").await.unwrap();
		held.push(stream);
	}
	still_answers(address).await;
}

/// A connection to `address` from `source` (any 127.0.0.0/8 address reaches a server on
/// 127.0.0.1).
async fn connect_from(source: &str, address: SocketAddr) -> TcpStream {
	let socket = TcpSocket::new_v4().unwrap();
	socket.bind(SocketAddr::new(source.parse::<IpAddr>().unwrap(), 0)).unwrap();
	socket.connect(address).await.unwrap()
}

/// Reads until the server closes `stream`; what it sent, or `None` if it is still open after
/// `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<String> {
	let mut answer = Vec::new();
	let mut buffer = [0u8; 4096];
	let read = tokio::time::timeout(wait, async {
		loop {
			match stream.read(&mut buffer).await {
				Ok(0) | Err(_) => return,
				Ok(n) => answer.extend_from_slice(&buffer[..n]),
			}
		}
	});
	read.await.ok()?;
	Some(String::from_utf8_lossy(&answer).into_owned())
}

/// Opens a WebSocket session on `stream` by hand, and answers nothing after it.
async fn ws_handshake(stream: &mut TcpStream) {
	let request = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
	stream.write_all(request.as_bytes()).await.unwrap();
	let mut head = Vec::new();
	while !head.ends_with(b"\r\n\r\n") {
		let mut byte = [0u8; 1];
		let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte));
		assert_eq!(read.await.unwrap().unwrap(), 1, "closed during the handshake: {head:?}");
		head.push(byte[0]);
	}
	let head = String::from_utf8_lossy(&head);
	assert!(head.starts_with("HTTP/1.1 101"), "{head}");
}

#[tokio::test]
async fn connections_that_send_no_request_are_closed_at_the_deadline_and_free_their_slots() {
	let (_handle, address, _) = server(|s| RpcSettings {
		max_connections: 8,
		max_connections_per_ip: Some(8),
		request_deadline: Duration::from_secs(2),
		..s
	})
	.await;
	// Every slot: four silent, two with half their headers, one idle after a request
	// (HTTP/1 keep-alive), and one that stalls after a few bytes.
	let mut held = Vec::new();
	for _ in 0..4 {
		held.push(TcpStream::connect(address).await.unwrap());
	}
	for _ in 0..2 {
		let mut stream = TcpStream::connect(address).await.unwrap();
		stream.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
		held.push(stream);
	}
	let mut kept_alive = TcpStream::connect(address).await.unwrap();
	let call = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
	let request = String::from_utf8(post(call)).unwrap().replace("Connection: close\r\n", "");
	kept_alive.write_all(request.as_bytes()).await.unwrap();
	let mut answer = [0u8; 512];
	let n = kept_alive.read(&mut answer).await.unwrap();
	assert!(String::from_utf8_lossy(&answer[..n]).contains("pong"));
	held.push(kept_alive);
	let mut stalled = TcpStream::connect(address).await.unwrap();
	stalled.write_all(b"PO").await.unwrap();
	held.push(stalled);
	// The server is full: the next connection is told so at once.
	let mut extra = TcpStream::connect(address).await.unwrap();
	let refused = closed_within(&mut extra, Duration::from_secs(1)).await.expect("refused at once");
	assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
	assert!(refused.contains("limit of 8 RPC connections"), "{refused}");
	// Past the deadline the server closes every one of them, and a caller gets in.
	let opened = Instant::now();
	for stream in &mut held {
		let closed = closed_within(stream, Duration::from_secs(10)).await;
		assert!(closed.is_some(), "a silent connection is still open after {:?}", opened.elapsed());
	}
	still_answers(address).await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
	// A quarter of 8: two per address.
	let (_handle, address, _) = server(|s| RpcSettings { max_connections: 8, ..s }).await;
	// A silent connection and a WebSocket session (whose slot outlives the HTTP exchange).
	let mut first = connect_from("127.0.0.2", address).await;
	let mut session = connect_from("127.0.0.2", address).await;
	ws_handshake(&mut session).await;
	let mut third = connect_from("127.0.0.2", address).await;
	let refused = closed_within(&mut third, Duration::from_secs(1)).await.expect("refused at once");
	assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
	assert!(refused.contains("127.0.0.2 has 2 RPC connections open"), "{refused}");
	// Another address still gets a slot, and the first one's come back when it closes them.
	let mut other = connect_from("127.0.0.3", address).await;
	other.write_all(&post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)).await.unwrap();
	let answer = closed_within(&mut other, Duration::from_secs(10)).await.unwrap();
	assert!(answer.contains("pong"), "{answer}");
	drop(session);
	first.shutdown().await.unwrap();
	assert!(closed_within(&mut first, Duration::from_secs(10)).await.is_some());
	drop(first);
	let mut again = None;
	for _ in 0..50 {
		let mut stream = connect_from("127.0.0.2", address).await;
		stream.write_all(&post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)).await.unwrap();
		let answer = closed_within(&mut stream, Duration::from_secs(10)).await.unwrap();
		if answer.contains("pong") {
			again = Some(answer);
			break;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert!(again.is_some(), "127.0.0.2 never got its slots back");
}

#[tokio::test]
async fn a_websocket_peer_that_stops_answering_pings_is_dropped() {
	let (_handle, address, _) = server(|s| RpcSettings {
		ws_ping: PingConfig::new()
			.ping_interval(Duration::from_millis(200))
			.inactive_limit(Duration::from_millis(300))
			.max_failures(1),
		..s
	})
	.await;
	let mut silent = TcpStream::connect(address).await.unwrap();
	ws_handshake(&mut silent).await;
	// Reading the pings answers none of them.
	let closed = closed_within(&mut silent, Duration::from_secs(10)).await;
	assert!(closed.is_some(), "a WebSocket peer that answers no ping is still connected");
	// A client that answers them (jsonrpsee's does on its own) stays.
	let client = WsClientBuilder::default().build(format!("ws://{address}")).await.unwrap();
	tokio::time::sleep(Duration::from_secs(2)).await;
	assert_eq!(client.request::<String, _>("ping", rpc_params![]).await.unwrap(), "pong");
}

#[tokio::test]
async fn a_batch_of_a_million_calls_is_refused_before_it_is_parsed() {
	let (_handle, address, _) = server(|s| RpcSettings { max_message_bytes: 4 << 20, ..s }).await;
	// Three bytes a call: parsed whole, the batch's list alone would take 16 MiB.
	let batch = format!("[{}{{}}]", "{},".repeat(999_999));
	let (status, body) = raw(address, &post(&batch)).await;
	// Reading the 3 MB body takes a few MiB; nothing took several times the body.
	let largest = LARGEST_ALLOCATION.load(Ordering::Relaxed);
	assert!(largest < 8 << 20, "an allocation of {largest} bytes served the batch");
	assert_eq!(status, 413, "{body}");
	let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
	assert_eq!(answer["error"]["code"], -32010, "{body}");
	let message = answer["error"]["message"].as_str().unwrap();
	assert!(message.contains("more than 1024 calls") && message.contains("split"), "{message}");
	// A batch at the limit is served; one past it is refused.
	let call = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
	let at_limit = format!("[{}{call}]", format!("{call},").repeat(1023));
	let (status, body) = raw(address, &post(&at_limit)).await;
	assert_eq!((status, body.matches("pong").count()), (200, 1024));
	let past = format!("[{}{call}]", format!("{call},").repeat(1024));
	let (status, body) = raw(address, &post(&past)).await;
	assert_eq!(status, 413, "{body}");
	// Commas inside strings and nested values are not calls.
	let nested = format!(
		r#"[{{"jsonrpc":"2.0","id":"{}","method":"ping","params":[{}1]}}]"#,
		",".repeat(2000),
		"1,".repeat(2000)
	);
	let (status, body) = raw(address, &post(&nested)).await;
	assert_eq!(status, 200, "{body}");
	still_answers(address).await;
}

#[tokio::test]
async fn one_addresss_slow_bodies_leave_other_addresses_their_share_of_the_budget() {
	// A share of half the 256 KiB budget per address.
	let (_handle, address, _) =
		server(|s| RpcSettings { max_request_bytes_in_flight: 256 << 10, ..s }).await;
	// 127.0.0.2 declares 60 KiB bodies, sends 30 KiB of each and stalls, on 8 connections.
	let request = format!("{}\r\n{}", post_head(60 << 10), " ".repeat(30 << 10));
	let mut stalled = Vec::new();
	for _ in 0..8 {
		let mut stream = connect_from("127.0.0.2", address).await;
		stream.write_all(request.as_bytes()).await.unwrap();
		stalled.push(stream);
	}
	// Wait until the server has read what was sent.
	tokio::time::sleep(Duration::from_millis(500)).await;
	// Another address's 20 KiB call is served.
	let call = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping"}}{}"#, " ".repeat(20 << 10));
	let mut other = connect_from("127.0.0.3", address).await;
	other.write_all(&post(&call)).await.unwrap();
	let answer = closed_within(&mut other, Duration::from_secs(10)).await.unwrap();
	assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("pong"), "{answer}");
	// The fifth and later are past the address's share: refused at once, with what to do.
	let mut refused = 0;
	for stream in &mut stalled {
		if let Some(answer) = closed_within(stream, Duration::from_millis(500)).await {
			assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
			assert!(answer.contains("127.0.0.2 holds its share of 131072 bytes"), "{answer}");
			refused += 1;
		}
	}
	assert_eq!(refused, 4, "127.0.0.2 held more than its share");
}

/// A masked WebSocket text frame of `payload` (the mask is zeros, which leaves it as is).
fn ws_frame(payload: &[u8]) -> Vec<u8> {
	let mut frame = vec![0x81];
	match payload.len() {
		n if n < 126 => frame.push(0x80 | n as u8),
		n if n <= 0xffff => {
			frame.push(0x80 | 126);
			frame.extend_from_slice(&(n as u16).to_be_bytes());
		}
		n => {
			frame.push(0x80 | 127);
			frame.extend_from_slice(&(n as u64).to_be_bytes());
		}
	}
	frame.extend_from_slice(&[0; 4]);
	frame.extend_from_slice(payload);
	frame
}

#[tokio::test]
async fn a_websocket_peer_that_never_reads_its_answers_is_not_read_either() {
	let (_handle, address, _) = server(|s| s).await;
	// Small socket buffers on the peer's side, so that the kernel holds little for it.
	let socket = TcpSocket::new_v4().unwrap();
	socket.set_recv_buffer_size(64 << 10).unwrap();
	socket.set_send_buffer_size(64 << 10).unwrap();
	let mut peer = socket.connect(address).await.unwrap();
	ws_handshake(&mut peer).await;
	// 32 KiB calls whose 16 KiB answers it never reads. Read on, the server would hold 48 MiB
	// of answers for the 96 MiB sent; it stops reading once its writes find the socket full.
	let padding = "x".repeat(32 << 10);
	let mut sent = 0usize;
	let mut blocked = false;
	for id in 0..3072 {
		let call =
			format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"big","params":["{padding}"]}}"#);
		let frame = ws_frame(call.as_bytes());
		let write = tokio::time::timeout(Duration::from_secs(2), peer.write_all(&frame));
		if write.await.is_err() {
			blocked = true;
			break;
		}
		sent += call.len();
	}
	assert!(blocked, "the server read {sent} bytes of calls whose answers were never read");
	assert!(sent < 64 << 20, "the server read {sent} bytes of calls before it stopped");
	// Others are answered at once.
	let client = WsClientBuilder::default().build(format!("ws://{address}")).await.unwrap();
	let answered = tokio::time::timeout(
		Duration::from_secs(1),
		client.request::<String, _>("ping", rpc_params![]),
	);
	assert_eq!(answered.await.expect("an answer within a second").unwrap(), "pong");
	still_answers(address).await;
}

#[tokio::test]
async fn an_http2_connection_idle_after_its_requests_is_closed_at_the_deadline() {
	let (_handle, address, release) =
		server(|s| RpcSettings { request_deadline: Duration::from_secs(2), ..s }).await;
	// HTTP/2 with prior knowledge (h2c), as a client that keeps its connection would.
	let stream = TcpStream::connect(address).await.unwrap();
	let (sender, connection) = h2::client::handshake(stream).await.unwrap();
	let (closed_tx, closed) = tokio::sync::oneshot::channel();
	let driver = tokio::spawn(async move {
		let mut connection = connection;
		let mut streams = None;
		let ended = futures::future::poll_fn(|cx| {
			streams = Some(connection.max_concurrent_send_streams());
			std::pin::Pin::new(&mut connection).poll(cx)
		});
		let _ = ended.await;
		let _ = closed_tx.send(Instant::now());
		streams
	});
	let call = |method: &str| {
		let sender = sender.clone();
		let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}"}}"#);
		async move {
			let request = http::Request::post("http://localhost/")
				.header("content-type", "application/json")
				.body(())
				.unwrap();
			let mut sender = sender.ready().await.unwrap();
			let (answer, mut send) = sender.send_request(request, false).unwrap();
			send.send_data(bytes::Bytes::from(body), true).unwrap();
			let mut body = answer.await.unwrap().into_body();
			let mut answer = Vec::new();
			while let Some(chunk) = body.data().await {
				let chunk = chunk.unwrap();
				let _ = body.flow_control().release_capacity(chunk.len());
				answer.extend_from_slice(&chunk);
			}
			String::from_utf8(answer).unwrap()
		}
	};
	assert!(call("ping").await.contains("pong"));
	// A call in flight for longer than the deadline keeps the connection.
	let held = tokio::spawn(call("hold"));
	tokio::time::sleep(Duration::from_secs(3)).await;
	release.add_permits(1);
	assert!(held.await.unwrap().contains("released"));
	// Idle after it, the connection is closed at the deadline.
	let idle_from = Instant::now();
	let closed_at = tokio::time::timeout(Duration::from_secs(10), closed)
		.await
		.expect("an idle HTTP/2 connection is still open after 10 s")
		.unwrap();
	let idle = closed_at.duration_since(idle_from);
	assert!(idle >= Duration::from_secs(1), "closed after {idle:?} idle");
	assert_eq!(driver.await.unwrap(), Some(16), "the server's HTTP/2 streams a connection");
	still_answers(address).await;
}
