//! The JSON-RPC server: HTTP and WebSocket on one port, the modules merged here, with the
//! limits of [`RpcSettings`] on the connections one address may open and how long they may stay
//! silent ([`connections`]), on what one caller may hold ([`limits`]) and, when the node serves
//! beyond loopback, sessions and the classes of methods they open ([`auth`]).

pub mod api;
pub mod auth;
pub mod connections;
pub mod disclosures;
pub mod fate;
pub mod handlers;
pub mod limits;
pub mod provenance;
pub mod spec_v2;
pub mod telehealth;
pub mod trials;

use api::{
	AuthorApiServer, CarechainApiServer, ChainApiServer, PaymentApiServer, StateApiServer,
	SystemApiServer,
};
use handlers::Handlers;
use jsonrpsee::{
	server::{PingConfig, Server, ServerHandle},
	RpcModule,
};
use std::{net::SocketAddr, time::Duration};

/// How the RPC server listens.
#[derive(Clone, Debug)]
pub struct RpcSettings {
	/// Address and port.
	pub listen: SocketAddr,
	/// Most open connections.
	pub max_connections: u32,
	/// Most open connections from one address (one /64 for IPv6); `None` is a quarter of
	/// `max_connections`, at least 1.
	pub max_connections_per_ip: Option<u32>,
	/// How long a connection may stay open without sending a request: before its first, or
	/// between two while it has none in flight and writes nothing (also the most a request's
	/// headers may take).
	pub request_deadline: Duration,
	/// Requests in flight on one HTTP/2 connection (its concurrent streams): each holds its
	/// answer until the peer reads it.
	pub max_http2_streams: u32,
	/// How often a WebSocket peer is pinged, and how long it may leave pings unanswered.
	pub ws_ping: PingConfig,
	/// Origins allowed by CORS; `None` allows all.
	pub cors: Option<Vec<String>>,
	/// Largest request or response, in bytes.
	pub max_message_bytes: u32,
	/// Bytes of requests the server holds at once, over all connections; beyond it requests
	/// are refused as busy (HTTP 503, or JSON-RPC [`limits::BUSY`]) until others are answered.
	pub max_request_bytes_in_flight: usize,
	/// The share of `max_request_bytes_in_flight` one address (one /64 for IPv6) may hold;
	/// `None` is half of it, or one of the largest requests if that is more.
	pub max_request_bytes_per_ip: Option<usize>,
	/// Calls in flight on one WebSocket connection.
	pub max_calls_per_connection: u32,
	/// Subscriptions open on one WebSocket connection.
	pub max_subscriptions_per_connection: u32,
	/// Answers and notifications queued for one WebSocket connection that reads slowly; beyond
	/// it the server waits for the connection before it answers more.
	pub message_buffer_per_connection: u32,
	/// Bytes of answers made for one WebSocket connection and not yet written to its socket;
	/// beyond it (or while its socket's send buffer is full) the server reads nothing more
	/// from the connection until its peer reads.
	pub max_unsent_bytes_per_connection: usize,
	/// The runtime whose threads serve RPC; the caller's when `None`.
	pub runtime: Option<tokio::runtime::Handle>,
	/// Who may call what; every method answers anyone when `None`.
	pub auth: Option<std::sync::Arc<auth::Auth>>,
	/// The portal's files, served at `/portal/` in front of JSON-RPC.
	pub portal: Option<std::sync::Arc<crate::portal::PortalFiles>>,
}

