//! The server's middleware: the token of each HTTP request or WebSocket handshake, and each
//! call checked against its method's class.

use super::{caller, now_ms, Auth, Caller, LiveCaller, TOKEN_PROTOCOL};
use jsonrpsee::{
	server::{middleware::rpc::RpcServiceT, HttpRequest, HttpResponse, MethodResponse},
	types::{ErrorObjectOwned, Request},
};
use parking_lot::Mutex;
use std::{
	future::Future,
	pin::Pin,
	sync::Arc,
	task::{Context, Poll},
};

/// The token of a request, from `Authorization: Bearer`, `?token=` or a `carechain.token.`
/// subprotocol, and that subprotocol, which a WebSocket handshake's answer must select.
fn token_of(headers: &http::HeaderMap, uri: &http::Uri) -> (Option<String>, Option<String>) {
	let bearer = headers
		.get_all(http::header::AUTHORIZATION)
		.iter()
		.filter_map(|v| v.to_str().ok())
		.find_map(|v| {
			let (scheme, token) = v.trim().split_once(' ')?;
			scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
		});
	let protocol = headers
		.get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
		.iter()
		.filter_map(|v| v.to_str().ok())
		.flat_map(|v| v.split(','))
		.map(str::trim)
		.find(|p| p.starts_with(TOKEN_PROTOCOL))
		.map(str::to_owned);
	let query = uri
		.query()
		.and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_owned));
	let from_protocol = protocol.as_deref().map(|p| p[TOKEN_PROTOCOL.len()..].to_owned());
	(bearer.or(from_protocol).or(query), protocol)
}

/// What a method answers whom, when authentication is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodClass {
	/// Anyone, anonymous callers included: nothing about any patient.
	Public,
	/// Active members of active organizations: raw state, blocks, the pool, consensus.
	Members,
	/// Any session; the handler then answers only the patient, a guardian or a grantee.
	PatientLinked,
}

/// Methods public by design. Signed transactions authenticate themselves (the runtime admits
/// only members, patients and registrations), and so does asking what became of one (the
/// question carries its signed bytes); a nonce counts an account's transactions without saying
/// what they were; a new patient needs both to register.
const PUBLIC: &[&str] = &[
	"rpc_methods",
	"system_health",
	"system_name",
	"system_version",
	"system_chain",
	"system_chainType",
	"system_properties",
	"system_accountNextIndex",
	"account_nextIndex",
	"state_getRuntimeVersion",
	"chain_getRuntimeVersion",
	"state_subscribeRuntimeVersion",
	"chain_subscribeRuntimeVersion",
	"state_unsubscribeRuntimeVersion",
	"chain_unsubscribeRuntimeVersion",
	"state_getMetadata",
	"chain_getHeader",
	"chain_getBlockHash",
	"chain_getHead",
	"chain_getFinalizedHead",
	"chain_getFinalisedHead",
	"chain_subscribeNewHeads",
	"chain_subscribeNewHead",
	"chain_unsubscribeNewHeads",
	"chain_unsubscribeNewHead",
	"chain_subscribeFinalizedHeads",
	"chain_subscribeFinalisedHeads",
	"chain_unsubscribeFinalizedHeads",
	"chain_unsubscribeFinalisedHeads",
	"chain_subscribeAllHeads",
	"chain_unsubscribeAllHeads",
	"auth_challenge",
	"auth_signIn",
	"auth_renew",
	"auth_session",
	"auth_signOut",
	"auth_signOutEverywhere",
	"author_submitExtrinsic",
	"author_submitAndWatchExtrinsic",
	"author_unwatchExtrinsic",
	// Answers only whoever holds the signed bytes: see `author_extrinsicOutcome`.
	"author_extrinsicOutcome",
	// A transaction's weight and class, and a fee of zero: what the runtime computes from the
	// bytes the caller sends, reading no state (wallets ask before signing).
	"payment_queryInfo",
	"payment_queryFeeDetails",
	// The node's own identity and progress: its peer id is in every peer's log, its head in
	// every header.
	"system_localPeerId",
	"system_nodeRoles",
	"system_syncState",
	// Ending one's own subscription.
	"state_unsubscribeStorage",
	"vault_unsubscribeDisclosures",
	// The new spec's twins of the public methods above: headers, the chain spec, submission.
	// A follow subscription and its operations belong to its connection
	// (`rpc::spec_v2::chain_head`); bodies, raw state and paging through it are for members.
	"chainHead_v1_follow",
	"chainHead_v1_unfollow",
	"chainHead_v1_header",
	"chainHead_v1_unpin",
	"chainHead_v1_stopOperation",
	"chainSpec_v1_chainName",
	"chainSpec_v1_genesisHash",
	"chainSpec_v1_properties",
	"transaction_v1_broadcast",
	"transaction_v1_stop",
	"transactionWatch_v1_submitAndWatch",
	"transactionWatch_v1_unwatch",
	// The archive's twins: heights, hashes and headers; ending one's own storage reads.
	"archive_v1_finalizedHeight",
	"archive_v1_genesisHash",
	"archive_v1_hashByHeight",
	"archive_v1_header",
	"archive_v1_stopStorage",
	"archive_v1_stopStorageDiff",
	// A trial subject's consent history, by pseudonym: what the subject agreed to and when,
	// no arm and no count (see `rpc::trials`).
	"trials_consentHistory",
];

