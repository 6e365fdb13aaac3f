//! The FHIR R4 REST interface: read and search over the chain's consents, accounting of
//! disclosures and record index, as hospitals' EHRs and integration engines call FHIR servers.
//!
//! - **Where**: its own port (`--fhir-port`), on the RPC's interface; on by default with
//!   `--dev` (11 above the RPC port: 9955 beside 9944), off otherwise unless the operator gives
//!   `--fhir-port`.
//! - **What**: `GET /fhir/metadata` (a CapabilityStatement of exactly what is served), and read
//!   (`GET /fhir/<Type>/<id>`) and search (`GET /fhir/<Type>?…`, a `searchset` Bundle with
//!   `self`, `next` and `previous` links) of `Consent`, `AuditEvent`, `DocumentReference` and
//!   `Provenance`; errors are `OperationOutcome`s with an HTTP status. Read-only: any other
//!   method is refused (405).
//! - **Who**: every request but `metadata` needs a session token from RPC's sign-in
//!   (`auth_challenge`, `auth_signIn`), sent as `Authorization: Bearer <token>`, as SMART on
//!   FHIR clients send theirs, whether or not RPC's own authentication is on. Consents and
//!   audit events are the patient's and guardians'; records (DocumentReference, Provenance)
//!   also a grantee's, for the records the chain lets them read, each one so answered entered
//!   in the node's accounting of disclosures first (`consent_nodeDisclosures`), as
//!   `records_byPatient` does.
//!
//! The resources are built by `carechain_interop::fhir` (pure mappings); this module reads the
//! chain through the RPC handlers' checks (`Handlers::fhir_*`), filters and pages.

mod capability;
mod search;

use crate::rpc::{
	auth::{self, Auth},
	handlers::Handlers,
};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use jsonrpsee::{types::ErrorObjectOwned, Extensions};
use serde_json::{json, Value as Json};
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// How far above the RPC port `--dev` serves the FHIR interface (9955 beside 9944).
pub const DEV_PORT_OFFSET: u16 = 11;

/// The FHIR content type.
const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// How the interface is served.
#[derive(Clone, Debug)]
pub struct FhirSettings {
	/// Where it listens.
	pub listen: SocketAddr,
	/// The most connections open at once.
	pub max_connections: usize,
	/// The most connections open at once from one address.
	pub max_connections_per_ip: usize,
	/// The most requests answered at once (each reads the chain on a blocking thread); more are
	/// answered 503 at once.
	pub max_in_flight: usize,
	/// How long a connection may take to send each request's headers.
	pub header_timeout: Duration,
	/// How long a connection may stay open, whatever it does.
	pub max_connection_age: Duration,
	/// The runtime that serves it (the RPC's, so that it never takes block building's threads);
	/// the caller's when `None`.
	pub runtime: Option<tokio::runtime::Handle>,
}

impl FhirSettings {
	/// Settings listening on `listen`: 64 connections (8 per address), 8 requests at once,
	/// 10 s for headers, 5 minutes a connection.
	pub fn new(listen: SocketAddr) -> Self {
		Self {
			listen,
			max_connections: 64,
			max_connections_per_ip: 8,
			max_in_flight: 8,
			header_timeout: Duration::from_secs(10),
			max_connection_age: Duration::from_secs(300),
			runtime: None,
		}
	}
}

/// The interface: the RPC handlers it reads through, the sessions it checks, and the permits
/// of requests in flight.
pub struct FhirRest {
	handlers: Handlers,
	auth: Arc<Auth>,
	in_flight: Arc<tokio::sync::Semaphore>,
}

/// An answer: an HTTP status, a JSON body and its content type, and other headers.
#[derive(Debug)]
pub struct Answer {
	/// The status.
	pub status: StatusCode,
	/// The resource (an OperationOutcome on FHIR's errors).
	pub body: Json,
	/// Its content type.
	pub content_type: &'static str,
	/// More headers (EPCIS's `Link` to the next page).
	pub headers: Vec<(&'static str, String)>,
}

impl Answer {
	/// `body` as `content_type` with `status`.
	pub fn with(status: StatusCode, body: Json, content_type: &'static str) -> Self {
		Self { status, body, content_type, headers: vec![] }
	}

	fn ok(body: Json) -> Self {
		Self::with(StatusCode::OK, body, FHIR_JSON)
	}

	/// An error as an OperationOutcome: `code` from FHIR's issue-type value set, and a message
	/// that says what to do.
	fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
		let body = json!({
			"resourceType": "OperationOutcome",
			"issue": [{ "severity": "error", "code": code, "diagnostics": message.into() }],
		});
		Self::with(status, body, FHIR_JSON)
	}

	fn bad_request(message: impl Into<String>) -> Self {
		Self::error(StatusCode::BAD_REQUEST, "invalid", message)
	}

