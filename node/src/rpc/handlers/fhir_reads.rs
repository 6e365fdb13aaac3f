//! The patient-linked reads the FHIR interface (`crate::fhir_rest`) answers, with the same
//! checks as RPC's: the patient and guardians read everything of the patient; anyone else only
//! records the chain lets them read, and each record so disclosed is entered in the node's
//! accounting of disclosures before the answer leaves.

use super::{err, Handlers, Reader};
use crate::rpc::{
	auth::AuthError,
	disclosures::{DisclosedBy, NodeDisclosure},
};
use carechain_primitives::{ConsentId, Moment, OrgId, RecordId};
use carechain_runtime::{AccountId, Runtime};
use codec::Encode;
use jsonrpsee::{core::RpcResult, types::ErrorObjectOwned, Extensions};
use pallet_consent::{Consent, ConsentEnding, EndedConsent};
use pallet_records::Record;
use sp_core::H256;
use std::collections::HashMap;

/// A record version and its index entry.
pub type RecordEntry = (RecordId, Record<Runtime>);

/// A consent, in force or ended (when, and how).
pub type ConsentEntry = (ConsentId, Consent<Runtime>, Option<(Moment, ConsentEnding)>);

/// Records read from the runtime per call.
const PAGE: u32 = 100;

/// The most record versions a patient's (or guardian's) search looks through.
pub const MAX_OWN_SCAN: usize = 10_000;

/// The most record versions one search by anyone else looks at: each costs the chain's access
/// decision.
pub const MAX_GRANTEE_SCAN: usize = 200;

/// A page of record versions, with what is known of the rest.
pub struct RecordsPage {
	/// The versions answered.
	pub entries: Vec<RecordEntry>,
	/// How many match in all, when known (the patient's and guardians' searches).
	pub total: Option<usize>,
	/// Where the next page starts (`_offset`), if there may be one.
	pub next: Option<usize>,
}

/// The most claims one claim search looks through, newest first: there is no per-patient index
/// of claims on chain, so a search is a bounded scan.
pub const MAX_CLAIM_SCAN: u64 = 10_000;

/// A claim and its policy (for the payer), as the chain holds them.
pub type ClaimEntry =
	(pallet_claims::ClaimId, pallet_claims::Claim<Runtime>, Option<pallet_claims::Policy<Runtime>>);

impl Handlers {
	/// The finalized head, and the caller if it is `patient` or a guardian; anyone else is
	/// refused `what`.
	fn patient_or_guardian(
		&self,
		ext: &Extensions,
		method: &str,
		patient: &AccountId,
		what: &'static str,
	) -> RpcResult<H256> {
		let at = self.at(None)?;
		match self.reader(ext, method, patient, at)? {
			Reader::Other(account) => {
				Err(AuthError::NotEntitled { account, patient: patient.clone(), what }.into())
			}
			Reader::Anyone | Reader::PatientOrGuardian => Ok(at),
		}
	}

	/// The patient's consents, in force and ended (the chain keeps the last ended ones), for
	/// the patient and guardians only.
	pub(crate) fn fhir_consents(
		&self,
		ext: &Extensions,
		patient: &AccountId,
	) -> RpcResult<Vec<ConsentEntry>> {
		let at = self.patient_or_guardian(ext, "fhir Consent", patient, "read the consents")?;
		let state = self.node.client.state_at(at).map_err(err)?;
		let mut consents = Vec::new();
		let ids: Vec<ConsentId> = crate::registry::storage::<Vec<ConsentId>>(
			&state,
			pallet_consent::PatientConsents::<Runtime>::hashed_key_for(patient),
		)
		.map_err(chain_error)?
		.unwrap_or_default();
		for id in ids {
			let key = pallet_consent::Consents::<Runtime>::hashed_key_for(id);
			if let Some(consent) = crate::registry::storage(&state, key).map_err(chain_error)? {
				consents.push((id, consent, None));
			}
		}
		let ended: Vec<ConsentId> = crate::registry::storage::<Vec<ConsentId>>(
			&state,
			pallet_consent::PatientEndedConsents::<Runtime>::hashed_key_for(patient),
		)
		.map_err(chain_error)?
		.unwrap_or_default();
		for id in ended {
			let key = pallet_consent::EndedConsents::<Runtime>::hashed_key_for(id);
			let ended: Option<EndedConsent<Runtime>> =
				crate::registry::storage(&state, key).map_err(chain_error)?;
			if let Some(EndedConsent { consent, ended_at, ending }) = ended {
				consents.push((id, consent, Some((ended_at, ending))));
			}
		}
		consents.sort_by_key(|(id, _, _)| *id);
		Ok(consents)
	}

