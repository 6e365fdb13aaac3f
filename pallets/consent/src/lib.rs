//! # Consent Pallet
//!
//! The FHIR Consent model, enforced on chain, and the audit log of every access.
//!
//! ## Overview
//!
//! A patient, or one of the patient's guardians, grants an organization or a single
//! practitioner access to all records, to records of some FHIR resource types, or to a list of
//! records, for some purposes of use, until an expiry time. A grant may carry the records' data
//! keys wrapped for the grantee. Revocation is immediate and destroys those wrapped keys.
//!
//! In an emergency a practitioner of an active care provider may break the glass: a
//! time-limited session (`BreakGlassPeriod`) that allows treatment access without consent. It is
//! always audited and flagged, and the patient may dispute it, which closes it.
//!
//! [`Pallet::decide`] answers "may this accessor read this record for this purpose now?" for the
//! records pallet (through [`AccessPolicy`]), for claims later, and for the node (through the
//! `ConsentApi` runtime API). Every grant, revocation, emergency and, through [`AuditLog`], every
//! record created, read, amended or erased is appended to the patient's audit log, which
//! [`Pallet::accounting_of_disclosures`] returns (the HIPAA accounting of disclosures).
//!
//! Expired consents stop allowing access at once and are removed lazily: when the patient's
//! list is full at the next grant, and in `on_idle`.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::grant`]: the patient or a guardian grants access.
//! - [`Pallet::revoke`]: the patient or a guardian revokes a consent.
//! - [`Pallet::break_glass`]: a care provider's practitioner opens emergency access.
//! - [`Pallet::dispute`]: the patient or a guardian disputes an emergency access.

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
	AccessBasis, AccessPolicy, AuditAction, AuditLog, ConsentId, Decision, DenialReason,
	EmergencyId, MembershipProvider, Moment, Purpose, RecordId, RecordLookup,
};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::Saturating;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the consent pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The record index.
		type Records: RecordLookup<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// How long a break-glass session lasts, in milliseconds.
		#[pallet::constant]
		type BreakGlassPeriod: Get<Moment>;
		/// The most consents a patient may have at once.
		#[pallet::constant]
		type MaxGrantsPerPatient: Get<u32>;
		/// The most resource types or record ids in one consent's scope.
		#[pallet::constant]
		type MaxScopeItems: Get<u32>;
		/// The most wrapped data keys one consent may carry.
		#[pallet::constant]
		type MaxWrappedKeys: Get<u32>;
		/// The longest wrapped data key, in bytes.
		#[pallet::constant]
		type MaxWrappedKeyLen: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The id the next consent gets.
	#[pallet::storage]
	pub type NextConsentId<T> = StorageValue<_, ConsentId, ValueQuery>;

	/// Consents by id. Ids are assigned by the chain, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type Consents<T: Config> = StorageMap<_, Twox64Concat, ConsentId, Consent<T>>;

	/// The ids of each patient's consents.
	#[pallet::storage]
	pub type PatientConsents<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<ConsentId, T::MaxGrantsPerPatient>,
		ValueQuery,
	>;

	/// Data keys wrapped for a consent's grantee, per record. Record ids are hashes already.
	#[pallet::storage]
	pub type GrantedKeys<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ConsentId,
		Identity,
		RecordId,
		WrappedKey<T>,
		OptionQuery,
	>;

	/// Which consents hold a wrapped key of a record, so that erasure can destroy them all.
	#[pallet::storage]
	pub type RecordKeyHolders<T: Config> =
		StorageDoubleMap<_, Identity, RecordId, Twox64Concat, ConsentId, (), OptionQuery>;

	/// Where `on_idle` resumes its sweep for expired consents.
	#[pallet::storage]
	pub type ExpirySweepCursor<T> = StorageValue<_, ConsentId, ValueQuery>;

	/// The id the next break-glass session gets.
	#[pallet::storage]
	pub type NextEmergencyId<T> = StorageValue<_, EmergencyId, ValueQuery>;

	/// Break-glass sessions by id, kept for the record after they close.
	#[pallet::storage]
	pub type Emergencies<T: Config> = StorageMap<_, Twox64Concat, EmergencyId, Emergency<T>>;

	/// The latest break-glass session of each (patient, accessor) pair.
	#[pallet::storage]
	pub type EmergencyAccess<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		EmergencyId,
		OptionQuery,
	>;

	/// Each patient's append-only audit log, by position.
	#[pallet::storage]
	pub type AuditTrail<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		u64,
		AuditEntry<T>,
		OptionQuery,
	>;

	/// How many entries each patient's audit log has.
	#[pallet::storage]
	pub type AuditLength<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u64, ValueQuery>;

	/// Events of the consent pallet.
	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A patient or guardian granted access.
		ConsentGranted {
			consent_id: ConsentId,
			patient: T::AccountId,
			grantee: Grantee<T::AccountId>,
			expires_at: Moment,
		},
		/// A consent was revoked; its wrapped keys are destroyed.
		ConsentRevoked { consent_id: ConsentId, patient: T::AccountId },
		/// An expired consent was removed.
		ConsentExpired { consent_id: ConsentId, patient: T::AccountId },
		/// A practitioner broke the glass.
		BreakGlassOpened {
			emergency_id: EmergencyId,
			patient: T::AccountId,
			accessor: T::AccountId,
			org: carechain_primitives::OrgId,
			reason: EmergencyReason,
			expires_at: Moment,
		},
		/// The patient disputed an emergency access, which closed it.
		BreakGlassDisputed { emergency_id: EmergencyId, patient: T::AccountId },
	}

	/// Errors of the consent pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The signer is neither the patient nor one of the patient's guardians.
		NotPatientOrGuardian,
		/// The grantee organization does not exist or is suspended.
		GranteeNotActive,
		/// The expiry is not in the future.
		ExpiryInPast,
		/// A consent needs at least one purpose of use.
		NoPurpose,
		/// A purpose of use is listed twice.
		DuplicatePurpose,
		/// A scope list is empty; use `AllRecords` or name at least one item.
		EmptyScope,
		/// A scope lists more items than `MaxScopeItems` allows.
		TooManyScopeItems,
		/// A record in the scope or key list does not exist.
		UnknownRecord,
		/// A record in the scope or key list belongs to another patient.
		RecordNotOfPatient,
		/// A record in the key list was erased.
		RecordErased,
		/// A wrapped key is for a record outside the consent's scope.
		KeyOutsideScope,
		/// A wrapped key is empty or longer than `MaxWrappedKeyLen`.
		BadWrappedKey,
		/// The consent carries more wrapped keys than `MaxWrappedKeys` allows.
		TooManyWrappedKeys,
		/// A wrapped key is given twice for one record.
		DuplicateWrappedKey,
		/// An unexpired consent with the same grantee, scope and purposes exists.
		DuplicateGrant,
		/// The patient has as many unexpired consents as `MaxGrantsPerPatient` allows; revoke
		/// one first.
		TooManyGrants,
		/// Consent ids are exhausted.
		ConsentIdOverflow,
		/// No consent has that id (it may have been revoked or have expired).
		UnknownConsent,
		/// The signer is not a practitioner of an active care provider.
		NotCareProvider,
		/// The patient is not registered.
		PatientNotRegistered,
		/// The signer already has an open break-glass session for this patient.
		BreakGlassAlreadyOpen,
		/// No break-glass session has that id.
		UnknownEmergency,
		/// The emergency access was already disputed.
		AlreadyDisputed,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_idle(_n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::sweep_expired(remaining)
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grants `grantee` access to the patient's records.
		///
		/// The signer must be the patient or one of the patient's guardians.
		///
		/// - `patient`: the patient whose records are shared.
		/// - `grantee`: an active organization, or one member of one.
		/// - `scope`: all records, records of some resource types, or listed records.
		/// - `purposes`: the purposes of use allowed, each at most once.
		/// - `expires_at`: when access ends, in milliseconds since the Unix epoch.
		/// - `wrapped_keys`: data keys of records in scope, wrapped for the grantee.
		///
		/// Emits `ConsentGranted`, and `ConsentExpired` for expired consents it clears to make
		/// room. O(g + s + k): the patient's consents, the scope, the keys.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant(
			T::MaxGrantsPerPatient::get(),
			T::MaxScopeItems::get(),
			wrapped_keys.len() as u32,
		))]
		pub fn grant(
			origin: OriginFor<T>,
			patient: T::AccountId,
			grantee: Grantee<T::AccountId>,
			scope: ScopeOf,
			purposes: Vec<Purpose>,
			expires_at: Moment,
			wrapped_keys: Vec<(RecordId, Vec<u8>)>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			let grantee_active = match &grantee {
				Grantee::Organization(org) => T::Registry::is_active_organization(*org),
				Grantee::Practitioner(account) => T::Registry::active_membership(account).is_some(),
			};
			ensure!(grantee_active, Error::<T>::GranteeNotActive);
			let now = T::Time::now();
			ensure!(expires_at > now, Error::<T>::ExpiryInPast);
			let purposes = Self::purpose_list(purposes)?;
			let scope = Self::bounded_scope(&patient, scope)?;
			let keys = Self::checked_keys(&patient, &scope, wrapped_keys)?;

			let existing = PatientConsents::<T>::get(&patient);
			let mut expired = Vec::new();
			for id in existing.iter() {
				let Some(consent) = Consents::<T>::get(id) else { continue };
				if consent.expires_at <= now {
					expired.push(*id);
				} else {
					ensure!(
						!(consent.grantee == grantee
							&& consent.scope == scope
							&& consent.purposes == purposes),
						Error::<T>::DuplicateGrant
					);
				}
			}
			ensure!(
				existing.len().saturating_sub(expired.len())
					< T::MaxGrantsPerPatient::get() as usize,
				Error::<T>::TooManyGrants
			);
			let consent_id = NextConsentId::<T>::get();
			let next = consent_id.checked_add(1).ok_or(Error::<T>::ConsentIdOverflow)?;

			for id in expired {
				Self::remove_consent(id, true);
			}
			NextConsentId::<T>::put(next);
			PatientConsents::<T>::try_mutate(&patient, |ids| ids.try_push(consent_id))
				.map_err(|_| Error::<T>::TooManyGrants)?;
			for (record, key) in keys {
				GrantedKeys::<T>::insert(consent_id, record, key);
				RecordKeyHolders::<T>::insert(record, consent_id, ());
			}
			Consents::<T>::insert(
				consent_id,
				Consent {
					patient: patient.clone(),
					granted_by: who.clone(),
					grantee: grantee.clone(),
					scope,
					purposes,
					granted_at: now,
					expires_at,
				},
			);
			let basis = AccessBasis::of_owner(&patient, &who);
			Self::append_entry(&patient, &who, None, None, AuditAction::Grant, Some(basis));
			Self::deposit_event(Event::ConsentGranted { consent_id, patient, grantee, expires_at });
			Ok(())
		}

		/// Revokes a consent at once and destroys the keys it carried.
		///
		/// The signer must be the consent's patient or one of the patient's guardians.
		///
		/// - `consent_id`: the consent.
		///
		/// Emits `ConsentRevoked`. O(g + k).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke(T::MaxWrappedKeys::get()))]
		pub fn revoke(origin: OriginFor<T>, consent_id: ConsentId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let consent = Consents::<T>::get(consent_id).ok_or(Error::<T>::UnknownConsent)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&consent.patient, &who),
				Error::<T>::NotPatientOrGuardian
			);

			Self::remove_consent(consent_id, false);
			let basis = AccessBasis::of_owner(&consent.patient, &who);
			Self::append_entry(
				&consent.patient,
				&who,
				None,
				None,
				AuditAction::Revoke,
				Some(basis),
			);
			Self::deposit_event(Event::ConsentRevoked { consent_id, patient: consent.patient });
			Ok(())
		}

		/// Opens emergency access to a patient's records for `BreakGlassPeriod`.
		///
		/// The signer must be a practitioner of an active care provider (hospital, clinic, lab).
		///
		/// - `patient`: a registered patient.
		/// - `reason`: the reason code.
		/// - `justification_hash`: blake2b-256 of the written justification.
		///
		/// Emits `BreakGlassOpened`. O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::break_glass())]
		pub fn break_glass(
			origin: OriginFor<T>,
			patient: T::AccountId,
			reason: EmergencyReason,
			justification_hash: H256,
		) -> DispatchResult {
			let accessor = ensure_signed(origin)?;
			let membership = T::Registry::active_membership(&accessor)
				.filter(|m| {
					m.kind.is_care_provider() && m.role == carechain_primitives::Role::Practitioner
				})
				.ok_or(Error::<T>::NotCareProvider)?;
			ensure!(T::Registry::is_patient(&patient), Error::<T>::PatientNotRegistered);
			let now = T::Time::now();
			if let Some(open) =
				EmergencyAccess::<T>::get(&patient, &accessor).and_then(Emergencies::<T>::get)
			{
				ensure!(open.expires_at <= now, Error::<T>::BreakGlassAlreadyOpen);
			}
			let emergency_id = NextEmergencyId::<T>::get();
			let next = emergency_id.checked_add(1).ok_or(Error::<T>::ConsentIdOverflow)?;

			let expires_at = now.saturating_add(T::BreakGlassPeriod::get());
			NextEmergencyId::<T>::put(next);
			Emergencies::<T>::insert(
				emergency_id,
				Emergency {
					patient: patient.clone(),
					accessor: accessor.clone(),
					org: membership.org,
					reason,
					justification_hash,
					opened_at: now,
					expires_at,
					disputed: false,
				},
			);
			EmergencyAccess::<T>::insert(&patient, &accessor, emergency_id);
			Self::append_entry(
				&patient,
				&accessor,
				None,
				Some(Purpose::Treatment),
				AuditAction::BreakGlass,
				Some(AccessBasis::BreakGlass(emergency_id)),
			);
			Self::deposit_event(Event::BreakGlassOpened {
				emergency_id,
				patient,
				accessor,
				org: membership.org,
				reason,
				expires_at,
			});
			Ok(())
		}

		/// Disputes an emergency access, which closes it if it is still open.
		///
		/// The signer must be the patient or one of the patient's guardians.
		///
		/// - `emergency_id`: the break-glass session.
		///
		/// Emits `BreakGlassDisputed`. O(1).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::dispute())]
		pub fn dispute(origin: OriginFor<T>, emergency_id: EmergencyId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut emergency =
				Emergencies::<T>::get(emergency_id).ok_or(Error::<T>::UnknownEmergency)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&emergency.patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			ensure!(!emergency.disputed, Error::<T>::AlreadyDisputed);

			let now = T::Time::now();
			emergency.disputed = true;
			emergency.expires_at = emergency.expires_at.min(now);
			let patient = emergency.patient.clone();
			Emergencies::<T>::insert(emergency_id, emergency);
			Self::deposit_event(Event::BreakGlassDisputed { emergency_id, patient });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		fn purpose_list(purposes: Vec<Purpose>) -> Result<PurposeList, DispatchError> {
			ensure!(!purposes.is_empty(), Error::<T>::NoPurpose);
			for (i, purpose) in purposes.iter().enumerate() {
				ensure!(!purposes[..i].contains(purpose), Error::<T>::DuplicatePurpose);
			}
			// Five distinct purposes exist, so the bound cannot be exceeded.
			purposes.try_into().map_err(|_| Error::<T>::DuplicatePurpose.into())
		}

		fn bounded_scope(
			patient: &T::AccountId,
			scope: ScopeOf,
		) -> Result<BoundedScope<T>, DispatchError> {
			Ok(match scope {
				ConsentScope::AllRecords => ConsentScope::AllRecords,
				ConsentScope::ResourceTypes(types) => {
					ensure!(!types.is_empty(), Error::<T>::EmptyScope);
					ConsentScope::ResourceTypes(
						types.try_into().map_err(|_| Error::<T>::TooManyScopeItems)?,
					)
				}
				ConsentScope::Records(records) => {
					ensure!(!records.is_empty(), Error::<T>::EmptyScope);
					let records: BoundedVec<_, T::MaxScopeItems> =
						records.try_into().map_err(|_| Error::<T>::TooManyScopeItems)?;
					for record in records.iter() {
						Self::ensure_record_of(patient, record)?;
					}
					ConsentScope::Records(records)
				}
			})
		}

		/// What the record is about, if it is an unerased record of `patient`.
		fn ensure_record_of(
			patient: &T::AccountId,
			record: &RecordId,
		) -> Result<carechain_primitives::RecordSubject<T::AccountId>, DispatchError> {
			let subject = T::Records::record_subject(record).ok_or(Error::<T>::UnknownRecord)?;
			ensure!(subject.patient == *patient, Error::<T>::RecordNotOfPatient);
			ensure!(!subject.erased, Error::<T>::RecordErased);
			Ok(subject)
		}

		fn checked_keys(
			patient: &T::AccountId,
			scope: &BoundedScope<T>,
			keys: Vec<(RecordId, Vec<u8>)>,
		) -> Result<Vec<(RecordId, WrappedKey<T>)>, DispatchError> {
			ensure!(
				keys.len() <= T::MaxWrappedKeys::get() as usize,
				Error::<T>::TooManyWrappedKeys
			);
			let mut checked: Vec<(RecordId, WrappedKey<T>)> = Vec::with_capacity(keys.len());
			for (record, key) in keys {
				ensure!(checked.iter().all(|(r, _)| *r != record), Error::<T>::DuplicateWrappedKey);
				let subject = Self::ensure_record_of(patient, &record)?;
				ensure!(
					Self::scope_covers(scope, &record, &subject.resource_type),
					Error::<T>::KeyOutsideScope
				);
				ensure!(!key.is_empty(), Error::<T>::BadWrappedKey);
				let key: WrappedKey<T> = key.try_into().map_err(|_| Error::<T>::BadWrappedKey)?;
				checked.push((record, key));
			}
			Ok(checked)
		}

		/// Removes a consent with its keys and its place in the patient's list.
		fn remove_consent(consent_id: ConsentId, expired: bool) {
			let Some(consent) = Consents::<T>::take(consent_id) else { return };
			PatientConsents::<T>::mutate(&consent.patient, |ids| {
				ids.retain(|id| *id != consent_id)
			});
			for (record, _) in GrantedKeys::<T>::drain_prefix(consent_id) {
				RecordKeyHolders::<T>::remove(record, consent_id);
			}
			if expired {
				Self::deposit_event(Event::ConsentExpired { consent_id, patient: consent.patient });
			}
		}

		/// Removes expired consents, resuming where the last sweep stopped, within `limit`.
		pub(crate) fn sweep_expired(limit: Weight) -> Weight {
			let per_item = T::WeightInfo::sweep_expired_item();
			let mut used = T::DbWeight::get().reads_writes(2, 1);
			if used.any_gt(limit) {
				return Weight::zero();
			}
			let end = NextConsentId::<T>::get();
			let mut cursor = ExpirySweepCursor::<T>::get();
			let now = T::Time::now();
			let mut visited = 0u64;
			while visited < end && used.saturating_add(per_item).all_lte(limit) {
				if cursor >= end {
					cursor = 0;
				}
				if let Some(consent) = Consents::<T>::get(cursor) {
					if consent.expires_at <= now {
						Self::remove_consent(cursor, true);
					}
				}
				used.saturating_accrue(per_item);
				cursor.saturating_inc();
				visited.saturating_inc();
			}
			ExpirySweepCursor::<T>::put(cursor);
			used
		}

		/// Decides whether `accessor` may read `record` of `patient` for `purpose` at `now`.
		pub fn decide(
			patient: &T::AccountId,
			accessor: &T::AccountId,
			record: &RecordId,
			purpose: Purpose,
			now: Moment,
		) -> Decision {
			let Some(subject) = T::Records::record_subject(record) else {
				return Decision::Denied(DenialReason::UnknownRecord);
			};
			if subject.patient != *patient {
				return Decision::Denied(DenialReason::RecordNotOfPatient);
			}
			if subject.erased {
				return Decision::Denied(DenialReason::RecordErased);
			}
			if accessor == patient && T::Registry::is_patient(accessor) {
				return Decision::Allowed(AccessBasis::Patient);
			}
			if T::Registry::is_guardian(patient, accessor) {
				return Decision::Allowed(AccessBasis::Guardian);
			}
			let Some(membership) = T::Registry::active_membership(accessor) else {
				return Decision::Denied(DenialReason::AccessorNotActive);
			};
			if subject.author_org == Some(membership.org)
				&& matches!(purpose, Purpose::Treatment | Purpose::Payment | Purpose::Operations)
			{
				return Decision::Allowed(AccessBasis::AuthorOrganization);
			}

			// The most specific reason a matching consent failed, reported when none allows.
			let mut denial = DenialReason::NoConsent;
			for id in PatientConsents::<T>::get(patient) {
				let Some(consent) = Consents::<T>::get(id) else { continue };
				let names_accessor = match &consent.grantee {
					Grantee::Organization(org) => *org == membership.org,
					Grantee::Practitioner(account) => account == accessor,
				};
				if !names_accessor {
					continue;
				}
				if consent.expires_at <= now {
					denial = DenialReason::ConsentExpired;
				} else if !consent.purposes.contains(&purpose) {
					denial = DenialReason::PurposeNotPermitted;
				} else if !Self::scope_covers(&consent.scope, record, &subject.resource_type) {
					denial = DenialReason::OutOfScope;
				} else {
					return Decision::Allowed(AccessBasis::Consent(id));
				}
			}

			if let Some(id) = EmergencyAccess::<T>::get(patient, accessor) {
				if let Some(emergency) = Emergencies::<T>::get(id) {
					if emergency.expires_at > now && emergency.org == membership.org {
						if purpose == Purpose::Treatment {
							return Decision::Allowed(AccessBasis::BreakGlass(id));
						}
						denial = DenialReason::PurposeNotPermitted;
					}
				}
			}
			Decision::Denied(denial)
		}

		fn scope_covers(
			scope: &BoundedScope<T>,
			record: &RecordId,
			resource_type: &carechain_primitives::FhirResourceType,
		) -> bool {
			match scope {
				ConsentScope::AllRecords => true,
				ConsentScope::ResourceTypes(types) => types.contains(resource_type),
				ConsentScope::Records(records) => records.contains(record),
			}
		}

		/// The patient's audit entries at or after `since` (milliseconds since the Unix epoch),
		/// oldest first: the HIPAA accounting of disclosures.
		pub fn accounting_of_disclosures(
			patient: &T::AccountId,
			since: Moment,
		) -> Vec<AuditEntry<T>> {
			let length = AuditLength::<T>::get(patient);
			// Entries are appended in time order, so the first one at or after `since` is found
			// by bisection.
			let (mut low, mut high) = (0u64, length);
			while low < high {
				let mid = low.saturating_add(high.saturating_sub(low) / 2);
				match AuditTrail::<T>::get(patient, mid) {
					Some(entry) if entry.timestamp < since => low = mid.saturating_add(1),
					_ => high = mid,
				}
			}
			(low..length).filter_map(|i| AuditTrail::<T>::get(patient, i)).collect()
		}

		/// The consent with its wrapped keys, for the grantee's wallet.
		pub fn consent_with_keys(
			consent_id: ConsentId,
		) -> Option<(Consent<T>, Vec<(RecordId, WrappedKey<T>)>)> {
			let consent = Consents::<T>::get(consent_id)?;
			Some((consent, GrantedKeys::<T>::iter_prefix(consent_id).collect()))
		}

		pub(crate) fn append_entry(
			patient: &T::AccountId,
			accessor: &T::AccountId,
			record: Option<RecordId>,
			purpose: Option<Purpose>,
			action: AuditAction,
			basis: Option<AccessBasis>,
		) {
			let index = AuditLength::<T>::get(patient);
			AuditTrail::<T>::insert(
				patient,
				index,
				AuditEntry {
					accessor: accessor.clone(),
					org: T::Registry::active_membership(accessor).map(|m| m.org),
					patient: patient.clone(),
					record,
					purpose,
					action,
					basis,
					break_glass: matches!(basis, Some(AccessBasis::BreakGlass(_))),
					block: frame_system::Pallet::<T>::block_number(),
					timestamp: T::Time::now(),
				},
			);
			AuditLength::<T>::insert(patient, index.saturating_add(1));
		}
	}
}

