//! `telehealth_*` and `wellness_*`: appointments and their attested encounters, as JSON and as
//! FHIR R4 `Appointment` and `Encounter`, and wellness programs with their ledgers and totals
//! per rule, from the runtime's `TelehealthApi` and `WellnessApi`.
//!
//! An appointment names its patient, as the state it is read from does: with authentication
//! on, these methods are for the consortium's members, like raw state. A program's view holds
//! totals per rule and no member; an enrolment names one patient's points, for their wallet.

use super::handlers::{err, Handlers};
use crate::client::decode;
use carechain_runtime::{AccountId, Balance};
use codec::{Decode, Encode};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_telehealth::{Appointment, AppointmentId, AppointmentStatus, Modality};
use pallet_wellness::{Enrolment, Ledger, Program, ProgramId, Rule, RuleTotal, Trigger};
use serde_json::{json, Value as Json};
use sp_core::{crypto::Ss58Codec, H256};

/// The methods, in the `telehealth` namespace.
#[rpc(server, client, namespace = "telehealth")]
pub trait TelehealthRpc {
	/// An appointment: patient, practitioner, organization, jurisdiction, times, modality,
	/// status and, once attested, the encounter (times, minutes, the visit note's hash) and the
	/// prescriptions (record ids) issued in it; null when no appointment has that id.
	#[method(name = "appointment")]
	fn appointment(&self, appointment: AppointmentId, at: Option<H256>) -> RpcResult<Option<Json>>;
	/// The appointment as a FHIR R4 Appointment; null when no appointment has that id.
	#[method(name = "fhirAppointment")]
	fn fhir_appointment(
		&self,
		appointment: AppointmentId,
		at: Option<H256>,
	) -> RpcResult<Option<Json>>;
	/// The attested encounter of an appointment as a FHIR R4 Encounter (class `VR`, virtual);
	/// null unless the appointment was fulfilled.
	#[method(name = "fhirEncounter")]
	fn fhir_encounter(
		&self,
		appointment: AppointmentId,
		at: Option<H256>,
	) -> RpcResult<Option<Json>>;
}

/// The methods, in the `wellness` namespace.
#[rpc(server, client, namespace = "wellness")]
pub trait WellnessRpc {
	/// A program: its sponsor, terms hash, point value, deposit, times, rules, status, its
	/// escrow ledger and what each rule awarded in total; null when no program has that id.
	#[method(name = "program")]
	fn program(&self, program: ProgramId, at: Option<H256>) -> RpcResult<Option<Json>>;
	/// A patient's enrolment in a program (points, deposit, adherence), with the programs
	/// they are in; null when they are not enrolled.
	#[method(name = "enrolment")]
	fn enrolment(
		&self,
		program: ProgramId,
		patient: AccountId,
		at: Option<H256>,
	) -> RpcResult<Option<Json>>;
}

impl Handlers {
	/// Calls `<api>_<method>` with `input` at `at` and decodes its answer as `T`.
	pub(super) fn api_call<T: Decode>(
		&self,
		at: Option<H256>,
		api: &str,
		method: &str,
		input: impl Encode,
	) -> RpcResult<T> {
		let method = format!("{api}_{method}");
		let output = self.runtime_call(at, &method, &input.encode())?;
		decode(&method, &output).map_err(err)
	}

	fn appointment_at(
		&self,
		appointment: AppointmentId,
		at: Option<H256>,
	) -> RpcResult<Option<Appointment<AccountId>>> {
		let at = self.at(at)?;
		self.api_call(Some(at), "TelehealthApi", "appointment", appointment)
	}
}

impl TelehealthRpcServer for Handlers {
	fn appointment(&self, appointment: AppointmentId, at: Option<H256>) -> RpcResult<Option<Json>> {
		let at = Some(self.at(at)?);
		let Some(info) = self.appointment_at(appointment, at)? else { return Ok(None) };
		let prescriptions: Vec<H256> =
			self.api_call(at, "TelehealthApi", "prescriptions", appointment)?;
		let mut view = appointment_json(appointment, &info);
		view["prescriptions"] = json!(prescriptions);
		Ok(Some(view))
	}

