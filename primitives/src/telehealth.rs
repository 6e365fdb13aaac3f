//! What the telehealth pallet tells others about encounters: the jurisdiction and modality
//! types, and [`EncounterLookup`], which the claims and wellness pallets read attested
//! encounters through.

use crate::{Moment, OrgId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An appointment's id, assigned by the chain in order.
pub type AppointmentId = u32;

/// A jurisdiction as its ISO 3166-2 code (`US-CA`, `DE-BY`, `FR-75`), zero-padded to 6 bytes:
/// two capital letters, a hyphen, then one to three capital letters or digits.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Jurisdiction(pub [u8; 6]);

impl Jurisdiction {
	/// The jurisdiction of an ISO 3166-2 code, if it is one in form.
	pub fn parse(code: &str) -> Option<Self> {
		let bytes = code.as_bytes();
		let mut padded = [0u8; 6];
		padded.get_mut(..bytes.len())?.copy_from_slice(bytes);
		let jurisdiction = Jurisdiction(padded);
		jurisdiction.is_valid().then_some(jurisdiction)
	}

	/// Whether it is an ISO 3166-2 code in form.
	pub fn is_valid(&self) -> bool {
		let [a, b, hyphen, rest @ ..] = self.0;
		let length = rest.iter().take_while(|c| **c != 0).count();
		let (subdivision, padding) = rest.split_at(length);
		a.is_ascii_uppercase()
			&& b.is_ascii_uppercase()
			&& hyphen == b'-'
			&& !subdivision.is_empty()
			&& subdivision.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
			&& padding.iter().all(|c| *c == 0)
	}
}

/// How a consultation takes place.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Modality {
	/// Real-time audio and video (billed with modifier 95).
	Video,
	/// Real-time audio only (billed with modifier 93).
	AudioOnly,
	/// Store and forward (never billed as a real-time visit).
	Asynchronous,
}

/// An encounter both sides attested, as the telehealth pallet reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct AttestedEncounter<AccountId> {
	/// The patient.
	pub patient: AccountId,
	/// The practitioner.
	pub practitioner: AccountId,
	/// The practitioner's organization.
	pub org: OrgId,
	/// Where the patient was: where the practitioner had to be licensed.
	pub jurisdiction: Jurisdiction,
	/// How it took place.
	pub modality: Modality,
	/// When it started, in milliseconds since the Unix epoch.
	pub started_at: Moment,
	/// When it ended.
	pub ended_at: Moment,
}

impl<AccountId> AttestedEncounter<AccountId> {
	/// How many whole minutes it lasted.
	pub fn minutes(&self) -> u32 {
		u32::try_from(self.ended_at.saturating_sub(self.started_at) / 60_000).unwrap_or(u32::MAX)
	}
}

/// What the telehealth pallet answers about appointments and licences.
pub trait EncounterLookup<AccountId> {
	/// The attested encounter of `appointment`; `None` unless it was fulfilled.
	fn attested_encounter(appointment: AppointmentId) -> Option<AttestedEncounter<AccountId>>;
	/// Whether `appointment` was booked and the patient did not attend; with the patient.
	fn no_show(appointment: AppointmentId) -> Option<AccountId>;
	/// Whether `practitioner` holds a licence for `jurisdiction`, unrevoked, valid at `at`.
	fn licensed(practitioner: &AccountId, jurisdiction: Jurisdiction, at: Moment) -> bool;
	/// Creates a fulfilled appointment for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn attested_for_benchmark(
		patient: &AccountId,
		practitioner: &AccountId,
		org: OrgId,
		started_at: Moment,
	) -> AppointmentId;
}

/// No telehealth: no encounter is attested and nobody is licensed.
impl<AccountId> EncounterLookup<AccountId> for () {
	fn attested_encounter(_: AppointmentId) -> Option<AttestedEncounter<AccountId>> {
		None
	}
	fn no_show(_: AppointmentId) -> Option<AccountId> {
		None
	}
	fn licensed(_: &AccountId, _: Jurisdiction, _: Moment) -> bool {
		false
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn attested_for_benchmark(_: &AccountId, _: &AccountId, _: OrgId, _: Moment) -> AppointmentId {
		0
	}
}
