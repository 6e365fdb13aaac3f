//! `carechain provenance import FILE --key SURI`: an EPCIS 2.0 document from an ERP recorded
//! as the signer's provenance calls on a running node.
//!
//! The node plans the whole document first (`provenance_planImport`, with the organizations
//! its GLNs name and the signer's own): if any event cannot be represented, every reason is
//! printed and nothing is submitted. The plan is not taken on trust: every call must be one of
//! the five provenance calls an import makes, and what is shown is what this tool reads in the
//! call, not the node's words. Then each call is signed here, submitted and watched until
//! finalized, in the document's order; the first call the chain refuses stops the import with
//! the event, the call and the pallet's error. What came before it is recorded (the chain's
//! history is never undone): import again from that call with `--from N.K` (event N, call K).

use crate::rpc::{auth, provenance::PlannedEvent};
use carechain_interop::epcis::import::{self as plan_rules, Call};
use carechain_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use codec::Decode;
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value as Json;
use sp_core::{ed25519, Bytes, Pair as _, H256};
use std::path::Path;

/// The largest document read.
pub const MAX_DOCUMENT_BYTES: u64 = 8 << 20;

/// Reads and parses the document at `path`.
pub fn read_document(path: &Path) -> eyre::Result<Json> {
	let size = std::fs::metadata(path)
		.map_err(|e| eyre::eyre!("cannot read {}: {e}", path.display()))?
		.len();
	if size > MAX_DOCUMENT_BYTES {
		eyre::bail!(
			"{} is {size} bytes, more than the {MAX_DOCUMENT_BYTES} an import reads: split it",
			path.display()
		);
	}
	let text = std::fs::read(path)?;
	serde_json::from_slice(&text).map_err(|e| {
		eyre::eyre!("{} is not JSON (an EPCIS 2.0 JSON-LD document): {e}", path.display())
	})
}

/// Connects to the node at `rpc_url` and signs in as `signer`.
pub async fn connect(rpc_url: &str, signer: &ed25519::Pair) -> eyre::Result<WsClient> {
	let client = WsClientBuilder::default()
		.max_request_size(MAX_DOCUMENT_BYTES as u32 + (1 << 20))
		.build(rpc_url)
		.await
		.map_err(|e| eyre::eyre!("cannot reach the node at {rpc_url}: {e}"))?;
	auth::sign_in(&client, signer)
		.await
		.map_err(|e| eyre::eyre!("cannot sign in to the node at {rpc_url}: {e}"))?;
	Ok(client)
}

/// Why the node would not plan a document: each refusal as a line, or the node's error.
#[derive(Debug)]
pub enum PlanError {
	/// Events the chain cannot represent, one line each.
	Refused(Vec<String>),
	/// Anything else.
	Other(eyre::Report),
}

/// The node's plan of `document` for `signer`.
pub async fn plan(
	client: &WsClient,
	signer: &ed25519::Pair,
	document: &Json,
) -> Result<Vec<PlannedEvent>, PlanError> {
	let account = carechain_runtime::AccountId::from(signer.public().0);
	let answer = client.request("provenance_planImport", rpc_params![document, account]).await;
	match answer {
		Ok(planned) => Ok(planned),
		Err(jsonrpsee::core::ClientError::Call(e))
			if e.code() == crate::rpc::provenance::IMPORT_REFUSED =>
		{
			let data: Vec<Json> =
				e.data().and_then(|d| serde_json::from_str(d.get()).ok()).unwrap_or_default();
			Err(PlanError::Refused(data.iter().map(refusal_line).collect()))
		}
		Err(e) => Err(PlanError::Other(eyre::eyre!("the node could not plan the import: {e}"))),
	}
}

fn refusal_line(refusal: &Json) -> String {
	let text = |key: &str| refusal[key].as_str().unwrap_or_default();
	let event = match (refusal["event"].as_u64(), text("eventID")) {
		(None, _) => "the document".to_owned(),
		(Some(n), "") => format!("event {n}"),
		(Some(n), id) => format!("event {n} ({id})"),
	};
	match text("field") {
		"" => format!("{event}: {}", text("reason")),
		field => format!("{event}, {field}: {}", text("reason")),
	}
}

/// One event's calls, checked: only `commission`, `aggregate`, `disaggregate`, `ship` and
/// `receive` of the provenance pallet, each with what it does read from the call itself.
pub fn checked(event: &PlannedEvent) -> eyre::Result<Vec<(Call, String)>> {
	event
		.calls
		.iter()
		.map(|bytes| {
			let call = RuntimeCall::decode(&mut &bytes[..]).map_err(|e| {
				eyre::eyre!("event {}: the node planned a call this tool cannot read ({e}): use a matching release", event.event)
			})?;
			match call {
				RuntimeCall::Provenance(
					call @ (Call::commission { .. }
					| Call::aggregate { .. }
					| Call::disaggregate { .. }
					| Call::ship { .. }
					| Call::receive { .. }),
				) => {
					let description = plan_rules::describe(&call);
					Ok((call, description))
				}
				other => eyre::bail!(
					"event {}: the node planned {other:?}, which no import makes: refusing to sign anything (is this node trustworthy?)",
					event.event
				),
			}
		})
		.collect()
}

