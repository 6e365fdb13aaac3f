//! The patient-linked reads the FHIR interface (`crate::fhir_rest`) answers, with the same
//! checks as RPC's: the patient and guardians read everything of the patient; anyone else only
//! records the chain lets them read, and each record so disclosed is entered in the node's
//! accounting of disclosures before the answer leaves.

use super::{err, Handlers, Reader};
use crate::rpc::{
	auth::AuthError,
	disclosures::{DisclosedBy, NodeDisclosure},
};
use carechain_primitives::{ConsentId, Moment, RecordId};
use carechain_runtime::{AccountId, Runtime};
use codec::Encode;
use jsonrpsee::{core::RpcResult, types::ErrorObjectOwned, Extensions};
use pallet_consent::{Consent, ConsentEnding, EndedConsent};
use pallet_records::Record;
use sp_core::H256;

/// A record version and its index entry.
pub type RecordEntry = (RecordId, Record<Runtime>);

/// A consent, in force or ended (when, and how).
pub type ConsentEntry = (ConsentId, Consent<Runtime>, Option<(Moment, ConsentEnding)>);

/// Records read from the runtime per call.
const PAGE: u32 = 100;

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

	/// The patient's audit trail with each entry's index, for the patient and guardians only.
	pub(crate) fn fhir_audit_trail(
		&self,
		ext: &Extensions,
		patient: &AccountId,
	) -> RpcResult<Vec<(u64, pallet_consent::AuditEntry<Runtime>)>> {
		let at = self.patient_or_guardian(
			ext,
			"fhir AuditEvent",
			patient,
			"read the accounting of disclosures",
		)?;
		const METHOD: &str = "ConsentApi_accounting_of_disclosures";
		let output = self.runtime_call(Some(at), METHOD, &(patient, 0u64).encode())?;
		let entries: Vec<pallet_consent::AuditEntry<Runtime>> =
			crate::client::decode(METHOD, &output).map_err(err)?;
		Ok((0u64..).zip(entries).collect())
	}

	/// Every record version of `patient` that `keep` keeps and the caller may read, and the
	/// page `offset..offset + count` of them. Records disclosed to someone other than the
	/// patient or a guardian are accounted for before they are returned.
	pub(crate) fn fhir_records(
		&self,
		ext: &Extensions,
		patient: &AccountId,
		keep: &dyn Fn(&RecordEntry) -> bool,
		offset: usize,
		count: usize,
	) -> RpcResult<(Vec<RecordEntry>, usize)> {
		let at = self.at(None)?;
		let reader = self.reader(ext, "fhir DocumentReference", patient, at)?;
		let mut matching = Vec::new();
		let mut start = 0u32;
		loop {
			const METHOD: &str = "RecordsApi_records_by_patient";
			let output = self.runtime_call(Some(at), METHOD, &(patient, start, PAGE).encode())?;
			let page: Vec<RecordEntry> = crate::client::decode(METHOD, &output).map_err(err)?;
			let last = page.len() < PAGE as usize;
			for entry in page {
				let readable = match &reader {
					Reader::Other(accessor) => self.may_read(at, patient, accessor, entry.0)?,
					_ => true,
				};
				if readable && keep(&entry) {
					matching.push(entry);
				}
			}
			if last {
				break;
			}
			start = start.saturating_add(PAGE);
		}
		let total = matching.len();
		let page: Vec<RecordEntry> = matching.into_iter().skip(offset).take(count).collect();
		self.account_fhir_read(&reader, patient, &page)?;
		Ok((page, total))
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

fn chain_error(e: String) -> ErrorObjectOwned {
	AuthError::Chain(e).into()
}
