//! The supply-chain reads the EPCIS interface (`crate::epcis_rest`) answers: items' histories
//! as the chain keeps them (`ProvenanceApi_history`: each item's first event and its latest,
//! a recall of its lot included), the lot and expiry of units, and the GLNs organizations are
//! licensed under; and the plan of an EPCIS document's import (`provenance_planImport`).
//! Members of active organizations only, as RPC's raw state is.

use super::{err, Handlers};
use crate::{
	client::{decode, State},
	rpc::{
		auth::{self, AuthError},
		provenance::{PlannedEvent, IMPORT_REFUSED},
	},
};
use carechain_interop::epcis::{import, Gln};
use carechain_primitives::OrgId;
use carechain_runtime::Runtime;
use codec::Encode;
use frame_support::storage::StoragePrefixedMap as _;
use jsonrpsee::{
	core::RpcResult,
	types::{ErrorObject, ErrorObjectOwned},
	Extensions,
};
use pallet_provenance::{Day, Epc, Lot, SupplyEvent};
use pallet_registry::Licence;
use sp_state_machine::Backend as _;
use std::collections::HashMap;

/// The most items (units and containers) a query that names none looks through: each costs a
/// history read.
pub const MAX_SCANNED_ITEMS: usize = 10_000;

/// One item's history.
pub struct Traced {
	/// The unit or container.
	pub epc: Epc,
	/// A unit's lot and expiry.
	pub lot: Option<(Lot, Day)>,
	/// Its history, oldest first.
	pub events: Vec<SupplyEvent>,
}

/// What a query reads: the histories and the GLN of every organization they name.
pub struct Supply {
	/// The items' histories.
	pub traced: Vec<Traced>,
	/// Organizations licensed under a GLN.
	pub glns: HashMap<OrgId, Gln>,
	/// The time of the block read, in milliseconds.
	pub now: u64,
}

/// The items a query reads.
pub enum Items {
	/// These, and no other.
	Named(Vec<Epc>),
	/// Every item on chain, up to [`MAX_SCANNED_ITEMS`]: more is refused.
	All,
}

/// A query that would read more than [`MAX_SCANNED_ITEMS`] items.
#[derive(Debug)]
pub struct TooManyItems;

impl Handlers {
	/// The histories of `items` at the head, for an active member of an active organization.
	pub(crate) fn epcis_supply(
		&self,
		ext: &Extensions,
		items: Items,
	) -> RpcResult<Result<Supply, TooManyItems>> {
		self.fhir_member_only(ext, "read supply-chain events")?;
		let at = self.at(None)?;
		let state = self.node.client.state_at(at).map_err(err)?;
		let epcs = match items {
			Items::Named(epcs) => epcs,
			Items::All => {
				let prefix = pallet_provenance::HistoryLength::<Runtime>::final_prefix();
				let mut args = sp_state_machine::IterArgs::default();
				args.prefix = Some(&prefix);
				let keys = state.keys(args).map_err(|e| chain_error(e.to_string()))?;
				let mut epcs = vec![];
				for key in keys {
					let key = key.map_err(|e| chain_error(e.to_string()))?;
					if epcs.len() >= MAX_SCANNED_ITEMS {
						return Ok(Err(TooManyItems));
					}
					// The key: prefix, blake2_128 of the item, the item.
					let Some(mut encoded) = key.get(prefix.len().saturating_add(16)..) else {
						continue;
					};
					if let Ok(epc) = codec::Decode::decode(&mut encoded) {
						epcs.push(epc);
					}
				}
				epcs
			}
		};
		let mut traced = Vec::with_capacity(epcs.len());
		let mut glns = HashMap::new();
		for epc in epcs {
			let out =
				self.node.client.call(at, "ProvenanceApi_history", &epc.encode()).map_err(err)?;
			let events: Vec<SupplyEvent> = decode("ProvenanceApi_history", &out).map_err(err)?;
			if events.is_empty() {
				continue;
			}
			let lot = match &epc {
				Epc::Unit(sgtin) => {
					unit(&state, sgtin).map_err(chain_error)?.map(|unit| (unit.lot, unit.expiry))
				}
				Epc::Container(_) => None,
			};
			for event in &events {
				for org in organizations(event) {
					if let std::collections::hash_map::Entry::Vacant(slot) = glns.entry(org) {
						if let Some(gln) = self.gln(&state, org)? {
							slot.insert(gln);
						}
					}
				}
			}
			traced.push(Traced { epc, lot, events });
		}
		let now = self.node.client.timestamp(at).map_err(err)?;
		Ok(Ok(Supply { traced, glns, now }))
	}

