//! Clinical trials as FHIR R4: a study as a ResearchStudy, a subject as a ResearchSubject under
//! its pseudonym (never a patient). Hashes stand where documents would: the texts stay with the
//! sponsor.

use crate::instant;
use carechain_runtime::Runtime;
use pallet_trials::{
	Phase, ProtocolVersion, Pseudonym, RegistryId, Study, StudyId, Subject, SubjectStatus,
};
use serde_json::{json, Value as Json};
use sp_core::H256;

pub use super::ORGANIZATION_SYSTEM;

/// A study's registry id (NCT or ISRCTN) as text.
pub fn registry_id(info: &Study<Runtime>) -> String {
	String::from_utf8_lossy(&info.registry_id.to_ascii()).into_owned()
}

/// The identifier system of the chain's study ids.
pub const STUDY_SYSTEM: &str = "urn:carechain:trials:study";
/// The identifier system of subjects' pseudonyms.
pub const PSEUDONYM_SYSTEM: &str = "urn:carechain:trials:pseudonym";

fn hash_url(hash: &H256) -> String {
	format!("urn:carechain:blake2b-256:{hash:?}")
}

/// A study's FHIR id.
pub fn study_id(study: StudyId) -> String {
	format!("carechain-study-{study}")
}

/// The study a FHIR id (`carechain-study-<n>`) names.
pub fn parse_study_id(id: &str) -> Option<StudyId> {
	id.strip_prefix("carechain-study-")?.parse().ok()
}

fn phase(phase: Phase) -> &'static str {
	match phase {
		Phase::EarlyPhase1 => "early-phase-1",
		Phase::Phase1 => "phase-1",
		Phase::Phase1Phase2 => "phase-1-phase-2",
		Phase::Phase2 => "phase-2",
		Phase::Phase2Phase3 => "phase-2-phase-3",
		Phase::Phase3 => "phase-3",
		Phase::Phase4 => "phase-4",
		Phase::NotApplicable => "n-a",
	}
}

fn objective(hash: &H256, kind: &str) -> Json {
	json!({
		"name": format!("{hash:?}"),
		"type": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/research-study-objective-type",
			"code": kind,
		}] },
	})
}

fn artifact(label: String, hash: &H256) -> Json {
	json!({ "type": "documentation", "label": label, "url": hash_url(hash) })
}

/// A study as a ResearchStudy: `active` until the lock, `closed-to-accrual-and-intervention`
/// after it, `completed` once results are reported.
pub fn research_study(
	id: StudyId,
	info: &Study<Runtime>,
	versions: &[ProtocolVersion],
	reported: bool,
) -> Json {
	let system = match info.registry_id {
		RegistryId::Nct(_) => "https://clinicaltrials.gov",
		RegistryId::Isrctn(_) => "https://www.isrctn.com",
	};
	let status = match (info.lock, reported) {
		(_, true) => "completed",
		(Some(_), false) => "closed-to-accrual-and-intervention",
		(None, false) => "active",
	};
	let mut artifacts = Vec::new();
	for (n, v) in (1u32..).zip(versions) {
		artifacts.push(artifact(format!("protocol v{n}"), &v.protocol_hash));
		artifacts.push(artifact(format!("consent form v{n}"), &v.consent_form_hash));
	}
	artifacts.push(artifact("statistical analysis plan".into(), &info.analysis_plan_hash));
	let objectives: Vec<Json> = info
		.primary_outcomes
		.iter()
		.map(|h| objective(h, "primary"))
		.chain(info.secondary_outcomes.iter().map(|h| objective(h, "secondary")))
		.collect();
	let arms: Vec<Json> = info
		.arms
		.iter()
		.map(
			|a| json!({ "name": format!("arm-{}", a.index), "description": hash_url(&a.description_hash) }),
		)
		.collect();
	let mut period = json!({ "start": instant(info.registered_at) });
	if let Some(lock) = info.lock {
		period["end"] = Json::from(instant(lock.at));
	}
	json!({
		"resourceType": "ResearchStudy",
		"id": study_id(id),
		"identifier": [
			{ "system": system, "value": registry_id(info) },
			{ "system": STUDY_SYSTEM, "value": id.to_string() },
		],
		"status": status,
		"phase": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/research-study-phase",
			"code": phase(info.phase),
		}] },
		"sponsor": { "identifier": { "system": ORGANIZATION_SYSTEM, "value": info.sponsor.to_string() } },
		"period": period,
		"arm": arms,
		"objective": objectives,
		"relatedArtifact": artifacts,
	})
}

fn subject_status(status: SubjectStatus) -> &'static str {
	match status {
		SubjectStatus::Screened => "eligible",
		SubjectStatus::ScreenFailed => "ineligible",
		SubjectStatus::Enrolled => "on-study",
		SubjectStatus::Randomised => "on-study-intervention",
		SubjectStatus::Completed | SubjectStatus::LostToFollowUp => "off-study",
		SubjectStatus::Withdrawn => "withdrawn",
	}
}

/// A subject as a ResearchSubject whose individual is the pseudonym: no patient, ever.
pub fn research_subject(study: StudyId, pseudonym: &Pseudonym, subject: &Subject) -> Json {
	let name = format!("{pseudonym:?}");
	let mut resource = json!({
		"resourceType": "ResearchSubject",
		"identifier": [{ "system": PSEUDONYM_SYSTEM, "value": name }],
		"status": subject_status(subject.status),
		"study": { "reference": format!("ResearchStudy/{}", study_id(study)) },
		"individual": { "identifier": { "system": PSEUDONYM_SYSTEM, "value": name } },
	});
	if let Some(at) = subject.enrolled_at {
		resource["period"] = json!({ "start": instant(at) });
	}
	if let Some(arm) = subject.arm {
		resource["assignedArm"] = Json::from(format!("arm-{arm}"));
		resource["actualArm"] = Json::from(format!("arm-{arm}"));
	}
	resource
}
