//! What the RPC server holds for a caller, bounded where jsonrpsee's builder has no setting:
//! the bytes of requests being read or served (over all connections and per connection), the
//! requests in flight on one connection, and a request body that is not JSON-RPC at all.
//!
//! - [`HttpGuardLayer`] reads an HTTP request's body itself, before jsonrpsee does: a body that
//!   breaks off or whose chunked framing is wrong gets 400, one past the size limit 413 (also
//!   when chunked, without a length), one that reads too slowly 408, and one that would take
//!   the server past its byte budget, or its source address past its share of it, 503, without
//!   being read further. A batch of more calls than the limit gets 413 with
//!   [`TOO_BIG_BATCH_REQUEST_CODE`], counted by a scan of the body and not parsed (jsonrpsee
//!   parses a batch whole, about 10 times its size, before it counts). A request whose `id` is
//!   not a string, an unsigned 64-bit integer or null gets `-32600 Invalid request` (jsonrpsee took it for a
//!   notification and answered nothing).
//! - The byte budget is shared out per source address (an IPv6 /64 as one, as
//!   [`super::connections`] counts them): one source holds at most its share, so slow bodies
//!   from one address cannot leave the others nothing.
//! - Requests of [`LARGE_REQUEST`] bytes or more, over HTTP or WebSocket, are served one at a
//!   time.
//! - [`ConnectionLimitsLayer`] bounds, per WebSocket connection, the calls in flight and the
//!   bytes of their parameters, and takes those bytes from the same server-wide budget; a call
//!   past either gets [`BUSY`] with what to do.

use super::connections::{Source, Unsent};
use jsonrpsee::{
	core::BoxError,
	server::{middleware::rpc::RpcServiceT, HttpBody, HttpRequest, HttpResponse, MethodResponse},
	types::{error::TOO_BIG_BATCH_REQUEST_CODE, ErrorObject, Request},
};
use parking_lot::Mutex;
use std::{
	collections::HashMap,
	future::Future,
	net::IpAddr,
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
	time::Duration,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The JSON-RPC error code of a call refused because its connection, or the server, holds
/// as much as it may; the message says which and what to do.
pub const BUSY: i32 = -32005;

/// How long an HTTP request body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes are counted in KiB, so that a budget of gigabytes fits a semaphore's `u32` permits.
const KIB: usize = 1024;

fn kib(bytes: usize) -> u32 {
	u32::try_from(bytes.div_ceil(KIB)).unwrap_or(u32::MAX)
}

/// Requests above this size are served one at a time (parsed, decoded and answered), so that a
/// stream of them keeps at most one RPC thread busy and small calls (`system_health`) keep
/// answering.
pub const LARGE_REQUEST: usize = 1 << 20;

/// The bytes of requests the whole server holds at once, each source's share of them, and the
/// turn of large requests.
#[derive(Clone, Debug)]
pub struct RequestBudget {
	permits: Arc<Semaphore>,
	bytes: usize,
	large: Arc<Semaphore>,
	/// KiB held per source.
	by_source: Arc<Mutex<HashMap<IpAddr, u32>>>,
	share: usize,
}

/// Why a budget refused bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shortfall {
	/// The whole budget is taken.
	Server,
	/// The source holds its share.
	Source(IpAddr),
}

impl RequestBudget {
	/// A budget of `bytes`, all of which one source may hold.
	pub fn new(bytes: usize) -> Self {
		Self::with_share(bytes, bytes)
	}

	/// A budget of `bytes`, of which one source holds at most `share`.
	pub fn with_share(bytes: usize, share: usize) -> Self {
		Self {
			permits: Arc::new(Semaphore::new(kib(bytes) as usize)),
			bytes,
			large: Arc::new(Semaphore::new(1)),
			by_source: Arc::default(),
			share: share.min(bytes),
		}
	}

	/// Waits for the turn of a request of `bytes`, if it is large.
	async fn turn(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
		if bytes < LARGE_REQUEST {
			return None;
		}
		self.large.clone().acquire_owned().await.ok()
	}