impl RpcSettings {
	/// The node's limits for a server on `listen` whose largest message is
	/// `max_message_bytes`: room for one of the largest requests and small ones beside it, a connection's
	/// calls in flight bounded to what `carechain-bench` and wallets use, with room to spare.
	pub fn new(listen: SocketAddr, max_message_bytes: u32) -> Self {
		Self {
			listen,
			max_connections: 100,
			max_connections_per_ip: None,
			request_deadline: Duration::from_secs(10),
			// A browser opens a handful of streams at once; a node's clients pipeline over
			// WebSocket.
			max_http2_streams: 16,
			// A peer that answers no ping for about a minute and a half is gone.
			ws_ping: PingConfig::new()
				.ping_interval(Duration::from_secs(30))
				.inactive_limit(Duration::from_secs(40))
				.max_failures(2),
			cors: None,
			max_message_bytes,
			// Serving a request holds a few copies of it (body, parsed parameters, decoded
			// bytes): one of the largest, with room for small ones beside it, keeps a node
			// under a few hundred MiB however many callers send large bodies at once.
			max_request_bytes_in_flight: (max_message_bytes as usize).saturating_add(8 << 20),
			max_request_bytes_per_ip: None,
			max_calls_per_connection: 256,
			max_subscriptions_per_connection: 256,
			message_buffer_per_connection: 256,
			// The kernel's send buffer takes a few MiB more: a peer that keeps up never waits.
			max_unsent_bytes_per_connection: 1 << 20,
			runtime: None,
			auth: None,
			portal: None,
		}
	}

	/// Most open connections from one address.
	pub fn connections_per_ip(&self) -> u32 {
		self.max_connections_per_ip.unwrap_or(self.max_connections / 4).max(1)
	}

	/// Most bytes of requests one address holds at once: never more than the server's.
	pub fn request_bytes_per_ip(&self) -> usize {
		let all = self.max_request_bytes_in_flight;
		self.max_request_bytes_per_ip
			.unwrap_or_else(|| (all / 2).max(self.max_message_bytes as usize))
			.min(all)
	}
}

/// The most calls in one batch: a batch is one call's worth of in-flight accounting, so it
/// is kept to a page.
pub const MAX_BATCH: u32 = 1024;

/// Every method of the node but sign-in, with `rpc_methods` listing them.
pub fn module(
	handlers: Handlers,
	vault: Option<crate::vault::VaultRpc>,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
	module_with_auth(handlers, vault, None)
}

/// Every method of the node, sign-in (`auth_*`) included when `auth` is given, with
/// `rpc_methods` listing them.
pub fn module_with_auth(
	handlers: Handlers,
	vault: Option<crate::vault::VaultRpc>,
	auth: Option<std::sync::Arc<auth::Auth>>,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
	let mut module = RpcModule::new(());
	if let Some(auth) = auth {
		module.merge(auth::AuthApiServer::into_rpc(auth::AuthRpc(auth)))?;
	}
	module.merge(SystemApiServer::into_rpc(handlers.clone()))?;
	module.merge(ChainApiServer::into_rpc(handlers.clone()))?;
	module.merge(StateApiServer::into_rpc(handlers.clone()))?;
	module.merge(AuthorApiServer::into_rpc(handlers.clone()))?;
	module.merge(PaymentApiServer::into_rpc(handlers.clone()))?;
	let (node, spec) = handlers.parts();
	module.merge(spec_v2::module(node, spec, Default::default())?)?;
	module.merge(provenance::ProvenanceRpcServer::into_rpc(handlers.clone()))?;
	module.merge(trials::TrialsRpcServer::into_rpc(handlers.clone()))?;
	module.merge(telehealth::TelehealthRpcServer::into_rpc(handlers.clone()))?;
	module.merge(telehealth::WellnessRpcServer::into_rpc(handlers.clone()))?;
	module.merge(CarechainApiServer::into_rpc(handlers))?;
	if let Some(vault) = vault {
		module.merge(crate::vault::VaultApiServer::into_rpc(vault))?;
	}
	let mut names: Vec<String> = module.method_names().map(str::to_owned).collect();
	names.push("rpc_methods".into());
	names.sort();
	module.register_method(
		"rpc_methods",
		move |_, _, _| serde_json::json!({ "version": 1, "methods": names }),
	)?;
	Ok(module)
}

