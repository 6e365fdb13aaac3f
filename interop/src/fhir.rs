//! Chain types as FHIR R4 resources.
//!
//! Ids: a patient, practitioner or guardian is its account in SS58 (`Patient/5Grw…`), an
//! organization `Organization/org-<id>`, a record the 64 hex digits of its id
//! (`DocumentReference/ab12…`), a consent its number, an audit entry `<patient>-<index>`.

use crate::instant;
use carechain_primitives::{AccessBasis, AuditAction, FhirResourceType, Moment, OrgId, Purpose};
use carechain_runtime::{AccountId, Runtime};
use pallet_consent::{AuditEntry, Consent, ConsentScope, Grantee};
use pallet_records::{Record, RecordStatus};
use serde_json::{json, Value as Json};
use sp_core::{crypto::Ss58Codec, H256};

/// The identifier system of the chain's accounts.
pub const ACCOUNT_SYSTEM: &str = "urn:carechain:account";
/// The identifier system of the consortium's organization ids.
pub const ORGANIZATION_SYSTEM: &str = "urn:carechain:organization";
/// The identifier system of record ids.
pub const RECORD_SYSTEM: &str = "urn:carechain:record";
/// The identifier system of the blake2b-256 of a sealed payload (its vault content address).
pub const CONTENT_HASH_SYSTEM: &str = "urn:carechain:blake2b-256";
/// The code system of the audit trail's actions.
pub const AUDIT_ACTION_SYSTEM: &str = "urn:carechain:audit-action";
/// HL7's purposes of use (v3 ActReason), which the chain's purposes map to.
pub const ACT_REASON_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

/// An account's FHIR id: its SS58 address (generic prefix).
pub fn account_id(account: &AccountId) -> String {
	account.to_ss58check()
}

/// The account an SS58 FHIR id names.
pub fn parse_account(id: &str) -> Option<AccountId> {
	AccountId::from_ss58check(id).ok()
}

/// A record's FHIR id: its 64 hex digits.
pub fn record_id(record: &H256) -> String {
	hex(record)
}

/// The record a FHIR id names.
pub fn parse_record(id: &str) -> Option<H256> {
	let digits = id.strip_prefix("0x").unwrap_or(id);
	let bytes: [u8; 32] = hex::decode(digits).ok()?.try_into().ok()?;
	Some(H256(bytes))
}

fn hex(hash: &H256) -> String {
	format!("{hash:?}").trim_start_matches("0x").to_owned()
}

/// An organization's FHIR id.
pub fn organization_id(org: OrgId) -> String {
	format!("org-{org}")
}

/// An audit entry's FHIR id: the patient's and the entry's place in their trail.
pub fn audit_event_id(patient: &AccountId, index: u64) -> String {
	format!("{}-{index}", account_id(patient))
}

/// The patient and index an audit entry's FHIR id names.
pub fn parse_audit_event_id(id: &str) -> Option<(AccountId, u64)> {
	let (patient, index) = id.rsplit_once('-')?;
	Some((parse_account(patient)?, index.parse().ok()?))
}

fn patient_reference(patient: &AccountId) -> Json {
	json!({ "reference": format!("Patient/{}", account_id(patient)) })
}

fn organization_reference(org: OrgId) -> Json {
	json!({
		"reference": format!("Organization/{}", organization_id(org)),
		"identifier": { "system": ORGANIZATION_SYSTEM, "value": org.to_string() },
	})
}

/// Someone who acted: the patient as `Patient`, anyone else (a practitioner, a guardian, a
/// payer's staff) as `Practitioner`, always with the account as identifier.
fn person_reference(who: &AccountId, patient: &AccountId) -> Json {
	let kind = if who == patient { "Patient" } else { "Practitioner" };
	json!({
		"reference": format!("{kind}/{}", account_id(who)),
		"identifier": { "system": ACCOUNT_SYSTEM, "value": account_id(who) },
	})
}

/// A purpose of use as HL7 v3 ActReason codes it.
pub fn purpose_code(purpose: Purpose) -> &'static str {
	match purpose {
		Purpose::Treatment => "TREAT",
		Purpose::Payment => "HPAYMT",
		Purpose::Operations => "HOPERAT",
		Purpose::Research => "HRESCH",
		Purpose::PublicHealth => "PUBHLTH",
	}
}