/// The storage key whose value is public: the runtime's identity under `:code` (what
/// `state_getRuntimeVersion` and `state_getMetadata` tell anyone), by which clients name
/// runtimes.
const PUBLIC_STORAGE_KEY: &str = "0x3a636f6465";

/// Runtime calls that `state_call` answers anyone: the runtime's version and metadata, and the
/// fee queries (weight and class of the bytes sent, fees of zero; no state read), which
/// `@polkadot/api`'s `tx.paymentInfo` makes through `state_call`.
const PUBLIC_RUNTIME_CALLS: &[&str] = &[
	"Core_version",
	"Metadata_metadata",
	"Metadata_metadata_at_version",
	"Metadata_metadata_versions",
	"TransactionPaymentApi_query_info",
	"TransactionPaymentApi_query_fee_details",
	"TransactionPaymentApi_query_weight_to_fee",
	"TransactionPaymentApi_query_length_to_fee",
	"TransactionPaymentCallApi_query_call_info",
	"TransactionPaymentCallApi_query_call_fee_details",
	"TransactionPaymentCallApi_query_weight_to_fee",
	"TransactionPaymentCallApi_query_length_to_fee",
];

/// Methods about one patient: a session, then the handler's check.
const PATIENT_LINKED: &[&str] = &[
	"records_byPatient",
	"consent_check",
	"consent_accountingOfDisclosures",
	"consent_nodeDisclosures",
	"vault_challenge",
	"vault_put",
	"vault_get",
	"vault_escrowKey",
	"vault_subscribeDisclosures",
];

/// The class of a call of `method` with `params`; anything unknown is for members.
pub fn class(method: &str, params: Option<&str>) -> MethodClass {
	if PUBLIC.contains(&method) {
		return MethodClass::Public;
	}
	if PATIENT_LINKED.contains(&method) {
		return MethodClass::PatientLinked;
	}
	let public = match method {
		"state_call" | "state_callAt" => is_public_call(param(params, 0, "method")),
		"chainHead_v1_call" => is_public_call(param(params, 2, "function")),
		"archive_v1_call" => is_public_call(param(params, 1, "function")),
		"archive_v1_storage" => {
			let main_trie = param(params, 2, "childTrie").is_none_or(|c| c.is_null());
			main_trie && public_items(param(params, 1, "items"))
		}
		"state_getStorage" | "state_getStorageAt" => {
			param(params, 0, "key").is_some_and(|k| is_public_key(&k))
		}
		// Every item the identity's value or hash, in the main trie.
		"chainHead_v1_storage" => {
			let main_trie = param(params, 3, "childTrie").is_none_or(|c| c.is_null());
			main_trie && public_items(param(params, 2, "items"))
		}
		_ => false,
	};
	match public {
		true => MethodClass::Public,
		false => MethodClass::Members,
	}
}

/// Whether a runtime call's entry point is one of [`PUBLIC_RUNTIME_CALLS`].
fn is_public_call(function: Option<serde_json::Value>) -> bool {
	function.is_some_and(|f| f.as_str().is_some_and(|f| PUBLIC_RUNTIME_CALLS.contains(&f)))
}

/// Whether a storage call's items ask only for the value or hash of the public key.
fn public_items(items: Option<serde_json::Value>) -> bool {
	let items = items.as_ref().and_then(serde_json::Value::as_array);
	items.is_some_and(|items| {
		!items.is_empty()
			&& items.iter().all(|item| {
				item.get("key").is_some_and(is_public_key)
					&& matches!(
						item.get("type").and_then(serde_json::Value::as_str),
						Some("value" | "hash")
					)
			})
	})
}