/// Starts the server; it runs until the handle is stopped or dropped.
pub async fn start(
	settings: &RpcSettings,
	module: RpcModule<()>,
) -> eyre::Result<(ServerHandle, SocketAddr)> {
	let cors = match &settings.cors {
		None => tower_http::cors::CorsLayer::permissive(),
		Some(origins) => {
			let origins = origins
				.iter()
				.map(|o| o.parse())
				.collect::<Result<Vec<http::HeaderValue>, _>>()
				.map_err(|e| eyre::eyre!("--rpc-cors has an invalid origin: {e}"))?;
			tower_http::cors::CorsLayer::new()
				.allow_origin(origins)
				.allow_methods([http::Method::POST])
				.allow_headers([http::header::CONTENT_TYPE, http::header::AUTHORIZATION])
		}
	};
	let budget = limits::RequestBudget::with_share(
		settings.max_request_bytes_in_flight,
		settings.request_bytes_per_ip(),
	);
	let services = Server::builder()
		.max_connections(settings.max_connections)
		.max_request_body_size(settings.max_message_bytes)
		.max_response_body_size(settings.max_message_bytes)
		.max_subscriptions_per_connection(settings.max_subscriptions_per_connection)
		.set_message_buffer_capacity(settings.message_buffer_per_connection.max(1))
		.enable_ws_ping(settings.ws_ping)
		// String subscription ids, as Substrate's nodes answer: polkadot-api takes only those
		// (the new spec calls them opaque strings), and they are not guessable.
		.set_id_provider(jsonrpsee::server::RandomStringIdProvider::new(16))
		// A batch is one call's worth of in-flight accounting: keep it to a page.
		.set_batch_request_config(jsonrpsee::server::BatchRequestConfig::Limit(MAX_BATCH))
		.set_http_middleware(
			tower::ServiceBuilder::new()
				.layer(cors)
				.layer(crate::portal::PortalLayer(settings.portal.clone()))
				.layer(limits::HttpGuardLayer {
					budget: budget.clone(),
					max_body: settings.max_message_bytes as usize,
					max_batch: MAX_BATCH as usize,
				})
				.layer(auth::AuthHttpLayer(settings.auth.clone())),
		)
		.set_rpc_middleware(
			jsonrpsee::server::RpcServiceBuilder::new()
				.layer(limits::ConnectionLimitsLayer {
					max_in_flight: settings.max_calls_per_connection,
					// One request of the largest size, or many small ones.
					max_bytes_in_flight: settings.max_message_bytes as usize,
					budget,
				})
				.layer(auth::AuthRpcLayer(settings.auth.clone())),
		)
		.to_service_builder();
	let listener = tokio::net::TcpListener::bind(settings.listen)
		.await
		.map_err(|e| eyre::eyre!("cannot listen for RPC on {}: {e}", settings.listen))?;
	let address = listener.local_addr()?;
	let (stop, handle) = jsonrpsee::server::stop_channel();
	let methods: jsonrpsee::server::Methods = module.into();
	let slots = connections::Slots::new(settings.max_connections, settings.connections_per_ip());
	let deadline = settings.request_deadline;
	let max_http2_streams = settings.max_http2_streams.max(1);
	let max_unsent = settings.max_unsent_bytes_per_connection;
	// jsonrpsee's accept loop, with the slots and the deadline of [`connections`].
	let accept = async move {
		let stopped = stop.clone().shutdown();
		tokio::pin!(stopped);
		loop {
			let (stream, peer) = tokio::select! {
				accepted = listener.accept() => match accepted {
					Ok(accepted) => accepted,
					Err(e) => {
						// Out of file descriptors, most likely: let connections close first.
						tracing::debug!(target: "rpc", "cannot accept a connection: {e}");
						tokio::time::sleep(Duration::from_millis(50)).await;
						continue;
					}
				},
				() = &mut stopped => break,
			};
			let slot = match slots.take(peer.ip()) {
				Ok(slot) => slot,
				Err(why) => {
					tracing::debug!(target: "rpc", "refused a connection: {why}");
					connections::refuse(stream, &why);
					continue;
				}
			};
			let _ = stream.set_nodelay(true);
			let service = services.clone().build(methods.clone(), stop.clone());
			tokio::spawn(connections::serve(
				connections::Held::new(stream, slot, max_unsent),
				service,
				stop.clone().shutdown(),
				deadline,
				max_http2_streams,
			));
		}
	};
	match &settings.runtime {
		Some(runtime) => runtime.spawn(accept),
		None => tokio::spawn(accept),
	};
	Ok((handle, address))
}

#[cfg(test)]
pub(crate) mod tests;