	/// Takes `bytes` from the budget and from `source`'s share, if that much is left of both.
	fn take(&self, bytes: usize, source: Option<Source>) -> Result<Taken, Shortfall> {
		let wanted = kib(bytes);
		let share = match source {
			None => None,
			// Nothing to hold: no entry to keep for the source.
			Some(_) if wanted == 0 => None,
			Some(Source(ip)) => {
				let mut by_source = self.by_source.lock();
				let held = by_source.entry(ip).or_default();
				let after = held.saturating_add(wanted);
				if after > kib(self.share) {
					if *held == 0 {
						by_source.remove(&ip);
					}
					return Err(Shortfall::Source(ip));
				}
				*held = after;
				Some(SourceShare { by_source: self.by_source.clone(), source: ip, kib: wanted })
			}
		};
		// Dropping `share` gives the source's bytes back.
		let server =
			self.permits.clone().try_acquire_many_owned(wanted).map_err(|_| Shortfall::Server)?;
		Ok(Taken { _server: server, share })
	}

	/// What to tell a caller refused for `shortfall`.
	fn refusal(&self, shortfall: Shortfall) -> String {
		match shortfall {
			Shortfall::Server => format!(
				"the server holds its limit of {} bytes of requests: retry in a second",
				self.bytes
			),
			Shortfall::Source(ip) => format!(
				"{ip} holds its share of {} bytes of requests being read or served: wait for its answers before sending more",
				self.share
			),
		}
	}

	/// Bytes left.
	pub fn available(&self) -> usize {
		self.permits.available_permits().saturating_mul(KIB)
	}
}

/// Bytes taken from a [`RequestBudget`], given back when dropped.
#[derive(Debug)]
struct Taken {
	_server: OwnedSemaphorePermit,
	share: Option<SourceShare>,
}

impl Taken {
	/// Holds `more`, more bytes of the same request (so of the same source), with these.
	fn merge(&mut self, more: Taken) {
		let Taken { _server: server, share } = more;
		self._server.merge(server);
		match (self.share.as_mut(), share) {
			(Some(mine), Some(mut theirs)) => {
				mine.kib = mine.kib.saturating_add(std::mem::take(&mut theirs.kib));
			}
			(None, theirs) => self.share = theirs,
			(Some(_), None) => {}
		}
	}
}

/// The KiB one source holds of a budget.
#[derive(Debug)]
struct SourceShare {
	by_source: Arc<Mutex<HashMap<IpAddr, u32>>>,
	source: IpAddr,
	kib: u32,
}

impl Drop for SourceShare {
	fn drop(&mut self) {
		if self.kib == 0 {
			return;
		}
		let mut by_source = self.by_source.lock();
		if let Some(held) = by_source.get_mut(&self.source) {
			*held = held.saturating_sub(self.kib);
			if *held == 0 {
				by_source.remove(&self.source);
			}
		}
	}
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct HttpGuardLayer {
	/// The server-wide budget.
	pub budget: RequestBudget,
	/// The largest body, in bytes.
	pub max_body: usize,
	/// The most calls in a batch.
	pub max_batch: usize,
}

impl<S> tower::Layer<S> for HttpGuardLayer {
	type Service = HttpGuard<S>;

	fn layer(&self, inner: S) -> Self::Service {
		HttpGuard { inner, settings: self.clone() }
	}
}

/// The service of [`HttpGuardLayer`].
#[derive(Clone, Debug)]
pub struct HttpGuard<S> {
	inner: S,
	settings: HttpGuardLayer,
}

impl<S, B> tower::Service<HttpRequest<B>> for HttpGuard<S>
where
	S: tower::Service<HttpRequest<HttpBody>, Response = HttpResponse> + Clone + Send + 'static,
	S::Future: Send + 'static,
	B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
	B::Error: Into<BoxError>,
{
	type Response = HttpResponse;
	type Error = S::Error;
	type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
		self.inner.poll_ready(cx)
	}

	fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
		// The clone that was made ready serves this call (tower's rule for cloned services).
		let clone = self.inner.clone();
		let mut inner = std::mem::replace(&mut self.inner, clone);
		let is_upgrade = request.headers().contains_key(http::header::UPGRADE);
		if request.method() != http::Method::POST || is_upgrade {
			return Box::pin(inner.call(request.map(HttpBody::new)));
		}
		let settings = self.settings.clone();
		Box::pin(async move {
			let (mut parts, body) = request.into_parts();
			let source = parts.extensions.get::<Source>().copied();
			let (body, _held) = match read_body(&parts.headers, body, source, &settings).await {
				Ok(read) => read,
				Err(refusal) => return Ok(refusal),
			};
			if let Some(refusal) = too_many_calls(&body, settings.max_batch) {
				return Ok(refusal);
			}
			let _turn = settings.budget.turn(body.len()).await;
			// Its calls must not wait for the turn, nor take the bytes, this request holds.
			parts.extensions.insert(HttpBodyAccounted);
			if let Some(refusal) = invalid_ids(&body) {
				return Ok(refusal);
			}
			inner.call(HttpRequest::from_parts(parts, HttpBody::from(body))).await
		})
	}
}