impl<T: Config> AccessPolicy<T::AccountId> for Pallet<T> {
	fn check_access(
		patient: &T::AccountId,
		accessor: &T::AccountId,
		record: &RecordId,
		purpose: Purpose,
		now: Moment,
	) -> Decision {
		Self::decide(patient, accessor, record, purpose, now)
	}

	fn forget_record_keys(record: &RecordId) -> u32 {
		let mut forgotten = 0u32;
		for (consent_id, ()) in RecordKeyHolders::<T>::drain_prefix(record) {
			GrantedKeys::<T>::remove(consent_id, record);
			forgotten = forgotten.saturating_add(1);
		}
		forgotten
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn grant_for_benchmark(patient: &T::AccountId, grantee: &T::AccountId, record: &RecordId) {
		use frame_support::traits::Get;
		let consent_id = NextConsentId::<T>::get();
		NextConsentId::<T>::put(consent_id.saturating_add(1));
		PatientConsents::<T>::mutate(patient, |ids| {
			ids.try_push(consent_id).expect("benchmarks stay within MaxGrantsPerPatient")
		});
		let key: WrappedKey<T> = alloc::vec![1u8; T::MaxWrappedKeyLen::get() as usize]
			.try_into()
			.expect("exactly the bound");
		GrantedKeys::<T>::insert(consent_id, record, key);
		RecordKeyHolders::<T>::insert(record, consent_id, ());
		Consents::<T>::insert(
			consent_id,
			Consent {
				patient: patient.clone(),
				granted_by: patient.clone(),
				grantee: Grantee::Practitioner(grantee.clone()),
				scope: ConsentScope::AllRecords,
				purposes: alloc::vec![Purpose::Treatment, Purpose::Payment]
					.try_into()
					.expect("two purposes"),
				granted_at: 0,
				expires_at: Moment::MAX,
			},
		);
	}
}

impl<T: Config> AuditLog<T::AccountId> for Pallet<T> {
	fn append(
		patient: &T::AccountId,
		accessor: &T::AccountId,
		record: Option<RecordId>,
		purpose: Option<Purpose>,
		action: AuditAction,
		basis: Option<AccessBasis>,
	) {
		Pallet::<T>::append_entry(patient, accessor, record, purpose, action, basis)
	}
}

sp_api::decl_runtime_apis! {
	/// Access decisions and the audit log, for the node and wallets.
	pub trait ConsentApi<AccountId, AuditEntry> where
		AccountId: codec::Codec,
		AuditEntry: codec::Codec,
	{
		/// Whether `accessor` may read `record` of `patient` for `purpose` at `now`
		/// (milliseconds since the Unix epoch; the latest block's time when `None`).
		fn check_access(
			patient: AccountId,
			accessor: AccountId,
			record: RecordId,
			purpose: Purpose,
			now: Option<Moment>,
		) -> Decision;
		/// The patient's audit entries at or after `since`, oldest first.
		fn accounting_of_disclosures(patient: AccountId, since: Moment) -> Vec<AuditEntry>;
	}
}
