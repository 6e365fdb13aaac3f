//! # Records Pallet
//!
//! The patient-owned index of medical records. No personal health information goes on chain.
//!
//! ## Overview
//!
//! A record version holds the blake2b-256 hash, size and locator of an encrypted FHIR R4
//! payload kept off chain (the locator is the vault's content address of the blob, a fixed 32
//! bytes equal to the hash, so no free text fits in it), the payload's data key wrapped to the
//! patient's X25519 key, its FHIR resource type, its author, and its place in the version
//! chain. Record ids are deterministic: blake2b-256 of the patient and the patient's record
//! counter, so each position names one id and no second key is needed to list them.
//!
//! Practitioners of active care providers author records for registered patients only with a
//! relationship the patient granted: an unexpired consent for treatment covering the resource
//! type, or an open break-glass session (the access policy's `check_write`); patients (and their
//! guardians) may add self-reported data. Writers other than the patient may fill at most
//! `MaxRecordsPerPatient - ReservedForPatient` of the patient's record slots, so nobody else can
//! exhaust them. Amendments are new versions linked to the old, both ways; erasure is
//! crypto-shredding of the whole chain of versions, whichever version is named: each locator and
//! every wrapped key are removed, a tombstone with the hash stays, and `RecordErased` tells
//! off-chain stores to delete the blob. Events name records by id: none carries a locator.
//!
//! A content hash anchors at most one live (unerased) record ([`ContentIndex`]), so nobody can
//! anchor, and then erase, a record carrying someone else's blob: vaults delete a blob only when
//! no live record refers to it.
//!
//! Reading a record's content is logged on chain with [`Pallet::log_access`], which fails
//! unless the consent pallet's access policy allows it, and appends to the patient's audit log.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::create_record`]: a care provider's practitioner, or the patient.
//! - [`Pallet::amend_record`], [`Pallet::mark_entered_in_error`]: the author's organization or
//!   the patient.
//! - [`Pallet::erase_record`]: the patient or a guardian.
//! - [`Pallet::log_access`]: anyone the access policy allows.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use carechain_primitives::{
	AccessBasis, AccessPolicy, AuditAction, AuditLog, Decision, DenialReason, FhirResourceType,
	MembershipProvider, Purpose, RecordId, RecordLookup, RecordSubject, Role,
};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use codec::Encode;
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Saturating;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the records pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The access policy and audit log (the consent pallet).
		type Access: AccessPolicy<Self::AccountId> + AuditLog<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = carechain_primitives::Moment>;
		/// Who hears of new records (the wellness pallet, which rewards immunizations).
		type CareEvents: carechain_primitives::wellness::CareEvents<Self::AccountId>;
		/// The most record versions one patient may have.
		#[pallet::constant]
		type MaxRecordsPerPatient: Get<u32>;
		/// The most versions one record may have.
		#[pallet::constant]
		type MaxVersions: Get<u32>;
		/// Record slots of each patient that only the patient or a guardian may fill.
		#[pallet::constant]
		type ReservedForPatient: Get<u32>;
		/// The most consents a patient may hold (the access policy's bound): it bounds the
		/// consents an access check scans and the key holders of one record version.
		#[pallet::constant]
		type MaxConsentsPerPatient: Get<u32>;
		/// The most record versions one organization may write for one patient.
		#[pallet::constant]
		type MaxRecordsPerOrganization: Get<u32>;
		/// The most record versions written under one break-glass session.
		#[pallet::constant]
		type MaxWritesPerEmergency: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Record versions by id. Ids are blake2b-256 hashes, so `Identity` is safe.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Identity, RecordId, Record<T>>;

	/// How many record versions each patient has. A patient's `i`-th version has the id
	/// `record_id(patient, i)`, so the count is also the index of their versions in creation
	/// order (no second key per record).
	#[pallet::storage]
	pub type PatientRecordCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The live (unerased) record version that anchors each content hash: at most one. Content
	/// hashes are blake2b-256 of ciphertext, so `Identity` is safe.
	#[pallet::storage]
	pub type ContentIndex<T: Config> = StorageMap<_, Identity, sp_core::H256, RecordId>;

	/// The version that amended each amended version, so that erasure can walk forward. Record
	/// ids are hashes already.
	#[pallet::storage]
	pub type NextVersion<T: Config> = StorageMap<_, Identity, RecordId, RecordId>;

	/// How many record versions each organization wrote for each patient.
	#[pallet::storage]
	pub type OrganizationRecordCount<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		carechain_primitives::OrgId,
		u32,
		ValueQuery,
	>;

	/// How many record versions were written under each break-glass session. Session ids are
	/// assigned by the chain.
	#[pallet::storage]
	pub type EmergencyWrites<T: Config> =
		StorageMap<_, Twox64Concat, carechain_primitives::EmergencyId, u32, ValueQuery>;

	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A record was anchored.
		RecordCreated {
			record_id: RecordId,
			patient: T::AccountId,
			author: T::AccountId,
			resource_type: FhirResourceType,
		},
		/// A new version of a record was anchored.
		RecordAmended { record_id: RecordId, new_record_id: RecordId, version: u32 },
		/// A record was marked as entered in error.
		RecordMarkedEnteredInError { record_id: RecordId },
		/// A record version was crypto-shredded: off-chain stores must delete the blob, whose
		/// content address its tombstone keeps (events carry no locator).
		RecordErased { record_id: RecordId, patient: T::AccountId },
		/// An accessor read a record's content.
		AccessLogged {
			record_id: RecordId,
			accessor: T::AccountId,
			purpose: Purpose,
			basis: AccessBasis,
		},
	}

	/// Errors of the records pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The patient is not registered.
		PatientNotRegistered,
		/// The signer is neither a practitioner of an active care provider nor the patient or a
		/// guardian.
		NotAuthorized,
		/// Only the author's organization, the patient or a guardian may change a record.
		NotAuthorOrPatient,
		/// Only the patient or a guardian may erase a record.
		NotPatientOrGuardian,
		/// The locator is not the payload's content address: a locator is the vault's name of
		/// the blob, the blake2b-256 of its ciphertext, and so equals `content_hash`.
		LocatorNotContentAddress,
		/// The payload size is zero.
		EmptyPayload,
		/// No record has that id.
		UnknownRecord,
		/// A record with that id exists already. (No longer returned: ids are fresh by
		/// construction; kept so that later errors keep their indices.)
		RecordExists,
		/// The patient has as many records as `MaxRecordsPerPatient` allows.
		TooManyRecords,
		/// The record has as many versions as `MaxVersions` allows.
		TooManyVersions,
		/// Only the current (active) version can be amended or marked.
		RecordNotCurrent,
		/// The record was erased.
		RecordErased,
		/// The accessor is not a member of an active organization.
		AccessorNotActive,
		/// No consent allows this accessor to read the record.
		NoConsent,
		/// The consent that names this accessor has expired.
		ConsentExpired,
		/// The consent that names this accessor does not allow this purpose.
		PurposeNotPermitted,
		/// The consent that names this accessor does not cover this record.
		OutOfScope,
		/// A live record already anchors this content hash: every record version carries its own
		/// ciphertext (seal the payload again for a new version).
		ContentHashInUse,
		/// The patient's remaining record slots are reserved for the patient and guardians.
		PatientSlotsReserved,
		/// The signer's organization wrote as many of this patient's records as
		/// `MaxRecordsPerOrganization` allows.
		OrganizationQuotaReached,
		/// As many records were written under this break-glass session as
		/// `MaxWritesPerEmergency` allows.
		EmergencyWriteLimit,
	}

	impl<T> From<DenialReason> for Error<T> {
		fn from(reason: DenialReason) -> Self {
			match reason {
				DenialReason::UnknownRecord | DenialReason::RecordNotOfPatient => {
					Error::UnknownRecord
				}
				DenialReason::RecordErased => Error::RecordErased,
				DenialReason::AccessorNotActive => Error::AccessorNotActive,
				DenialReason::NoConsent => Error::NoConsent,
				DenialReason::ConsentExpired => Error::ConsentExpired,
				DenialReason::PurposeNotPermitted => Error::PurposeNotPermitted,
				DenialReason::OutOfScope => Error::OutOfScope,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxVersions::get() >= 1, "a record has at least one version");
			assert!(
				T::ReservedForPatient::get() < T::MaxRecordsPerPatient::get(),
				"others must be able to write some records"
			);
			assert!(
				T::MaxRecordsPerOrganization::get() >= 1 && T::MaxWritesPerEmergency::get() >= 1
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Anchors a new record of a patient.
		///
		/// The signer must be the patient or a guardian (self-reported data), or a practitioner
		/// of an active care provider whom the patient allowed to write: an unexpired treatment
		/// consent covering `resource_type`, or an open break-glass session.
		///
		/// - `patient`: a registered patient.
		/// - `resource_type`: the FHIR resource type of the payload.
		/// - `content`: hash, size, locator and patient-wrapped key of the encrypted payload; the
		///   hash must anchor no other live record, the locator must be the same content address
		///   (`LocatorNotContentAddress`).
		///
		/// Emits `RecordCreated`. O(g), g the patient's consents: charged for
		/// `MaxConsentsPerPatient`, refunded to the patient's.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_record(T::MaxConsentsPerPatient::get())
			.saturating_add(<T::CareEvents as carechain_primitives::wellness::CareEvents<T::AccountId>>::max_record_weight(*resource_type)))]
		pub fn create_record(
			origin: OriginFor<T>,
			patient: T::AccountId,
			resource_type: FhirResourceType,
			content: RecordContent,
		) -> DispatchResultWithPostInfo {
			let author = ensure_signed(origin)?;
			ensure!(T::Registry::is_patient(&patient), Error::<T>::PatientNotRegistered);
			let (author_org, basis) = if T::Registry::is_patient_or_guardian(&patient, &author) {
				(None, AccessBasis::of_owner(&patient, &author))
			} else {
				let membership = T::Registry::active_membership(&author)
					.filter(|m| m.kind.is_care_provider() && m.role == Role::Practitioner)
					.ok_or(Error::<T>::NotAuthorized)?;
				let basis = Self::ensure_may_write(&patient, &author, resource_type)?;
				Self::ensure_writer_quota(&patient, membership.org, basis)?;
				(Some(membership.org), basis)
			};
			let (index, record_id, mut record) =
				Self::new_version(&patient, &author, author_org, resource_type, &content, 1, None)?;
			record.emergency = Self::count_write(&patient, author_org, basis);

			Self::insert(record_id, index, record);
			T::Access::append(
				&patient,
				&author,
				Some(record_id),
				None,
				AuditAction::Create,
				Some(basis),
			);
			let scanned = T::Access::consents_of(&patient);
			let heard =
				<T::CareEvents as carechain_primitives::wellness::CareEvents<_>>::record_created(
					&patient,
					resource_type,
					author_org,
					T::Time::now(),
				);
			Self::deposit_event(Event::RecordCreated { record_id, patient, author, resource_type });
			Ok(Some(T::WeightInfo::create_record(scanned.max(1)).saturating_add(heard)).into())
		}

		/// Anchors a new version of a record; the old one becomes `Amended`.
		///
		/// The signer must be the patient or a guardian, or a practitioner of the author's
		/// organization whom the patient still allows to write (as for `create_record`).
		///
		/// - `record_id`: the current version.
		/// - `content`: the new version's encrypted payload; its hash must anchor no other live
		///   record.
		///
		/// Emits `RecordAmended`. O(g), g the patient's consents: charged for
		/// `MaxConsentsPerPatient`, refunded to the patient's.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::amend_record(T::MaxConsentsPerPatient::get()))]
		pub fn amend_record(
			origin: OriginFor<T>,
			record_id: RecordId,
			content: RecordContent,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut old = Self::current_record(&record_id)?;
			Self::ensure_author_side_or_patient(&who, &old)?;
			let (author_org, basis) = if T::Registry::is_patient_or_guardian(&old.patient, &who) {
				(None, AccessBasis::of_owner(&old.patient, &who))
			} else {
				let basis = Self::ensure_may_write(&old.patient, &who, old.resource_type)?;
				if let Some(org) = old.author_org {
					Self::ensure_writer_quota(&old.patient, org, basis)?;
				}
				(old.author_org, basis)
			};
			let version = old.version.saturating_add(1);
			let (index, new_record_id, mut new) = Self::new_version(
				&old.patient,
				&who,
				author_org,
				old.resource_type,
				&content,
				version,
				Some(record_id),
			)?;

			new.emergency = Self::count_write(&old.patient, author_org, basis);
			old.status = RecordStatus::Amended;
			let patient = old.patient.clone();
			Records::<T>::insert(record_id, old);
			NextVersion::<T>::insert(record_id, new_record_id);
			Self::insert(new_record_id, index, new);
			T::Access::append(
				&patient,
				&who,
				Some(new_record_id),
				None,
				AuditAction::Amend,
				Some(basis),
			);
			Self::deposit_event(Event::RecordAmended { record_id, new_record_id, version });
			Ok(Some(T::WeightInfo::amend_record(T::Access::consents_of(&patient).max(1))).into())
		}

		/// Marks the current version of a record as entered in error (FHIR
		/// `entered-in-error`): it stays for the record but no longer counts as current.
		///
		/// The signer must be a practitioner of the author's organization, or the patient or a
		/// guardian.
		///
		/// - `record_id`: the current version.
		///
		/// Emits `RecordMarkedEnteredInError`. O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::mark_entered_in_error())]
		pub fn mark_entered_in_error(origin: OriginFor<T>, record_id: RecordId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::current_record(&record_id)?;
			Self::ensure_author_side_or_patient(&who, &record)?;

			record.status = RecordStatus::EnteredInError;
			let patient = record.patient.clone();
			Records::<T>::insert(record_id, record);
			T::Access::append(
				&patient,
				&who,
				Some(record_id),
				None,
				AuditAction::Amend,
				Self::actor_basis(&patient, &who),
			);
			Self::deposit_event(Event::RecordMarkedEnteredInError { record_id });
			Ok(())
		}

		/// Crypto-shreds a record: every version, earlier and later than the one named. Their
		/// locators, the keys wrapped to the patient and every key wrapped for a grantee are
		/// removed, their content hashes are freed; tombstones with the hashes stay.
		///
		/// The signer must be the patient or a guardian.
		///
		/// - `record_id`: any version of the record.
		///
		/// Emits `RecordErased` for each version. O(v + k): versions, keys held for grantees;
		/// charged for the bounds and refunded to the actual count.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::erase_record(
			T::MaxVersions::get(),
			T::MaxVersions::get().saturating_mul(T::MaxConsentsPerPatient::get())
		))]
		pub fn erase_record(
			origin: OriginFor<T>,
			record_id: RecordId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let record = Records::<T>::get(record_id).ok_or(Error::<T>::UnknownRecord)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&record.patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			ensure!(record.status != RecordStatus::Erased, Error::<T>::RecordErased);

			// Versions are amended only while current, so the chain is a line: its newest
			// version is found forwards, then every version is shredded walking back. A chain
			// holds at most `MaxVersions` versions.
			let mut newest = record_id;
			let mut steps = 0u32;
			while let Some(next) = NextVersion::<T>::get(newest) {
				newest = next;
				steps.saturating_inc();
				if steps >= T::MaxVersions::get() {
					break;
				}
			}
			let patient = record.patient.clone();
			let (mut versions, mut keys) = (0u32, 0u32);
			let mut next = Records::<T>::get(newest).map(|r| (newest, r));
			while let Some((id, mut version)) = next.take() {
				let previous = version.previous;
				if version.status != RecordStatus::Erased {
					version.locator = None;
					version.patient_key = None;
					version.status = RecordStatus::Erased;
					let content_hash = version.content_hash;
					if ContentIndex::<T>::get(content_hash) == Some(id) {
						ContentIndex::<T>::remove(content_hash);
					}
					Records::<T>::insert(id, version);
					keys.saturating_accrue(T::Access::forget_record_keys(&id));
					Self::deposit_event(Event::RecordErased {
						record_id: id,
						patient: patient.clone(),
					});
				}
				versions.saturating_inc();
				if versions >= T::MaxVersions::get() {
					break;
				}
				next = previous.and_then(|p| Records::<T>::get(p).map(|r| (p, r)));
			}
			T::Access::append(
				&patient,
				&who,
				Some(record_id),
				None,
				AuditAction::Erase,
				Some(AccessBasis::of_owner(&patient, &who)),
			);
			Ok(Some(T::WeightInfo::erase_record(versions.max(1), keys)).into())
		}

		/// Logs that the signer read a record's content, for a purpose. Fails, with the reason,
		/// unless a consent, a break-glass session, authorship or ownership allows it.
		///
		/// Any signed origin the access policy allows.
		///
		/// - `record_id`: the record version read.
		/// - `purpose`: why it was read.
		///
		/// Emits `AccessLogged`. O(g), g the patient's consents: charged for
		/// `MaxConsentsPerPatient`, refunded to the patient's.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::log_access(T::MaxConsentsPerPatient::get()))]
		pub fn log_access(
			origin: OriginFor<T>,
			record_id: RecordId,
			purpose: Purpose,
		) -> DispatchResultWithPostInfo {
			let accessor = ensure_signed(origin)?;
			let record = Records::<T>::get(record_id).ok_or(Error::<T>::UnknownRecord)?;
			let decision = T::Access::check_access(
				&record.patient,
				&accessor,
				&record_id,
				purpose,
				T::Time::now(),
			);
			let basis = match decision {
				Decision::Allowed(basis) => basis,
				Decision::Denied(reason) => return Err(Error::<T>::from(reason).into()),
			};

			T::Access::append(
				&record.patient,
				&accessor,
				Some(record_id),
				Some(purpose),
				AuditAction::Read,
				Some(basis),
			);
			let scanned = T::Access::consents_of(&record.patient);
			Self::deposit_event(Event::AccessLogged { record_id, accessor, purpose, basis });
			Ok(Some(T::WeightInfo::log_access(scanned.max(1))).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The id of a patient's `index`-th record version: distinct for every patient and
		/// position, so a new version's id is fresh without a lookup.
		pub fn record_id(patient: &T::AccountId, index: u32) -> RecordId {
			let preimage = (b"carechain/record/v2", patient, index).encode();
			<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&preimage)
		}

		/// Checks `content` as the patient's next record version and builds it, writing
		/// nothing: returns its position among the patient's records, its id and the record.
		fn new_version(
			patient: &T::AccountId,
			author: &T::AccountId,
			author_org: Option<carechain_primitives::OrgId>,
			resource_type: FhirResourceType,
			content: &RecordContent,
			version: u32,
			previous: Option<RecordId>,
		) -> Result<(u32, RecordId, Record<T>), DispatchError> {
			ensure!(content.size > 0, Error::<T>::EmptyPayload);
			ensure!(content.locator == content.content_hash, Error::<T>::LocatorNotContentAddress);
			ensure!(version <= T::MaxVersions::get(), Error::<T>::TooManyVersions);
			let index = PatientRecordCount::<T>::get(patient);
			ensure!(index < T::MaxRecordsPerPatient::get(), Error::<T>::TooManyRecords);
			if author != patient && !T::Registry::is_guardian(patient, author) {
				ensure!(
					index
						< T::MaxRecordsPerPatient::get()
							.saturating_sub(T::ReservedForPatient::get()),
					Error::<T>::PatientSlotsReserved
				);
			}
			ensure!(
				!ContentIndex::<T>::contains_key(content.content_hash),
				Error::<T>::ContentHashInUse
			);
			let record_id = Self::record_id(patient, index);
			let record = Record {
				patient: patient.clone(),
				author: author.clone(),
				author_org,
				resource_type,
				content_hash: content.content_hash,
				size: content.size,
				locator: Some(content.locator),
				patient_key: Some(content.patient_key),
				created_at: frame_system::Pallet::<T>::block_number(),
				created_at_ms: T::Time::now(),
				version,
				previous,
				status: RecordStatus::Active,
				emergency: None,
			};
			Ok((index, record_id, record))
		}

		fn current_record(record_id: &RecordId) -> Result<Record<T>, DispatchError> {
			let record = Records::<T>::get(record_id).ok_or(Error::<T>::UnknownRecord)?;
			ensure!(record.status != RecordStatus::Erased, Error::<T>::RecordErased);
			ensure!(record.status == RecordStatus::Active, Error::<T>::RecordNotCurrent);
			Ok(record)
		}

		fn ensure_author_side_or_patient(who: &T::AccountId, record: &Record<T>) -> DispatchResult {
			if T::Registry::is_patient_or_guardian(&record.patient, who) {
				return Ok(());
			}
			let same_org = T::Registry::active_membership(who)
				.is_some_and(|m| Some(m.org) == record.author_org && m.role == Role::Practitioner);
			ensure!(same_org, Error::<T>::NotAuthorOrPatient);
			Ok(())
		}

		/// The basis on which the patient lets `author`, who is not the patient or a guardian,
		/// write a record of `resource_type`.
		fn ensure_may_write(
			patient: &T::AccountId,
			author: &T::AccountId,
			resource_type: FhirResourceType,
		) -> Result<AccessBasis, DispatchError> {
			match T::Access::check_write(patient, author, resource_type, T::Time::now()) {
				Decision::Allowed(basis) => Ok(basis),
				Decision::Denied(reason) => Err(Error::<T>::from(reason).into()),
			}
		}

		/// Checks that `org` may write one more record version for `patient` on `basis`.
		fn ensure_writer_quota(
			patient: &T::AccountId,
			org: carechain_primitives::OrgId,
			basis: AccessBasis,
		) -> DispatchResult {
			ensure!(
				OrganizationRecordCount::<T>::get(patient, org)
					< T::MaxRecordsPerOrganization::get(),
				Error::<T>::OrganizationQuotaReached
			);
			if let AccessBasis::BreakGlass(emergency) = basis {
				ensure!(
					EmergencyWrites::<T>::get(emergency) < T::MaxWritesPerEmergency::get(),
					Error::<T>::EmergencyWriteLimit
				);
			}
			Ok(())
		}

		/// Counts a version written by `org` (none for the patient's own) on `basis`; the
		/// break-glass session it was written under.
		fn count_write(
			patient: &T::AccountId,
			org: Option<carechain_primitives::OrgId>,
			basis: AccessBasis,
		) -> Option<carechain_primitives::EmergencyId> {
			if let Some(org) = org {
				OrganizationRecordCount::<T>::mutate(patient, org, |n| n.saturating_inc());
			}
			match basis {
				AccessBasis::BreakGlass(emergency) => {
					EmergencyWrites::<T>::mutate(emergency, |n| n.saturating_inc());
					Some(emergency)
				}
				_ => None,
			}
		}

		fn actor_basis(patient: &T::AccountId, who: &T::AccountId) -> Option<AccessBasis> {
			if T::Registry::is_patient_or_guardian(patient, who) {
				Some(AccessBasis::of_owner(patient, who))
			} else {
				Some(AccessBasis::AuthorOrganization)
			}
		}

		fn insert(record_id: RecordId, index: u32, record: Record<T>) {
			ContentIndex::<T>::insert(record.content_hash, record_id);
			PatientRecordCount::<T>::insert(&record.patient, index.saturating_add(1));
			Records::<T>::insert(record_id, record);
		}

		/// Checks the index's invariants: every live version's content hash is anchored to it
		/// and it holds a locator and a key; erased versions hold neither and anchor nothing;
		/// version links agree both ways; each patient's positions are dense and name their
		/// records.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (id, record) in Records::<T>::iter() {
				let anchored = ContentIndex::<T>::get(record.content_hash);
				if record.status == RecordStatus::Erased {
					ensure!(record.locator.is_none(), "an erased record keeps its locator");
					ensure!(record.patient_key.is_none(), "an erased record keeps its key");
					ensure!(anchored != Some(id), "an erased record anchors its content hash");
				} else {
					ensure!(
						record.locator == Some(record.content_hash),
						"a live record's locator is not its content address"
					);
					ensure!(record.patient_key.is_some(), "a live record has no key");
					ensure!(anchored == Some(id), "a live record's content hash is not anchored");
				}
				ensure!(record.version <= T::MaxVersions::get(), "too many versions");
				if let Some(previous) = record.previous {
					ensure!(
						NextVersion::<T>::get(previous) == Some(id),
						"a version's predecessor does not link forward to it"
					);
				}
				match NextVersion::<T>::get(id) {
					Some(next) => {
						let next = Records::<T>::get(next).ok_or("a version links to nothing")?;
						ensure!(next.previous == Some(id), "version links disagree");
						ensure!(
							record.status != RecordStatus::Active,
							"an amended version is still current"
						);
					}
					None => ensure!(
						record.status != RecordStatus::Amended,
						"an amended version has no successor"
					),
				}
			}
			for (hash, id) in ContentIndex::<T>::iter() {
				let record = Records::<T>::get(id).ok_or("a content hash anchors no record")?;
				ensure!(record.content_hash == hash, "a content hash anchors another's record");
			}
			for (patient, count) in PatientRecordCount::<T>::iter() {
				ensure!(count <= T::MaxRecordsPerPatient::get(), "too many records");
				for index in 0..count {
					let record = Records::<T>::get(Self::record_id(&patient, index))
						.ok_or("a patient's record position names no record")?;
					ensure!(record.patient == patient, "a position names another's record");
				}
			}
			for (patient, org, written) in OrganizationRecordCount::<T>::iter() {
				ensure!(
					written <= T::MaxRecordsPerOrganization::get(),
					"an organization wrote past its quota"
				);
				let authored = (0..PatientRecordCount::<T>::get(&patient))
					.filter_map(|i| Records::<T>::get(Self::record_id(&patient, i)))
					.filter(|r| r.author_org == Some(org) && r.author != patient)
					.count();
				ensure!(
					written as usize == authored,
					"an organization's count disagrees with the records it wrote"
				);
			}
			// Positions name distinct ids, each a record of its patient's: if there are as
			// many records as positions, every record is at one.
			let positions: u64 = PatientRecordCount::<T>::iter_values().map(u64::from).sum();
			ensure!(
				Records::<T>::iter_keys().count() as u64 == positions,
				"a record is at no position of its patient's"
			);
			Ok(())
		}

		/// Up to `limit` (at most 100) of the patient's record versions, from position `start`.
		pub fn records_of(
			patient: &T::AccountId,
			start: u32,
			limit: u32,
		) -> Vec<(RecordId, Record<T>)> {
			let end =
				PatientRecordCount::<T>::get(patient).min(start.saturating_add(limit.min(100)));
			(start..end)
				.map(|i| Self::record_id(patient, i))
				.filter_map(|id| Records::<T>::get(id).map(|r| (id, r)))
				.collect()
		}

		/// The record version and every earlier version, newest first; empty if unknown.
		pub fn history(record_id: RecordId) -> Vec<(RecordId, Record<T>)> {
			let mut versions = Vec::new();
			let mut next = Some(record_id);
			while let Some(id) = next {
				let Some(record) = Records::<T>::get(id) else { break };
				next = record.previous;
				versions.push((id, record));
				if versions.len() >= T::MaxVersions::get() as usize {
					break;
				}
			}
			versions
		}
	}
}