/// Where an import starts: event N (from 1), call K of it (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
	/// The event.
	pub event: usize,
	/// The call of that event.
	pub call: usize,
}

impl std::str::FromStr for Start {
	type Err = String;

	fn from_str(text: &str) -> Result<Self, String> {
		let (event, call) = text.split_once('.').unwrap_or((text, "1"));
		let number = |n: &str| n.parse::<usize>().ok().filter(|n| *n >= 1);
		match (number(event), number(call)) {
			(Some(event), Some(call)) => Ok(Start { event, call }),
			_ => Err(format!(
				"{text:?}: give an event, or an event and a call (`4`, `4.2`), counted from 1"
			)),
		}
	}
}

/// Signs and submits the checked plan from `from`, each call watched until finalized; stops at
/// the first the chain refuses. `progress` is told of each event recorded, with the blocks its
/// calls were finalized in. Returns how many events were recorded.
pub async fn submit(
	client: &WsClient,
	signer: &ed25519::Pair,
	planned: &[(PlannedEvent, Vec<(Call, String)>)],
	from: Start,
	progress: &mut dyn FnMut(&PlannedEvent, &[H256]),
) -> eyre::Result<usize> {
	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await?;
	let account = carechain_runtime::AccountId::from(signer.public().0);
	let mut nonce: u32 = client.request("system_accountNextIndex", rpc_params![account]).await?;
	let mut recorded = 0;
	for (event, calls) in planned.iter().filter(|(p, _)| p.event >= from.event) {
		let name = match &event.event_id {
			Some(id) => format!("event {} ({id})", event.event),
			None => format!("event {}", event.event),
		};
		let first = if event.event == from.event { from.call } else { 1 };
		let mut blocks = vec![];
		for (k, (call, description)) in calls.iter().enumerate().skip(first.saturating_sub(1)) {
			let call = RuntimeCall::Provenance(call.clone());
			let extrinsic = crate::extrinsic::sign(signer, nonce, call, genesis);
			let bytes = Bytes(codec::Encode::encode(&extrinsic));
			let block = finalized(client, &bytes)
				.await
				.map_err(|e| eyre::eyre!("{name}: {description}: {e}"))?;
			nonce = nonce.saturating_add(1);
			if let Some(error) = failure(client, &bytes, block).await? {
				let resume = format!("{}.{}", event.event, k.saturating_add(1));
				eyre::bail!(
					"{name}, call {} of {}: {description} was refused by the chain: {error}. Everything before it is recorded; fix it and import again with --from {resume}",
					k.saturating_add(1),
					calls.len()
				);
			}
			blocks.push(block);
		}
		progress(event, &blocks);
		recorded += 1;
	}
	Ok(recorded)
}

/// Submits `extrinsic` and waits until a block holding it is finalized.
async fn finalized(client: &WsClient, extrinsic: &Bytes) -> eyre::Result<H256> {
	let mut watch = client
		.subscribe::<Json, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![extrinsic],
			"author_unwatchExtrinsic",
		)
		.await
		.map_err(|e| eyre::eyre!("the node refused it: {e}"))?;
	while let Some(status) = watch.next().await {
		let status = status?;
		if let Some(block) = status.get("finalized") {
			return Ok(serde_json::from_value(block.clone())?);
		}
		if let Some(word) = status.as_str().filter(|w| ["invalid", "dropped"].contains(w)) {
			eyre::bail!("the node's pool reports it {word}");
		}
	}
	eyre::bail!("the node closed the watch before the call was finalized")
}

/// The error a finalized extrinsic failed with (`provenance.NotOwner`), if it failed.
async fn failure(
	client: &WsClient,
	extrinsic: &Bytes,
	block: H256,
) -> eyre::Result<Option<String>> {
	let outcome: Option<crate::rpc::api::ExtrinsicOutcome> =
		client.request("author_extrinsicOutcome", rpc_params![extrinsic, block]).await?;
	let Some(outcome) = outcome else {
		eyre::bail!("block {block:?} does not hold the call the node finalized it in");
	};
	type Records = Vec<frame_system::EventRecord<RuntimeEvent, H256>>;
	let records = Records::decode(&mut &outcome.events[..])
		.map_err(|e| eyre::eyre!("undecodable events: {e}"))?;
	let provenance =
		<carechain_runtime::Provenance as frame_support::traits::PalletInfoAccess>::index();
	for record in records {
		if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
			dispatch_error, ..
		}) = record.event
		{
			let name = match dispatch_error {
				sp_runtime::DispatchError::Module(module)
					if usize::from(module.index) == provenance =>
				{
					pallet_provenance::Error::<Runtime>::decode(&mut &module.error[..])
						.map(|e| format!("provenance.{}", <&'static str>::from(e)))
						.unwrap_or_else(|_| format!("{module:?}"))
				}
				other => format!("{other:?}"),
			};
			return Ok(Some(name));
		}
	}
	Ok(None)
}