	fn not_found(message: impl Into<String>) -> Self {
		Self::error(StatusCode::NOT_FOUND, "not-found", message)
	}

	/// An RPC handler's refusal or failure, with the HTTP status its code means.
	pub fn from_rpc(error: &ErrorObjectOwned) -> Self {
		let (status, code) = match error.code() {
			auth::UNAUTHENTICATED
			| auth::SESSION_EXPIRED
			| auth::SESSION_REVOKED
			| auth::SIGN_IN_REFUSED => (StatusCode::UNAUTHORIZED, "login"),
			auth::FORBIDDEN => (StatusCode::FORBIDDEN, "forbidden"),
			auth::AUTH_UNAVAILABLE
			| auth::SIGN_IN_BUSY
			| crate::rpc::disclosures::NOT_ACCOUNTED
			| crate::rpc::disclosures::LOG_FULL
			| crate::rpc::disclosures::ACCESSOR_SHARE_FULL => (StatusCode::SERVICE_UNAVAILABLE, "transient"),
			_ => (StatusCode::INTERNAL_SERVER_ERROR, "exception"),
		};
		Self::error(status, code, error.message().to_owned())
	}
}

impl FhirRest {
	/// The interface over `handlers`, checking sessions with `auth`, answering at most
	/// `max_in_flight` requests at once.
	pub fn new(handlers: Handlers, auth: Arc<Auth>, max_in_flight: usize) -> Arc<Self> {
		let in_flight = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
		Arc::new(Self { handlers, auth, in_flight })
	}

	/// Answers `GET path?query` from the bearer of `token`; `base` is the interface's URL
	/// (`http://host:port/fhir`) for links.
	pub fn answer(
		&self,
		method: &Method,
		path: &str,
		query: Option<&str>,
		token: Option<&str>,
		base: &str,
	) -> Answer {
		if path == "/epcis" || path.starts_with("/epcis/") {
			let epcis_base =
				base.strip_suffix("/fhir").map(|b| format!("{b}/epcis")).unwrap_or_default();
			return crate::epcis_rest::answer(
				&self.handlers,
				self.session(token, "the EPCIS interface"),
				method,
				path,
				query,
				&epcis_base,
			);
		}
		if method != Method::GET && method != Method::HEAD {
			return Answer::error(
				StatusCode::METHOD_NOT_ALLOWED,
				"not-supported",
				format!("{method} is not served: this FHIR interface is read-only (GET); write through the chain's transactions"),
			);
		}
		let Some(rest) = path.strip_prefix("/fhir/") else {
			return Answer::not_found(format!(
				"{path} is not a FHIR endpoint: the interface is under /fhir/ (see /fhir/metadata)"
			));
		};
		let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
		if parts == ["metadata"] {
			return Answer::ok(capability::statement(base));
		}
		let ext = match self.session(token, "the FHIR interface") {
			Ok(ext) => ext,
			Err(e) => {
				let mut answer = Answer::from_rpc(&e);
				answer.body["issue"][0]["diagnostics"] = Json::from(format!(
					"{} (FHIR: send the token as `Authorization: Bearer <token>`)",
					answer.body["issue"][0]["diagnostics"].as_str().unwrap_or_default()
				));
				return answer;
			}
		};
		let query = match search::Query::parse(query.unwrap_or_default()) {
			Ok(query) => query,
			Err(message) => return Answer::bad_request(message),
		};
		let reads = search::Reads { handlers: &self.handlers, ext: &ext, base };
		let outcome = match parts[..] {
			[kind] => reads.search(kind, query),
			[kind, id] if query.is_empty() => reads.read(kind, id),
			[_, _] => Err(Answer::bad_request("a read takes no parameters")),
			_ => Err(Answer::not_found(format!("/fhir/{rest} is not served: see /fhir/metadata"))),
		};
		outcome.unwrap_or_else(|answer| answer)
	}

	/// The caller the bearer of `token` is, for the handlers' checks, or why `what` refuses it.
	fn session(&self, token: Option<&str>, what: &str) -> Result<Extensions, ErrorObjectOwned> {
		let caller = self.auth.signed_caller(token);
		caller.account(what).map_err(ErrorObjectOwned::from)?;
		let mut ext = Extensions::new();
		ext.insert(caller);
		Ok(ext)
	}