/// Reads a whole body within the size limit, the time limit, the budget and `source`'s share
/// of it; the bytes and the share of the budget they hold (until the answer is made), or the
/// answer to give instead.
async fn read_body<B>(
	headers: &http::HeaderMap,
	body: B,
	source: Option<Source>,
	settings: &HttpGuardLayer,
) -> Result<(Vec<u8>, Taken), HttpResponse>
where
	B: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
	B::Error: Into<BoxError>,
{
	use http_body_util::BodyExt as _;
	let max = settings.max_body;
	let declared = headers
		.get(http::header::CONTENT_LENGTH)
		.and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
	if declared.is_some_and(|length| length > max) {
		return Err(too_large(max));
	}
	if declared.is_some_and(|length| length > settings.budget.bytes) {
		return Err(busy(&settings.budget, Shortfall::Server));
	}
	if let Some(Source(ip)) = source {
		if declared.is_some_and(|length| length > settings.budget.share) {
			return Err(busy(&settings.budget, Shortfall::Source(ip)));
		}
	}
	// A body takes its share of the budget as it arrives, not as declared: a connection that
	// declares a large body and stalls holds nothing it did not send.
	let mut held: Option<Taken> = None;
	let mut reserved = 0usize;
	let mut bytes = Vec::new();
	let mut body = body;
	let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
	loop {
		let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
			Err(_) => {
				return Err(text(
					http::StatusCode::REQUEST_TIMEOUT,
					format!(
					"the request body took longer than {BODY_TIMEOUT:?} to arrive: send it at once"
				),
				))
			}
			Ok(None) => break,
			Ok(Some(Err(e))) => {
				let e: BoxError = e.into();
				return Err(text(
					http::StatusCode::BAD_REQUEST,
					format!("the request body is malformed ({e}): send a complete body, with a Content-Length or valid chunked encoding"),
				));
			}
			Ok(Some(Ok(frame))) => frame,
		};
		let Ok(data) = frame.into_data() else { continue };
		let length = bytes.len().saturating_add(data.len());
		if length > max {
			return Err(too_large(max));
		}
		if length > reserved {
			let more = length.saturating_sub(reserved).next_multiple_of(KIB);
			let extra = settings
				.budget
				.take(more, source)
				.map_err(|shortfall| busy(&settings.budget, shortfall))?;
			match &mut held {
				Some(held) => held.merge(extra),
				None => held = Some(extra),
			}
			reserved = reserved.saturating_add(more);
		}
		bytes.extend_from_slice(&data);
	}
	let held = match held {
		Some(held) => held,
		None => settings
			.budget
			.take(0, source)
			.map_err(|shortfall| busy(&settings.budget, shortfall))?,
	};
	Ok((bytes, held))
}

/// The refusal of a batch of more than `limit` calls, counted by a scan of the body: the
/// commas between the elements of a top-level array, outside strings and nested values.
/// Nothing is allocated, so a huge batch of tiny calls costs its reading and one pass.
fn too_many_calls(body: &[u8], limit: usize) -> Option<HttpResponse> {
	let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
	if body[start] != b'[' {
		return None;
	}
	let (mut depth, mut in_string, mut escaped, mut commas) = (0usize, false, false, 0usize);
	for &byte in &body[start..] {
		if in_string {
			match byte {
				_ if escaped => escaped = false,
				b'\\' => escaped = true,
				b'"' => in_string = false,
				_ => {}
			}
			continue;
		}
		match byte {
			b'"' => in_string = true,
			b'[' | b'{' => depth = depth.saturating_add(1),
			b']' | b'}' => {
				depth = depth.saturating_sub(1);
				if depth == 0 {
					break;
				}
			}
			b',' if depth == 1 => {
				commas = commas.saturating_add(1);
				// `commas + 1` elements: more than the limit.
				if commas >= limit {
					break;
				}
			}
			_ => {}
		}
	}
	if commas < limit {
		return None;
	}
	let error = serde_json::json!({
		"jsonrpc": "2.0",
		"error": {
			"code": TOO_BIG_BATCH_REQUEST_CODE,
			"message": format!("Batch request is too large: it holds more than {limit} calls, the limit: split it into batches of at most {limit}"),
		},
		"id": null,
	});
	Some(json(http::StatusCode::PAYLOAD_TOO_LARGE, error.to_string()))
}