	/// One consent, in force or ended, for its patient and guardians only.
	pub(crate) fn fhir_consent(
		&self,
		ext: &Extensions,
		id: ConsentId,
	) -> RpcResult<Option<ConsentEntry>> {
		let state = self.node.client.state_at(self.at(None)?).map_err(err)?;
		let key = pallet_consent::Consents::<Runtime>::hashed_key_for(id);
		let entry = match crate::registry::storage(&state, key).map_err(chain_error)? {
			Some(consent) => Some((id, consent, None)),
			None => {
				let key = pallet_consent::EndedConsents::<Runtime>::hashed_key_for(id);
				let ended: Option<EndedConsent<Runtime>> =
					crate::registry::storage(&state, key).map_err(chain_error)?;
				ended.map(|e| (id, e.consent, Some((e.ended_at, e.ending))))
			}
		};
		let Some(entry) = entry else { return Ok(None) };
		self.patient_or_guardian(ext, "fhir Consent", &entry.1.patient, "read the consents")?;
		Ok(Some(entry))
	}

	/// The head and its state, when the caller may read the patient's audit trail: the patient
	/// and guardians only.
	fn audit_trail_state(
		&self,
		ext: &Extensions,
		patient: &AccountId,
	) -> RpcResult<(H256, crate::client::State)> {
		let what = "read the accounting of disclosures";
		let at = self.patient_or_guardian(ext, "fhir AuditEvent", patient, what)?;
		Ok((at, self.node.client.state_at(at).map_err(err)?))
	}

	/// The patient's audit entries at or after `since` (ms), with each entry's index, for the
	/// patient and guardians only.
	pub(crate) fn fhir_audit_trail(
		&self,
		ext: &Extensions,
		patient: &AccountId,
		since: Moment,
	) -> RpcResult<Vec<(u64, pallet_consent::AuditEntry<Runtime>)>> {
		let (at, state) = self.audit_trail_state(ext, patient)?;
		const METHOD: &str = "ConsentApi_accounting_of_disclosures";
		let output = self.runtime_call(Some(at), METHOD, &(patient, since).encode())?;
		let entries: Vec<pallet_consent::AuditEntry<Runtime>> =
			crate::client::decode(METHOD, &output).map_err(err)?;
		// The entries since a moment are the last ones of the trail.
		let length: u64 = crate::registry::storage(
			&state,
			pallet_consent::AuditLength::<Runtime>::hashed_key_for(patient),
		)
		.map_err(chain_error)?
		.unwrap_or_default();
		let first = length.saturating_sub(entries.len() as u64);
		Ok((first..).zip(entries).collect())
	}

	/// One audit entry of the patient's trail, for the patient and guardians only.
	pub(crate) fn fhir_audit_entry(
		&self,
		ext: &Extensions,
		patient: &AccountId,
		index: u64,
	) -> RpcResult<Option<pallet_consent::AuditEntry<Runtime>>> {
		let (_, state) = self.audit_trail_state(ext, patient)?;
		let key = pallet_consent::AuditTrail::<Runtime>::hashed_key_for(patient, index);
		crate::registry::storage(&state, key).map_err(chain_error)
	}

	/// A page of the record versions of `patient` that `keep` keeps and the caller may read.
	///
	/// The patient and guardians search their whole index (at most [`MAX_OWN_SCAN`] versions):
	/// the page is `offset..offset + count` of the matches and the total is known. Anyone else
	/// pages through the index itself, as `records_byPatient` does: from position `offset`, at
	/// most [`MAX_GRANTEE_SCAN`] versions are looked at (each costs the chain's access decision),
	/// the readable matches among them answered, up to `count`, with the position to go on from;
	/// no total is given, so nothing is learnt of records not answered. Every record answered to
	/// someone other than the patient or a guardian is accounted for before it is returned.
	pub(crate) fn fhir_records(
		&self,
		ext: &Extensions,
		patient: &AccountId,
		keep: &dyn Fn(&RecordEntry) -> bool,
		offset: usize,
		count: usize,
	) -> RpcResult<RecordsPage> {
		let at = self.at(None)?;
		let reader = self.reader(ext, "fhir DocumentReference", patient, at)?;
		let index_page = |start: usize, n: u32| -> RpcResult<Vec<RecordEntry>> {
			const METHOD: &str = "RecordsApi_records_by_patient";
			let start = u32::try_from(start).unwrap_or(u32::MAX);
			let output = self.runtime_call(Some(at), METHOD, &(patient, start, n).encode())?;
			crate::client::decode(METHOD, &output).map_err(err)
		};
		let Reader::Other(accessor) = &reader else {
			let mut matching = Vec::new();
			let mut start = 0usize;
			let complete = loop {
				if start >= MAX_OWN_SCAN {
					break false;
				}
				let page = index_page(start, PAGE)?;
				let last = page.len() < PAGE as usize;
				start = start.saturating_add(page.len());
				matching.extend(page.into_iter().filter(|entry| keep(entry)));
				if last {
					break true;
				}
			};
			let total = matching.len();
			let next = offset.saturating_add(count);
			let page: Vec<RecordEntry> = matching.into_iter().skip(offset).take(count).collect();
			return Ok(RecordsPage {
				entries: page,
				total: complete.then_some(total),
				next: (next < total && count > 0).then_some(next),
			});
		};
		let mut answered = Vec::new();
		let mut position = offset;
		let mut more = true;
		while answered.len() < count && position < offset.saturating_add(MAX_GRANTEE_SCAN) {
			let window = (offset.saturating_add(MAX_GRANTEE_SCAN) - position).min(PAGE as usize);
			let page = index_page(position, window as u32)?;
			more = page.len() == window;
			for entry in page {
				position = position.saturating_add(1);
				if keep(&entry) && self.may_read(at, patient, accessor, entry.0)? {
					answered.push(entry);
					if answered.len() == count {
						break;
					}
				}
			}
			if !more {
				break;
			}
		}
		self.account_fhir_read(&reader, patient, &answered)?;
		Ok(RecordsPage { entries: answered, total: None, next: more.then_some(position) })
	}

