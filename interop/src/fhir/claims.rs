//! Claims as FHIR R4: a claim as a `Claim`, its adjudication as a `ClaimResponse` (X12 837 and
//! 835). The chain holds no clinical code: a line's procedure and the principal diagnosis are
//! keyed tags (`urn:carechain:code-tag`), which only holders of the policy's code key can match,
//! and the plaintext codes are in the claim's sealed attachment (a FHIR `Claim` in the vault,
//! cited as `supportingInfo`). Only the patient, guardians, the provider's and the payer's
//! members are served either resource.

use super::{organization_reference, patient_reference, person_reference, record_id};
use crate::instant;
use carechain_runtime::{Balance, Runtime};
use pallet_claims::{
	AdjudicatedLine, Claim, ClaimId, ClaimStatus, DenialReason, LineOutcome, Policy,
};
use serde_json::{json, Value as Json};
use sp_core::H256;

/// The code system of keyed code tags, by code key epoch: `urn:carechain:code-tag:<policy>:<epoch>`.
pub const CODE_TAG_SYSTEM: &str = "urn:carechain:code-tag";
/// X12 claim adjustment reason codes.
pub const CARC_SYSTEM: &str = "https://x12.org/codes/claim-adjustment-reason-codes";
/// FHIR's adjudication categories.
const ADJUDICATION_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
/// The currency of the chain's balances, as the client SDK writes attachments.
const CURRENCY: &str = "USD";

/// A claim's FHIR id.
pub fn claim_id(id: ClaimId) -> String {
	format!("claim-{id}")
}

/// The claim a FHIR id (`claim-<n>`, or `<n>`) names.
pub fn parse_claim_id(id: &str) -> Option<ClaimId> {
	id.strip_prefix("claim-").unwrap_or(id).parse().ok()
}

/// A calendar day (days since 1970-01-01) as a FHIR date.
fn date(day: u32) -> String {
	instant(u64::from(day).saturating_mul(86_400_000))[..10].to_owned()
}

fn money(amount: Balance) -> Json {
	// FHIR decimals are JSON numbers; balances fit an f64 exactly below 2^53.
	json!({ "value": amount as f64, "currency": CURRENCY })
}

fn tag(claim: &Claim<Runtime>, tag: &H256) -> Json {
	json!({
		"coding": [{
			"system": format!("{CODE_TAG_SYSTEM}:{}:{}", claim.policy, claim.code_key_epoch),
			"code": format!("{tag:?}"),
		}],
		"text": "a keyed tag of the code: the code itself is in the claim's sealed attachment",
	})
}

/// What a Claim and its ClaimResponse both say: a professional claim of the patient, when it
/// was submitted, and the payer (the policy's, or the policy when it is gone).
fn common(
	kind: &str,
	id: ClaimId,
	claim: &Claim<Runtime>,
	policy: Option<&Policy<Runtime>>,
) -> Json {
	let insurer = match policy {
		Some(policy) => organization_reference(policy.payer),
		None => json!({ "display": format!("policy {}", claim.policy) }),
	};
	json!({
		"resourceType": kind,
		"id": claim_id(id),
		"type": { "coding": [{
			"system": "http://terminology.hl7.org/CodeSystem/claim-type",
			"code": "professional",
		}] },
		"use": "claim",
		"patient": patient_reference(&claim.patient),
		"created": instant(claim.submitted_at),
		"insurer": insurer,
	})
}