	fn fhir_appointment(
		&self,
		appointment: AppointmentId,
		at: Option<H256>,
	) -> RpcResult<Option<Json>> {
		let Some(info) = self.appointment_at(appointment, at)? else { return Ok(None) };
		super::trials::fhir::checked(fhir::appointment(appointment, &info)).map(Some)
	}

	fn fhir_encounter(
		&self,
		appointment: AppointmentId,
		at: Option<H256>,
	) -> RpcResult<Option<Json>> {
		let Some(info) = self.appointment_at(appointment, at)? else { return Ok(None) };
		match fhir::encounter(appointment, &info) {
			Some(resource) => super::trials::fhir::checked(resource).map(Some),
			None => Ok(None),
		}
	}
}

impl WellnessRpcServer for Handlers {
	fn program(&self, program: ProgramId, at: Option<H256>) -> RpcResult<Option<Json>> {
		let at = Some(self.at(at)?);
		let api = "WellnessApi";
		let Some(info) =
			self.api_call::<Option<Program<Balance, Vec<Rule>>>>(at, api, "program", program)?
		else {
			return Ok(None);
		};
		let ledger: Ledger<Balance> = self.api_call(at, api, "ledger", program)?;
		let totals: Vec<(u32, RuleTotal)> = self.api_call(at, api, "rule_totals", program)?;
		Ok(Some(program_json(program, &info, &ledger, &totals)))
	}

	fn enrolment(
		&self,
		program: ProgramId,
		patient: AccountId,
		at: Option<H256>,
	) -> RpcResult<Option<Json>> {
		let at = Some(self.at(at)?);
		let api = "WellnessApi";
		let key = (program, patient.clone());
		let Some(e) = self.api_call::<Option<Enrolment<Balance>>>(at, api, "enrolment", key)?
		else {
			return Ok(None);
		};
		let programs: Vec<ProgramId> = self.api_call(at, api, "programs_of", patient)?;
		Ok(Some(json!({
			"program": program,
			"enrolledAt": e.enrolled_at,
			"points": e.points,
			"left": e.left,
			"deposit": e.deposit.to_string(),
			"adherence": {
				"firstFill": e.adherence.first_fill,
				"coveredUntil": e.adherence.covered_until,
				"coveredDays": e.adherence.covered_days,
			},
			"programs": programs,
		})))
	}
}

fn modality(modality: Modality) -> &'static str {
	match modality {
		Modality::Video => "video",
		Modality::AudioOnly => "audio-only",
		Modality::Asynchronous => "asynchronous",
	}
}

fn status(status: AppointmentStatus) -> &'static str {
	match status {
		AppointmentStatus::Proposed => "proposed",
		AppointmentStatus::Booked => "booked",
		AppointmentStatus::Cancelled => "cancelled",
		AppointmentStatus::Fulfilled => "fulfilled",
		AppointmentStatus::NoShow => "noshow",
	}
}

fn jurisdiction(j: &pallet_telehealth::Jurisdiction) -> String {
	String::from_utf8_lossy(&j.0).trim_end_matches('\0').to_owned()
}

fn appointment_json(id: AppointmentId, a: &Appointment<AccountId>) -> Json {
	let encounter = a.encounter.map(|e| {
		json!({
			"startedAt": e.started_at,
			"endedAt": e.ended_at,
			"minutes": e.ended_at.saturating_sub(e.started_at) / 60_000,
			"noteHash": e.note_hash,
		})
	});
	json!({
		"id": id,
		"patient": a.patient.to_ss58check(),
		"practitioner": a.practitioner.to_ss58check(),
		"org": a.org,
		"jurisdiction": jurisdiction(&a.jurisdiction),
		"start": a.start,
		"end": a.end,
		"modality": modality(a.modality),
		"status": status(a.status),
		"encounter": encounter,
	})
}

fn trigger_json(trigger: Trigger) -> Json {
	match trigger {
		Trigger::AttendedVisit => json!({ "kind": "attendedVisit" }),
		Trigger::Immunization => json!({ "kind": "immunization" }),
		Trigger::Refill { min_pdc } => json!({ "kind": "refill", "minPdc": min_pdc.deconstruct() }),
	}
}

