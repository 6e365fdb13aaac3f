//! What the chain's registry says about an account, read from a block's state: the node's
//! checks of who may read what (the vault, authenticated RPC) ask these.

use crate::client::State;
use carechain_primitives::OrgId;
use carechain_runtime::{AccountId, Runtime};
use codec::Decode;
use sp_state_machine::Backend as _;

/// A storage value of `state`, decoded; `None` when absent. Errors say what failed.
pub fn storage<T: Decode>(state: &State, key: Vec<u8>) -> Result<Option<T>, String> {
	let Some(bytes) = state.storage(&key)? else { return Ok(None) };
	T::decode(&mut &bytes[..]).map(Some).map_err(|e| format!("undecodable storage value: {e}"))
}

/// The organization and role of `who`, whatever the organization's status.
pub fn membership(
	state: &State,
	who: &AccountId,
) -> Result<Option<pallet_registry::OrgMember>, String> {
	storage(state, pallet_registry::Members::<Runtime>::hashed_key_for(who))
}

/// The organization of `who` when it is a member of an active organization: a covered entity
/// of the consortium.
pub fn active_organization(state: &State, who: &AccountId) -> Result<Option<OrgId>, String> {
	let Some(member) = membership(state, who)? else { return Ok(None) };
	let organization = organization(state, member.org)?;
	Ok(organization.filter(|o| o.status == pallet_registry::OrgStatus::Active).map(|_| member.org))
}

/// An organization of the registry, whatever its status.
pub fn organization(
	state: &State,
	org: OrgId,
) -> Result<Option<pallet_registry::Organization<carechain_runtime::BlockNumber>>, String> {
	storage(state, pallet_registry::Organizations::<Runtime>::hashed_key_for(org))
}

/// Whether `who` is a registered patient.
pub fn is_patient(state: &State, who: &AccountId) -> Result<bool, String> {
	let key = pallet_registry::Patients::<Runtime>::hashed_key_for(who);
	Ok(state.storage(&key)?.is_some())
}

/// Whether `who` is `patient`, or one of the patient's guardians, and the patient is
/// registered.
pub fn is_patient_or_guardian(
	state: &State,
	who: &AccountId,
	patient: &AccountId,
) -> Result<bool, String> {
	let registered: Option<pallet_registry::Patient<Runtime>> =
		storage(state, pallet_registry::Patients::<Runtime>::hashed_key_for(patient))?;
	Ok(registered.is_some_and(|p| who == patient || p.guardians.contains(who)))
}
