//! `trials_*`: a study's registration and amendment history, a subject's consent history and a
//! study's CONSORT participant flow, as JSON, from the runtime's `TrialsApi`.
//!
//! Everything they return is in state already and names no patient: ids, hashes, counts,
//! pseudonyms. Trial registration and results are public by law (ClinicalTrials.gov, the EU CTR)
//! and a pseudonym tells nothing without the patient's wallet, so the methods are public, like
//! the registries they mirror.

use super::handlers::{err, Handlers};
use crate::client::{decode, ClientError};
use carechain_runtime::Runtime;
use codec::{Decode, Encode};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_trials::{
	ConsentRecord, ConsortFlow, ProtocolVersion, Pseudonym, Study, StudyId, StudyResults, Subject,
	SubjectStatus,
};
use serde_json::{json, Value as Json};
use sp_core::H256;

/// The methods, in the `trials` namespace.
#[rpc(server, client, namespace = "trials")]
pub trait TrialsRpc {
	/// A study's registration, its state now (protocol version, sites, counts, lock, results,
	/// flags) and its protocol versions in order; null when no study has that id.
	#[method(name = "study")]
	fn study(&self, study: StudyId, at: Option<H256>) -> RpcResult<Option<Json>>;
	/// One subject's consents as one document: the study, the pseudonym, where the subject
	/// stands, and each protocol version agreed to with its protocol and consent-form hashes
	/// and when; with the block it was read at, whose state root proves it
	/// (`state_getReadProof`). Null when the study has no subject with that pseudonym.
	#[method(name = "consentHistory")]
	fn consent_history(
		&self,
		study: StudyId,
		pseudonym: Pseudonym,
		at: Option<H256>,
	) -> RpcResult<Option<Json>>;
	/// A study's CONSORT participant flow (assessed, excluded, enrolled, withdrawn before
	/// allocation, and per arm allocated, lost to follow-up, withdrawn, completed, analysed),
	/// counted from the subjects' on-chain transitions; null when no study has that id.
	#[method(name = "consortFlow")]
	fn consort_flow(&self, study: StudyId, at: Option<H256>) -> RpcResult<Option<Json>>;
}

impl Handlers {
	/// Calls `TrialsApi_<method>` with `input` at `at` and decodes its answer as `T`.
	fn trials_call<T: Decode>(&self, at: H256, method: &str, input: impl Encode) -> RpcResult<T> {
		let method = format!("TrialsApi_{method}");
		let output = self.runtime_call(Some(at), &method, &input.encode())?;
		decode(&method, &output).map_err(err)
	}

	/// The block `at` names (the best block when none), with its number and state root.
	fn trials_block(&self, at: Option<H256>) -> RpcResult<(H256, Json)> {
		let at = self.at(at)?;
		let header = self
			.parts()
			.0
			.client
			.header(at)
			.map_err(err)?
			.ok_or_else(|| err(ClientError::UnknownBlock(at)))?;
		let block = json!({
			"hash": at,
			"number": header.number,
			"stateRoot": header.state_root,
		});
		Ok((at, block))
	}
}

impl TrialsRpcServer for Handlers {
	fn study(&self, study: StudyId, at: Option<H256>) -> RpcResult<Option<Json>> {
		let (at, block) = self.trials_block(at)?;
		let Some(info) = self.trials_call::<Option<Study<Runtime>>>(at, "study", study)? else {
			return Ok(None);
		};
		let versions: Vec<ProtocolVersion> = self.trials_call(at, "protocol_history", study)?;
		let results: Option<StudyResults<Runtime>> = self.trials_call(at, "results", study)?;
		Ok(Some(study_json(study, &info, &versions, results.as_ref(), block)))
	}

	fn consent_history(
		&self,
		study: StudyId,
		pseudonym: Pseudonym,
		at: Option<H256>,
	) -> RpcResult<Option<Json>> {
		let (at, block) = self.trials_block(at)?;
		let key = (study, pseudonym);
		let Some(subject) = self.trials_call::<Option<Subject>>(at, "subject", key)? else {
			return Ok(None);
		};
		let Some(info) = self.trials_call::<Option<Study<Runtime>>>(at, "study", study)? else {
			return Ok(None);
		};
		let consents: Vec<ConsentRecord> = self.trials_call(at, "consent_history", key)?;
		let versions: Vec<ProtocolVersion> = self.trials_call(at, "protocol_history", study)?;
		Ok(Some(consent_json(study, &pseudonym, &info, &subject, &consents, &versions, block)))
	}

	fn consort_flow(&self, study: StudyId, at: Option<H256>) -> RpcResult<Option<Json>> {
		let (at, block) = self.trials_block(at)?;
		let flow: Option<ConsortFlow<Runtime>> = self.trials_call(at, "consort_flow", study)?;
		Ok(flow.map(|flow| flow_json(study, &flow, block)))
	}
}

fn registry_id(info: &Study<Runtime>) -> String {
	String::from_utf8_lossy(&info.registry_id.to_ascii()).into_owned()
}