fn is_public_key(key: &serde_json::Value) -> bool {
	key.as_str().is_some_and(|k| k.eq_ignore_ascii_case(PUBLIC_STORAGE_KEY))
}

/// A call's parameter, by position or by name. jsonrpsee takes a named parameter under its
/// camelCase name and under its snake_case one, so both are read: a value that is not null
/// under either counts (a `child_trie` must not pass as an absent `childTrie`).
fn param(params: Option<&str>, position: usize, name: &str) -> Option<serde_json::Value> {
	match serde_json::from_str::<serde_json::Value>(params?).ok()? {
		serde_json::Value::Array(mut values) if position < values.len() => {
			Some(values.swap_remove(position))
		}
		serde_json::Value::Object(mut map) => {
			let camel = map.remove(name);
			let snake = map.remove(&snake_case(name));
			match (camel, snake) {
				(Some(value), _) if !value.is_null() => Some(value),
				(_, Some(value)) if !value.is_null() => Some(value),
				(camel, snake) => camel.or(snake),
			}
		}
		_ => None,
	}
}

/// `childTrie` as `child_trie`.
fn snake_case(name: &str) -> String {
	let mut snake = String::with_capacity(name.len() + 4);
	for c in name.chars() {
		if c.is_ascii_uppercase() {
			snake.push('_');
			snake.push(c.to_ascii_lowercase());
		} else {
			snake.push(c);
		}
	}
	snake
}

/// The HTTP middleware: finds each request's (or WebSocket handshake's) token and puts the
/// [`Caller`] into its extensions; selects the token's subprotocol in a handshake's answer.
#[derive(Clone, Debug)]
pub struct AuthHttpLayer(pub Option<Arc<Auth>>);

impl<S> tower::Layer<S> for AuthHttpLayer {
	type Service = AuthHttp<S>;

	fn layer(&self, inner: S) -> Self::Service {
		AuthHttp { inner, auth: self.0.clone() }
	}
}

/// The service of [`AuthHttpLayer`].
#[derive(Clone, Debug)]
pub struct AuthHttp<S> {
	inner: S,
	auth: Option<Arc<Auth>>,
}

impl<S, B> tower::Service<HttpRequest<B>> for AuthHttp<S>
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

	fn call(&mut self, mut request: HttpRequest<B>) -> Self::Future {
		// The subprotocol is selected whether or not this node checks tokens, so that a client
		// that always sends one connects to either.
		let (token, protocol) = token_of(request.headers(), request.uri());
		let caller = match &self.auth {
			None => Caller::Open,
			Some(auth) => auth.caller_of(token.as_deref()),
		};
		request.extensions_mut().insert(caller);
		// The clone that was made ready serves this call (tower's rule for cloned services).
		let clone = self.inner.clone();
		let mut inner = std::mem::replace(&mut self.inner, clone);
		Box::pin(async move {
			let mut response = inner.call(request).await?;
			// A browser drops a connection whose answer selects none of the subprotocols
			// it offered.
			let selected = protocol.and_then(|p| http::HeaderValue::from_str(&p).ok());
			if let Some(selected) = selected {
				if response.status() == http::StatusCode::SWITCHING_PROTOCOLS {
					response.headers_mut().insert(http::header::SEC_WEBSOCKET_PROTOCOL, selected);
				}
			}
			Ok(response)
		})
	}
}

/// The per-call middleware: checks each call against its [`MethodClass`] and hands the
/// handlers the caller of this moment. jsonrpsee makes one service per WebSocket connection,
/// which keeps the session that `auth_signIn` or `auth_renew` last answered on it.
#[derive(Clone, Debug)]
pub struct AuthRpcLayer(pub Option<Arc<Auth>>);

impl<S> tower::Layer<S> for AuthRpcLayer {
	type Service = AuthCalls<S>;

	fn layer(&self, inner: S) -> Self::Service {
		AuthCalls { inner: Arc::new(inner), auth: self.0.clone(), adopted: Arc::default() }
	}
}

/// The service of [`AuthRpcLayer`], for one connection.
#[derive(Clone, Debug)]
pub struct AuthCalls<S> {
	inner: Arc<S>,
	auth: Option<Arc<Auth>>,
	/// The caller this connection became: the session last granted on it, or anonymous after
	/// `auth_signOut`; the handshake's until then.
	adopted: Arc<Mutex<Option<Caller>>>,
}