	/// One record version and the versions before it, if the caller may read it.
	pub(crate) fn fhir_record(
		&self,
		ext: &Extensions,
		record: RecordId,
	) -> RpcResult<Option<RecordEntry>> {
		let at = self.at(None)?;
		const METHOD: &str = "RecordsApi_record_with_history";
		let output = self.runtime_call(Some(at), METHOD, &record.encode())?;
		let versions: Vec<RecordEntry> = crate::client::decode(METHOD, &output).map_err(err)?;
		let Some(entry) = versions.into_iter().find(|(id, _)| *id == record) else {
			return Ok(None);
		};
		let patient = entry.1.patient.clone();
		let reader = self.reader(ext, "fhir DocumentReference", &patient, at)?;
		if let Reader::Other(accessor) = &reader {
			if !self.may_read(at, &patient, accessor, record)? {
				let what = "read this record's index entry";
				return Err(
					AuthError::NotEntitled { account: accessor.clone(), patient, what }.into()
				);
			}
		}
		self.account_fhir_read(&reader, &patient, std::slice::from_ref(&entry))?;
		Ok(Some(entry))
	}

	/// Enters the records a FHIR read answers someone other than the patient or a guardian in
	/// the node's accounting of disclosures.
	fn account_fhir_read(
		&self,
		reader: &Reader,
		patient: &AccountId,
		answered: &[RecordEntry],
	) -> RpcResult<()> {
		let Reader::Other(accessor) = reader else { return Ok(()) };
		if answered.is_empty() {
			return Ok(());
		}
		for chunk in answered.chunks(crate::rpc::disclosures::MAX_RECORDS_PER_ENTRY) {
			self.disclosures
				.append(NodeDisclosure {
					at: crate::rpc::auth::now_ms(),
					patient: patient.clone(),
					accessor: accessor.clone(),
					method: DisclosedBy::Fhir,
					records: chunk.iter().map(|(id, _)| *id).collect(),
				})
				.map_err(ErrorObjectOwned::from)?;
		}
		Ok(())
	}
}

impl Handlers {
	/// The caller's organization, if the caller is an active member of an active one; `None`
	/// for the patient side (no session check beyond the session itself).
	fn caller_organization(&self, ext: &Extensions, method: &str) -> RpcResult<Option<OrgId>> {
		let caller = crate::rpc::auth::caller(ext);
		let Some(account) = caller.account(method).map_err(ErrorObjectOwned::from)? else {
			return Ok(None);
		};
		let state = self.node.client.state_at(self.at(None)?).map_err(err)?;
		crate::registry::active_organization(&state, account).map_err(chain_error)
	}

	/// Refuses `what` to anyone but an active member of an active organization (the class RPC
	/// calls raw state): studies, subjects under pseudonyms.
	pub(crate) fn fhir_member_only(&self, ext: &Extensions, what: &'static str) -> RpcResult<()> {
		let caller = crate::rpc::auth::caller(ext);
		let Some(account) = caller.account("fhir").map_err(ErrorObjectOwned::from)? else {
			return Ok(());
		};
		match self.caller_organization(ext, "fhir")? {
			Some(_) => Ok(()),
			None => {
				Err(AuthError::NotMember { account: account.clone(), method: what.into() }.into())
			}
		}
	}

