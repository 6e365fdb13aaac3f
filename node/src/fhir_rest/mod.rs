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
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
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
	/// How long a connection may take to send its request headers.
	pub header_timeout: Duration,
}

impl FhirSettings {
	/// Settings listening on `listen`, 64 connections, 10 s for headers.
	pub fn new(listen: SocketAddr) -> Self {
		Self { listen, max_connections: 64, header_timeout: Duration::from_secs(10) }
	}
}

/// The interface: the RPC handlers it reads through, and the sessions it checks.
pub struct FhirRest {
	handlers: Handlers,
	auth: Arc<Auth>,
}

/// An answer: an HTTP status and a FHIR resource.
#[derive(Debug)]
pub struct Answer {
	/// The status.
	pub status: StatusCode,
	/// The resource (an OperationOutcome on errors).
	pub body: Json,
}

impl Answer {
	fn ok(body: Json) -> Self {
		Self { status: StatusCode::OK, body }
	}

	/// An error as an OperationOutcome: `code` from FHIR's issue-type value set, and a message
	/// that says what to do.
	fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
		let body = json!({
			"resourceType": "OperationOutcome",
			"issue": [{ "severity": "error", "code": code, "diagnostics": message.into() }],
		});
		Self { status, body }
	}

	fn bad_request(message: impl Into<String>) -> Self {
		Self::error(StatusCode::BAD_REQUEST, "invalid", message)
	}

	fn not_found(message: impl Into<String>) -> Self {
		Self::error(StatusCode::NOT_FOUND, "not-found", message)
	}

	/// An RPC handler's refusal or failure, with the HTTP status its code means.
	fn from_rpc(error: &ErrorObjectOwned) -> Self {
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
	/// The interface over `handlers`, checking sessions with `auth`.
	pub fn new(handlers: Handlers, auth: Arc<Auth>) -> Arc<Self> {
		Arc::new(Self { handlers, auth })
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
		let caller = self.auth.signed_caller(token);
		if let Err(e) = caller.account("the FHIR interface") {
			let mut answer = Answer::from_rpc(&ErrorObjectOwned::from(e));
			answer.body["issue"][0]["diagnostics"] = Json::from(format!(
				"{} (FHIR: send the token as `Authorization: Bearer <token>`)",
				answer.body["issue"][0]["diagnostics"].as_str().unwrap_or_default()
			));
			return answer;
		}
		let mut ext = Extensions::new();
		ext.insert(caller);
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
		let token = request
			.headers()
			.get(header::AUTHORIZATION)
			.and_then(|v| v.to_str().ok())
			.and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
			.map(|t| t.trim().to_owned());
		let path = request.uri().path().to_owned();
		let query = request.uri().query().map(str::to_owned);
		let answer = tokio::task::spawn_blocking(move || {
			self.answer(&method, &path, query.as_deref(), token.as_deref(), &base)
		})
		.await
		.unwrap_or_else(|_| {
			Answer::error(
				StatusCode::INTERNAL_SERVER_ERROR,
				"exception",
				"the request failed inside the node: report this bug",
			)
		});
		let body = serde_json::to_vec(&answer.body).unwrap_or_default();
		cors(Response::builder().status(answer.status))
			.header(header::CONTENT_TYPE, FHIR_JSON)
			.body(Full::new(Bytes::from(body)))
			.unwrap_or_default()
	}
}

/// Serves `rest` on `settings.listen` until the process ends; returns the address bound.
pub async fn serve(settings: &FhirSettings, rest: Arc<FhirRest>) -> eyre::Result<SocketAddr> {
	let listener = tokio::net::TcpListener::bind(settings.listen).await.map_err(|e| {
		eyre::eyre!("cannot listen for FHIR on {}: {e}; use --fhir-port", settings.listen)
	})?;
	let address = listener.local_addr()?;
	let permits = Arc::new(tokio::sync::Semaphore::new(settings.max_connections.max(1)));
	let timeout = settings.header_timeout;
	tokio::spawn(async move {
		loop {
			let Ok((stream, _)) = listener.accept().await else {
				tokio::time::sleep(Duration::from_millis(50)).await;
				continue;
			};
			// Past the limit a connection is closed at once rather than queued.
			let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
			let rest = rest.clone();
			tokio::spawn(async move {
				let service = hyper::service::service_fn(move |request| {
					let rest = rest.clone();
					async move {
						Ok::<_, std::convert::Infallible>(
							rest.respond(request, address.to_string()).await,
						)
					}
				});
				let mut builder =
					hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
				builder.http1().timer(TokioTimer::new()).header_read_timeout(timeout);
				let _ = builder.serve_connection(TokioIo::new(stream), service).await;
				drop(permit);
			});
		}
	});
	Ok(address)
}

#[cfg(test)]
mod tests;
