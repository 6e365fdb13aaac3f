//! The JSON-RPC server: HTTP and WebSocket on one port, the modules merged here.

pub mod api;
pub mod handlers;

use api::{AuthorApiServer, CarechainApiServer, ChainApiServer, StateApiServer, SystemApiServer};
use handlers::Handlers;
use jsonrpsee::{
	server::{Server, ServerHandle},
	RpcModule,
};
use std::net::SocketAddr;

/// How the RPC server listens.
#[derive(Clone, Debug)]
pub struct RpcSettings {
	/// Address and port.
	pub listen: SocketAddr,
	/// Most open connections.
	pub max_connections: u32,
	/// Origins allowed by CORS; `None` allows all.
	pub cors: Option<Vec<String>>,
	/// Largest request or response, in bytes.
	pub max_message_bytes: u32,
}

/// Every method of the node, with `rpc_methods` listing them.
pub fn module(
	handlers: Handlers,
	vault: Option<crate::vault::VaultRpc>,
) -> Result<RpcModule<()>, jsonrpsee::core::RegisterMethodError> {
	let mut module = RpcModule::new(());
	module.merge(SystemApiServer::into_rpc(handlers.clone()))?;
	module.merge(ChainApiServer::into_rpc(handlers.clone()))?;
	module.merge(StateApiServer::into_rpc(handlers.clone()))?;
	module.merge(AuthorApiServer::into_rpc(handlers.clone()))?;
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
				.allow_headers([http::header::CONTENT_TYPE])
		}
	};
	let server = Server::builder()
		.max_connections(settings.max_connections)
		.max_request_body_size(settings.max_message_bytes)
		.max_response_body_size(settings.max_message_bytes)
		.set_http_middleware(tower::ServiceBuilder::new().layer(cors))
		.build(settings.listen)
		.await
		.map_err(|e| eyre::eyre!("cannot listen for RPC on {}: {e}", settings.listen))?;
	let address = server.local_addr()?;
	Ok((server.start(module), address))
}

#[cfg(test)]
mod tests;