	/// An appointment, for its patient, guardians and active members (as `telehealth_*`).
	pub(crate) fn fhir_appointment(
		&self,
		ext: &Extensions,
		id: pallet_telehealth::AppointmentId,
	) -> RpcResult<Option<pallet_telehealth::Appointment<AccountId>>> {
		let at = self.at(None)?;
		let appointment: Option<pallet_telehealth::Appointment<AccountId>> =
			self.api_call(Some(at), "TelehealthApi", "appointment", id)?;
		let Some(appointment) = appointment else { return Ok(None) };
		if let Reader::Other(account) =
			self.reader(ext, "fhir Appointment", &appointment.patient, at)?
		{
			if self.caller_organization(ext, "fhir Appointment")?.is_none() {
				let what = "read this appointment";
				return Err(
					AuthError::NotEntitled { account, patient: appointment.patient, what }.into()
				);
			}
		}
		Ok(Some(appointment))
	}

	/// Whether the caller, of organization `org`, may read `claim`: the patient, guardians, and
	/// active members of the provider or of the payer.
	fn may_read_claim(
		&self,
		ext: &Extensions,
		entry: &ClaimEntry,
		org: Option<OrgId>,
		at: H256,
	) -> RpcResult<bool> {
		let (_, claim, policy) = entry;
		let payer = policy.as_ref().map(|p| p.payer);
		if org.is_some_and(|org| org == claim.provider || Some(org) == payer) {
			return Ok(true);
		}
		Ok(!matches!(self.reader(ext, "fhir Claim", &claim.patient, at)?, Reader::Other(_)))
	}

	/// A claim and its policy; `policies` keeps the policies read so far, since a scan meets the
	/// same few policies over and over.
	fn claim_at(
		&self,
		state: &crate::client::State,
		id: pallet_claims::ClaimId,
		policies: &mut HashMap<pallet_claims::PolicyId, Option<pallet_claims::Policy<Runtime>>>,
	) -> RpcResult<Option<ClaimEntry>> {
		let key = pallet_claims::Claims::<Runtime>::hashed_key_for(id);
		let claim: Option<pallet_claims::Claim<Runtime>> =
			crate::registry::storage(state, key).map_err(chain_error)?;
		let Some(claim) = claim else { return Ok(None) };
		let policy = match policies.get(&claim.policy) {
			Some(policy) => policy.clone(),
			None => {
				let key = pallet_claims::Policies::<Runtime>::hashed_key_for(claim.policy);
				let policy: Option<pallet_claims::Policy<Runtime>> =
					crate::registry::storage(state, key).map_err(chain_error)?;
				policies.insert(claim.policy, policy.clone());
				policy
			}
		};
		Ok(Some((id, claim, policy)))
	}

	/// One claim, if the caller may read it.
	pub(crate) fn fhir_claim(
		&self,
		ext: &Extensions,
		id: pallet_claims::ClaimId,
	) -> RpcResult<Option<ClaimEntry>> {
		let at = self.at(None)?;
		let state = self.node.client.state_at(at).map_err(err)?;
		let Some(entry) = self.claim_at(&state, id, &mut HashMap::new())? else { return Ok(None) };
		let org = self.caller_organization(ext, "fhir Claim")?;
		if !self.may_read_claim(ext, &entry, org, at)? {
			let what = "read this claim (the patient's, the provider's and the payer's only)";
			let account = crate::rpc::auth::caller(ext)
				.account("fhir Claim")
				.map_err(ErrorObjectOwned::from)?
				.cloned()
				.unwrap_or_else(|| entry.1.patient.clone());
			return Err(AuthError::NotEntitled { account, patient: entry.1.patient, what }.into());
		}
		Ok(Some(entry))
	}

	/// The newest claims (at most [`MAX_CLAIM_SCAN`] looked through) that `keep` keeps and the
	/// caller may read.
	pub(crate) fn fhir_claims(
		&self,
		ext: &Extensions,
		keep: &dyn Fn(&ClaimEntry) -> bool,
	) -> RpcResult<Vec<ClaimEntry>> {
		let at = self.at(None)?;
		let state = self.node.client.state_at(at).map_err(err)?;
		let next: pallet_claims::ClaimId = crate::registry::storage(
			&state,
			pallet_claims::NextClaimId::<Runtime>::hashed_key().to_vec(),
		)
		.map_err(chain_error)?
		.unwrap_or_default();
		let org = self.caller_organization(ext, "fhir Claim")?;
		let mut policies = HashMap::new();
		let mut found = Vec::new();
		for id in (next.saturating_sub(MAX_CLAIM_SCAN)..next).rev() {
			let Some(entry) = self.claim_at(&state, id, &mut policies)? else { continue };
			if keep(&entry) && self.may_read_claim(ext, &entry, org, at)? {
				found.push(entry);
			}
		}
		Ok(found)
	}
}

fn chain_error(e: String) -> ErrorObjectOwned {
	AuthError::Chain(e).into()
}