/// A claim as a FHIR Claim: who billed whom under which policy for what (as tags), and the
/// supporting records by reference.
pub fn claim(id: ClaimId, claim: &Claim<Runtime>, policy: Option<&Policy<Runtime>>) -> Json {
	let items: Vec<Json> = (1u32..)
		.zip(&claim.lines)
		.map(|(sequence, line)| {
			let mut item = json!({
				"sequence": sequence,
				"productOrService": tag(claim, &line.billed.procedure),
				"servicedDate": date(claim.service_date),
				"quantity": { "value": line.billed.units },
				"net": money(line.billed.charged),
			});
			if let Some(t) = &line.billed.telehealth {
				item["encounter"] = json!([{
					"reference": format!("Encounter/carechain-encounter-{}", t.appointment),
				}]);
			}
			item
		})
		.collect();
	let status = match claim.status {
		ClaimStatus::Rejected => "cancelled",
		_ => "active",
	};
	let mut resource = common("Claim", id, claim, policy);
	resource["status"] = Json::from(status);
	resource["provider"] = organization_reference(claim.provider);
	resource["enterer"] = person_reference(&claim.practitioner, &claim.patient);
	resource["priority"] = json!({ "coding": [{
		"system": "http://terminology.hl7.org/CodeSystem/processpriority",
		"code": "normal",
	}] });
	resource["diagnosis"] =
		json!([{ "sequence": 1, "diagnosisCodeableConcept": tag(claim, &claim.diagnosis[0]) }]);
	resource["insurance"] = json!([{
		"sequence": 1,
		"focal": true,
		"coverage": { "display": format!("policy {}", claim.policy) },
	}]);
	resource["item"] = Json::from(items);
	let supporting: Vec<Json> = (1u32..)
		.zip(&claim.records)
		.map(|(sequence, record)| {
			json!({
				"sequence": sequence,
				"category": { "coding": [{
					"system": "http://terminology.hl7.org/CodeSystem/claiminformationcategory",
					"code": "info",
				}] },
				"valueReference": { "reference": format!("DocumentReference/{}", record_id(record)) },
			})
		})
		.collect();
	if !supporting.is_empty() {
		resource["supportingInfo"] = Json::from(supporting);
	}
	resource
}

/// A line's denial as an X12 claim adjustment reason code.
pub fn carc(reason: DenialReason) -> &'static str {
	match reason {
		DenialReason::NotCovered => "96",
		DenialReason::DiagnosisNotCovered => "11",
		DenialReason::PriorAuthorizationMissing => "197",
		DenialReason::PolicyInactive => "27",
		DenialReason::Duplicate => "18",
		DenialReason::RejectedOnReview => "A1",
		DenialReason::EncounterNotAttested => "5",
		DenialReason::NotLicensedInJurisdiction => "B7",
		DenialReason::DurationNotSupported => "150",
	}
}

fn adjudication(line: &AdjudicatedLine<Balance>) -> Vec<Json> {
	let amount = |category: &str, value: Balance| {
		json!({
			"category": { "coding": [{ "system": ADJUDICATION_SYSTEM, "code": category }] },
			"amount": money(value),
		})
	};
	let mut parts = vec![amount("submitted", line.billed.charged)];
	match line.outcome {
		LineOutcome::Pending => {}
		LineOutcome::Allowed | LineOutcome::Reduced => {
			parts.push(amount("eligible", line.allowed));
			parts.push(amount("benefit", line.payer_paid));
			parts.push(amount("deductible", line.patient_share));
		}
		LineOutcome::Denied(reason) | LineOutcome::UnderAppeal(reason) => {
			let mut denied = amount("benefit", 0);
			denied["reason"] =
				json!({ "coding": [{ "system": CARC_SYSTEM, "code": carc(reason) }] });
			parts.push(denied);
		}
	}
	parts
}

/// A claim's adjudication as a FHIR ClaimResponse: `queued` while the payer reviews it,
/// `complete` once every line is decided, `error` when rejected; per line what was charged,
/// allowed, paid by the payer and owed by the patient, or why it was denied.
pub fn claim_response(
	id: ClaimId,
	claim: &Claim<Runtime>,
	policy: Option<&Policy<Runtime>>,
) -> Json {
	let outcome = match claim.status {
		ClaimStatus::Pended(_) => "queued",
		ClaimStatus::Adjudicated => "complete",
		ClaimStatus::Rejected => "error",
	};
	let items: Vec<Json> = (1u32..)
		.zip(&claim.lines)
		.map(
			|(sequence, line)| json!({ "itemSequence": sequence, "adjudication": adjudication(line) }),
		)
		.collect();
	let sum = |f: fn(&AdjudicatedLine<Balance>) -> Balance| {
		claim.lines.iter().map(f).fold(0u128, |a, b| a.saturating_add(b))
	};
	let totals = vec![
		json!({
			"category": { "coding": [{ "system": ADJUDICATION_SYSTEM, "code": "submitted" }] },
			"amount": money(sum(|l| l.billed.charged)),
		}),
		json!({
			"category": { "coding": [{ "system": ADJUDICATION_SYSTEM, "code": "benefit" }] },
			"amount": money(sum(|l| l.payer_paid)),
		}),
	];
	let mut resource = common("ClaimResponse", id, claim, policy);
	resource["status"] = Json::from("active");
	resource["requestor"] = organization_reference(claim.provider);
	resource["request"] = json!({ "reference": format!("Claim/{}", claim_id(id)) });
	resource["outcome"] = Json::from(outcome);
	resource["item"] = Json::from(items);
	resource["total"] = Json::from(totals);
	if let ClaimStatus::Pended(reason) = claim.status {
		resource["disposition"] =
			Json::from(format!("waiting for the payer's review ({reason:?})"));
	}
	resource
}