fn program_json(
	id: ProgramId,
	p: &Program<Balance, Vec<Rule>>,
	ledger: &Ledger<Balance>,
	totals: &[(u32, RuleTotal)],
) -> Json {
	let rules: Vec<Json> = (0u32..)
		.zip(&p.rules)
		.map(|(index, r)| {
			let total =
				totals.iter().find(|(i, _)| *i == index).map(|(_, t)| *t).unwrap_or_default();
			json!({
				"index": index,
				"trigger": trigger_json(r.trigger),
				"points": r.points,
				"capPerPeriod": r.cap_per_period,
				"periodDays": r.period_days,
				"expiresAt": r.expires_at,
				"awards": total.awards,
				"awardedPoints": total.points,
			})
		})
		.collect();
	json!({
		"id": id,
		"sponsor": p.sponsor,
		"termsHash": p.terms_hash,
		"pointValue": p.point_value.to_string(),
		"deposit": p.deposit.to_string(),
		"startsAt": p.starts_at,
		"endsAt": p.ends_at,
		"status": format!("{:?}", p.status).to_lowercase(),
		"rules": rules,
		"ledger": {
			"funded": ledger.funded.to_string(),
			"forfeited": ledger.forfeited.to_string(),
			"redeemed": ledger.redeemed.to_string(),
			"withdrawn": ledger.withdrawn.to_string(),
			"depositsHeld": ledger.deposits.to_string(),
			"available": ledger.available().to_string(),
			"outstandingPoints": ledger.outstanding,
			"expiredPoints": ledger.expired,
		},
	})
}

/// The FHIR R4 views of appointments and encounters. The visit note stays in the vault: the
/// encounter carries its hash.
pub mod fhir {
	use super::*;
	use crate::rpc::trials::fhir::{instant, ORGANIZATION_SYSTEM};

	/// The identifier system of the chain's accounts (SS58).
	pub const ACCOUNT_SYSTEM: &str = "urn:carechain:account";
	/// The identifier system of appointment ids.
	pub const APPOINTMENT_SYSTEM: &str = "urn:carechain:telehealth:appointment";
	/// The code system of telehealth modalities.
	pub const MODALITY_SYSTEM: &str = "urn:carechain:telehealth:modality";
	/// The extension holding the visit note's hash.
	pub const NOTE_HASH_EXTENSION: &str = "urn:carechain:telehealth:note-hash";
	/// The extension holding the jurisdiction (ISO 3166-2) the patient was in.
	pub const JURISDICTION_EXTENSION: &str = "urn:carechain:telehealth:jurisdiction";

	fn account(who: &AccountId) -> Json {
		json!({ "identifier": { "system": ACCOUNT_SYSTEM, "value": who.to_ss58check() } })
	}

	fn appointment_id(id: AppointmentId) -> String {
		format!("carechain-appointment-{id}")
	}

	fn jurisdiction_extension(a: &Appointment<AccountId>) -> Json {
		json!({ "url": JURISDICTION_EXTENSION, "valueCode": jurisdiction(&a.jurisdiction) })
	}

	/// An appointment as an Appointment: the patient's participation `needs-action` until
	/// booked, `declined` when cancelled, else `accepted`.
	pub fn appointment(id: AppointmentId, a: &Appointment<AccountId>) -> Json {
		let patient_status = match a.status {
			AppointmentStatus::Proposed => "needs-action",
			AppointmentStatus::Cancelled => "declined",
			_ => "accepted",
		};
		json!({
			"resourceType": "Appointment",
			"id": appointment_id(id),
			"extension": [jurisdiction_extension(a)],
			"identifier": [{ "system": APPOINTMENT_SYSTEM, "value": id.to_string() }],
			"status": status(a.status),
			"serviceType": [{ "coding": [{ "system": MODALITY_SYSTEM, "code": modality(a.modality) }] }],
			"start": instant(a.start),
			"end": instant(a.end),
			"participant": [
				{ "actor": account(&a.patient), "status": patient_status },
				{ "actor": account(&a.practitioner), "status": "accepted" },
			],
		})
	}

