//! The connections the RPC server accepts, bounded before jsonrpsee sees them (jsonrpsee's own
//! `max_connections` counts requests and WebSocket sessions, not sockets, and has no deadline):
//!
//! - at most `max_connections` open, and at most `max_connections_per_ip` from one address
//!   (one /64 for IPv6); a connection past either is answered HTTP 429 with what to do, at
//!   once and unread, and closed;
//! - a connection whose first request has not arrived within the deadline is closed, and so is
//!   an HTTP/1 connection idle that long between requests (hyper's header-read timeout, which
//!   also bounds a request's headers sent slowly);
//! - a WebSocket session keeps its slot until it ends (the slot travels with the socket into
//!   the upgrade); jsonrpsee's pings end one whose peer stopped answering.

use jsonrpsee::core::BoxError;
use parking_lot::Mutex;
use std::{
	collections::HashMap,
	future::Future,
	net::{IpAddr, Ipv6Addr},
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
	time::Duration,
};
use tokio::{
	io::{AsyncRead, AsyncWrite, ReadBuf},
	net::TcpStream,
	sync::Notify,
};

/// The connection slots, over all and per source address.
#[derive(Clone, Debug)]
pub struct Slots {
	open: Arc<Mutex<Open>>,
	max: u32,
	max_per_ip: u32,
}

#[derive(Debug, Default)]
struct Open {
	total: u32,
	by_source: HashMap<IpAddr, u32>,
}

/// Whom a connection counts against: its address, or for IPv6 its /64, which one host usually
/// holds whole.
fn source(ip: IpAddr) -> IpAddr {
	match ip.to_canonical() {
		IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
		v4 => v4,
	}
}

impl Slots {
	/// `max` connections in all, `max_per_ip` from one source.
	pub fn new(max: u32, max_per_ip: u32) -> Self {
		Self { open: Arc::default(), max, max_per_ip }
	}

	/// A slot for a connection from `ip`, or why there is none.
	pub fn take(&self, ip: IpAddr) -> Result<Slot, String> {
		let source = source(ip);
		let mut open = self.open.lock();
		if open.total >= self.max {
			return Err(format!(
				"the node has its limit of {} RPC connections open: retry in a few seconds",
				self.max
			));
		}
		let mine = open.by_source.entry(source).or_default();
		if *mine >= self.max_per_ip {
			return Err(format!(
				"{source} has {} RPC connections open, the limit for one address: close one before opening another",
				self.max_per_ip
			));
		}
		*mine = mine.saturating_add(1);
		open.total = open.total.saturating_add(1);
		Ok(Slot { open: self.open.clone(), source })
	}
}

/// One connection's slot, given back when it is dropped.
#[derive(Debug)]
pub struct Slot {
	open: Arc<Mutex<Open>>,
	source: IpAddr,
}

impl Drop for Slot {
	fn drop(&mut self) {
		let mut open = self.open.lock();
		open.total = open.total.saturating_sub(1);
		if let Some(mine) = open.by_source.get_mut(&self.source) {
			*mine = mine.saturating_sub(1);
			if *mine == 0 {
				open.by_source.remove(&self.source);
			}
		}
	}
}

/// Answers a connection that gets no slot with 429 and `why`, without waiting for it, and
/// closes it.
pub fn refuse(stream: TcpStream, why: &str) {
	let answer = format!(
		"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n{why}",
		why.len()
	);
	// A fresh socket's send buffer takes it whole; a peer that never reads costs nothing more.
	let _ = stream.try_write(answer.as_bytes());
}

/// A socket with its slot: whoever ends up owning the socket (hyper, or a WebSocket session
/// after an upgrade) holds the slot until it closes the socket.
#[derive(Debug)]
pub struct Held {
	stream: TcpStream,
	_slot: Slot,
}

impl Held {
	/// `stream`, holding `slot`.
	pub fn new(stream: TcpStream, slot: Slot) -> Self {
		Self { stream, _slot: slot }
	}
}