fn version_json(version: u32, v: &ProtocolVersion) -> Json {
	json!({
		"version": version,
		"protocolHash": v.protocol_hash,
		"consentFormHash": v.consent_form_hash,
		"reconsentRequired": v.reconsent_required,
		"at": v.at,
	})
}

fn versions_json(versions: &[ProtocolVersion]) -> Vec<Json> {
	(1u32..).zip(versions).map(|(n, v)| version_json(n, v)).collect()
}

fn study_json(
	id: StudyId,
	info: &Study<Runtime>,
	versions: &[ProtocolVersion],
	results: Option<&StudyResults<Runtime>>,
	block: Json,
) -> Json {
	let arms: Vec<Json> = info
		.arms
		.iter()
		.map(|a| json!({ "index": a.index, "descriptionHash": a.description_hash }))
		.collect();
	let lock = info.lock.map(|l| {
		json!({
			"dataRoot": l.data_root,
			"captureDigest": l.capture_digest,
			"captures": l.captures,
			"at": l.at,
		})
	});
	let results = results.map(|r| {
		let c = &r.comparison;
		json!({
			"resultsHash": r.results_hash,
			"primaryOutcomes": r.primary_outcomes.to_vec(),
			"secondaryOutcomes": r.secondary_outcomes.to_vec(),
			"comparison": {
				"primaryAdded": c.primary_added,
				"primaryOmitted": c.primary_omitted,
				"secondaryAdded": c.secondary_added,
				"secondaryOmitted": c.secondary_omitted,
			},
			"outcomesSwitched": c.primary_added + c.primary_omitted + c.secondary_added + c.secondary_omitted > 0,
			"reportedAt": r.reported_at,
			"late": r.late,
		})
	});
	json!({
		"id": id,
		"registryId": registry_id(info),
		"sponsor": info.sponsor,
		"phase": format!("{:?}", info.phase),
		"arms": arms,
		"targetEnrolment": info.target_enrolment,
		"primaryOutcomes": info.primary_outcomes.to_vec(),
		"secondaryOutcomes": info.secondary_outcomes.to_vec(),
		"analysisPlanHash": info.analysis_plan_hash,
		"allocationRoot": info.allocation_root,
		"registeredAt": info.registered_at,
		"version": info.version,
		"minConsentVersion": info.min_consent_version,
		"protocolHistory": versions_json(versions),
		"sites": info.sites,
		"randomised": info.randomised,
		"captures": info.captures,
		"captureDigest": info.capture_digest,
		"adverseEvents": info.adverse_events,
		"lateAdverseEvents": info.late_adverse_events,
		"lastCompletion": info.last_completion,
		"lock": lock,
		"results": results,
		"resultsOverdue": info.results_overdue,
		"block": block,
	})
}

fn status(status: SubjectStatus) -> &'static str {
	match status {
		SubjectStatus::Screened => "screened",
		SubjectStatus::ScreenFailed => "screenFailed",
		SubjectStatus::Enrolled => "enrolled",
		SubjectStatus::Randomised => "randomised",
		SubjectStatus::Completed => "completed",
		SubjectStatus::Withdrawn => "withdrawn",
		SubjectStatus::LostToFollowUp => "lostToFollowUp",
	}
}

fn consent_json(
	study: StudyId,
	pseudonym: &Pseudonym,
	info: &Study<Runtime>,
	subject: &Subject,
	consents: &[ConsentRecord],
	versions: &[ProtocolVersion],
	block: Json,
) -> Json {
	let consents: Vec<Json> = consents
		.iter()
		.map(|c| {
			let protocol = c
				.version
				.checked_sub(1)
				.and_then(|i| versions.get(i as usize))
				.map(|v| v.protocol_hash);
			json!({
				"version": c.version,
				"protocolHash": protocol,
				"consentFormHash": c.consent_form_hash,
				"at": c.at,
			})
		})
		.collect();
	json!({
		"study": study,
		"registryId": registry_id(info),
		"pseudonym": pseudonym,
		"site": subject.site,
		"status": status(subject.status),
		"consentVersion": subject.consent_version,
		"currentVersion": info.version,
		// Whether the subject's consent covers what the runtime now requires: data capture and
		// randomisation need it.
		"consentCurrent": subject.consent_version >= info.min_consent_version,
		"consents": consents,
		"block": block,
	})
}

fn flow_json(study: StudyId, flow: &ConsortFlow<Runtime>, block: Json) -> Json {
	let arms: Vec<Json> = (0u32..)
		.zip(flow.arms.iter())
		.map(|(arm, a)| {
			json!({
				"arm": arm,
				"allocated": a.allocated,
				"lostToFollowUp": a.lost,
				"withdrawn": a.withdrawn,
				"completed": a.completed,
				"analysed": a.analysed,
			})
		})
		.collect();
	json!({
		"study": study,
		"assessed": flow.assessed,
		"excluded": flow.excluded,
		"enrolled": flow.enrolled,
		"withdrawnBeforeAllocation": flow.withdrawn_before_allocation,
		"allocated": flow.arms.iter().map(|a| a.allocated).sum::<u32>(),
		"arms": arms,
		"block": block,
	})
}
