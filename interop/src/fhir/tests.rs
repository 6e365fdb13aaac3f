use super::*;
use carechain_primitives::WRAPPED_KEY_LEN;
use sp_core::crypto::AccountId32;

fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}

/// `resource` passes the R4 model's check; returns it.
fn valid(resource: Json) -> Json {
	if let Err(e) = carechain_fhir::validate_value(&resource) {
		panic!("{e}\n{resource:#}");
	}
	resource
}

fn a_consent(
	scope: pallet_consent::BoundedScope<Runtime>,
	grantee: Grantee<AccountId>,
) -> Consent<Runtime> {
	Consent {
		patient: account(1),
		granted_by: account(2),
		grantee,
		grantee_org: 7,
		scope,
		purposes: vec![Purpose::Treatment, Purpose::Research].try_into().unwrap(),
		granted_at: 1_700_000_000_000,
		expires_at: 1_800_000_000_000,
	}
}

#[test]
fn consents_are_r4_consents_with_their_scope_purposes_and_expiry() {
	let types = ConsentScope::ResourceTypes(
		vec![FhirResourceType::Observation, FhirResourceType::Other].try_into().unwrap(),
	);
	let org =
		valid(consent(3, &a_consent(types, Grantee::Organization(7)), None, 1_750_000_000_000));
	assert_eq!(org["status"], "active");
	assert_eq!(org["id"], "3");
	assert_eq!(org["patient"]["reference"], format!("Patient/{}", account_id(&account(1))));
	assert_eq!(org["provision"]["actor"][0]["reference"]["reference"], "Organization/org-7");
	assert_eq!(org["provision"]["purpose"][0]["code"], "TREAT");
	assert_eq!(org["provision"]["purpose"][1]["code"], "HRESCH");
	assert_eq!(org["provision"]["class"][0]["code"], "Observation");
	assert_eq!(org["provision"]["period"]["end"], "2027-01-15T08:00:00.000Z");
	// A guardian granted it: the performer is not the patient.
	assert_eq!(
		org["performer"][0]["reference"],
		format!("Practitioner/{}", account_id(&account(2)))
	);

	let records = ConsentScope::Records(vec![H256::repeat_byte(0xab)].try_into().unwrap());
	let practitioner =
		valid(consent(4, &a_consent(records, Grantee::Practitioner(account(9))), None, 0));
	assert_eq!(
		practitioner["provision"]["data"][0]["reference"]["reference"],
		format!("DocumentReference/{}", "ab".repeat(32))
	);
	assert_eq!(
		practitioner["provision"]["actor"][1]["reference"]["reference"],
		"Organization/org-7"
	);

	let all = a_consent(ConsentScope::AllRecords, Grantee::Organization(7));
	let revoked = valid(consent(5, &all, Some(1_710_000_000_000), 0));
	assert_eq!(revoked["status"], "inactive", "revoked");
	assert_eq!(
		revoked["provision"]["period"]["end"], "2024-03-09T16:00:00.000Z",
		"ended when revoked"
	);
	assert_eq!(valid(consent(5, &all, None, all.expires_at))["status"], "inactive", "expired");
	assert!(consent(5, &all, None, 0)["provision"].get("class").is_none());
}

fn an_entry(action: AuditAction) -> AuditEntry<Runtime> {
	AuditEntry {
		accessor: account(9),
		org: Some(7),
		patient: account(1),
		record: Some(H256::repeat_byte(0xcd)),
		purpose: Some(Purpose::Treatment),
		action,
		basis: Some(AccessBasis::Consent(3)),
		break_glass: false,
		block: 12,
		timestamp: 1_700_000_000_123,
	}
}

