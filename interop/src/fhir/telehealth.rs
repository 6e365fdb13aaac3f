//! Telehealth as FHIR R4: an appointment as an Appointment, its attested encounter as an
//! Encounter (class `VR`). The visit note stays in the vault: the encounter carries its hash.

use super::{ACCOUNT_SYSTEM, ORGANIZATION_SYSTEM};
use crate::instant;
use carechain_runtime::AccountId;
use pallet_telehealth::{Appointment, AppointmentId, AppointmentStatus, Modality};
use serde_json::{json, Value as Json};
use sp_core::crypto::Ss58Codec;

/// A modality's code in [`MODALITY_SYSTEM`].
pub fn modality(modality: Modality) -> &'static str {
	match modality {
		Modality::Video => "video",
		Modality::AudioOnly => "audio-only",
		Modality::Asynchronous => "asynchronous",
	}
}

/// An appointment status as FHIR's `AppointmentStatus`.
pub fn status(status: AppointmentStatus) -> &'static str {
	match status {
		AppointmentStatus::Proposed => "proposed",
		AppointmentStatus::Booked => "booked",
		AppointmentStatus::Cancelled => "cancelled",
		AppointmentStatus::Fulfilled => "fulfilled",
		AppointmentStatus::NoShow => "noshow",
	}
}

/// A jurisdiction (ISO 3166-2) as text.
pub fn jurisdiction(j: &pallet_telehealth::Jurisdiction) -> String {
	String::from_utf8_lossy(&j.0).trim_end_matches('\0').to_owned()
}

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

/// The appointment an Appointment's (`carechain-appointment-<n>`) or Encounter's
/// (`carechain-encounter-<n>`) FHIR id names.
pub fn parse_appointment_id(kind: &str, id: &str) -> Option<AppointmentId> {
	let prefix = match kind {
		"Encounter" => "carechain-encounter-",
		_ => "carechain-appointment-",
	};
	id.strip_prefix(prefix)?.parse().ok()
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
	use sp_core::H256;

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
			carechain_fhir::validate(resource.to_string().as_bytes())
				.unwrap_or_else(|e| panic!("{s:?}: {e}"));
			assert_eq!(resource["status"], status(s));
			assert_eq!(resource["start"], "2023-11-14T22:13:20.000Z");
			assert_eq!(encounter(4, &a).is_some(), s == AppointmentStatus::Fulfilled);
		}
		// Times past year 9999 (which the runtime refuses) still make a document.
		let far =
			Appointment { start: u64::MAX - 1, end: u64::MAX, ..booked(AppointmentStatus::Booked) };
		assert_eq!(appointment(5, &far)["end"], "9999-12-31T23:59:59.999Z");
		let e = encounter(4, &booked(AppointmentStatus::Fulfilled)).expect("fulfilled");
		carechain_fhir::validate(e.to_string().as_bytes()).expect("valid");
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
