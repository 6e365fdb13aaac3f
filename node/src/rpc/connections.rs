//! The connections the RPC server accepts, bounded before jsonrpsee sees them (jsonrpsee's own
//! `max_connections` counts requests and WebSocket sessions, not sockets, and has no deadline):
//!
//! - at most `max_connections` open, and at most `max_connections_per_ip` from one address
//!   (one /64 for IPv6); a connection past either is answered HTTP 429 with what to do, at
//!   once and unread, and closed;
//! - a connection whose first request has not arrived within the deadline is closed, and so is
//!   one, HTTP/1 or HTTP/2, that has no request in flight and has neither received a request
//!   nor written a byte for that long (hyper's header-read timeout also bounds a request's
//!   headers sent slowly); one that is told to close and writes nothing for that long is
//!   dropped;
//! - a connection whose answers are not being read (its last write found the socket's send
//!   buffer full, or its WebSocket answers not yet written pass a bound) is not read from
//!   either until its writes catch up: a peer that sends calls and reads no answer fills the
//!   kernel's buffers and then waits, instead of making the server hold its answers (jsonrpsee
//!   reads a WebSocket without waiting for answers);
//! - a WebSocket session keeps its slot until it ends (the slot travels with the socket into
//!   the upgrade); jsonrpsee's pings end one whose peer stopped answering.

