//! The portal (`portal/`, built into `portal/dist` by `node portal/build.mjs`), served at
//! `/portal/` on the RPC port, so that the page reaches the node on its own origin.
//!
//! The files are read once at start from `--portal-dir` (with `--dev`, `portal/dist` when it
//! exists) and held in memory: only those files, by exact name, `GET` or `HEAD`; everything
//! else (JSON-RPC's POSTs, WebSocket upgrades) goes on to JSON-RPC untouched. Each answer
//! carries a content security policy that lets the page load only its own files and talk only
//! to this node, an ETag (a repeat visit revalidates and gets 304), and no framing.

use hyper::body::Bytes;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use std::{
	collections::HashMap,
	future::Future,
	path::Path,
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
};

/// Where the portal is served.
pub const PATH: &str = "/portal/";

/// The most bytes of files held.
pub const MAX_BYTES: u64 = 32 << 20;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A file of the portal.
#[derive(Debug)]
struct File {
	body: Bytes,
	kind: &'static str,
	/// Its ETag: a hash of its bytes.
	tag: String,
}

/// The portal's files by name (`index.html`), with their content types.
#[derive(Debug, Default)]
pub struct PortalFiles {
	files: HashMap<String, File>,
}

impl PortalFiles {
	/// Reads the files directly in `dir` (not below it) whose types a page needs.
	pub fn load(dir: &Path) -> eyre::Result<Self> {
		let entries = std::fs::read_dir(dir)
			.map_err(|e| eyre::eyre!("cannot read the portal in {}: {e}", dir.display()))?;
		let mut files = HashMap::new();
		let mut total = 0u64;
		for entry in entries {
			let entry = entry?;
			if !entry.file_type()?.is_file() {
				continue;
			}
			let name = entry.file_name().to_string_lossy().into_owned();
			let Some(kind) = content_type(&name) else { continue };
			total = total.saturating_add(entry.metadata()?.len());
			if total > MAX_BYTES {
				eyre::bail!("the portal in {} is over {MAX_BYTES} bytes", dir.display());
			}
			let body = Bytes::from(std::fs::read(entry.path())?);
			let tag = format!("\"{}\"", hex::encode(sp_io::hashing::blake2_128(&body)));
			files.insert(name, File { body, kind, tag });
		}
		if !files.contains_key("index.html") {
			eyre::bail!(
				"{} has no index.html: build the portal with `node portal/build.mjs`",
				dir.display()
			);
		}
		Ok(Self { files })
	}

	/// The answer to `GET path`, if it names a file of the portal (`/portal/` is `index.html`);
	/// 304 when `if_none_match` is its ETag.
	pub fn answer(&self, path: &str, if_none_match: Option<&str>) -> Option<HttpResponse> {
		let name = path.strip_prefix(PATH)?;
		let name = if name.is_empty() { "index.html" } else { name };
		let file = self.files.get(name)?;
		let fresh = if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim() == file.tag));
		let builder = http::Response::builder()
			.header(http::header::CONTENT_SECURITY_POLICY, POLICY)
			.header(http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")
			.header(http::header::X_FRAME_OPTIONS, "DENY")
			.header("cross-origin-opener-policy", "same-origin")
			.header(http::header::REFERRER_POLICY, "no-referrer")
			.header(http::header::CACHE_CONTROL, "no-cache")
			.header(http::header::ETAG, &file.tag);
		let response = match fresh {
			true => builder.status(http::StatusCode::NOT_MODIFIED).body(HttpBody::default()),
			false => builder
				.header(http::header::CONTENT_TYPE, file.kind)
				.body(HttpBody::new(http_body_util::Full::new(file.body.clone()))),
		};
		response.ok()
	}
}

fn content_type(name: &str) -> Option<&'static str> {
	let extension = name.rsplit_once('.')?.1;
	Some(match extension {
		"html" => "text/html; charset=utf-8",
		"js" => "text/javascript; charset=utf-8",
		"css" => "text/css; charset=utf-8",
		"map" | "json" => "application/json",
		"svg" => "image/svg+xml",
		"png" => "image/png",
		"ico" => "image/x-icon",
		_ => return None,
	})
}