/// The refusal of a request (or batch) with an `id` that is neither a number, a string nor
/// null. A body that is not JSON is left to jsonrpsee, which answers a parse error.
fn invalid_ids(body: &[u8]) -> Option<HttpResponse> {
	#[derive(serde::Deserialize)]
	struct Call<'a> {
		#[serde(borrow, default)]
		id: Option<&'a serde_json::value::RawValue>,
	}
	// What jsonrpsee takes for an id: anything else it took for a notification.
	let valid = |call: &Call| {
		call.id.is_none_or(|id| serde_json::from_str::<jsonrpsee::types::Id>(id.get()).is_ok())
	};
	let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
	let all_valid = match body[start] {
		b'{' => valid(&serde_json::from_slice::<Call>(body).ok()?),
		b'[' => serde_json::from_slice::<Vec<Call>>(body).ok()?.iter().all(valid),
		_ => return None,
	};
	if all_valid {
		return None;
	}
	let error = serde_json::json!({
		"jsonrpc": "2.0",
		"error": {
			"code": -32600,
			"message": "Invalid request: an id is a string, an integer from 0 to 2^64-1, or null",
		},
		"id": null,
	});
	Some(json(http::StatusCode::BAD_REQUEST, error.to_string()))
}

fn too_large(max: usize) -> HttpResponse {
	let error = serde_json::json!({
		"jsonrpc": "2.0",
		"error": {
			"code": -32007,
			"message": format!("Request is too big: the limit is {max} bytes"),
		},
		"id": null,
	});
	json(http::StatusCode::PAYLOAD_TOO_LARGE, error.to_string())
}

fn busy(budget: &RequestBudget, shortfall: Shortfall) -> HttpResponse {
	let mut response = text(http::StatusCode::SERVICE_UNAVAILABLE, budget.refusal(shortfall));
	response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
	response
}

fn json(status: http::StatusCode, body: String) -> HttpResponse {
	respond(status, "application/json; charset=utf-8", body)
}

fn text(status: http::StatusCode, body: String) -> HttpResponse {
	respond(status, "text/plain; charset=utf-8", body)
}

fn respond(status: http::StatusCode, content_type: &'static str, body: String) -> HttpResponse {
	let mut response = HttpResponse::new(HttpBody::from(body));
	*response.status_mut() = status;
	response
		.headers_mut()
		.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
	response
}

/// Marks the calls of an HTTP request whose body [`HttpGuard`] counted and whose turn it holds.
#[derive(Clone, Copy, Debug)]
struct HttpBodyAccounted;

/// See the module documentation. jsonrpsee makes one service per WebSocket connection (and one
/// per HTTP request, where the other limits apply instead).
#[derive(Clone, Debug)]
pub struct ConnectionLimitsLayer {
	/// Calls in flight on one connection.
	pub max_in_flight: u32,
	/// Bytes of parameters of the calls in flight on one connection.
	pub max_bytes_in_flight: usize,
	/// The server-wide budget.
	pub budget: RequestBudget,
}

impl<S> tower::Layer<S> for ConnectionLimitsLayer {
	type Service = ConnectionLimits<S>;

	fn layer(&self, inner: S) -> Self::Service {
		ConnectionLimits {
			inner: Arc::new(inner),
			calls: Arc::new(Semaphore::new(self.max_in_flight as usize)),
			bytes: RequestBudget::new(self.max_bytes_in_flight),
			settings: self.clone(),
		}
	}
}

/// The service of [`ConnectionLimitsLayer`], for one connection.
#[derive(Clone, Debug)]
pub struct ConnectionLimits<S> {
	inner: Arc<S>,
	calls: Arc<Semaphore>,
	bytes: RequestBudget,
	settings: ConnectionLimitsLayer,
}