use futures::task::AtomicWaker;
use hyper_util::{
	rt::{TokioExecutor, TokioIo, TokioTimer},
	server::conn::auto,
};
use jsonrpsee::core::BoxError;
use parking_lot::Mutex;
use std::{
	collections::HashMap,
	future::Future,
	net::{IpAddr, Ipv6Addr},
	pin::Pin,
	sync::{
		atomic::{AtomicBool, AtomicUsize, Ordering},
		Arc,
	},
	task::{Context, Poll},
	time::Duration,
};
use tokio::{
	io::{AsyncRead, AsyncWrite, ReadBuf},
	net::TcpStream,
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
pub fn source(ip: IpAddr) -> IpAddr {
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

/// The source a request came from (see [`source`]), in every request's extensions, so that
/// what the server holds for requests can be shared out per source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source(pub IpAddr);

/// What a connection is doing, shared by its socket and its service: whether its last write
/// found the send buffer full, the bytes of answers not yet written, when it last received a
/// request or wrote a byte, and how many requests it has in flight.
#[derive(Debug)]
struct Activity {
	/// The last write was refused for a full send buffer and none went through since.
	stalled: AtomicBool,
	/// Bytes of WebSocket answers made and not yet written (less whatever else was written).
	unsent: AtomicUsize,
	/// Past this many `unsent` bytes, the connection is not read.
	max_unsent: usize,
	/// The read that waits for the stall to end.
	reader: AtomicWaker,
	opened: tokio::time::Instant,
	/// Milliseconds from `opened` to the last request or written byte.
	last: AtomicUsize,
	in_flight: AtomicUsize,
	/// Requests received since the connection opened.
	requests: AtomicUsize,
}

impl Activity {
	fn new(max_unsent: usize) -> Self {
		Self {
			stalled: AtomicBool::new(false),
			unsent: AtomicUsize::new(0),
			max_unsent,
			reader: AtomicWaker::new(),
			opened: tokio::time::Instant::now(),
			last: AtomicUsize::new(0),
			in_flight: AtomicUsize::new(0),
			requests: AtomicUsize::new(0),
		}
	}

	fn touch(&self) {
		let since = self.opened.elapsed().as_millis();
		self.last.fetch_max(usize::try_from(since).unwrap_or(usize::MAX), Ordering::Relaxed);
	}

	fn last(&self) -> tokio::time::Instant {
		let since = Duration::from_millis(self.last.load(Ordering::Relaxed) as u64);
		self.opened.checked_add(since).unwrap_or(self.opened)
	}

	/// Notes a write's outcome: a full send buffer stops reads until a write goes through.
	fn wrote(&self, written: &Poll<std::io::Result<usize>>) {
		match written {
			Poll::Pending => self.stalled.store(true, Ordering::Release),
			Poll::Ready(result) => {
				self.touch();
				let bytes = *result.as_ref().unwrap_or(&0);
				let _ = self.unsent.fetch_update(Ordering::AcqRel, Ordering::Acquire, |unsent| {
					Some(unsent.saturating_sub(bytes))
				});
				self.stalled.store(false, Ordering::Release);
				// A read waiting for the writes to catch up looks again.
				self.reader.wake();
			}
		}
	}

	/// Whether reads wait for the writes to catch up.
	fn behind(&self) -> bool {
		self.stalled.load(Ordering::Acquire)
			|| self.unsent.load(Ordering::Acquire) > self.max_unsent
	}

	/// Resolves once the connection has had no request in flight, received no request and
	/// written nothing for `deadline`.
	async fn idle(&self, deadline: Duration) {
		loop {
			if self.in_flight.load(Ordering::Acquire) > 0 {
				tokio::time::sleep(deadline.checked_div(4).unwrap_or(deadline)).await;
				continue;
			}
			let until = self.last().checked_add(deadline).unwrap_or_else(|| self.last());
			if until <= tokio::time::Instant::now() {
				return;
			}
			tokio::time::sleep_until(until).await;
		}
	}
}

/// A socket with its slot: whoever ends up owning the socket (hyper, or a WebSocket session
/// after an upgrade) holds the slot until it closes the socket. It reads nothing while its
/// answers wait for the peer to read them (see the module documentation).
#[derive(Debug)]
pub struct Held {
	stream: TcpStream,
	activity: Arc<Activity>,
	slot: Slot,
}

impl Held {
	/// `stream`, holding `slot`, not read while more than `max_unsent` bytes of its WebSocket
	/// answers wait to be written.
	pub fn new(stream: TcpStream, slot: Slot, max_unsent: usize) -> Self {
		Self { stream, activity: Arc::new(Activity::new(max_unsent)), slot }
	}
}

/// The bytes of WebSocket answers a connection has to write, in every request's extensions:
/// [`super::limits::ConnectionLimitsLayer`] adds each answer it passes.
#[derive(Clone, Debug)]
pub struct Unsent(Arc<Activity>);

impl Unsent {
	/// Adds an answer of `bytes` to write.
	pub fn add(&self, bytes: usize) {
		let _ = self.0.unsent.fetch_update(Ordering::AcqRel, Ordering::Acquire, |unsent| {
			Some(unsent.saturating_add(bytes))
		});
	}
}

impl AsyncRead for Held {
	fn poll_read(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &mut ReadBuf<'_>,
	) -> Poll<std::io::Result<()>> {
		let this = self.get_mut();
		if this.activity.behind() {
			this.activity.reader.register(cx.waker());
			// A write may have gone through in between.
			if this.activity.behind() {
				return Poll::Pending;
			}
		}
		Pin::new(&mut this.stream).poll_read(cx, buf)
	}
}

impl AsyncWrite for Held {
	fn poll_write(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		buf: &[u8],
	) -> Poll<std::io::Result<usize>> {
		let this = self.get_mut();
		let written = Pin::new(&mut this.stream).poll_write(cx, buf);
		this.activity.wrote(&written);
		written
	}

	fn poll_write_vectored(
		self: Pin<&mut Self>,
		cx: &mut Context<'_>,
		bufs: &[std::io::IoSlice<'_>],
	) -> Poll<std::io::Result<usize>> {
		let this = self.get_mut();
		let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
		this.activity.wrote(&written);
		written
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

/// A service that counts its connection's requests in flight and marks each with its
/// [`Source`].
#[derive(Clone, Debug)]
struct NoticeRequests<S> {
	inner: S,
	activity: Arc<Activity>,
	source: Source,
}

/// One request in flight, until dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
	fn drop(&mut self) {
		self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
		self.0.touch();
	}
}

impl<S, B> tower::Service<http::Request<B>> for NoticeRequests<S>
where
	S: tower::Service<http::Request<B>>,
	S::Future: Send + 'static,
{
	type Response = S::Response;
	type Error = S::Error;
	type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
		self.inner.poll_ready(cx)
	}

	fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
		self.activity.in_flight.fetch_add(1, Ordering::AcqRel);
		self.activity.requests.fetch_add(1, Ordering::AcqRel);
		self.activity.touch();
		let in_flight = InFlight(self.activity.clone());
		request.extensions_mut().insert(self.source);
		request.extensions_mut().insert(Unsent(self.activity.clone()));
		let answer = self.inner.call(request);
		Box::pin(async move {
			let answer = answer.await;
			drop(in_flight);
			answer
		})
	}
}

/// How hyper serves a connection: HTTP/1 with the header-read deadline, HTTP/2 with at most
/// `max_streams` requests at once.
fn builder(deadline: Duration, max_streams: u32) -> auto::Builder<TokioExecutor> {
	let mut builder = auto::Builder::new(TokioExecutor::new());
	builder.http1().timer(TokioTimer::new()).header_read_timeout(deadline);
	builder.http2().max_concurrent_streams(max_streams);
	builder
}

/// Serves one accepted connection with `service` until it ends, the server stops (`stopped`),
/// or it idles for `deadline` (see the module documentation); HTTP/2 with at most
/// `max_streams` requests at once.
pub async fn serve<S, B>(
	stream: Held,
	service: S,
	stopped: impl Future<Output = ()>,
	deadline: Duration,
	max_streams: u32,
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
	let activity = stream.activity.clone();
	let source = Source(stream.slot.source);
	let service = hyper_util::service::TowerToHyperService::new(NoticeRequests {
		inner: service,
		activity: activity.clone(),
		source,
	});
	let builder = builder(deadline, max_streams);
	let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
	tokio::pin!(connection, stopped);
	tokio::select! {
		// Over HTTP/1 an upgrade to a WebSocket ends this, leaving the socket to the session.
		_ = connection.as_mut() => return,
		() = activity.idle(deadline) => {
			if activity.requests.load(Ordering::Acquire) == 0 {
				tracing::debug!(target: "rpc", "closed a connection that sent no request within {deadline:?}");
				return;
			}
			tracing::debug!(target: "rpc", "closing a connection idle for {deadline:?}");
		}
		() = stopped.as_mut() => {}
	}
	connection.as_mut().graceful_shutdown();
	// A peer that reads nothing would keep a graceful close waiting for good: it gets
	// `deadline` from now to take what is still being written.
	activity.touch();
	tokio::select! {
		_ = connection => {}
		() = activity.idle(deadline) => {
			tracing::debug!(target: "rpc", "dropped a connection that wrote nothing for {deadline:?} while closing");
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
