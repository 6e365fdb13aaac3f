//! `provenance_planImport`: an EPCIS 2.0 document from an ERP as the provenance calls that
//! record it for the signer's organization, or every reason it cannot be recorded. The calls
//! come back SCALE-encoded for the signer to sign (`carechain provenance import`, client-js's
//! `epcis.importDocument`): the node plans, the signer's key signs. With `--rpc-auth on` the
//! caller must be a member (the method's class); the plan tells nothing a member cannot read
//! in raw state (organizations by GLN, who sent what is in transit).

use super::handlers::Handlers;
use carechain_runtime::AccountId;
use jsonrpsee::{core::RpcResult, proc_macros::rpc, Extensions};
use serde_json::Value as Json;
use sp_core::Bytes;

/// The error code of a document with events the chain cannot represent; its data lists each
/// refusal (`event` counted from 1, `eventID`, `field`, `reason`).
pub const IMPORT_REFUSED: i32 = 4101;

/// One event's calls.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedEvent {
	/// The event's place in the document, from 1.
	pub event: usize,
	/// Its eventID, if it has one.
	pub event_id: Option<String>,
	/// Its calls, SCALE-encoded `RuntimeCall`s, in order.
	pub calls: Vec<Bytes>,
	/// What each call does, for a person.
	pub descriptions: Vec<String>,
}

/// The methods, in the `provenance` namespace.
#[rpc(server, client, namespace = "provenance")]
pub trait ProvenanceRpc {
	/// The calls that record `document` (an EPCIS 2.0 JSON-LD document) as the events of
	/// `signer`'s organization (`signer`: an active member, who will sign them), planned at the
	/// head: places and parties named by GLN are the organizations registered under them.
	/// Refused whole (`IMPORT_REFUSED`, each reason in the data) when any event cannot be
	/// represented.
	#[method(name = "planImport", with_extensions)]
	fn plan_import(&self, document: Json, signer: AccountId) -> RpcResult<Vec<PlannedEvent>>;
}

impl ProvenanceRpcServer for Handlers {
	fn plan_import(
		&self,
		ext: &Extensions,
		document: Json,
		signer: AccountId,
	) -> RpcResult<Vec<PlannedEvent>> {
		self.provenance_plan_import(ext, &document, &signer)
	}
}