/// The purpose an ActReason code names.
pub fn parse_purpose(code: &str) -> Option<Purpose> {
	[
		Purpose::Treatment,
		Purpose::Payment,
		Purpose::Operations,
		Purpose::Research,
		Purpose::PublicHealth,
	]
	.into_iter()
	.find(|p| purpose_code(*p) == code)
}

/// An R4 resource type's name, `None` for the chain's `Other`.
pub fn resource_type_name(resource_type: FhirResourceType) -> Option<&'static str> {
	use FhirResourceType as T;
	Some(match resource_type {
		T::Patient => "Patient",
		T::Observation => "Observation",
		T::Condition => "Condition",
		T::Procedure => "Procedure",
		T::MedicationRequest => "MedicationRequest",
		T::MedicationStatement => "MedicationStatement",
		T::AllergyIntolerance => "AllergyIntolerance",
		T::Immunization => "Immunization",
		T::DiagnosticReport => "DiagnosticReport",
		T::DocumentReference => "DocumentReference",
		T::Encounter => "Encounter",
		T::CarePlan => "CarePlan",
		T::ImagingStudy => "ImagingStudy",
		T::Bundle => "Bundle",
		T::Other => return None,
	})
}

/// Whether a consent allows access now: not ended (revoked, or expired and cleared), and not
/// expired at `now`.
pub fn consent_status(consent: &Consent<Runtime>, ended: bool, now: Moment) -> &'static str {
	if ended || consent.expires_at <= now {
		"inactive"
	} else {
		"active"
	}
}

/// A consent as a FHIR Consent: a privacy consent (`patient-privacy`) that permits its grantee,
/// for its purposes, to read the records in its scope between its grant and its expiry, or the
/// moment it `ended` (revoked or cleared) if earlier. `inactive` once ended or expired.
pub fn consent(id: u64, consent: &Consent<Runtime>, ended: Option<Moment>, now: Moment) -> Json {
	let end = ended.map_or(consent.expires_at, |at| at.min(consent.expires_at));
	let grantee = match &consent.grantee {
		Grantee::Organization(org) => organization_reference(*org),
		Grantee::Practitioner(account) => person_reference(account, &consent.patient),
	};
	let mut actors = vec![json!({
		"role": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
			"code": "IRCP",
			"display": "information recipient",
		}] },
		"reference": grantee,
	})];
	if let Grantee::Practitioner(_) = consent.grantee {
		actors.push(json!({
			"role": { "coding": [{
				"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
				"code": "PROV",
				"display": "healthcare provider",
			}] },
			"reference": organization_reference(consent.grantee_org),
		}));
	}
	let purposes: Vec<Json> = consent
		.purposes
		.iter()
		.map(|p| json!({ "system": ACT_REASON_SYSTEM, "code": purpose_code(*p) }))
		.collect();
	let mut provision = json!({
		"type": "permit",
		"period": { "start": instant(consent.granted_at), "end": instant(end) },
		"actor": actors,
		"action": [{ "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/consentaction",
			"code": "access",
		}] }],
		"purpose": purposes,
	});
	match &consent.scope {
		ConsentScope::AllRecords => {}
		ConsentScope::ResourceTypes(types) => {
			let classes: Vec<Json> = types
				.iter()
				.map(|t| match resource_type_name(*t) {
					Some(name) => {
						json!({ "system": "http://hl7.org/fhir/resource-types", "code": name })
					}
					None => json!({ "system": "urn:carechain:resource-type", "code": "Other" }),
				})
				.collect();
			provision["class"] = Json::from(classes);
		}
		ConsentScope::Records(records) => {
			let data: Vec<Json> = records
				.iter()
				.map(|r| {
					json!({
						"meaning": "instance",
						"reference": { "reference": format!("DocumentReference/{}", record_id(r)) },
					})
				})
				.collect();
			provision["data"] = Json::from(data);
		}
	}
	json!({
		"resourceType": "Consent",
		"id": id.to_string(),
		"status": consent_status(consent, ended.is_some(), now),
		"scope": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/consentscope",
			"code": "patient-privacy",
		}] },
		"category": [{ "coding": [{
			"system": "http://loinc.org",
			"code": "59284-0",
			"display": "Patient Consent",
		}] }],
		"patient": patient_reference(&consent.patient),
		"dateTime": instant(consent.granted_at),
		"performer": [person_reference(&consent.granted_by, &consent.patient)],
		"policyRule": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
			"code": "OPTIN",
		}] },
		"provision": provision,
	})
}