	async fn respond(
		self: Arc<Self>,
		request: Request<hyper::body::Incoming>,
		fallback: String,
	) -> Response<Full<Bytes>> {
		let method = request.method().clone();
		let cors = |builder: http::response::Builder| {
			builder
				.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
				.header(header::ACCESS_CONTROL_ALLOW_HEADERS, "authorization, accept")
				.header(header::ACCESS_CONTROL_EXPOSE_HEADERS, "link")
				.header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS")
		};
		if method == Method::OPTIONS {
			return cors(Response::builder().status(StatusCode::NO_CONTENT))
				.body(Full::new(Bytes::new()))
				.unwrap_or_default();
		}
		let host = request
			.headers()
			.get(header::HOST)
			.and_then(|h| h.to_str().ok())
			.filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
			.map_or(fallback, str::to_owned);
		let base = format!("http://{host}/fhir");
		// The scheme is case-insensitive (RFC 9110 11.1).
		let token = request
			.headers()
			.get(header::AUTHORIZATION)
			.and_then(|v| v.to_str().ok())
			.and_then(|v| v.trim().split_once(' '))
			.filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
			.map(|(_, token)| token.trim().to_owned());
		let path = request.uri().path().to_owned();
		let query = request.uri().query().map(str::to_owned);
		let reply = |answer: Answer, builder: http::response::Builder| {
			let body = serde_json::to_vec(&answer.body).unwrap_or_default();
			let mut builder = cors(builder.status(answer.status))
				.header(header::CONTENT_TYPE, answer.content_type);
			for (name, value) in &answer.headers {
				builder = builder.header(*name, value);
			}
			builder.body(Full::new(Bytes::from(body))).unwrap_or_default()
		};
		let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
			let busy = Answer::error(
				StatusCode::SERVICE_UNAVAILABLE,
				"transient",
				"the node is answering as many FHIR requests as it takes at once: retry shortly",
			);
			return reply(busy, Response::builder().header(header::RETRY_AFTER, "1"));
		};
		// The permit lives as long as the work: a client that hangs up frees it only when the
		// work is done.
		let answer = tokio::task::spawn_blocking(move || {
			let answer = self.answer(&method, &path, query.as_deref(), token.as_deref(), &base);
			drop(permit);
			answer
		})
		.await
		.unwrap_or_else(|_| {
			Answer::error(
				StatusCode::INTERNAL_SERVER_ERROR,
				"exception",
				"the request failed inside the node: report this bug",
			)
		});
		reply(answer, Response::builder())
	}
}

/// Connections open per address, decremented when a connection's guard drops.
type PerAddress = Arc<parking_lot::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>;

struct AddressSlot(PerAddress, std::net::IpAddr);

impl Drop for AddressSlot {
	fn drop(&mut self) {
		let mut open = self.0.lock();
		if let Some(count) = open.get_mut(&self.1) {
			*count = count.saturating_sub(1);
			if *count == 0 {
				open.remove(&self.1);
			}
		}
	}
}

/// Serves `rest` on `settings.listen` until the process ends; returns the address bound.
/// HTTP/1.1 only, each request's headers within `header_timeout`, each connection at most
/// `max_connection_age`; past `max_connections` (or the per-address share) a connection is
/// closed at once.
pub async fn serve(settings: &FhirSettings, rest: Arc<FhirRest>) -> eyre::Result<SocketAddr> {
	let listener = tokio::net::TcpListener::bind(settings.listen).await.map_err(|e| {
		eyre::eyre!("cannot listen for FHIR on {}: {e}; use --fhir-port", settings.listen)
	})?;
	let address = listener.local_addr()?;
	let permits = Arc::new(tokio::sync::Semaphore::new(settings.max_connections.max(1)));
	let per_address: PerAddress = Arc::default();
	let settings = settings.clone();
	let runtime = settings.runtime.clone().unwrap_or_else(tokio::runtime::Handle::current);
	let spawner = runtime.clone();
	runtime.spawn(async move {
		loop {
			let Ok((stream, peer)) = listener.accept().await else {
				tokio::time::sleep(Duration::from_millis(50)).await;
				continue;
			};
			let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
			let slot = {
				let mut open = per_address.lock();
				let count = open.entry(peer.ip()).or_default();
				if *count >= settings.max_connections_per_ip.max(1) {
					continue;
				}
				*count += 1;
				AddressSlot(per_address.clone(), peer.ip())
			};
			let rest = rest.clone();
			let (timeout, age) = (settings.header_timeout, settings.max_connection_age);
			spawner.spawn(async move {
				let service = hyper::service::service_fn(move |request| {
					let rest = rest.clone();
					async move {
						Ok::<_, std::convert::Infallible>(
							rest.respond(request, address.to_string()).await,
						)
					}
				});
				let connection = hyper::server::conn::http1::Builder::new()
					.timer(TokioTimer::new())
					.header_read_timeout(timeout)
					.serve_connection(TokioIo::new(stream), service);
				let _ = tokio::time::timeout(age, connection).await;
				drop((permit, slot));
			});
		}
	});
	Ok(address)
}

#[cfg(test)]
pub(crate) mod tests;
