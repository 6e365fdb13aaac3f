//! # Telehealth Pallet
//!
//! Remote consultations that payers can trust: practitioners licensed per jurisdiction,
//! appointments between a patient and a practitioner, and encounters attested by both.
//!
//! ## Overview
//!
//! An admin of a practitioner's care provider, or a member of an active regulator, issues the
//! practitioner a **licence** for a jurisdiction (an ISO 3166-2 code such as `US-CA`) until an
//! expiry; the issuer's organization or any regulator revokes it.
//!
//! A practitioner proposes an **appointment** to a registered patient (start, end, modality:
//! video, audio only or asynchronous, in a jurisdiction where the practitioner is licensed at
//! the start); the patient or a guardian books it; either side cancels it before it happens.
//! After it, the practitioner records the **encounter**: when it started and ended and the hash
//! of the visit note, with the patient's signature over exactly those facts
//! ([`attestation_payload`]). Neither side can claim a visit the other did not confirm: the
//! patient signs nothing the practitioner did not submit, and the chain refuses an encounter
//! without the patient's signature (`BadCountersignature`). A booked appointment whose end has
//! passed without an encounter may be marked a no-show by the practitioner.
//!
//! Events carry appointment ids, organizations, modalities and minutes: no patient account and
//! no note.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::issue_licence`]: an admin of the practitioner's care provider, or an admin or
//!   practitioner of an active regulator.
//! - [`Pallet::revoke_licence`]: an admin of the issuing organization, or an admin or
//!   practitioner of an active regulator.
//! - [`Pallet::propose_appointment`], [`Pallet::attest_encounter`],
//!   [`Pallet::mark_no_show`]: the practitioner.
//! - [`Pallet::book`]: the patient or a guardian.
//! - [`Pallet::cancel`]: the patient, a guardian or the practitioner.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

pub use carechain_primitives::telehealth::{AppointmentId, Jurisdiction, Modality};
use carechain_primitives::{
	telehealth::{AttestedEncounter, EncounterLookup},
	wellness::CareEvents,
	FhirResourceType, MembershipProvider, Moment, OrgId, OrgKind, RecordId, RecordLookup, Role,
	DAY_MS,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// What benchmarks need from the runtime beyond the pallet's `Config`.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// Sets the chain's clock, so that an appointment can end.
	fn set_time(now: Moment);
	/// A patient's account and its signature over `payload`.
	fn countersign(payload: &[u8]) -> (AccountId, Signature);
}

/// A practitioner's licence to practise in a jurisdiction.
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
pub struct Licence {
	/// The organization that issued it (a regulator, or the practitioner's care provider).
	pub issuer: OrgId,
	/// When it ends.
	pub expires_at: Moment,
	/// Whether it was revoked.
	pub revoked: bool,
}

impl Licence {
	/// Whether it allows practice at `at`.
	pub fn valid_at(&self, at: Moment) -> bool {
		!self.revoked && at < self.expires_at
	}
}

/// Where an appointment stands.
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
pub enum AppointmentStatus {
	/// Proposed by the practitioner, not yet booked by the patient.
	Proposed,
	/// Booked by the patient.
	Booked,
	/// Cancelled by either side before it took place.
	Cancelled,
	/// Took place: both sides attested the encounter.
	Fulfilled,
	/// The patient did not attend.
	NoShow,
}

/// An attested encounter: what both sides confirmed.
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
pub struct Encounter {
	/// When it started.
	pub started_at: Moment,
	/// When it ended.
	pub ended_at: Moment,
	/// blake2b-256 of the visit note (kept off chain, in the vault).
	pub note_hash: H256,
}

/// An appointment between a patient and a practitioner.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Appointment<AccountId> {
	/// The patient.
	pub patient: AccountId,
	/// The practitioner.
	pub practitioner: AccountId,
	/// The practitioner's organization when it was proposed.
	pub org: OrgId,
	/// The jurisdiction the patient is in, where the practitioner must be licensed.
	pub jurisdiction: Jurisdiction,
	/// When it is to start.
	pub start: Moment,
	/// When it is to end.
	pub end: Moment,
	/// How it takes place.
	pub modality: Modality,
	/// Where it stands.
	pub status: AppointmentStatus,
	/// The encounter both sides attested, once fulfilled.
	pub encounter: Option<Encounter>,
}