/// The code of an audit action in [`AUDIT_ACTION_SYSTEM`], and the FHIR AuditEvent action
/// (C, R, U, D, E) it is.
pub fn audit_action(action: AuditAction) -> (&'static str, &'static str) {
	match action {
		AuditAction::Create => ("create", "C"),
		AuditAction::Read => ("read", "R"),
		AuditAction::Amend => ("amend", "U"),
		AuditAction::Erase => ("erase", "D"),
		AuditAction::Grant => ("grant", "C"),
		AuditAction::Revoke => ("revoke", "D"),
		AuditAction::BreakGlass => ("break-glass", "E"),
		AuditAction::Disclose => ("disclose", "R"),
		AuditAction::DisputeBreakGlass => ("dispute-break-glass", "E"),
		AuditAction::LiftDisputeBlock => ("lift-dispute-block", "E"),
	}
}

/// What allowed an access, as the policy URI an AuditEvent agent carries.
fn basis_policy(basis: &AccessBasis) -> String {
	match basis {
		AccessBasis::Patient => "urn:carechain:basis:patient".into(),
		AccessBasis::Guardian => "urn:carechain:basis:guardian".into(),
		AccessBasis::AuthorOrganization => "urn:carechain:basis:author-organization".into(),
		AccessBasis::Consent(id) => format!("urn:carechain:consent:{id}"),
		AccessBasis::BreakGlass(id) => format!("urn:carechain:emergency:{id}"),
	}
}

/// An entry of a patient's audit trail as a FHIR AuditEvent, in the shape IHE's Basic Audit
/// Log Patterns give a patient-record access: the accessor as the requesting agent (with the
/// basis that allowed it as the agent's policy), their organization as a second agent, the
/// patient and the record as entities, the purpose of use, and break-glass as `BTG`.
pub fn audit_event(index: u64, entry: &AuditEntry<Runtime>) -> Json {
	let (code, action) = audit_action(entry.action);
	let mut accessor = json!({
		"type": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
			"code": "IRCP",
		}] },
		"who": person_reference(&entry.accessor, &entry.patient),
		"requestor": true,
	});
	if let Some(basis) = &entry.basis {
		accessor["policy"] = json!([basis_policy(basis)]);
	}
	let mut agents = vec![accessor];
	if let Some(org) = entry.org {
		agents.push(json!({ "who": organization_reference(org), "requestor": false }));
	}
	let mut entities = vec![json!({
		"what": patient_reference(&entry.patient),
		"type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1" },
		"role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1" },
	})];
	if let Some(record) = entry.record {
		entities.push(json!({
			"what": { "reference": format!("DocumentReference/{}", record_id(&record)) },
			"type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2" },
			"role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4" },
		}));
	}
	let mut purposes: Vec<Json> = entry
		.purpose
		.iter()
		.map(|p| json!({ "coding": [{ "system": ACT_REASON_SYSTEM, "code": purpose_code(*p) }] }))
		.collect();
	if entry.break_glass {
		purposes.push(json!({ "coding": [{
			"system": ACT_REASON_SYSTEM,
			"code": "BTG",
			"display": "break the glass",
		}] }));
	}
	let mut event = json!({
		"resourceType": "AuditEvent",
		"id": audit_event_id(&entry.patient, index),
		"type": {
			"system": "http://dicom.nema.org/resources/ontology/DCM",
			"code": "110110",
			"display": "Patient Record",
		},
		"subtype": [{ "system": AUDIT_ACTION_SYSTEM, "code": code }],
		"action": action,
		"recorded": instant(entry.timestamp),
		"outcome": "0",
		"agent": agents,
		"source": {
			"site": format!("block {}", entry.block),
			"observer": { "display": "Carechain" },
			"type": [{
				"system": "http://terminology.hl7.org/CodeSystem/security-source-type",
				"code": "4",
				"display": "Application Server",
			}],
		},
		"entity": entities,
	});
	if !purposes.is_empty() {
		event["purposeOfEvent"] = Json::from(purposes);
	}
	event
}

