//! `trials_*`: a study's registration and amendment history, a subject's consent history and a
//! study's CONSORT participant flow, as JSON, from the runtime's `TrialsApi`.
//!
//! Everything they return is in state already and names no patient: ids, hashes, counts,
//! pseudonyms. With authentication on, a subject's consent history is public (it holds what was
//! agreed to and when, under a pseudonym only the patient's wallet and the site know); the
//! study views, the CONSORT counts and the subject's FHIR view are for the consortium's members,
//! like raw state: while a trial runs, its per-arm counts and arms could unblind it.

use super::handlers::{err, Handlers};
use crate::client::ClientError;
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
	/// The study as a FHIR R4 ResearchStudy (registry identifier, status, phase, sponsor,
	/// arms, objectives, period, and the protocol's, consent forms' and analysis plan's hashes
	/// as related artifacts), checked as the vault checks FHIR; null when no study has that id.
	#[method(name = "researchStudy")]
	fn research_study(&self, study: StudyId, at: Option<H256>) -> RpcResult<Option<Json>>;
	/// A subject as a FHIR R4 ResearchSubject (status, period, study, arm), the individual
	/// named by the pseudonym alone; null when the study has no subject with that pseudonym.
	#[method(name = "researchSubject")]
	fn research_subject(
		&self,
		study: StudyId,
		pseudonym: Pseudonym,
		at: Option<H256>,
	) -> RpcResult<Option<Json>>;
}

impl Handlers {
	/// Calls `TrialsApi_<method>` with `input` at `at` and decodes its answer as `T`.
	fn trials_call<T: Decode>(&self, at: H256, method: &str, input: impl Encode) -> RpcResult<T> {
		self.api_call(Some(at), "TrialsApi", method, input)
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

	fn research_study(&self, study: StudyId, at: Option<H256>) -> RpcResult<Option<Json>> {
		let at = self.at(at)?;
		let Some(info) = self.trials_call::<Option<Study<Runtime>>>(at, "study", study)? else {
			return Ok(None);
		};
		let versions: Vec<ProtocolVersion> = self.trials_call(at, "protocol_history", study)?;
		let results: Option<StudyResults<Runtime>> = self.trials_call(at, "results", study)?;
		fhir::checked(fhir::research_study(study, &info, &versions, results.is_some())).map(Some)
	}

	fn research_subject(
		&self,
		study: StudyId,
		pseudonym: Pseudonym,
		at: Option<H256>,
	) -> RpcResult<Option<Json>> {
		let at = self.at(at)?;
		let key = (study, pseudonym);
		let Some(subject) = self.trials_call::<Option<Subject>>(at, "subject", key)? else {
			return Ok(None);
		};
		fhir::checked(fhir::research_subject(study, &pseudonym, &subject)).map(Some)
	}
}

/// The FHIR R4 views of studies and subjects ([`carechain_interop::fhir::trials`]), and the
/// check every FHIR view passes before the node serves it.
pub mod fhir {
	pub use carechain_interop::{fhir::trials::*, instant};
	use jsonrpsee::{core::RpcResult, types::ErrorObjectOwned};
	use serde_json::Value as Json;

	/// `resource` if the vault's FHIR check passes it, else an internal error that says why
	/// (a mapping bug, never the caller's).
	pub fn checked(resource: Json) -> RpcResult<Json> {
		match carechain_vault::fhir::validate(resource.to_string().as_bytes()) {
			Ok(_) => Ok(resource),
			Err(e) => Err(ErrorObjectOwned::owned(
				jsonrpsee::types::error::INTERNAL_ERROR_CODE,
				format!("the node built FHIR that does not validate ({e}): report this bug"),
				None::<()>,
			)),
		}
	}
}

use fhir::registry_id;

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

#[cfg(test)]
mod tests {
	use super::{fhir, *};
	use pallet_trials::{Arm, DatabaseLock, Phase, RegistryId};

	fn h(n: u8) -> H256 {
		H256::repeat_byte(n)
	}

	fn study() -> Study<Runtime> {
		Study {
			sponsor: 5,
			registry_id: RegistryId::Nct(*b"04000001"),
			phase: Phase::Phase2Phase3,
			arms: vec![
				Arm { index: 0, description_hash: h(0x40) },
				Arm { index: 1, description_hash: h(0x41) },
			]
			.try_into()
			.unwrap(),
			target_enrolment: 4,
			primary_outcomes: vec![h(11)].try_into().unwrap(),
			secondary_outcomes: vec![h(12)].try_into().unwrap(),
			analysis_plan_hash: h(3),
			allocation_root: h(4),
			registered_at: 1_700_000_000_000,
			version: 2,
			min_consent_version: 2,
			sites: 1,
			randomised: 0,
			captures: 0,
			capture_digest: H256::zero(),
			adverse_events: 0,
			late_adverse_events: 0,
			last_completion: None,
			lock: None,
			results_overdue: None,
		}
	}

