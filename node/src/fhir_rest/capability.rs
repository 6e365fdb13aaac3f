//! The CapabilityStatement: exactly what this interface serves.

use serde_json::{json, Value as Json};

/// A search parameter of a resource: its name, type and what it matches.
type Param = (&'static str, &'static str, &'static str);

const CONSENT: &[Param] = &[
	("patient", "reference", "The patient (required): Patient/<SS58 account>"),
	("status", "token", "active, or inactive (revoked or expired)"),
	("actor", "reference", "The grantee: Organization/org-<id> or Practitioner/<SS58 account>"),
	(
		"purpose",
		"token",
		"A purpose of use (v3 ActReason: TREAT, HPAYMT, HOPERAT, HRESCH, PUBHLTH)",
	),
	("period", "date", "When the consent allows access"),
];

const AUDIT_EVENT: &[Param] = &[
	("patient", "reference", "The patient (required)"),
	("date", "date", "When the access happened"),
	("agent", "reference", "Who acted: Practitioner/<account>, Patient/<account> or Organization/org-<id>"),
	("entity", "reference", "What was accessed: Patient/<account> or DocumentReference/<record>"),
	("type", "token", "The event type (DCM 110110) or the chain's action (read, create, amend, erase, grant, revoke, break-glass, disclose, …)"),
	("subtype", "token", "The chain's action (urn:carechain:audit-action)"),
];

const DOCUMENT_REFERENCE: &[Param] = &[
	("patient", "reference", "The patient (required)"),
	("type", "token", "The payload's FHIR resource type (http://hl7.org/fhir/resource-types)"),
	("date", "date", "When the version was written"),
	(
		"author",
		"reference",
		"Who wrote it: Practitioner/<account>, Patient/<account> or Organization/org-<id>",
	),
	("status", "token", "current, superseded or entered-in-error"),
];

const PROVENANCE: &[Param] = &[
	("patient", "reference", "The patient (required)"),
	("target", "reference", "The version: DocumentReference/<record>"),
	("date", "date", "When the version was written"),
	("author", "reference", "Who wrote it"),
	("type", "token", "The payload's FHIR resource type"),
	("status", "token", "The version's DocumentReference status"),
];

const CLAIM: &[Param] = &[
	("patient", "reference", "The patient"),
	("provider", "reference", "The provider organization: Organization/org-<id>"),
	("insurer", "reference", "The payer organization: Organization/org-<id>"),
	("status", "token", "active, or cancelled (rejected by the payer)"),
];

const CLAIM_RESPONSE: &[Param] = &[
	("patient", "reference", "The patient"),
	("requestor", "reference", "The provider organization"),
	("insurer", "reference", "The payer organization"),
	("status", "token", "active"),
	("outcome", "token", "queued (waiting for the payer's review), complete, or error (rejected)"),
];

const RESEARCH_SUBJECT: &[Param] = &[
	("study", "reference", "The study (required): ResearchStudy/carechain-study-<n>"),
	("identifier", "token", "The subject's pseudonym (required)"),
];

fn resource(kind: &str, params: &[Param], documentation: &str) -> Json {
	let params: Vec<Json> = params
		.iter()
		.chain(&[
			("_count", "number", "Entries per page (default 20, at most 100)"),
			("_offset", "number", "Where the page starts"),
		])
		.map(|(name, kind, doc)| json!({ "name": name, "type": kind, "documentation": doc }))
		.collect();
	json!({
		"type": kind,
		"documentation": documentation,
		"interaction": [{ "code": "read" }, { "code": "search-type" }],
		"versioning": "no-version",
		"readHistory": false,
		"updateCreate": false,
		"searchParam": params,
	})
}

fn read_only(kind: &str, documentation: &str) -> Json {
	json!({
		"type": kind,
		"documentation": documentation,
		"interaction": [{ "code": "read" }],
		"versioning": "no-version",
		"readHistory": false,
		"updateCreate": false,
	})
}

/// The statement, with `base` as the implementation's URL.
pub fn statement(base: &str) -> Json {
	json!({
		"resourceType": "CapabilityStatement",
		"status": "active",
		"date": "2026-12-05",
		"publisher": "Carechain",
		"kind": "instance",
		"software": { "name": "carechain", "version": env!("CARGO_PKG_VERSION") },
		"implementation": { "description": "Carechain node: FHIR R4 read and search over the chain", "url": base },
		"fhirVersion": "4.0.1",
		"format": ["application/fhir+json", "json"],
		"rest": [{
			"mode": "server",
			"documentation": "Read-only. Every request but metadata needs a session token from the node's RPC sign-in (auth_challenge, auth_signIn) as `Authorization: Bearer <token>`. Consents and audit events are the patient's and guardians'; records also a grantee's, as far as the chain's consents allow, and each such read is in the node's accounting of disclosures. Unknown search parameters are refused (400), not ignored. Records are served as index entries: the content is sealed in the vault and is never in a response.",
			"security": {
				"cors": true,
				"service": [{ "coding": [{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
					"code": "OAuth",
				}], "text": "Bearer session tokens from the node's sign-in" }],
			},
			"resource": [
				resource("Consent", CONSENT, "A patient's consents: in force (active) and the last ended ones (inactive: revoked or expired)."),
				resource("AuditEvent", AUDIT_EVENT, "The accounting of disclosures: every access to the patient's records, consents and emergencies, from the chain's audit trail."),
				resource("DocumentReference", DOCUMENT_REFERENCE, "The record index: one per version, content pointing to the sealed payload in the vault by content address."),
				resource("Provenance", PROVENANCE, "Who wrote each record version, and which version it revised."),
				resource("Claim", CLAIM, "Claims, for the patient, guardians and the members of the provider and the payer: procedures and diagnosis as keyed tags (urn:carechain:code-tag), never codes; a search looks through the newest 10,000 claims. Needs patient=, provider= or insurer=."),
				resource("ClaimResponse", CLAIM_RESPONSE, "Each claim's adjudication: per line what was charged, allowed, paid and owed, or the X12 reason it was denied."),
				read_only("ResearchStudy", "A study, by id (carechain-study-<n>), for members of the consortium's organizations."),
				resource("ResearchSubject", RESEARCH_SUBJECT, "A subject under its pseudonym (never a patient), for members."),
				read_only("Appointment", "A telehealth appointment, by id (carechain-appointment-<n>), for its patient, guardians and members."),
				read_only("Encounter", "An appointment's encounter once both sides attested it, by id (carechain-encounter-<n>): its times and the visit note's hash, never the note."),
			],
		}],
	})
}