impl<T: Config> RecordLookup<T::AccountId> for Pallet<T> {
	fn record_subject(record: &RecordId) -> Option<RecordSubject<T::AccountId>> {
		Records::<T>::get(record).map(|r| RecordSubject {
			patient: r.patient,
			resource_type: r.resource_type,
			author_org: r.author_org,
			erased: r.status == RecordStatus::Erased,
			current: r.status == RecordStatus::Active,
			created_at: r.created_at_ms,
			emergency: r.emergency,
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn create_for_benchmark(
		patient: &T::AccountId,
		resource_type: FhirResourceType,
		seed: u32,
	) -> RecordId {
		let content_hash = sp_core::H256::from_low_u64_be(seed.into());
		let content = RecordContent {
			content_hash,
			size: 1024,
			locator: content_hash,
			patient_key: [b'k'; carechain_primitives::WRAPPED_KEY_LEN],
		};
		let record_id = Self::record_id(patient, PatientRecordCount::<T>::get(patient));
		Pallet::<T>::create_record(
			frame_system::RawOrigin::Signed(patient.clone()).into(),
			patient.clone(),
			resource_type,
			content,
		)
		.expect("benchmark patient is registered");
		record_id
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_author_org_for_benchmark(record: &RecordId, org: carechain_primitives::OrgId) {
		Records::<T>::mutate(record, |r| {
			if let Some(r) = r {
				r.author_org = Some(org);
			}
		});
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of the record index, for the node and wallets.
	pub trait RecordsApi<AccountId, Record> where
		AccountId: codec::Codec,
		Record: codec::Codec,
	{
		/// Up to `limit` (at most 100) of the patient's record versions, from position `start`.
		fn records_by_patient(patient: AccountId, start: u32, limit: u32) -> Vec<(RecordId, Record)>;
		/// The record version and all earlier versions, newest first; empty if unknown.
		fn record_with_history(record: RecordId) -> Vec<(RecordId, Record)>;
	}
}