#[test]
fn audit_entries_are_audit_events_naming_who_what_why_and_on_which_basis() {
	let read = valid(audit_event(5, &an_entry(AuditAction::Read)));
	assert_eq!(read["id"], format!("{}-5", account_id(&account(1))));
	assert_eq!(read["action"], "R");
	assert_eq!(read["subtype"][0]["code"], "read");
	assert_eq!(read["recorded"], "2023-11-14T22:13:20.123Z");
	assert_eq!(read["agent"][0]["who"]["identifier"]["value"], account_id(&account(9)));
	assert_eq!(read["agent"][0]["policy"][0], "urn:carechain:consent:3");
	assert_eq!(read["agent"][1]["who"]["reference"], "Organization/org-7");
	assert_eq!(
		read["entity"][1]["what"]["reference"],
		format!("DocumentReference/{}", "cd".repeat(32))
	);
	assert_eq!(read["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
	assert_eq!(parse_audit_event_id(read["id"].as_str().unwrap()), Some((account(1), 5)));

	let mut glass = an_entry(AuditAction::BreakGlass);
	glass.break_glass = true;
	glass.basis = Some(AccessBasis::BreakGlass(2));
	glass.record = None;
	glass.purpose = None;
	let glass = valid(audit_event(6, &glass));
	assert_eq!(glass["purposeOfEvent"][0]["coding"][0]["code"], "BTG");
	assert_eq!(glass["action"], "E");
	assert_eq!(glass["entity"].as_array().unwrap().len(), 1);

	// Every action maps to an AuditEvent the model accepts.
	for action in [
		AuditAction::Create,
		AuditAction::Amend,
		AuditAction::Erase,
		AuditAction::Grant,
		AuditAction::Revoke,
		AuditAction::Disclose,
		AuditAction::DisputeBreakGlass,
		AuditAction::LiftDisputeBlock,
	] {
		let mut entry = an_entry(action);
		entry.org = None;
		entry.basis = None;
		valid(audit_event(0, &entry));
	}
}

fn a_record(status: RecordStatus, previous: Option<H256>) -> Record<Runtime> {
	Record {
		patient: account(1),
		author: account(9),
		author_org: Some(7),
		resource_type: FhirResourceType::Observation,
		content_hash: H256::repeat_byte(0x11),
		size: 512,
		locator: Some(H256::repeat_byte(0x11)),
		patient_key: Some([0; WRAPPED_KEY_LEN]),
		created_at: 3,
		created_at_ms: 1_700_000_000_000,
		version: 2,
		previous,
		status,
		emergency: None,
	}
}

#[test]
fn records_are_document_references_pointing_to_the_vault_never_to_content() {
	let id = H256::repeat_byte(0x22);
	let previous = H256::repeat_byte(0x21);
	let doc = valid(document_reference(&id, &a_record(RecordStatus::Active, Some(previous))));
	assert_eq!(doc["id"], "22".repeat(32));
	assert_eq!(doc["status"], "current");
	assert_eq!(doc["type"]["coding"][0]["code"], "Observation");
	assert_eq!(
		doc["content"][0]["attachment"]["url"],
		format!("urn:carechain:vault:0x{}", "11".repeat(32))
	);
	assert!(doc["content"][0]["attachment"].get("data").is_none(), "no payload, ever");
	assert_eq!(
		doc["relatesTo"][0]["target"]["reference"],
		format!("DocumentReference/{}", "21".repeat(32))
	);
	assert_eq!(doc["meta"]["versionId"], "2");
	assert_eq!(parse_record(doc["id"].as_str().unwrap()), Some(id));

	let mut erased = a_record(RecordStatus::Erased, None);
	erased.locator = None;
	erased.patient_key = None;
	erased.resource_type = FhirResourceType::Other;
	let erased = valid(document_reference(&id, &erased));
	assert_eq!(erased["status"], "superseded");
	assert!(erased["content"][0]["attachment"].get("url").is_none());
	assert!(erased.get("type").is_none());
	assert_eq!(
		valid(document_reference(&id, &a_record(RecordStatus::EnteredInError, None)))["status"],
		"entered-in-error"
	);
	assert_eq!(
		valid(document_reference(&id, &a_record(RecordStatus::Amended, None)))["status"],
		"superseded"
	);
}

#[test]
fn versions_have_provenance_naming_the_author_and_what_they_revised() {
	let id = H256::repeat_byte(0x22);
	let first = valid(provenance(&id, &a_record(RecordStatus::Amended, None)));
	assert_eq!(first["activity"]["coding"][0]["code"], "CREATE");
	assert!(first.get("entity").is_none());
	let mut amendment = a_record(RecordStatus::Active, Some(H256::repeat_byte(0x21)));
	amendment.emergency = Some(4);
	let amendment = valid(provenance(&id, &amendment));
	assert_eq!(amendment["activity"]["coding"][0]["code"], "UPDATE");
	assert_eq!(amendment["entity"][0]["role"], "revision");
	assert_eq!(amendment["reason"][0]["coding"][0]["code"], "BTG");
	assert_eq!(amendment["agent"][0]["onBehalfOf"]["reference"], "Organization/org-7");
}

#[test]
fn ids_round_trip_and_refuse_garbage() {
	assert_eq!(parse_account(&account_id(&account(3))), Some(account(3)));
	assert_eq!(parse_account("not-an-address"), None);
	assert_eq!(parse_record("zz"), None);
	assert_eq!(parse_record(&"g".repeat(64)), None);
	assert_eq!(parse_audit_event_id("nope"), None);
	assert_eq!(parse_purpose("TREAT"), Some(Purpose::Treatment));
	assert_eq!(parse_purpose("BTG"), None);
}