#[cfg(test)]
mod tests {
	use super::*;
	use carechain_runtime::AccountId;
	use pallet_claims::{PendReason, ServiceLine};

	fn line(outcome: LineOutcome, paid: Balance) -> AdjudicatedLine<Balance> {
		AdjudicatedLine {
			billed: ServiceLine {
				procedure: H256::repeat_byte(3),
				units: 2,
				charged: 150,
				telehealth: None,
			},
			outcome,
			scheduled: 120,
			allowed: 120,
			payer_paid: paid,
			patient_share: 120u128.saturating_sub(paid),
			appeal: None,
		}
	}

	fn a_claim(status: ClaimStatus) -> Claim<Runtime> {
		Claim {
			policy: 2,
			patient: AccountId::new([1; 32]),
			provider: 0,
			practitioner: AccountId::new([2; 32]),
			service_date: 20_000,
			code_key_epoch: 1,
			diagnosis: [H256::repeat_byte(4); pallet_claims::DIAGNOSIS_TAGS],
			lines: vec![
				line(LineOutcome::Allowed, 100),
				line(LineOutcome::Denied(DenialReason::NotCovered), 0),
				line(LineOutcome::Pending, 0),
			]
			.try_into()
			.unwrap(),
			records: vec![H256::repeat_byte(5)].try_into().unwrap(),
			attachment: H256::repeat_byte(6),
			status,
			submitted_at: 1_728_000_000_000,
		}
	}

	fn valid(resource: Json) -> Json {
		if let Err(e) = carechain_fhir::validate_value(&resource) {
			panic!("{e}\n{resource:#}");
		}
		resource
	}

	#[test]
	fn claims_carry_tags_never_codes_and_responses_say_what_was_paid_and_why_not() {
		let c = a_claim(ClaimStatus::Adjudicated);
		let billed = valid(claim(7, &c, None));
		assert_eq!(billed["id"], "claim-7");
		assert_eq!(
			billed["item"][0]["productOrService"]["coding"][0]["system"],
			"urn:carechain:code-tag:2:1"
		);
		assert_eq!(billed["item"][0]["servicedDate"], "2024-10-04");
		assert_eq!(
			billed["supportingInfo"][0]["valueReference"]["reference"],
			format!("DocumentReference/{}", "05".repeat(32))
		);
		let response = valid(claim_response(7, &c, None));
		assert_eq!(response["outcome"], "complete");
		let paid = &response["item"][0]["adjudication"];
		assert_eq!(paid[2]["category"]["coding"][0]["code"], "benefit");
		assert_eq!(paid[2]["amount"]["value"], 100.0);
		assert_eq!(response["item"][1]["adjudication"][1]["reason"]["coding"][0]["code"], "96");
		assert_eq!(
			response["item"][2]["adjudication"].as_array().unwrap().len(),
			1,
			"pending: charged only"
		);
		assert_eq!(response["total"][1]["amount"]["value"], 100.0);

		let pended =
			valid(claim_response(8, &a_claim(ClaimStatus::Pended(PendReason::EscrowShort)), None));
		assert_eq!(pended["outcome"], "queued");
		let rejected = a_claim(ClaimStatus::Rejected);
		assert_eq!(valid(claim_response(9, &rejected, None))["outcome"], "error");
		assert_eq!(valid(claim(9, &rejected, None))["status"], "cancelled");
		assert_eq!(parse_claim_id("claim-9"), Some(9));
		assert_eq!(parse_claim_id("9"), Some(9));
		assert_eq!(parse_claim_id("claim-x"), None);
	}
}