/// How far ahead an appointment may be proposed: a year (and a day).
pub const MAX_LEAD_TIME: Moment = 366 * DAY_MS;

/// The domain separator of [`attestation_payload`].
pub const ATTESTATION_DOMAIN: &[u8] = b"carechain/telehealth/encounter/v1";

/// What the patient signs to attest an encounter: `ATTESTATION_DOMAIN` ‖ SCALE((appointment,
/// started_at, ended_at, modality, note_hash)). The appointment id binds the signature to one
/// appointment of one chain's state, so it cannot be replayed for another visit.
pub fn attestation_payload(
	appointment: AppointmentId,
	encounter: &Encounter,
	modality: Modality,
) -> alloc::vec::Vec<u8> {
	let mut payload = ATTESTATION_DOMAIN.to_vec();
	(appointment, encounter.started_at, encounter.ended_at, modality, encounter.note_hash)
		.encode_to(&mut payload);
	payload
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{IdentifyAccount, Verify};

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the telehealth pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry: organizations, roles, patients and guardians.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// A patient's signature over an encounter: the runtime's transaction signature type,
		/// so that the node can verify it in its batches.
		type Signature: Verify<Signer = Self::Signer> + Parameter;
		/// Who signs: identifies an account.
		type Signer: IdentifyAccount<AccountId = Self::AccountId>;
		/// Who hears of attested encounters and no-shows (the wellness pallet).
		type CareEvents: CareEvents<Self::AccountId>;
		/// The record index (the records pallet): prescriptions linked to encounters are its
		/// `MedicationRequest` records.
		type Records: RecordLookup<Self::AccountId>;
		/// The most prescriptions linked to one encounter.
		#[pallet::constant]
		type MaxPrescriptionsPerEncounter: Get<u32>;
		/// The longest appointment, in milliseconds.
		#[pallet::constant]
		type MaxAppointmentDuration: Get<Moment>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Sets the clock and signs for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	/// Licences by practitioner and jurisdiction.
	// Accounts and jurisdictions are chosen by callers: `Blake2_128Concat`.
	#[pallet::storage]
	pub type Licences<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		Jurisdiction,
		Licence,
	>;

	/// The id the next appointment gets.
	#[pallet::storage]
	pub type NextAppointmentId<T: Config> = StorageValue<_, AppointmentId, ValueQuery>;

	/// Appointments. Ids are assigned by the chain in order, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type Appointments<T: Config> =
		StorageMap<_, Twox64Concat, AppointmentId, Appointment<T::AccountId>>;

	/// The prescriptions (`MedicationRequest` records) issued in each encounter.
	#[pallet::storage]
	pub type EncounterPrescriptions<T: Config> = StorageMap<
		_,
		Twox64Concat,
		AppointmentId,
		BoundedVec<RecordId, T::MaxPrescriptionsPerEncounter>,
		ValueQuery,
	>;

	/// The encounter each linked prescription was issued in: where an auditor who opened a
	/// dispensing commitment (which commits to the prescription's record id) finds the visit.
	/// Record ids are hashes the records pallet derives, so `Identity` is safe.
	#[pallet::storage]
	pub type PrescriptionEncounters<T: Config> = StorageMap<_, Identity, RecordId, AppointmentId>;

	// Event fields are named for what they hold; the variant docs say what happened. No patient
	// account and no note.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A licence was issued (or renewed).
		LicenceIssued {
			practitioner: T::AccountId,
			jurisdiction: Jurisdiction,
			issuer: OrgId,
			expires_at: Moment,
		},
		/// A licence was revoked.
		LicenceRevoked { practitioner: T::AccountId, jurisdiction: Jurisdiction },
		/// A practitioner proposed an appointment.
		AppointmentProposed { appointment: AppointmentId, org: OrgId, modality: Modality },
		/// The patient booked it.
		AppointmentBooked { appointment: AppointmentId },
		/// Either side cancelled it.
		AppointmentCancelled { appointment: AppointmentId },
		/// Both sides attested the encounter.
		EncounterAttested {
			appointment: AppointmentId,
			org: OrgId,
			modality: Modality,
			minutes: u32,
		},
		/// The patient did not attend.
		NoShow { appointment: AppointmentId },
		/// A prescription was linked to the encounter it was issued in.
		PrescriptionLinked { appointment: AppointmentId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The jurisdiction is not an ISO 3166-2 code in form (`US-CA`).
		BadJurisdiction,
		/// The practitioner is not an active practitioner of a care provider.
		NotPractitioner,
		/// The signer may not issue or revoke this licence: it is neither an admin of the
		/// practitioner's (or the issuing) organization nor staff of an active regulator.
		NotLicenceIssuer,
		/// The expiry is not in the future.
		ExpiryInPast,
		/// The licence was issued or revoked by a regulator's decision (or revoked): only a
		/// regulator may issue it again.
		RegulatorsDecision,
		/// No licence for that practitioner and jurisdiction.
		UnknownLicence,
		/// The licence was revoked already.
		AlreadyRevoked,
		/// The practitioner holds no licence valid for the jurisdiction at that time.
		NotLicensed,
		/// The patient is not registered.
		NotPatient,
		/// The appointment's times are wrong: in the past, more than a year ahead, ending
		/// before starting, or longer than `MaxAppointmentDuration`.
		BadTimes,
		/// No appointment has that id.
		UnknownAppointment,
		/// The signer is not the appointment's patient or one of their guardians.
		NotPatientOrGuardian,
		/// The signer is not the appointment's practitioner.
		NotAppointmentPractitioner,
		/// The signer is neither side of the appointment.
		NotParty,
		/// The appointment is not in a state that allows this.
		WrongStatus,
		/// The encounter's times are wrong: ending before starting, in the future, longer than
		/// `MaxAppointmentDuration`, or outside the appointment's day.
		BadEncounterTimes,
		/// The patient's signature does not attest exactly this encounter.
		BadCountersignature,
		/// The patient or modality named is not the appointment's.
		WrongAppointmentFacts,
		/// The appointment has not ended yet.
		NotEnded,
		/// The visit note's hash is zero.
		ZeroHash,
		/// The chain has used every appointment id.
		AppointmentIdOverflow,
		/// No record has that id.
		UnknownRecord,
		/// The record is not a prescription (`MedicationRequest`).
		NotPrescription,
		/// The prescription is of another patient than the encounter's, or was written by
		/// another organization than the appointment's.
		PrescriptionNotOfEncounter,
		/// The prescription was amended, marked entered in error or erased: link its current
		/// version.
		PrescriptionNotCurrent,
		/// The prescription was written before the encounter started or more than a day after
		/// it ended.
		PrescriptionOutsideEncounter,
		/// The prescription is linked to an encounter already.
		AlreadyLinked,
		/// The encounter has `MaxPrescriptionsPerEncounter` prescriptions already.
		TooManyPrescriptions,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Issues (or renews) a practitioner's licence for a jurisdiction.
		///
		/// The signer must be an admin of the practitioner's care provider, or an admin or
		/// practitioner of an active regulator.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::issue_licence())]
		pub fn issue_licence(
			origin: OriginFor<T>,
			practitioner: T::AccountId,
			jurisdiction: Jurisdiction,
			expires_at: Moment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(jurisdiction.is_valid(), Error::<T>::BadJurisdiction);
			let holder = T::Registry::active_membership(&practitioner)
				.filter(|m| m.kind.is_care_provider() && m.role == Role::Practitioner)
				.ok_or(Error::<T>::NotPractitioner)?;
			let issuer = Self::issuer_for(&who, holder.org)?;
			ensure!(expires_at > T::Time::now(), Error::<T>::ExpiryInPast);
			// A regulator's decision stands: only a regulator renews a licence a regulator
			// issued, or one that was revoked.
			if let Some(current) = Licences::<T>::get(&practitioner, jurisdiction) {
				let by_regulator = T::Registry::active_organization_kind(current.issuer)
					== Some(OrgKind::Regulator);
				let issuer_is_regulator =
					T::Registry::active_organization_kind(issuer) == Some(OrgKind::Regulator);
				ensure!(
					issuer_is_regulator || !(by_regulator || current.revoked),
					Error::<T>::RegulatorsDecision
				);
			}

			Licences::<T>::insert(
				&practitioner,
				jurisdiction,
				Licence { issuer, expires_at, revoked: false },
			);
			Self::deposit_event(Event::LicenceIssued {
				practitioner,
				jurisdiction,
				issuer,
				expires_at,
			});
			Ok(())
		}

		/// Revokes a licence.
		///
		/// The signer must be an admin of the issuing organization, or an admin or
		/// practitioner of an active regulator.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke_licence())]
		pub fn revoke_licence(
			origin: OriginFor<T>,
			practitioner: T::AccountId,
			jurisdiction: Jurisdiction,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut licence = Licences::<T>::get(&practitioner, jurisdiction)
				.ok_or(Error::<T>::UnknownLicence)?;
			Self::issuer_for(&who, licence.issuer)?;
			ensure!(!licence.revoked, Error::<T>::AlreadyRevoked);

			licence.revoked = true;
			Licences::<T>::insert(&practitioner, jurisdiction, licence);
			Self::deposit_event(Event::LicenceRevoked { practitioner, jurisdiction });
			Ok(())
		}

		/// Proposes an appointment to a patient.
		///
		/// The signer must be an active practitioner of a care provider, licensed in
		/// `jurisdiction` at `start`; the patient registered; `start` in the future, `end`
		/// after it, at most `MaxAppointmentDuration` apart.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::propose_appointment())]
		pub fn propose_appointment(
			origin: OriginFor<T>,
			patient: T::AccountId,
			jurisdiction: Jurisdiction,
			start: Moment,
			end: Moment,
			modality: Modality,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let org = T::Registry::active_membership(&who)
				.filter(|m| m.kind.is_care_provider() && m.role == Role::Practitioner)
				.ok_or(Error::<T>::NotPractitioner)?
				.org;
			ensure!(T::Registry::is_patient(&patient), Error::<T>::NotPatient);
			let now = T::Time::now();
			ensure!(
				start > now
					&& start <= now.saturating_add(MAX_LEAD_TIME)
					&& end > start && end.saturating_sub(start) <= T::MaxAppointmentDuration::get(),
				Error::<T>::BadTimes
			);
			ensure!(Self::licensed(&who, jurisdiction, start), Error::<T>::NotLicensed);
			let appointment = NextAppointmentId::<T>::get();
			let next = appointment.checked_add(1).ok_or(Error::<T>::AppointmentIdOverflow)?;

			NextAppointmentId::<T>::put(next);
			Appointments::<T>::insert(
				appointment,
				Appointment {
					patient,
					practitioner: who,
					org,
					jurisdiction,
					start,
					end,
					modality,
					status: AppointmentStatus::Proposed,
					encounter: None,
				},
			);
			Self::deposit_event(Event::AppointmentProposed { appointment, org, modality });
			Ok(())
		}

		/// Books a proposed appointment.
		///
		/// The signer must be the patient or one of their guardians.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::book())]
		pub fn book(origin: OriginFor<T>, appointment: AppointmentId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::appointment(appointment)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&info.patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			ensure!(info.status == AppointmentStatus::Proposed, Error::<T>::WrongStatus);
			ensure!(info.start > T::Time::now(), Error::<T>::BadTimes);

			info.status = AppointmentStatus::Booked;
			Appointments::<T>::insert(appointment, info);
			Self::deposit_event(Event::AppointmentBooked { appointment });
			Ok(())
		}

		/// Cancels an appointment that has not taken place.
		///
		/// The signer must be the patient, a guardian, or the practitioner.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::cancel())]
		pub fn cancel(origin: OriginFor<T>, appointment: AppointmentId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::appointment(appointment)?;
			ensure!(
				who == info.practitioner
					|| T::Registry::is_patient_or_guardian(&info.patient, &who),
				Error::<T>::NotParty
			);
			ensure!(
				matches!(info.status, AppointmentStatus::Proposed | AppointmentStatus::Booked),
				Error::<T>::WrongStatus
			);

			info.status = AppointmentStatus::Cancelled;
			Appointments::<T>::insert(appointment, info);
			Self::deposit_event(Event::AppointmentCancelled { appointment });
			Ok(())
		}

		/// Records the encounter of a booked appointment, with the patient's signature over
		/// [`attestation_payload`] of it.
		///
		/// The signer must be the appointment's practitioner, still licensed in its
		/// jurisdiction at `started_at`; the encounter must have ended, last at most
		/// `MaxAppointmentDuration`, and start within a day of the appointment's start.
		/// `patient` and `modality` name the appointment's (`WrongAppointmentFacts` otherwise),
		/// so that the node can verify the countersignature in its signature batches from the
		/// call alone.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::attest_encounter()
			.saturating_add(T::CareEvents::max_encounter_weight()))]
		pub fn attest_encounter(
			origin: OriginFor<T>,
			appointment: AppointmentId,
			patient: T::AccountId,
			modality: Modality,
			started_at: Moment,
			ended_at: Moment,
			note_hash: H256,
			patient_signature: T::Signature,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut info = Self::appointment(appointment)?;
			ensure!(who == info.practitioner, Error::<T>::NotAppointmentPractitioner);
			ensure!(
				patient == info.patient && modality == info.modality,
				Error::<T>::WrongAppointmentFacts
			);
			ensure!(info.status == AppointmentStatus::Booked, Error::<T>::WrongStatus);
			ensure!(!note_hash.is_zero(), Error::<T>::ZeroHash);
			ensure!(
				started_at < ended_at
					&& ended_at <= T::Time::now()
					&& ended_at.saturating_sub(started_at) <= T::MaxAppointmentDuration::get()
					&& started_at.abs_diff(info.start) <= DAY_MS,
				Error::<T>::BadEncounterTimes
			);
			ensure!(Self::licensed(&who, info.jurisdiction, started_at), Error::<T>::NotLicensed);
			let encounter = Encounter { started_at, ended_at, note_hash };
			let payload = attestation_payload(appointment, &encounter, info.modality);
			ensure!(
				patient_signature.verify(&payload[..], &info.patient),
				Error::<T>::BadCountersignature
			);

			info.status = AppointmentStatus::Fulfilled;
			info.encounter = Some(encounter);
			let (org, modality) = (info.org, info.modality);
			Appointments::<T>::insert(appointment, info);
			let minutes =
				u32::try_from(ended_at.saturating_sub(started_at) / 60_000).unwrap_or(u32::MAX);
			Self::deposit_event(Event::EncounterAttested { appointment, org, modality, minutes });
			let heard = T::CareEvents::encounter_attested(&patient, started_at);
			Ok(Some(T::WeightInfo::attest_encounter().saturating_add(heard)).into())
		}

		/// Marks a booked appointment whose end has passed without an encounter as a no-show.
		///
		/// The signer must be the appointment's practitioner.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::mark_no_show()
			.saturating_add(T::CareEvents::max_encounter_weight()))]
		pub fn mark_no_show(
			origin: OriginFor<T>,
			appointment: AppointmentId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut info = Self::appointment(appointment)?;
			ensure!(who == info.practitioner, Error::<T>::NotAppointmentPractitioner);
			ensure!(info.status == AppointmentStatus::Booked, Error::<T>::WrongStatus);
			ensure!(T::Time::now() >= info.end, Error::<T>::NotEnded);

			info.status = AppointmentStatus::NoShow;
			let (patient, start) = (info.patient.clone(), info.start);
			Appointments::<T>::insert(appointment, info);
			Self::deposit_event(Event::NoShow { appointment });
			let heard = T::CareEvents::no_show(&patient, start);
			Ok(Some(T::WeightInfo::mark_no_show().saturating_add(heard)).into())
		}

		/// Links a prescription issued in an encounter to it (FHIR `MedicationRequest.encounter`).
		///
		/// The signer must be the appointment's practitioner; the appointment fulfilled; the
		/// record a current `MedicationRequest` of the appointment's patient written by a
		/// practitioner of the appointment's organization, from the encounter's start to a day
		/// after its end; each prescription is linked once.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::link_prescription())]
		pub fn link_prescription(
			origin: OriginFor<T>,
			appointment: AppointmentId,
			record: RecordId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::appointment(appointment)?;
			ensure!(who == info.practitioner, Error::<T>::NotAppointmentPractitioner);
			let encounter = info
				.encounter
				.filter(|_| info.status == AppointmentStatus::Fulfilled)
				.ok_or(Error::<T>::WrongStatus)?;
			let subject = T::Records::record_subject(&record).ok_or(Error::<T>::UnknownRecord)?;
			ensure!(
				subject.resource_type == FhirResourceType::MedicationRequest,
				Error::<T>::NotPrescription
			);
			ensure!(
				subject.patient == info.patient && subject.author_org == Some(info.org),
				Error::<T>::PrescriptionNotOfEncounter
			);
			ensure!(subject.current && !subject.erased, Error::<T>::PrescriptionNotCurrent);
			ensure!(
				subject.created_at >= encounter.started_at
					&& subject.created_at <= encounter.ended_at.saturating_add(DAY_MS),
				Error::<T>::PrescriptionOutsideEncounter
			);
			ensure!(!PrescriptionEncounters::<T>::contains_key(record), Error::<T>::AlreadyLinked);
			let mut linked = EncounterPrescriptions::<T>::get(appointment);
			linked.try_push(record).map_err(|_| Error::<T>::TooManyPrescriptions)?;

			EncounterPrescriptions::<T>::insert(appointment, linked);
			PrescriptionEncounters::<T>::insert(record, appointment);
			Self::deposit_event(Event::PrescriptionLinked { appointment });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		fn appointment(
			appointment: AppointmentId,
		) -> Result<Appointment<T::AccountId>, DispatchError> {
			Ok(Appointments::<T>::get(appointment).ok_or(Error::<T>::UnknownAppointment)?)
		}

		/// The organization `who` issues or revokes as, for a licence of (or issued by)
		/// `holder_org`: a regulator's staff act for their regulator, an admin of `holder_org`
		/// for it.
		fn issuer_for(who: &T::AccountId, holder_org: OrgId) -> Result<OrgId, DispatchError> {
			let membership =
				T::Registry::active_membership(who).ok_or(Error::<T>::NotLicenceIssuer)?;
			let regulator = membership.kind == OrgKind::Regulator
				&& matches!(membership.role, Role::Admin | Role::Practitioner);
			let own_admin = membership.org == holder_org && membership.role == Role::Admin;
			ensure!(regulator || own_admin, Error::<T>::NotLicenceIssuer);
			Ok(membership.org)
		}

		/// Whether `practitioner` holds a licence valid in `jurisdiction` at `at`.
		pub fn licensed(
			practitioner: &T::AccountId,
			jurisdiction: Jurisdiction,
			at: Moment,
		) -> bool {
			Licences::<T>::get(practitioner, jurisdiction).is_some_and(|l| l.valid_at(at))
		}

		/// Checks the pallet's invariants: appointment ids below the next, times in order,
		/// an encounter exactly on fulfilled appointments, jurisdictions in form.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next = NextAppointmentId::<T>::get();
			for (id, a) in Appointments::<T>::iter() {
				ensure!(id < next, "an appointment's id is at or past NextAppointmentId");
				ensure!(a.start < a.end, "an appointment ends before it starts");
				ensure!(
					(a.status == AppointmentStatus::Fulfilled) == a.encounter.is_some(),
					"an encounter is stored exactly on fulfilled appointments"
				);
				ensure!(a.jurisdiction.is_valid(), "an appointment's jurisdiction is malformed");
			}
			for (_, jurisdiction, _) in Licences::<T>::iter() {
				ensure!(jurisdiction.is_valid(), "a licence's jurisdiction is malformed");
			}
			let mut linked = 0usize;
			for (appointment, records) in EncounterPrescriptions::<T>::iter() {
				let a = Appointments::<T>::get(appointment)
					.ok_or("prescriptions linked to no appointment")?;
				ensure!(
					a.status == AppointmentStatus::Fulfilled,
					"prescriptions linked to an appointment that was not fulfilled"
				);
				for record in records.iter() {
					ensure!(
						PrescriptionEncounters::<T>::get(record) == Some(appointment),
						"a linked prescription's encounter disagrees"
					);
				}
				linked = linked.saturating_add(records.len());
			}
			ensure!(
				PrescriptionEncounters::<T>::iter_keys().count() == linked,
				"a prescription's encounter does not list it"
			);
			Ok(())
		}
	}
}

