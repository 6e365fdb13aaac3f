//! `telehealth_*` and `wellness_*`: appointments and their attested encounters, as JSON and as
//! FHIR R4 `Appointment` and `Encounter`, and wellness programs with their ledgers and totals
//! per rule, from the runtime's `TelehealthApi` and `WellnessApi`.
//!
//! An appointment names its patient, as the state it is read from does: with authentication
//! on, these methods are for the consortium's members, like raw state. A program's view holds
//! totals per rule and no member; an enrolment names one patient's points, for their wallet.

use super::handlers::{err, Handlers};
use crate::client::decode;
use carechain_interop::fhir::telehealth::{self as fhir, jurisdiction, modality, status};
use carechain_runtime::{AccountId, Balance};
use codec::{Decode, Encode};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_telehealth::{Appointment, AppointmentId};
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