impl<'a, S> RpcServiceT<'a> for AuthCalls<S>
where
	S: RpcServiceT<'a> + Send + Sync + 'static,
{
	type Future = Pin<Box<dyn Future<Output = MethodResponse> + Send + 'a>>;

	fn call(&self, mut request: Request<'a>) -> Self::Future {
		let inner = self.inner.clone();
		let Some(auth) = self.auth.clone().filter(|a| a.settings.enforce) else {
			request.extensions_mut().insert(Caller::Open);
			return Box::pin(async move { inner.call(request).await });
		};
		let caller = auth.current(match self.adopted.lock().clone() {
			Some(adopted) => adopted,
			None => caller(request.extensions()),
		});
		let method = request.method_name().to_owned();
		let class = class(&method, request.params.as_ref().map(|p| p.get()));
		if let Err(refusal) = auth.admit(&caller, class, &method) {
			let response = MethodResponse::error(request.id, ErrorObjectOwned::from(refusal));
			return Box::pin(std::future::ready(response));
		}
		let handshake = crate::rpc::auth::caller(request.extensions());
		request.extensions_mut().insert(caller);
		request.extensions_mut().insert(LiveCaller {
			auth: auth.clone(),
			adopted: self.adopted.clone(),
			handshake,
		});
		let adopted = self.adopted.clone();
		Box::pin(async move {
			let response = inner.call(request).await;
			if !response.is_success() {
				return response;
			}
			match method.as_str() {
				"auth_signIn" | "auth_renew" => {
					let grant = serde_json::from_str::<serde_json::Value>(response.as_result())
						.ok()
						.and_then(|r| r.get("result")?.get("token")?.as_str().map(str::to_owned));
					if let Some(Ok(session)) = grant.map(|t| auth.sessions.verify(&t, now_ms())) {
						*adopted.lock() = Some(Caller::Signed(session));
					}
				}
				"auth_signOut" | "auth_signOutEverywhere" => {
					*adopted.lock() = Some(Caller::Anonymous)
				}
				_ => {}
			}
			response
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tokens_are_found_in_the_header_the_query_and_the_subprotocol() {
		let uri: http::Uri = "/?a=1&token=abc".parse().unwrap();
		let mut headers = http::HeaderMap::new();
		assert_eq!(token_of(&headers, &uri), (Some("abc".into()), None));
		headers.insert(
			http::header::SEC_WEBSOCKET_PROTOCOL,
			"json, carechain.token.def".parse().unwrap(),
		);
		assert_eq!(
			token_of(&headers, &uri),
			(Some("def".into()), Some("carechain.token.def".into()))
		);
		headers.insert(http::header::AUTHORIZATION, "Bearer ghi".parse().unwrap());
		assert_eq!(token_of(&headers, &uri).0, Some("ghi".into()));
		assert_eq!(token_of(&http::HeaderMap::new(), &"/".parse().unwrap()), (None, None));
	}

	#[test]
	fn methods_fall_into_their_classes() {
		assert_eq!(class("system_health", None), MethodClass::Public);
		assert_eq!(class("chain_getBlock", None), MethodClass::Members);
		assert_eq!(class("records_byPatient", None), MethodClass::PatientLinked);
		assert_eq!(class("state_call", Some(r#"["Core_version","0x"]"#)), MethodClass::Public);
		assert_eq!(
			class(
				"state_call",
				Some(r#"{"method":"Metadata_metadata_at_version","data":"0x0f000000"}"#)
			),
			MethodClass::Public
		);
		assert_eq!(
			class("state_call", Some(r#"["RecordsApi_records_by_patient","0x"]"#)),
			MethodClass::Members
		);
		assert_eq!(class("state_call", Some("not json")), MethodClass::Members);
		assert_eq!(class("something_new", None), MethodClass::Members);
		// Issue 20: fee queries read no state; the storage methods and dry runs read raw state.
		for public in [
			"payment_queryInfo",
			"payment_queryFeeDetails",
			"system_syncState",
			"trials_consentHistory",
		] {
			assert_eq!(class(public, None), MethodClass::Public, "{public}");
		}
		// A running trial's counts and arms are for the consortium: interim data can unblind.
		// Appointments name their patient, as raw state does; an enrolment names a patient's
		// points.
		for members in [
			"trials_study",
			"trials_consortFlow",
			"trials_researchStudy",
			"trials_researchSubject",
			"telehealth_appointment",
			"telehealth_fhirAppointment",
			"telehealth_fhirEncounter",
			"wellness_program",
			"wellness_enrolment",
		] {
			assert_eq!(class(members, None), MethodClass::Members, "{members}");
		}
		let fee_call = r#"["TransactionPaymentApi_query_info","0x"]"#;
		assert_eq!(class("state_call", Some(fee_call)), MethodClass::Public);
		for raw in [
			"state_getStorageHash",
			"state_getStorageSize",
			"state_queryStorage",
			"system_dryRun",
			"author_removeExtrinsic",
			"author_hasKey",
			"system_peers",
		] {
			assert_eq!(class(raw, None), MethodClass::Members, "{raw}");
		}
		assert_eq!(class("state_getStorage", Some(r#"["0x3a636f6465"]"#)), MethodClass::Public);
		assert_eq!(class("state_getStorage", Some(r#"["0x3a636f64"]"#)), MethodClass::Members);
		let code = r#"{"key":"0x3a636f6465","type":"hash"}"#;
		let storage = |items: &str, child: &str| format!(r#"["1","0x00",[{items}],{child}]"#);
		let storage_class = |p: &str| class("chainHead_v1_storage", Some(p));
		assert_eq!(storage_class(&storage(code, "null")), MethodClass::Public);
		assert_eq!(storage_class(&storage(code, r#""0x3a636f6465""#)), MethodClass::Members);
		let with_other = format!(r#"{code},{{"key":"0x26aa","type":"value"}}"#);
		assert_eq!(storage_class(&storage(&with_other, "null")), MethodClass::Members);
		let descendants = r#"{"key":"0x3a636f6465","type":"descendantsValues"}"#;
		assert_eq!(storage_class(&storage(descendants, "null")), MethodClass::Members);
		assert_eq!(storage_class(&storage("", "null")), MethodClass::Members);
		assert_eq!(
			class("chainHead_v1_call", Some(r#"["1","0x00","Metadata_metadata_versions","0x"]"#)),
			MethodClass::Public
		);
		assert_eq!(
			class(
				"chainHead_v1_call",
				Some(r#"["1","0x00","RecordsApi_records_by_patient","0x"]"#)
			),
			MethodClass::Members
		);
		assert_eq!(class("chainHead_v1_body", None), MethodClass::Members);
		assert_eq!(class("chainHead_v1_continue", None), MethodClass::Members);
		assert_eq!(class("chainHead_v1_follow", None), MethodClass::Public);

		// The archive's twins: the same split, at the archive's parameter positions.
		let archive_call = |f: &str| format!(r#"["0x00","{f}","0x"]"#);
		let call_class = |f: &str| class("archive_v1_call", Some(&archive_call(f)));
		assert_eq!(call_class("Core_version"), MethodClass::Public);
		assert_eq!(call_class("RecordsApi_records_by_patient"), MethodClass::Members);
		let archive_storage = |items: &str, child: &str| format!(r#"["0x00",[{items}],{child}]"#);
		let storage_class = |p: &str| class("archive_v1_storage", Some(p));
		assert_eq!(storage_class(&archive_storage(code, "null")), MethodClass::Public);
		assert_eq!(
			storage_class(&archive_storage(code, r#""0x3a636f6465""#)),
			MethodClass::Members
		);
		assert_eq!(storage_class(&archive_storage(descendants, "null")), MethodClass::Members);
		// Named parameters, the child trie under either spelling jsonrpsee takes.
		for child in ["childTrie", "child_trie"] {
			let named = format!(r#"{{"hash":"0x00","items":[{code}],"{child}":"0x3a636f6465"}}"#);
			assert_eq!(storage_class(&named), MethodClass::Members, "{child}");
			let both = format!(
				r#"{{"hash":"0x00","items":[{code}],"childTrie":null,"child_trie":"0x3a"}}"#
			);
			assert_eq!(storage_class(&both), MethodClass::Members);
			let head = format!(
				r#"{{"followSubscription":"1","hash":"0x00","items":[{code}],"{child}":"0x3a"}}"#
			);
			assert_eq!(class("chainHead_v1_storage", Some(&head)), MethodClass::Members);
		}
		let named_main = format!(r#"{{"hash":"0x00","items":[{code}],"child_trie":null}}"#);
		assert_eq!(storage_class(&named_main), MethodClass::Public);
		assert_eq!(storage_class(&archive_storage(&with_other, "null")), MethodClass::Members);
		assert_eq!(class("archive_v1_body", None), MethodClass::Members);
		assert_eq!(class("archive_v1_storageDiff", None), MethodClass::Members);
		assert_eq!(class("archive_v1_header", None), MethodClass::Public);
	}
}
