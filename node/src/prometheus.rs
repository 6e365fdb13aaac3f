//! A minimal HTTP endpoint that serves the metrics in Prometheus text format.

use crate::service::Metrics;
use std::{net::SocketAddr, sync::Arc};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpListener,
};

/// Listens on `address` and answers every request with the current metrics.
pub async fn serve(address: SocketAddr, metrics: Arc<Metrics>) -> eyre::Result<()> {
	let listener = TcpListener::bind(address)
		.await
		.map_err(|e| eyre::eyre!("cannot listen for Prometheus on {address}: {e}; use --prometheus-port or --no-prometheus"))?;
	tokio::spawn(async move {
		while let Ok((mut stream, _)) = listener.accept().await {
			let metrics = metrics.clone();
			tokio::spawn(async move {
				let mut request = [0u8; 1024];
				let _ = stream.read(&mut request).await;
				let body = metrics.encode();
				let response = format!(
					"HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
					body.len()
				);
				let _ = stream.write_all(response.as_bytes()).await;
			});
		}
	});
	Ok(())
}