/// A record's status as a DocumentReference's. An erased record is `superseded`: its vault copy
/// was crypto-shredded and only its index entry remains.
pub fn document_status(status: RecordStatus) -> &'static str {
	match status {
		RecordStatus::Active => "current",
		RecordStatus::Amended | RecordStatus::Erased => "superseded",
		RecordStatus::EnteredInError => "entered-in-error",
	}
}

/// A record's index entry as a FHIR DocumentReference: its type is the payload's resource type,
/// its content an attachment that points to the sealed payload in the vault by content address
/// (never the payload), its `masterIdentifier` the payload's blake2b-256, and an amendment
/// `replaces` the version before it.
pub fn document_reference(id: &H256, record: &Record<Runtime>) -> Json {
	let mut authors = vec![person_reference(&record.author, &record.patient)];
	if let Some(org) = record.author_org {
		authors.push(organization_reference(org));
	}
	let attachment = match record.locator {
		Some(locator) => json!({
			"contentType": "application/octet-stream",
			"url": format!("urn:carechain:vault:{locator:?}"),
			"size": u32::try_from(record.size).unwrap_or(u32::MAX).min(i32::MAX as u32),
			"title": "sealed FHIR payload: open it through the vault",
		}),
		None => json!({
			"contentType": "application/octet-stream",
			"title": "erased: the vault's copy was crypto-shredded",
		}),
	};
	let mut resource = json!({
		"resourceType": "DocumentReference",
		"id": record_id(id),
		"meta": { "versionId": record.version.to_string() },
		"masterIdentifier": { "system": CONTENT_HASH_SYSTEM, "value": format!("{:?}", record.content_hash) },
		"identifier": [{ "system": RECORD_SYSTEM, "value": format!("{id:?}") }],
		"status": document_status(record.status),
		"subject": patient_reference(&record.patient),
		"date": instant(record.created_at_ms),
		"author": authors,
		"content": [{
			"attachment": attachment,
			"format": { "system": "urn:carechain:format", "code": "sealed-envelope" },
		}],
	});
	if let Some(name) = resource_type_name(record.resource_type) {
		resource["type"] = json!({ "coding": [{
			"system": "http://hl7.org/fhir/resource-types",
			"code": name,
		}] });
	}
	if let Some(previous) = record.previous {
		resource["relatesTo"] = json!([{
			"code": "replaces",
			"target": { "reference": format!("DocumentReference/{}", record_id(&previous)) },
		}]);
	}
	resource
}

/// Who wrote a record version, when, and which version it revised, as a FHIR Provenance whose
/// target is the version's DocumentReference. A version written under a break-glass session
/// gives `BTG` as its reason.
pub fn provenance(id: &H256, record: &Record<Runtime>) -> Json {
	let mut agent = json!({
		"type": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
			"code": "author",
		}] },
		"who": person_reference(&record.author, &record.patient),
	});
	if let Some(org) = record.author_org {
		agent["onBehalfOf"] = organization_reference(org);
	}
	let activity = if record.previous.is_some() { "UPDATE" } else { "CREATE" };
	let mut resource = json!({
		"resourceType": "Provenance",
		"id": record_id(id),
		"target": [{ "reference": format!("DocumentReference/{}", record_id(id)) }],
		"recorded": instant(record.created_at_ms),
		"activity": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
			"code": activity,
		}] },
		"agent": [agent],
	});
	if let Some(previous) = record.previous {
		resource["entity"] = json!([{
			"role": "revision",
			"what": { "reference": format!("DocumentReference/{}", record_id(&previous)) },
		}]);
	}
	if record.emergency.is_some() {
		resource["reason"] =
			json!([{ "coding": [{ "system": ACT_REASON_SYSTEM, "code": "BTG" }] }]);
	}
	resource
}

pub mod claims;
pub mod telehealth;
pub mod trials;

#[cfg(test)]
mod tests;
