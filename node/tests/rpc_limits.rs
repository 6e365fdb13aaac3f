//! Attacks on the RPC server itself, on a real socket: malformed and oversized bodies, ids that
//! are not ids, more calls in flight and subscriptions than a connection may hold, and more
//! request bytes than the server holds at once. Each is refused with an answer a client can act
//! on, and the server keeps answering.

#![allow(clippy::arithmetic_side_effects)]

use carechain_node::rpc::{limits::BUSY, start, RpcSettings};
use jsonrpsee::{
	core::client::{ClientT, Error as ClientError, SubscriptionClientT},
	rpc_params,
	server::ServerHandle,
	ws_client::WsClientBuilder,
	RpcModule, SubscriptionMessage,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpStream,
	sync::Semaphore,
};

/// A server with `ping`, `hold` (answers once the test releases it) and `subscribe_ticks`.
async fn server(
	settings: impl FnOnce(RpcSettings) -> RpcSettings,
) -> (ServerHandle, SocketAddr, Arc<Semaphore>) {
	let release = Arc::new(Semaphore::new(0));
	let mut module = RpcModule::new(());
	module.register_method("ping", |_, _, _| "pong").unwrap();
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
	let request = format!(
		"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
		60 << 10
	);
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