impl<T: Config> EncounterLookup<T::AccountId> for Pallet<T> {
	fn attested_encounter(appointment: AppointmentId) -> Option<AttestedEncounter<T::AccountId>> {
		let info = Appointments::<T>::get(appointment)?;
		let encounter = info.encounter.filter(|_| info.status == AppointmentStatus::Fulfilled)?;
		Some(AttestedEncounter {
			patient: info.patient,
			practitioner: info.practitioner,
			org: info.org,
			jurisdiction: info.jurisdiction,
			modality: info.modality,
			started_at: encounter.started_at,
			ended_at: encounter.ended_at,
		})
	}

	fn no_show(appointment: AppointmentId) -> Option<T::AccountId> {
		Appointments::<T>::get(appointment)
			.filter(|a| a.status == AppointmentStatus::NoShow)
			.map(|a| a.patient)
	}

	fn licensed(practitioner: &T::AccountId, jurisdiction: Jurisdiction, at: Moment) -> bool {
		Self::licensed(practitioner, jurisdiction, at)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn attested_for_benchmark(
		patient: &T::AccountId,
		practitioner: &T::AccountId,
		org: OrgId,
		started_at: Moment,
	) -> AppointmentId {
		let jurisdiction = Jurisdiction(*b"US-CA\0");
		Licences::<T>::insert(
			practitioner,
			jurisdiction,
			Licence { issuer: org, expires_at: Moment::MAX, revoked: false },
		);
		let appointment = NextAppointmentId::<T>::get();
		NextAppointmentId::<T>::put(appointment.saturating_add(1));
		let ended_at = started_at.saturating_add(30 * 60_000);
		Appointments::<T>::insert(
			appointment,
			Appointment {
				patient: patient.clone(),
				practitioner: practitioner.clone(),
				org,
				jurisdiction,
				start: started_at,
				end: ended_at,
				modality: Modality::Video,
				status: AppointmentStatus::Fulfilled,
				encounter: Some(Encounter {
					started_at,
					ended_at,
					note_hash: H256::repeat_byte(1),
				}),
			},
		);
		appointment
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of telehealth licences and appointments, for the node and wallets.
	pub trait TelehealthApi<AccountId> where AccountId: codec::Codec {
		/// An appointment, with its encounter once attested, or `None`.
		fn appointment(appointment: AppointmentId) -> Option<Appointment<AccountId>>;
		/// A practitioner's licence for a jurisdiction, or `None`.
		fn licence(practitioner: AccountId, jurisdiction: Jurisdiction) -> Option<Licence>;
		/// The prescriptions (record ids) linked to an appointment's encounter.
		fn prescriptions(appointment: AppointmentId) -> alloc::vec::Vec<RecordId>;
		/// The appointment whose encounter a prescription was issued in, or `None`.
		fn prescription_encounter(record: RecordId) -> Option<AppointmentId>;
	}
}