impl AsyncRead for Held {
	fn poll_read(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<std::io::Result<()>> {
		Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
	}
}

impl AsyncWrite for Held {
	fn poll_write(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<std::io::Result<usize>> {
		Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
	}

	fn poll_write_vectored(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[std::io::IoSlice<'_>],
	) -> Poll<std::io::Result<usize>> {
		Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
	}

	fn is_write_vectored(&self) -> bool {
		self.stream.is_write_vectored()
	}

	fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
		Pin::new(&mut self.get_mut().stream).poll_flush(cx)
	}

	fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
		Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
	}
}

/// A service that tells when a request arrived on its connection.
#[derive(Clone, Debug)]
struct NoticeRequests<S> {
	inner: S,
	arrived: Arc<Notify>,
}

impl<S: tower::Service<R>, R> tower::Service<R> for NoticeRequests<S> {
	type Response = S::Response;
	type Error = S::Error;
	type Future = S::Future;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
		self.inner.poll_ready(cx)
	}

	fn call(&mut self, request: R) -> S::Future {
		self.arrived.notify_one();
		self.inner.call(request)
	}
}

/// Serves one accepted connection with `service` until it ends, the server stops (`stopped`),
/// or no request arrived within `deadline` of its opening.
pub async fn serve<S, B>(
	stream: Held,
	service: S,
	stopped: impl Future<Output = ()>,
	deadline: Duration,
) where
	S: tower::Service<http::Request<hyper::body::Incoming>, Response = http::Response<B>>
		+ Clone
		+ Send
		+ 'static,
	S::Future: Send + 'static,
	S::Error: Into<BoxError>,
	B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
	B::Error: Into<BoxError>,
{
	use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
	let arrived = Arc::new(Notify::new());
	let service = hyper_util::service::TowerToHyperService::new(NoticeRequests {
		inner: service,
		arrived: arrived.clone(),
	});
	let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
	builder.http1().timer(TokioTimer::new()).header_read_timeout(deadline);
	let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
	tokio::pin!(connection, stopped);
	let first_request = tokio::time::timeout(deadline, arrived.notified());
	tokio::select! {
		_ = connection.as_mut() => return,
		arrived = first_request => if arrived.is_err() {
			tracing::debug!(target: "rpc", "closed a connection that sent no request within {deadline:?}");
			return;
		},
		() = stopped.as_mut() => {
			connection.as_mut().graceful_shutdown();
			let _ = connection.await;
			return;
		}
	}
	tokio::select! {
		_ = connection.as_mut() => {}
		() = stopped => {
			connection.as_mut().graceful_shutdown();
			let _ = connection.await;
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn one_source_holds_its_share_and_gives_it_back() {
		let slots = Slots::new(4, 2);
		let a: IpAddr = "10.0.0.1".parse().unwrap();
		let held: Vec<_> = (0..2).map(|_| slots.take(a).unwrap()).collect();
		let refused = slots.take(a).unwrap_err();
		assert!(refused.contains("10.0.0.1 has 2 RPC connections open"), "{refused}");
		// The same address written as IPv4-mapped IPv6 is the same source.
		assert!(slots.take("::ffff:10.0.0.1".parse().unwrap()).is_err());
		let b = slots.take("10.0.0.2".parse().unwrap()).unwrap();
		let _c = slots.take("10.0.0.3".parse().unwrap()).unwrap();
		let full = slots.take("10.0.0.4".parse().unwrap()).unwrap_err();
		assert!(full.contains("limit of 4 RPC connections"), "{full}");
		drop((held, b));
		let _again: Vec<_> = (0..2).map(|_| slots.take(a).unwrap()).collect();
	}

	#[test]
	fn an_ipv6_host_counts_as_its_64() {
		let slots = Slots::new(10, 1);
		let _held = slots.take("2001:db8:1:2::1".parse().unwrap()).unwrap();
		assert!(slots.take("2001:db8:1:2:ffff::7".parse().unwrap()).is_err());
		assert!(slots.take("2001:db8:1:3::1".parse().unwrap()).is_ok());
	}
}