	fn version(n: u8) -> ProtocolVersion {
		ProtocolVersion {
			protocol_hash: h(n),
			consent_form_hash: h(n + 0x10),
			reconsent_required: n > 1,
			at: 1_700_000_000_000,
		}
	}

	#[test]
	fn a_study_is_a_valid_research_study_through_its_life() {
		let mut info = study();
		let versions = [version(1), version(2)];
		let active = fhir::checked(fhir::research_study(0, &info, &versions, false)).unwrap();
		assert_eq!(active["status"], "active");
		assert_eq!(active["identifier"][0]["value"], "NCT04000001");
		assert_eq!(active["identifier"][0]["system"], "https://clinicaltrials.gov");
		assert_eq!(active["phase"]["coding"][0]["code"], "phase-2-phase-3");
		assert_eq!(active["period"]["start"], "2023-11-14T22:13:20.000Z");
		assert_eq!(active["objective"].as_array().map(Vec::len), Some(2));
		assert_eq!(active["objective"][0]["type"]["coding"][0]["code"], "primary");
		// Two versions' protocol and consent form, and the analysis plan.
		assert_eq!(active["relatedArtifact"].as_array().map(Vec::len), Some(5));
		info.lock = Some(DatabaseLock {
			data_root: h(9),
			capture_digest: H256::zero(),
			captures: 0,
			at: 1_700_000_086_400,
		});
		let locked = fhir::checked(fhir::research_study(0, &info, &versions, false)).unwrap();
		assert_eq!(locked["status"], "closed-to-accrual-and-intervention");
		assert_eq!(locked["period"]["end"], "2023-11-14T22:14:46.400Z");
		let done = fhir::checked(fhir::research_study(0, &info, &versions, true)).unwrap();
		assert_eq!(done["status"], "completed");
	}

	#[test]
	fn a_subject_is_a_valid_research_subject_named_by_its_pseudonym_alone() {
		let pseudonym = h(0x77);
		let mut subject = Subject {
			key: h(1),
			nullifier: h(2),
			site: 0,
			status: SubjectStatus::Screened,
			consent_version: 0,
			consents: 0,
			slot: None,
			arm: None,
			captures: 0,
			adverse_events: 0,
			enrolled_at: None,
		};
		let screened = fhir::checked(fhir::research_subject(3, &pseudonym, &subject)).unwrap();
		assert_eq!(screened["status"], "eligible");
		assert_eq!(screened["study"]["reference"], "ResearchStudy/carechain-study-3");
		assert_eq!(screened["individual"]["identifier"]["value"], format!("{pseudonym:?}"));
		assert!(screened.get("assignedArm").is_none());
		// Neither the subject key nor the nullifier leaves the chain's view.
		let text = screened.to_string();
		assert!(!text.contains(&format!("{:?}", h(1))) && !text.contains(&format!("{:?}", h(2))));
		subject.status = SubjectStatus::Randomised;
		subject.arm = Some(1);
		subject.enrolled_at = Some(1_700_000_000_000);
		let randomised = fhir::checked(fhir::research_subject(3, &pseudonym, &subject)).unwrap();
		assert_eq!(randomised["status"], "on-study-intervention");
		assert_eq!(randomised["assignedArm"], "arm-1");
		assert_eq!(randomised["period"]["start"], "2023-11-14T22:13:20.000Z");
		for (status, code) in [
			(SubjectStatus::ScreenFailed, "ineligible"),
			(SubjectStatus::Enrolled, "on-study"),
			(SubjectStatus::Completed, "off-study"),
			(SubjectStatus::LostToFollowUp, "off-study"),
			(SubjectStatus::Withdrawn, "withdrawn"),
		] {
			subject.status = status;
			let resource = fhir::checked(fhir::research_subject(3, &pseudonym, &subject)).unwrap();
			assert_eq!(resource["status"], code);
		}
	}

	#[test]
	fn a_mapping_that_breaks_fhir_is_an_internal_error_not_a_document() {
		let broken = json!({ "resourceType": "ResearchSubject", "status": "on-study" });
		let error = fhir::checked(broken).unwrap_err();
		assert!(
			error.message().contains("ResearchSubject.individual is required"),
			"{}",
			error.message()
		);
	}
}
