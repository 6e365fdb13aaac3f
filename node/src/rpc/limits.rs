//! What the RPC server holds for a caller, bounded where jsonrpsee's builder has no setting:
//! the bytes of requests being read or served (over all connections and per connection), the
//! requests in flight on one connection, and a request body that is not JSON-RPC at all.
//!
//! - [`HttpGuardLayer`] reads an HTTP request's body itself, before jsonrpsee does: a body that
//!   breaks off or whose chunked framing is wrong gets 400, one past the size limit 413 (also
//!   when chunked, without a length), one that reads too slowly 408, and one that would take
//!   the server past its byte budget 503, without being read further. A request whose `id` is
//!   not a string, an unsigned 64-bit integer or null gets `-32600 Invalid request` (jsonrpsee took it for a
//!   notification and answered nothing).
//! - Requests of [`LARGE_REQUEST`] bytes or more, over HTTP or WebSocket, are served one at a
//!   time.
//! - [`ConnectionLimitsLayer`] bounds, per WebSocket connection, the calls in flight and the
//!   bytes of their parameters, and takes those bytes from the same server-wide budget; a call
//!   past either gets [`BUSY`] with what to do.

use jsonrpsee::{
	core::BoxError,
	server::{middleware::rpc::RpcServiceT, HttpBody, HttpRequest, HttpResponse, MethodResponse},
	types::{ErrorObject, Request},
};
use std::{
	future::Future,
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

/// The bytes of requests the whole server holds at once, and the turn of large requests.
#[derive(Clone, Debug)]
pub struct RequestBudget {
	permits: Arc<Semaphore>,
	bytes: usize,
	large: Arc<Semaphore>,
}

impl RequestBudget {
	/// A budget of `bytes`.
	pub fn new(bytes: usize) -> Self {
		Self {
			permits: Arc::new(Semaphore::new(kib(bytes) as usize)),
			bytes,
			large: Arc::new(Semaphore::new(1)),
		}
	}

	/// Waits for the turn of a request of `bytes`, if it is large.
	async fn turn(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
		if bytes < LARGE_REQUEST {
			return None;
		}
		self.large.clone().acquire_owned().await.ok()
	}

	/// Takes `bytes` from the budget, if that much is left.
	fn take(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
		self.permits.clone().try_acquire_many_owned(kib(bytes)).ok()
	}

	/// Bytes left.
	pub fn available(&self) -> usize {
		self.permits.available_permits().saturating_mul(KIB)
	}
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct HttpGuardLayer {
	/// The server-wide budget.
	pub budget: RequestBudget,
	/// The largest body, in bytes.
	pub max_body: usize,
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
			let (body, _held) = match read_body(&parts.headers, body, &settings).await {
				Ok(read) => read,
				Err(refusal) => return Ok(refusal),
			};
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

/// Reads a whole body within the size limit, the time limit and the budget; the bytes and the
/// share of the budget they hold (until the answer is made), or the answer to give instead.
async fn read_body<B>(
	headers: &http::HeaderMap,
	body: B,
	settings: &HttpGuardLayer,
) -> Result<(Vec<u8>, OwnedSemaphorePermit), HttpResponse>
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
		return Err(busy(&settings.budget));
	}
	// A body takes its share of the budget as it arrives, not as declared: a connection that
	// declares a large body and stalls holds nothing it did not send.
	let mut held: Option<OwnedSemaphorePermit> = None;
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
			let extra = settings.budget.take(more).ok_or_else(|| busy(&settings.budget))?;
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
		None => settings.budget.take(0).ok_or_else(|| busy(&settings.budget))?,
	};
	Ok((bytes, held))
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

fn busy(budget: &RequestBudget) -> HttpResponse {
	let mut response = text(
		http::StatusCode::SERVICE_UNAVAILABLE,
		format!(
			"the server holds its limit of {} bytes of requests: retry in a second",
			budget.bytes
		),
	);
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
			let response =
				MethodResponse::error(request.id, ErrorObject::owned(BUSY, message, None::<()>));
			Box::pin(std::future::ready(response))
		};
		let Ok(call) = self.calls.clone().try_acquire_owned() else {
			let message = format!(
				"this connection has {} calls in flight, its limit: wait for answers before sending more",
				self.settings.max_in_flight
			);
			return refuse(request, message);
		};
		let Some(mine) = self.bytes.take(size) else {
			let message = format!(
				"this connection has its limit of {} bytes of calls in flight: wait for answers before sending more",
				self.settings.max_bytes_in_flight
			);
			return refuse(request, message);
		};
		let Some(server) = self.settings.budget.take(size) else {
			let message = format!(
				"the server holds its limit of {} bytes of requests: retry in a second",
				self.settings.budget.bytes
			);
			return refuse(request, message);
		};
		let budget = self.settings.budget.clone();
		let inner = self.inner.clone();
		Box::pin(async move {
			let turn = budget.turn(size).await;
			let response = inner.call(request).await;
			drop((call, mine, server, turn));
			response
		})
	}
}