	/// A fulfilled appointment's encounter as an Encounter; `None` before it is attested.
	pub fn encounter(id: AppointmentId, a: &Appointment<AccountId>) -> Option<Json> {
		let e = a.encounter.filter(|_| a.status == AppointmentStatus::Fulfilled)?;
		Some(json!({
			"resourceType": "Encounter",
			"id": format!("carechain-encounter-{id}"),
			"extension": [
				jurisdiction_extension(a),
				{ "url": NOTE_HASH_EXTENSION, "valueString": format!("{:?}", e.note_hash) },
			],
			"status": "finished",
			"class": {
				"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
				"code": "VR",
				"display": "virtual",
			},
			"serviceType": { "coding": [{ "system": MODALITY_SYSTEM, "code": modality(a.modality) }] },
			"subject": account(&a.patient),
			"participant": [{ "individual": account(&a.practitioner) }],
			"appointment": [{ "reference": format!("Appointment/{}", appointment_id(id)) }],
			"period": { "start": instant(e.started_at), "end": instant(e.ended_at) },
			"length": {
				"value": e.ended_at.saturating_sub(e.started_at) / 60_000,
				"unit": "min",
				"system": "http://unitsofmeasure.org",
				"code": "min",
			},
			"serviceProvider": { "identifier": { "system": ORGANIZATION_SYSTEM, "value": a.org.to_string() } },
		}))
	}

	#[cfg(test)]
	mod tests {
		use super::*;
		use pallet_telehealth::{Encounter, Jurisdiction};

		fn booked(status: AppointmentStatus) -> Appointment<AccountId> {
			Appointment {
				patient: AccountId::new([1; 32]),
				practitioner: AccountId::new([2; 32]),
				org: 0,
				jurisdiction: Jurisdiction::parse("US-CA").expect("a code"),
				start: 1_700_000_000_000,
				end: 1_700_001_800_000,
				modality: Modality::Video,
				status,
				encounter: (status == AppointmentStatus::Fulfilled).then_some(Encounter {
					started_at: 1_700_000_060_000,
					ended_at: 1_700_001_560_000,
					note_hash: H256::repeat_byte(7),
				}),
			}
		}

		#[test]
		fn appointments_and_encounters_map_to_fhir_that_validates() {
			for s in [
				AppointmentStatus::Proposed,
				AppointmentStatus::Booked,
				AppointmentStatus::Cancelled,
				AppointmentStatus::Fulfilled,
				AppointmentStatus::NoShow,
			] {
				let a = booked(s);
				let resource = appointment(4, &a);
				carechain_vault::fhir::validate(resource.to_string().as_bytes())
					.unwrap_or_else(|e| panic!("{s:?}: {e}"));
				assert_eq!(resource["status"], status(s));
				assert_eq!(resource["start"], "2023-11-14T22:13:20.000Z");
				assert_eq!(encounter(4, &a).is_some(), s == AppointmentStatus::Fulfilled);
			}
			// Times past year 9999 (which the runtime refuses) still make a document.
			let far = Appointment {
				start: u64::MAX - 1,
				end: u64::MAX,
				..booked(AppointmentStatus::Booked)
			};
			assert_eq!(appointment(5, &far)["end"], "9999-12-31T23:59:59.999Z");
			let e = encounter(4, &booked(AppointmentStatus::Fulfilled)).expect("fulfilled");
			carechain_vault::fhir::validate(e.to_string().as_bytes()).expect("valid");
			assert_eq!(e["length"]["value"], 25);
			assert_eq!(e["appointment"][0]["reference"], "Appointment/carechain-appointment-4");
			assert_eq!(e["class"]["code"], "VR");
			assert_eq!(e["extension"][0]["valueCode"], "US-CA");
			// Nothing clinical: no note, no reason, no diagnosis.
			for absent in ["reasonCode", "diagnosis", "text", "note"] {
				assert!(e.get(absent).is_none(), "{absent}");
			}
		}
	}
}