impl<'a, S> RpcServiceT<'a> for ConnectionLimits<S>
where
	S: RpcServiceT<'a> + Send + Sync + 'static,
{
	type Future = Pin<Box<dyn Future<Output = MethodResponse> + Send + 'a>>;

	fn call(&self, request: Request<'a>) -> Self::Future {
		let accounted = request.extensions().get::<HttpBodyAccounted>().is_some();
		let size = match accounted {
			true => 0,
			false => request.params.as_ref().map_or(0, |p| p.get().len()),
		};
		let refuse = |request: Request<'a>, message: String| -> Self::Future {
			let unsent = match accounted {
				true => None,
				false => request.extensions().get::<Unsent>().cloned(),
			};
			let response =
				MethodResponse::error(request.id, ErrorObject::owned(BUSY, message, None::<()>));
			if let Some(unsent) = unsent {
				unsent.add(response.as_result().len());
			}
			Box::pin(std::future::ready(response))
		};
		let Ok(call) = self.calls.clone().try_acquire_owned() else {
			let message = format!(
				"this connection has {} calls in flight, its limit: wait for answers before sending more",
				self.settings.max_in_flight
			);
			return refuse(request, message);
		};
		let Ok(mine) = self.bytes.take(size, None) else {
			let message = format!(
				"this connection has its limit of {} bytes of calls in flight: wait for answers before sending more",
				self.settings.max_bytes_in_flight
			);
			return refuse(request, message);
		};
		let source = request.extensions().get::<Source>().copied();
		let server = match self.settings.budget.take(size, source) {
			Ok(server) => server,
			Err(shortfall) => {
				let message = self.settings.budget.refusal(shortfall);
				return refuse(request, message);
			}
		};
		let budget = self.settings.budget.clone();
		let inner = self.inner.clone();
		// A WebSocket answer waits on the connection until the peer reads it.
		let unsent = match accounted {
			true => None,
			false => request.extensions().get::<Unsent>().cloned(),
		};
		Box::pin(async move {
			let turn = budget.turn(size).await;
			let response = inner.call(request).await;
			drop((call, mine, server, turn));
			if let Some(unsent) = unsent {
				unsent.add(response.as_result().len());
			}
			response
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_source_holds_at_most_its_share_and_gives_it_back() {
		let budget = RequestBudget::with_share(64 * KIB, 32 * KIB);
		let a = Some(Source("10.0.0.1".parse().unwrap()));
		let b = Some(Source("10.0.0.2".parse().unwrap()));
		// At the share, then one byte past it.
		let mut held = budget.take(16 * KIB, a).unwrap();
		held.merge(budget.take(16 * KIB, a).unwrap());
		let refused = budget.take(1, a).unwrap_err();
		assert_eq!(refused, Shortfall::Source("10.0.0.1".parse().unwrap()));
		assert!(budget.refusal(refused).contains("10.0.0.1 holds its share of 32768 bytes"));
		// Another source takes the rest; then the server is full for everyone.
		let other = budget.take(32 * KIB, b).unwrap();
		assert_eq!(budget.take(KIB, None).unwrap_err(), Shortfall::Server);
		drop(held);
		assert_eq!(budget.available(), 32 * KIB);
		let _again = budget.take(32 * KIB, a).unwrap();
		drop(other);
		assert_eq!(budget.by_source.lock().len(), 1, "a source that holds nothing keeps no entry");
		// Taking nothing keeps no entry either.
		let _nothing = budget.take(0, Some(Source("10.0.0.3".parse().unwrap()))).unwrap();
		assert_eq!(budget.by_source.lock().len(), 1);
	}

	#[test]
	fn a_batch_is_counted_by_its_top_level_calls_only() {
		let refused = |body: &str| too_many_calls(body.as_bytes(), 3).is_some();
		assert!(!refused(r#" [{"id":1},{"id":2},{"id":3}]"#));
		assert!(refused(r#" [{"id":1},{"id":2},{"id":3},{"id":4}]"#));
		// Commas in strings, escaped quotes and nested values are not calls.
		assert!(!refused(r#"[{"id":",,,,"},{"p":[1,2,3,4]},{"id":"a\",\",,,"}]"#));
		assert!(!refused(r#"{"id":1,"params":[1,2,3,4,5]}"#));
		// Malformed, a list too long is refused all the same.
		assert!(refused("[1,2,3,4"));
	}
}