	/// The GLN `org` is licensed under, if its licence is one.
	fn gln(&self, state: &State, org: OrgId) -> RpcResult<Option<Gln>> {
		let organization = crate::registry::organization(state, org).map_err(chain_error)?;
		Ok(organization.and_then(|o| match o.licence {
			Licence::Gln(gln) => Some(gln),
			Licence::Npi(_) => None,
		}))
	}
}

impl Handlers {
	/// The calls that record `document` for `signer`'s organization, planned at the head.
	pub(crate) fn provenance_plan_import(
		&self,
		ext: &Extensions,
		document: &serde_json::Value,
		signer: &carechain_runtime::AccountId,
	) -> RpcResult<Vec<PlannedEvent>> {
		const METHOD: &str = "provenance_planImport";
		self.node.metrics.rpc_calls.inc();
		// With authentication on, a session (the method is for members); the plan is the
		// signer's, whoever asks.
		auth::caller(ext).account(METHOD).map_err(ErrorObjectOwned::from)?;
		let at = self.at(None)?;
		let state = self.node.client.state_at(at).map_err(err)?;
		let Some(org) =
			crate::registry::active_organization(&state, signer).map_err(chain_error)?
		else {
			return Err(ErrorObject::owned(
				IMPORT_REFUSED,
				format!("the signer {signer} is no member of an active organization: only a member records provenance events"),
				Some(vec![serde_json::json!({
					"event": null,
					"eventID": null,
					"field": "",
					"reason": format!("the signer {signer} is no member of an active organization"),
				})]),
			));
		};
		let resolve = |gln: Gln| -> Option<OrgId> {
			let key = pallet_registry::OrganizationByLicence::<Runtime>::hashed_key_for(
				Licence::Gln(gln),
			);
			crate::registry::storage(&state, key).ok().flatten()
		};
		// Who sent an item in transit: its owner until the receiver takes it over.
		let sender = |epc: &Epc| -> Option<OrgId> {
			let (owner, in_transit_to) = match epc {
				Epc::Unit(sgtin) => {
					unit(&state, sgtin).ok().flatten().map(|u| (u.owner, u.in_transit_to))
				}
				Epc::Container(sscc) => {
					container(&state, sscc).ok().flatten().map(|c| (c.owner, c.in_transit_to))
				}
			}?;
			in_transit_to.map(|_| owner)
		};
		let importer =
			import::Importer { resolve: &resolve, signer: Some(org), sender: Some(&sender) };
		let planned = importer.plan(document);
		match planned {
			Ok(events) => Ok(events
				.into_iter()
				.map(|event| PlannedEvent {
					event: event.index.saturating_add(1),
					event_id: event.event_id,
					descriptions: event.calls.iter().map(import::describe).collect(),
					calls: event
						.calls
						.into_iter()
						.map(|call| {
							carechain_runtime::RuntimeCall::Provenance(call).encode().into()
						})
						.collect(),
				})
				.collect()),
			Err(refusals) => {
				let data: Vec<serde_json::Value> = refusals
					.iter()
					.map(|r| {
						serde_json::json!({
							"event": r.index.map(|i| i.saturating_add(1)),
							"eventID": r.event_id,
							"field": r.field,
							"reason": r.reason,
						})
					})
					.collect();
				let first = refusals.first().map(ToString::to_string).unwrap_or_default();
				let message = match refusals.len() {
					1 => format!("the document cannot be recorded: {first}"),
					n => format!("the document cannot be recorded ({n} reasons, all in the data); the first: {first}"),
				};
				Err(ErrorObject::owned(IMPORT_REFUSED, message, Some(data)))
			}
		}
	}
}

/// The organizations an event names: who did it and the other party.
fn organizations(event: &SupplyEvent) -> Vec<OrgId> {
	use pallet_provenance::EventKind;
	match event.kind {
		EventKind::Shipped { to } => vec![event.org, to],
		EventKind::Received { from } => vec![event.org, from],
		_ => vec![event.org],
	}
}

fn chain_error(e: String) -> ErrorObjectOwned {
	AuthError::Chain(e).into()
}

fn unit(
	state: &State,
	sgtin: &pallet_provenance::Sgtin,
) -> Result<Option<pallet_provenance::Unit>, String> {
	crate::registry::storage(state, pallet_provenance::Units::<Runtime>::hashed_key_for(sgtin))
}

fn container(
	state: &State,
	sscc: &pallet_provenance::Sscc,
) -> Result<Option<pallet_provenance::Container<Runtime>>, String> {
	crate::registry::storage(state, pallet_provenance::Containers::<Runtime>::hashed_key_for(sscc))
}