/// Serves the portal's files in front of JSON-RPC.
#[derive(Clone, Debug)]
pub struct PortalLayer(pub Option<Arc<PortalFiles>>);

impl<S> tower::Layer<S> for PortalLayer {
	type Service = Portal<S>;

	fn layer(&self, inner: S) -> Self::Service {
		Portal { inner, files: self.0.clone() }
	}
}

/// The service of [`PortalLayer`].
#[derive(Clone, Debug)]
pub struct Portal<S> {
	inner: S,
	files: Option<Arc<PortalFiles>>,
}

impl<S, B> tower::Service<HttpRequest<B>> for Portal<S>
where
	S: tower::Service<HttpRequest<B>, Response = HttpResponse> + Clone + Send + 'static,
	S::Future: Send + 'static,
	B: Send + 'static,
{
	type Response = HttpResponse;
	type Error = S::Error;
	type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
		self.inner.poll_ready(cx)
	}

	fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
		let method = request.method();
		let upgrade = request.headers().contains_key(http::header::UPGRADE);
		if (method == http::Method::GET || method == http::Method::HEAD) && !upgrade {
			let path = request.uri().path();
			let found = self.files.as_ref().and_then(|files| {
				// `/portal` alone is the folder: send the browser to it (its query kept), so
				// that relative links resolve inside it.
				if path == PATH.trim_end_matches('/') {
					let to = match request.uri().query() {
						Some(query) => format!("{PATH}?{query}"),
						None => PATH.to_owned(),
					};
					return http::Response::builder()
						.status(http::StatusCode::PERMANENT_REDIRECT)
						.header(http::header::LOCATION, to)
						.body(HttpBody::default())
						.ok();
				}
				let tags = request.headers().get(http::header::IF_NONE_MATCH);
				files.answer(path, tags.and_then(|t| t.to_str().ok()))
			});
			if let Some(response) = found {
				return Box::pin(async move { Ok(response) });
			}
		}
		let clone = self.inner.clone();
		let mut inner = std::mem::replace(&mut self.inner, clone);
		Box::pin(async move { inner.call(request).await })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_portals_own_files_are_served_by_exact_name() {
		let dir = tempfile::tempdir().unwrap();
		std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
		std::fs::write(dir.path().join("app.js"), "export {}").unwrap();
		std::fs::write(dir.path().join("secret.key"), "not served").unwrap();
		std::fs::create_dir(dir.path().join("sub")).unwrap();
		std::fs::write(dir.path().join("sub").join("x.js"), "no").unwrap();
		let files = PortalFiles::load(dir.path()).unwrap();
		let index = files.answer("/portal/", None).unwrap();
		assert_eq!(index.headers()[http::header::CONTENT_TYPE], "text/html; charset=utf-8");
		assert!(index.headers()[http::header::CONTENT_SECURITY_POLICY]
			.to_str()
			.unwrap()
			.contains("script-src 'self'"));
		let app = files.answer("/portal/app.js", None).unwrap();
		assert_eq!(app.status(), http::StatusCode::OK);
		// A repeat visit with the ETag revalidates without the bytes.
		let tag = app.headers()[http::header::ETAG].to_str().unwrap().to_owned();
		let again = files.answer("/portal/app.js", Some(&format!("\"x\", {tag}"))).unwrap();
		assert_eq!(again.status(), http::StatusCode::NOT_MODIFIED);
		let other = files.answer("/portal/app.js", Some("\"x\"")).unwrap();
		assert_eq!(other.status(), http::StatusCode::OK);
		for path in [
			"/portal/secret.key",
			"/portal/sub/x.js",
			"/portal/../Cargo.toml",
			"/portal/%2e%2e/x",
			"/portal/index.html/",
			"/portalx/app.js",
			"/app.js",
		] {
			assert!(files.answer(path, None).is_none(), "{path}");
		}
		let empty = tempfile::tempdir().unwrap();
		let error = PortalFiles::load(empty.path()).unwrap_err().to_string();
		assert!(error.contains("node portal/build.mjs"), "{error}");
	}
}
