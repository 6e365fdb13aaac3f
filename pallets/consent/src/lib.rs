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
//! A consent follows the organization, not the person: a grant to a practitioner is bound to
//! the organization the practitioner belonged to when it was granted ([`Consent::grantee_org`]),
//! and stops allowing anything (reads and writes) once the practitioner leaves that
//! organization, moves to another one, or the organization is suspended. It allows again only
//! while the practitioner is once more an active member of that same organization.
//!
//! In an emergency a practitioner of an active care provider may break the glass: a
//! time-limited session (`BreakGlassPeriod`) that allows treatment access without consent. It is
//! always audited and flagged, and it is rate-limited within any `BreakGlassRateWindow`:
//! - at most `MaxBreakGlassPerPractitioner` sessions per practitioner, over all patients;
//! - at most `MaxBreakGlassPerOrganization` sessions per organization, all its practitioners
//!   together, over all patients, so that an admin cannot multiply the practitioner limit by
//!   adding practitioners;
//! - at most `MaxBreakGlassPerPatientPerOrganization` undisputed sessions per (patient,
//!   organization), so that one organization's practitioners cannot use up another
//!   organization's emergency access to the patient (no limit counts one patient's sessions
//!   over all organizations).
//!
//! The patient (or a guardian) may dispute a session, which closes it, is audited, frees its
//! slot in the (patient, organization) limit, and blocks that practitioner from breaking the
//! glass for that patient again until the patient or a guardian lifts the block. A disputed
//! session still counts against its practitioner's and its organization's limits: a dispute is
//! a sign of misuse, not a refund.
//!
//! [`Pallet::decide`] answers "may this accessor read this record for this purpose now?" and
//! [`Pallet::decide_write`] "may this author write a new record of this type for this patient
//! now?" for the records pallet (through [`AccessPolicy`]), for claims, and for the node
//! (through the `ConsentApi` runtime API). Both read every consent of the patient, so they cost
//! O(`MaxGrantsPerPatient`): callers charge [`CheckAccessWeight`] and [`CheckWriteWeight`] for
//! each call. Every grant, revocation, emergency, dispute and, through [`AuditLog`], every
//! record created, read, amended or erased is appended to the patient's audit log, which
//! [`Pallet::accounting_of_disclosures`] returns (the HIPAA accounting of disclosures).
//!
//! Expired consents stop allowing access at once and are removed lazily: one of the patient's
//! at each grant, and the others in `on_idle`.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::grant`]: the patient or a guardian grants access.
//! - [`Pallet::revoke`]: the patient or a guardian revokes a consent.
//! - [`Pallet::break_glass`]: a care provider's practitioner opens emergency access.
//! - [`Pallet::dispute`]: the patient or a guardian disputes an emergency access.
//! - [`Pallet::lift_dispute_block`]: the patient or a guardian lets a practitioner whose
//!   emergency access they disputed break the glass again.
//!
//! ## Genesis
//!
//! [`GenesisConfig::consents`] lists consents in force from the first block, each granted by
//! its patient (a development chain's practitioners need them to write records).

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
	EmergencyId, FhirResourceType, Membership, MembershipProvider, Moment, OrgId, Purpose,
	RecordId, RecordLookup, Role,
};
use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The audit action of a dispute.
pub const DISPUTE_AUDIT_ACTION: AuditAction = AuditAction::DisputeBreakGlass;

/// The audit action of lifting a dispute's block.
pub const LIFT_DISPUTE_BLOCK_AUDIT_ACTION: AuditAction = AuditAction::LiftDisputeBlock;

/// The most weight one [`AccessPolicy::check_access`] of this pallet takes: a decision reads
/// every consent of the patient (at most `MaxGrantsPerPatient`). Pallets that call
/// `check_access` add it to their calls' weights, once per call of `check_access`.
pub struct CheckAccessWeight<T>(PhantomData<T>);

impl<T: Config> Get<Weight> for CheckAccessWeight<T> {
	fn get() -> Weight {
		T::WeightInfo::check_access(T::MaxGrantsPerPatient::get())
	}
}

/// The most weight one [`AccessPolicy::check_write`] of this pallet takes, over
/// `MaxGrantsPerPatient` consents; pallets that call it add it once per call.
pub struct CheckWriteWeight<T>(PhantomData<T>);

impl<T: Config> Get<Weight> for CheckWriteWeight<T> {
	fn get() -> Weight {
		T::WeightInfo::check_write(T::MaxGrantsPerPatient::get())
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::Saturating;

	/// The in-code storage version. `Consent` gained `grantee_org`, and the per-patient
	/// break-glass log gave way to `RecentBreakGlassByPatientAndOrganization` and
	/// `RecentBreakGlassByOrganization`, before any production chain ran with this pallet, so no
	/// migration exists for them (a development chain's old `RecentBreakGlassByPatient` entries
	/// are never read again).
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
		/// The most break-glass sessions one practitioner may open, over all patients, within
		/// any `BreakGlassRateWindow`.
		#[pallet::constant]
		type MaxBreakGlassPerPractitioner: Get<u32>;
		/// The most break-glass sessions all practitioners of one organization together may
		/// open, over all patients, within any `BreakGlassRateWindow` (disputed ones included).
		#[pallet::constant]
		type MaxBreakGlassPerOrganization: Get<u32>;
		/// The most undisputed break-glass sessions the practitioners of one organization may
		/// open for one patient within any `BreakGlassRateWindow`. Other organizations' sessions
		/// do not count, so no organization can lock another out of a patient.
		#[pallet::constant]
		type MaxBreakGlassPerPatientPerOrganization: Get<u32>;
		/// The rolling window of the break-glass rate limits, in milliseconds.
		#[pallet::constant]
		type BreakGlassRateWindow: Get<Moment>;
		/// The most consents a patient may have at once.
		#[pallet::constant]
		type MaxGrantsPerPatient: Get<u32>;
		/// The most resource types or record ids in one consent's scope.
		#[pallet::constant]
		type MaxScopeItems: Get<u32>;
		/// The most wrapped data keys one consent may carry.
		#[pallet::constant]
		type MaxWrappedKeys: Get<u32>;
		/// The most ended (revoked or expired) consents kept per patient for the history of
		/// consents; the oldest goes first.
		#[pallet::constant]
		type MaxEndedConsentsPerPatient: Get<u32>;
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
	pub type GrantedKeys<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ConsentId, Identity, RecordId, WrappedKey, OptionQuery>;

	/// Which consents hold a wrapped key of a record, so that erasure can destroy them all.
	#[pallet::storage]
	pub type RecordKeyHolders<T: Config> =
		StorageDoubleMap<_, Identity, RecordId, Twox64Concat, ConsentId, (), OptionQuery>;

	/// Consents that ended, by id: the patient's history of consents, without their keys.
	#[pallet::storage]
	pub type EndedConsents<T: Config> = StorageMap<_, Twox64Concat, ConsentId, EndedConsent<T>>;

	/// The ids of each patient's ended consents, oldest first, at most
	/// `MaxEndedConsentsPerPatient`.
	#[pallet::storage]
	pub type PatientEndedConsents<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<ConsentId, T::MaxEndedConsentsPerPatient>,
		ValueQuery,
	>;

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

	/// (patient, accessor) pairs in which the patient disputed the accessor's emergency access,
	/// with the disputed session: the accessor may not break the glass for the patient until the
	/// patient or a guardian lifts the block.
	#[pallet::storage]
	pub type DisputeBlocks<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		EmergencyId,
		OptionQuery,
	>;

	/// When each practitioner opened break-glass sessions within the last
	/// `BreakGlassRateWindow`, oldest first (older times are dropped at the next opening).
	#[pallet::storage]
	pub type RecentBreakGlassByPractitioner<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<Moment, T::MaxBreakGlassPerPractitioner>,
		ValueQuery,
	>;

	/// When each organization's practitioners opened break-glass sessions within the last
	/// `BreakGlassRateWindow`, oldest first. Organization ids are assigned by the registry, so
	/// `Twox64Concat` is safe.
	#[pallet::storage]
	pub type RecentBreakGlassByOrganization<T: Config> = StorageMap<
		_,
		Twox64Concat,
		OrgId,
		BoundedVec<Moment, T::MaxBreakGlassPerOrganization>,
		ValueQuery,
	>;

	/// The undisputed break-glass sessions each organization's practitioners opened for each
	/// patient within the last `BreakGlassRateWindow`, as `(session, opened at)`, oldest first.
	/// A dispute removes its session. Organization ids are assigned by the registry, so
	/// `Twox64Concat` is safe.
	#[pallet::storage]
	pub type RecentBreakGlassByPatientAndOrganization<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		OrgId,
		BoundedVec<(EmergencyId, Moment), T::MaxBreakGlassPerPatientPerOrganization>,
		ValueQuery,
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

	/// Consents in force from genesis.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(patient, grantee, scope, purposes, expires_at)`, each granted by the patient as
		/// `grant` would (the patient and grantee must be registered by the registry's genesis,
		/// which is built first), audited at block 0.
		pub consents: Vec<(T::AccountId, Grantee<T::AccountId>, ScopeOf, Vec<Purpose>, Moment)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (patient, grantee, scope, purposes, expires_at) in &self.consents {
				if let Err(error) = Pallet::<T>::grant(
					frame_system::RawOrigin::Signed(patient.clone()).into(),
					patient.clone(),
					grantee.clone(),
					scope.clone(),
					purposes.clone(),
					*expires_at,
					Vec::new(),
				) {
					panic!("genesis consent of {patient:?} to {grantee:?} is invalid: {error:?}");
				}
			}
		}
	}

	/// Events of the consent pallet.
	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A patient or guardian granted access, bound to `grantee_org`.
		ConsentGranted {
			consent_id: ConsentId,
			patient: T::AccountId,
			grantee: Grantee<T::AccountId>,
			grantee_org: OrgId,
			expires_at: Moment,
		},
		/// A consent was revoked; its wrapped keys are destroyed.
		ConsentRevoked { consent_id: ConsentId, patient: T::AccountId },
		/// An expired consent was removed.
		ConsentExpired { consent_id: ConsentId, patient: T::AccountId },
		/// A practitioner broke the glass. The reason stays in the session's state
		/// ([`Emergencies`]): events carry no reason.
		BreakGlassOpened {
			emergency_id: EmergencyId,
			patient: T::AccountId,
			accessor: T::AccountId,
			org: OrgId,
			expires_at: Moment,
		},
		/// The patient or a guardian (`disputed_by`) disputed an emergency access, which closed
		/// it.
		BreakGlassDisputed {
			emergency_id: EmergencyId,
			patient: T::AccountId,
			accessor: T::AccountId,
			disputed_by: T::AccountId,
		},
		/// After a dispute, `accessor` may not break the glass for `patient` until the block is
		/// lifted.
		BreakGlassBlocked {
			patient: T::AccountId,
			accessor: T::AccountId,
			emergency_id: EmergencyId,
		},
		/// The patient or a guardian (`lifted_by`) let `accessor` break the glass for `patient`
		/// again.
		DisputeBlockLifted {
			patient: T::AccountId,
			accessor: T::AccountId,
			emergency_id: EmergencyId,
			lifted_by: T::AccountId,
		},
	}

	/// Errors of the consent pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The signer is neither the patient nor one of the patient's guardians.
		NotPatientOrGuardian,
		/// The grantee organization does not exist or is suspended, or the grantee practitioner
		/// is not a member of an active organization.
		GranteeNotActive,
		/// The expiry is not in the future.
		ExpiryInPast,
		/// A consent needs at least one purpose of use.
		NoPurpose,
		/// A purpose of use is listed twice (more than five purposes always repeat one).
		DuplicatePurpose,
		/// A scope list is empty; use `AllRecords` or name at least one item.
		EmptyScope,
		/// A scope lists more items than `MaxScopeItems` allows.
		TooManyScopeItems,
		/// A scope lists a resource type or a record twice.
		DuplicateScopeItem,
		/// A record in the scope or key list does not exist.
		UnknownRecord,
		/// A record in the scope or key list belongs to another patient.
		RecordNotOfPatient,
		/// A record in the scope or key list was erased.
		RecordErased,
		/// A wrapped key is for a record outside the consent's scope.
		KeyOutsideScope,
		/// The consent carries more wrapped keys than `MaxWrappedKeys` allows.
		TooManyWrappedKeys,
		/// A wrapped key is given twice for one record.
		DuplicateWrappedKey,
		/// An unexpired consent with the same grantee (bound to the same organization), scope
		/// and purposes exists.
		DuplicateGrant,
		/// The patient has as many unexpired consents as `MaxGrantsPerPatient` allows; revoke
		/// one first.
		TooManyGrants,
		/// Consent ids are exhausted.
		ConsentIdOverflow,
		/// Break-glass session ids are exhausted.
		EmergencyIdOverflow,
		/// No consent has that id (it may have been revoked or have expired).
		UnknownConsent,
		/// The signer is not a practitioner of an active care provider.
		NotCareProvider,
		/// The patient is not registered.
		PatientNotRegistered,
		/// The signer already has an open break-glass session for this patient.
		BreakGlassAlreadyOpen,
		/// The patient disputed the signer's emergency access; only the patient or a guardian
		/// can lift the block (`lift_dispute_block`).
		BlockedByDispute,
		/// The signer opened `MaxBreakGlassPerPractitioner` break-glass sessions within the
		/// last `BreakGlassRateWindow`; wait for the oldest to leave the window.
		PractitionerBreakGlassLimit,
		/// The signer's organization's practitioners together opened
		/// `MaxBreakGlassPerOrganization` break-glass sessions within the last
		/// `BreakGlassRateWindow`; wait for the oldest to leave the window.
		OrganizationBreakGlassLimit,
		/// The signer's organization's practitioners opened
		/// `MaxBreakGlassPerPatientPerOrganization` undisputed break-glass sessions for this
		/// patient within the last `BreakGlassRateWindow`; wait for the oldest to leave the
		/// window (practitioners of other organizations are not limited by them).
		PatientBreakGlassLimit,
		/// No break-glass session has that id.
		UnknownEmergency,
		/// The emergency access was already disputed.
		AlreadyDisputed,
		/// The accessor is not blocked from breaking the glass for this patient.
		NotBlocked,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_idle(_n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::sweep_expired(remaining)
		}

		fn integrity_test() {
			assert!(T::MaxGrantsPerPatient::get() > 0, "a patient must be able to grant");
			assert!(T::MaxScopeItems::get() > 0, "a scope must be able to list an item");
			assert!(
				T::MaxEndedConsentsPerPatient::get() > 0,
				"the history of consents must keep the last one"
			);
			assert!(T::BreakGlassPeriod::get() > 0, "a break-glass session must last");
			assert!(
				T::MaxBreakGlassPerPractitioner::get() > 0
					&& T::MaxBreakGlassPerOrganization::get() > 0
					&& T::MaxBreakGlassPerPatientPerOrganization::get() > 0,
				"the break-glass rate limits must allow one session"
			);
			assert!(
				T::MaxBreakGlassPerPractitioner::get() <= T::MaxBreakGlassPerOrganization::get()
					&& T::MaxBreakGlassPerPatientPerOrganization::get()
						<= T::MaxBreakGlassPerOrganization::get(),
				"a practitioner's or a patient's share of an organization's break-glass limit \
				 larger than the whole would never bind"
			);
			assert!(
				T::BreakGlassRateWindow::get() >= T::BreakGlassPeriod::get(),
				"the rate window must be at least one session long, or limits would not bind"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grants `grantee` access to the patient's records.
		///
		/// The signer must be the patient or one of the patient's guardians. A grant to a
		/// practitioner is bound to the organization the practitioner belongs to now.
		///
		/// - `patient`: the patient whose records are shared.
		/// - `grantee`: an active organization, or one member of one.
		/// - `scope`: all records, records of some resource types, or listed records, each
		///   listed once.
		/// - `purposes`: the purposes of use allowed, each at most once.
		/// - `expires_at`: when access ends, in milliseconds since the Unix epoch.
		/// - `wrapped_keys`: data keys of records in scope, wrapped for the grantee.
		///
		/// Emits `ConsentGranted`, and `ConsentExpired` for the one expired consent of the
		/// patient it clears, if any. O(g + s² + k·s + k² + K): the patient's consents, the
		/// scope, the keys, and one expired consent's K ≤ `MaxWrappedKeys` keys; charged for a
		/// full list with one expired consent, refunded to the actual cost.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant(
			T::MaxGrantsPerPatient::get().saturating_sub(1),
			scope.item_count(),
			u32::try_from(wrapped_keys.len()).unwrap_or(u32::MAX),
			1,
		))]
		pub fn grant(
			origin: OriginFor<T>,
			patient: T::AccountId,
			grantee: Grantee<T::AccountId>,
			scope: ScopeOf,
			purposes: Vec<Purpose>,
			expires_at: Moment,
			wrapped_keys: Vec<(RecordId, WrappedKey)>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			let grantee_org = match &grantee {
				Grantee::Organization(org) => {
					T::Registry::is_active_organization(*org).then_some(*org)
				}
				Grantee::Practitioner(account) => {
					T::Registry::active_membership(account).map(|m| m.org)
				}
			}
			.ok_or(Error::<T>::GranteeNotActive)?;
			let now = T::Time::now();
			ensure!(expires_at > now, Error::<T>::ExpiryInPast);
			let purposes = Self::purpose_list(purposes)?;
			let scope = Self::bounded_scope(&patient, scope)?;
			let keys = Self::checked_keys(&patient, &scope, wrapped_keys)?;

			let existing = PatientConsents::<T>::get(&patient);
			// At most one expired consent is cleared, which is enough to make room, so that
			// the call's cost stays bounded; `on_idle` sweeps the others.
			let mut expired = None;
			for id in existing.iter() {
				let Some(consent) = Consents::<T>::get(id) else { continue };
				if consent.expires_at <= now {
					expired = expired.or(Some(*id));
				} else {
					ensure!(
						!(consent.grantee == grantee
							&& consent.grantee_org == grantee_org
							&& Self::same_scope(&consent.scope, &scope)
							&& Self::same_purposes(&consent.purposes, &purposes)),
						Error::<T>::DuplicateGrant
					);
				}
			}
			ensure!(
				existing.len().saturating_sub(usize::from(expired.is_some()))
					< T::MaxGrantsPerPatient::get() as usize,
				Error::<T>::TooManyGrants
			);
			let consent_id = NextConsentId::<T>::get();
			let next = consent_id.checked_add(1).ok_or(Error::<T>::ConsentIdOverflow)?;

			if let Some(id) = expired {
				Self::remove_consent(id, true);
			}
			NextConsentId::<T>::put(next);
			PatientConsents::<T>::try_mutate(&patient, |ids| ids.try_push(consent_id))
				.map_err(|_| Error::<T>::TooManyGrants)?;
			let key_count = keys.len() as u32;
			for (record, key) in keys {
				GrantedKeys::<T>::insert(consent_id, record, key);
				RecordKeyHolders::<T>::insert(record, consent_id, ());
			}
			let scope_len = scope.item_count();
			Consents::<T>::insert(
				consent_id,
				Consent {
					patient: patient.clone(),
					granted_by: who.clone(),
					grantee: grantee.clone(),
					grantee_org,
					scope,
					purposes,
					granted_at: now,
					expires_at,
				},
			);
			let basis = AccessBasis::of_owner(&patient, &who);
			Self::append_entry(&patient, &who, None, None, AuditAction::Grant, Some(basis));
			Self::deposit_event(Event::ConsentGranted {
				consent_id,
				patient,
				grantee,
				grantee_org,
				expires_at,
			});
			let cleared = u32::from(expired.is_some());
			let others = (existing.len() as u32).saturating_sub(cleared);
			Ok(Some(T::WeightInfo::grant(others, scope_len, key_count, cleared)).into())
		}

		/// Revokes a consent at once and destroys the keys it carried.
		///
		/// The signer must be the consent's patient or one of the patient's guardians.
		///
		/// - `consent_id`: the consent.
		///
		/// Emits `ConsentRevoked`. O(g + k): the patient's consents and the consent's keys;
		/// charged for `MaxWrappedKeys` keys, refunded to the keys destroyed.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke(T::MaxWrappedKeys::get()))]
		pub fn revoke(origin: OriginFor<T>, consent_id: ConsentId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let consent = Consents::<T>::get(consent_id).ok_or(Error::<T>::UnknownConsent)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&consent.patient, &who),
				Error::<T>::NotPatientOrGuardian
			);

			let destroyed = Self::remove_consent(consent_id, false);
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
			Ok(Some(T::WeightInfo::revoke(destroyed)).into())
		}

		/// Opens emergency access to a patient's records for `BreakGlassPeriod`.
		///
		/// The signer must be a practitioner of an active care provider (hospital, clinic, lab)
		/// whom the patient has not blocked by a dispute, without an open session for the
		/// patient. Within the last `BreakGlassRateWindow` the signer must have opened fewer
		/// than `MaxBreakGlassPerPractitioner` sessions (`PractitionerBreakGlassLimit`), the
		/// signer's organization's practitioners together fewer than
		/// `MaxBreakGlassPerOrganization` (`OrganizationBreakGlassLimit`), and fewer than
		/// `MaxBreakGlassPerPatientPerOrganization` undisputed ones for this patient
		/// (`PatientBreakGlassLimit`). Sessions of other organizations never count.
		///
		/// - `patient`: a registered patient.
		/// - `reason`: why consent could not be asked (a coarse code, never a diagnosis).
		/// - `justification_hash`: a commitment to the written justification, which stays off
		///   chain: blake2b-256 of a random salt and the text (client-js `commitText`), so that
		///   a guessed phrase cannot be confirmed against it.
		///
		/// Emits `BreakGlassOpened`. O(p + o + q): the practitioner's, the organization's and
		/// the (patient, organization) pair's recent openings, at most
		/// `MaxBreakGlassPerPractitioner`, `MaxBreakGlassPerOrganization` and
		/// `MaxBreakGlassPerPatientPerOrganization`.
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
				.filter(Self::is_care_practitioner)
				.ok_or(Error::<T>::NotCareProvider)?;
			ensure!(T::Registry::is_patient(&patient), Error::<T>::PatientNotRegistered);
			ensure!(
				!DisputeBlocks::<T>::contains_key(&patient, &accessor),
				Error::<T>::BlockedByDispute
			);
			let now = T::Time::now();
			if let Some(open) =
				EmergencyAccess::<T>::get(&patient, &accessor).and_then(Emergencies::<T>::get)
			{
				ensure!(open.expires_at <= now, Error::<T>::BreakGlassAlreadyOpen);
			}
			// An opening counts against the limits while it is younger than the window.
			let window_start = now.saturating_sub(T::BreakGlassRateWindow::get());
			let mut by_practitioner = RecentBreakGlassByPractitioner::<T>::get(&accessor);
			by_practitioner.retain(|opened| *opened > window_start);
			by_practitioner.try_push(now).map_err(|_| Error::<T>::PractitionerBreakGlassLimit)?;
			let mut by_organization = RecentBreakGlassByOrganization::<T>::get(membership.org);
			by_organization.retain(|opened| *opened > window_start);
			by_organization.try_push(now).map_err(|_| Error::<T>::OrganizationBreakGlassLimit)?;
			let emergency_id = NextEmergencyId::<T>::get();
			let next = emergency_id.checked_add(1).ok_or(Error::<T>::EmergencyIdOverflow)?;
			// Keyed by the organization too, so that another organization's openings (however
			// many practitioners it adds) never use up this organization's access.
			let mut by_patient =
				RecentBreakGlassByPatientAndOrganization::<T>::get(&patient, membership.org);
			by_patient.retain(|(_, opened)| *opened > window_start);
			by_patient
				.try_push((emergency_id, now))
				.map_err(|_| Error::<T>::PatientBreakGlassLimit)?;

			let expires_at = now.saturating_add(T::BreakGlassPeriod::get());
			NextEmergencyId::<T>::put(next);
			RecentBreakGlassByPractitioner::<T>::insert(&accessor, by_practitioner);
			RecentBreakGlassByOrganization::<T>::insert(membership.org, by_organization);
			RecentBreakGlassByPatientAndOrganization::<T>::insert(
				&patient,
				membership.org,
				by_patient,
			);
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
				expires_at,
			});
			Ok(())
		}

		/// Disputes an emergency access: closes it if it is still open, frees its slot in its
		/// organization's `MaxBreakGlassPerPatientPerOrganization` limit for the patient (a
		/// colleague may still break the glass in a real emergency), and blocks its practitioner
		/// from breaking the glass for the patient until `lift_dispute_block`. The session
		/// still counts against its practitioner's and its organization's limits.
		///
		/// The signer must be the patient or one of the patient's guardians. A session may be
		/// disputed after it expired (patients often read their log later).
		///
		/// - `emergency_id`: the break-glass session.
		///
		/// Emits `BreakGlassDisputed` and `BreakGlassBlocked`, and appends an audit entry
		/// ([`DISPUTE_AUDIT_ACTION`], purpose `Treatment`, by the signer). O(q): the pair's
		/// recent openings, at most `MaxBreakGlassPerPatientPerOrganization`.
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
			let accessor = emergency.accessor.clone();
			let org = emergency.org;
			Emergencies::<T>::insert(emergency_id, emergency);
			RecentBreakGlassByPatientAndOrganization::<T>::mutate_exists(&patient, org, |recent| {
				if let Some(openings) = recent {
					openings.retain(|(id, _)| *id != emergency_id);
					if openings.is_empty() {
						*recent = None;
					}
				}
			});
			DisputeBlocks::<T>::insert(&patient, &accessor, emergency_id);
			let basis = AccessBasis::of_owner(&patient, &who);
			Self::append_entry(
				&patient,
				&who,
				None,
				Some(Purpose::Treatment),
				DISPUTE_AUDIT_ACTION,
				Some(basis),
			);
			Self::deposit_event(Event::BreakGlassDisputed {
				emergency_id,
				patient: patient.clone(),
				accessor: accessor.clone(),
				disputed_by: who,
			});
			Self::deposit_event(Event::BreakGlassBlocked { patient, accessor, emergency_id });
			Ok(())
		}

		/// Lets a practitioner whose emergency access the patient disputed break the glass for
		/// the patient again.
		///
		/// The signer must be the patient or one of the patient's guardians.
		///
		/// - `patient`: the patient.
		/// - `accessor`: the blocked practitioner.
		///
		/// Emits `DisputeBlockLifted`, and appends an audit entry
		/// ([`LIFT_DISPUTE_BLOCK_AUDIT_ACTION`], purpose `Treatment`, by the signer). O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::lift_dispute_block())]
		pub fn lift_dispute_block(
			origin: OriginFor<T>,
			patient: T::AccountId,
			accessor: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Registry::is_patient_or_guardian(&patient, &who),
				Error::<T>::NotPatientOrGuardian
			);
			let emergency_id =
				DisputeBlocks::<T>::get(&patient, &accessor).ok_or(Error::<T>::NotBlocked)?;

			DisputeBlocks::<T>::remove(&patient, &accessor);
			let basis = AccessBasis::of_owner(&patient, &who);
			Self::append_entry(
				&patient,
				&who,
				None,
				Some(Purpose::Treatment),
				LIFT_DISPUTE_BLOCK_AUDIT_ACTION,
				Some(basis),
			);
			Self::deposit_event(Event::DisputeBlockLifted {
				patient,
				accessor,
				emergency_id,
				lifted_by: who,
			});
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		fn purpose_list(purposes: Vec<Purpose>) -> Result<PurposeList, DispatchError> {
			ensure!(!purposes.is_empty(), Error::<T>::NoPurpose);
			// Five distinct purposes exist, so a longer list repeats one: refused before the
			// pairwise check so that its cost stays bounded.
			let purposes: PurposeList =
				purposes.try_into().map_err(|_| Error::<T>::DuplicatePurpose)?;
			for (i, purpose) in purposes.iter().enumerate() {
				ensure!(!purposes[..i].contains(purpose), Error::<T>::DuplicatePurpose);
			}
			Ok(purposes)
		}

		fn bounded_scope(
			patient: &T::AccountId,
			scope: ScopeOf,
		) -> Result<BoundedScope<T>, DispatchError> {
			Ok(match scope {
				ConsentScope::AllRecords => ConsentScope::AllRecords,
				ConsentScope::ResourceTypes(types) => {
					ensure!(!types.is_empty(), Error::<T>::EmptyScope);
					let types: BoundedVec<_, T::MaxScopeItems> =
						types.try_into().map_err(|_| Error::<T>::TooManyScopeItems)?;
					Self::ensure_distinct(&types)?;
					ConsentScope::ResourceTypes(types)
				}
				ConsentScope::Records(records) => {
					ensure!(!records.is_empty(), Error::<T>::EmptyScope);
					let records: BoundedVec<_, T::MaxScopeItems> =
						records.try_into().map_err(|_| Error::<T>::TooManyScopeItems)?;
					Self::ensure_distinct(&records)?;
					for record in records.iter() {
						Self::ensure_record_of(patient, record)?;
					}
					ConsentScope::Records(records)
				}
			})
		}

		/// Refuses a scope list naming an item twice, which would also slip past the
		/// duplicate-grant check.
		fn ensure_distinct<Item: PartialEq>(items: &[Item]) -> DispatchResult {
			for (i, item) in items.iter().enumerate() {
				ensure!(!items[..i].contains(item), Error::<T>::DuplicateScopeItem);
			}
			Ok(())
		}

		/// Whether two scopes cover the same records, whatever the order of their lists.
		fn same_scope(a: &BoundedScope<T>, b: &BoundedScope<T>) -> bool {
			fn same_set<Item: PartialEq>(a: &[Item], b: &[Item]) -> bool {
				a.len() == b.len() && a.iter().all(|item| b.contains(item))
			}
			match (a, b) {
				(ConsentScope::AllRecords, ConsentScope::AllRecords) => true,
				(ConsentScope::ResourceTypes(a), ConsentScope::ResourceTypes(b)) => same_set(a, b),
				(ConsentScope::Records(a), ConsentScope::Records(b)) => same_set(a, b),
				_ => false,
			}
		}

		/// Whether two purpose lists (each without repeats) name the same purposes.
		fn same_purposes(a: &PurposeList, b: &PurposeList) -> bool {
			a.len() == b.len() && a.iter().all(|purpose| b.contains(purpose))
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
			keys: Vec<(RecordId, WrappedKey)>,
		) -> Result<Vec<(RecordId, WrappedKey)>, DispatchError> {
			ensure!(
				keys.len() <= T::MaxWrappedKeys::get() as usize,
				Error::<T>::TooManyWrappedKeys
			);
			let mut checked: Vec<(RecordId, WrappedKey)> = Vec::with_capacity(keys.len());
			for (record, key) in keys {
				ensure!(checked.iter().all(|(r, _)| *r != record), Error::<T>::DuplicateWrappedKey);
				let subject = Self::ensure_record_of(patient, &record)?;
				ensure!(
					Self::scope_covers(scope, &record, &subject.resource_type),
					Error::<T>::KeyOutsideScope
				);
				checked.push((record, key));
			}
			Ok(checked)
		}

		/// Removes a consent with its keys and its place in the patient's list.
		/// Returns how many wrapped keys it destroyed.
		fn remove_consent(consent_id: ConsentId, expired: bool) -> u32 {
			let Some(consent) = Consents::<T>::take(consent_id) else { return 0 };
			PatientConsents::<T>::mutate_exists(&consent.patient, |ids| {
				if let Some(list) = ids {
					list.retain(|id| *id != consent_id);
					if list.is_empty() {
						*ids = None;
					}
				}
			});
			let mut destroyed = 0u32;
			for (record, _) in GrantedKeys::<T>::drain_prefix(consent_id) {
				RecordKeyHolders::<T>::remove(record, consent_id);
				destroyed.saturating_inc();
			}
			let patient = consent.patient.clone();
			let ending = if expired { ConsentEnding::Expired } else { ConsentEnding::Revoked };
			Self::keep_ended(consent_id, consent, ending);
			if expired {
				Self::deposit_event(Event::ConsentExpired { consent_id, patient });
			}
			destroyed
		}

		/// Keeps an ended consent in its patient's history, the oldest ended one making room.
		pub(crate) fn keep_ended(
			consent_id: ConsentId,
			consent: Consent<T>,
			ending: ConsentEnding,
		) {
			PatientEndedConsents::<T>::mutate(&consent.patient, |ids| {
				if ids.is_full() && !ids.is_empty() {
					EndedConsents::<T>::remove(ids.remove(0));
				}
				// Room was made above; `integrity_test` keeps the bound above zero.
				let _ = ids.try_push(consent_id);
			});
			let ended_at = T::Time::now();
			EndedConsents::<T>::insert(consent_id, EndedConsent { consent, ended_at, ending });
		}

		/// Removes expired consents, resuming where the last sweep stopped, within `limit`.
		/// A consent is visited only while the worst case of removing it fits (one with
		/// `MaxWrappedKeys` keys from a full list, `sweep_expired_item`); a visit that removes
		/// nothing is charged `sweep_expired_visit`.
		pub(crate) fn sweep_expired(limit: Weight) -> Weight {
			let per_item = T::WeightInfo::sweep_expired_item();
			let per_visit = T::WeightInfo::sweep_expired_visit();
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
				let expired = Consents::<T>::get(cursor).is_some_and(|c| c.expires_at <= now);
				if expired {
					Self::remove_consent(cursor, true);
					used.saturating_accrue(per_item);
				} else {
					used.saturating_accrue(per_visit);
				}
				cursor.saturating_inc();
				visited.saturating_inc();
			}
			ExpirySweepCursor::<T>::put(cursor);
			used
		}

		/// Whether a membership is that of a practitioner of an active care provider.
		fn is_care_practitioner(membership: &Membership) -> bool {
			membership.kind.is_care_provider() && membership.role == Role::Practitioner
		}

		/// Whether `consent` names `accessor`, whose current membership is `membership`: its
		/// organization, or the accessor as a practitioner of the organization the grant is
		/// bound to.
		fn names(consent: &Consent<T>, accessor: &T::AccountId, membership: &Membership) -> bool {
			match &consent.grantee {
				Grantee::Organization(org) => *org == membership.org,
				Grantee::Practitioner(account) => {
					account == accessor && consent.grantee_org == membership.org
				}
			}
		}

		/// The more specific of two denials: a consent that failed on scope came closer to
		/// allowing than one that failed on purpose, which came closer than an expired one.
		fn more_specific(a: DenialReason, b: DenialReason) -> DenialReason {
			let rank = |reason: &DenialReason| match reason {
				DenialReason::OutOfScope => 3,
				DenialReason::PurposeNotPermitted => 2,
				DenialReason::ConsentExpired => 1,
				_ => 0,
			};
			if rank(&b) > rank(&a) {
				b
			} else {
				a
			}
		}

		/// The accessor's open, undisputed break-glass session for the patient, opened through
		/// the organization the accessor belongs to now, unless the patient disputed any of the
		/// accessor's sessions (a dispute of an older session also stops a newer one).
		fn open_emergency(
			patient: &T::AccountId,
			accessor: &T::AccountId,
			membership: &Membership,
			now: Moment,
		) -> Option<EmergencyId> {
			let id = EmergencyAccess::<T>::get(patient, accessor)?;
			let emergency = Emergencies::<T>::get(id)?;
			(emergency.expires_at > now
				&& !emergency.disputed
				&& !DisputeBlocks::<T>::contains_key(patient, accessor)
				&& emergency.org == membership.org
				&& Self::is_care_practitioner(membership))
			.then_some(id)
		}

		/// Decides whether `accessor` may read `record` of `patient` for `purpose` at `now`.
		///
		/// Allowed for the patient, a guardian, a member of the record's authoring organization
		/// (treatment, payment and operations), an accessor named by an unexpired consent for
		/// the purpose that covers the record (by organization, or as a practitioner still in
		/// the organization the grant is bound to), or a practitioner with an open break-glass
		/// session through their current organization (treatment). O(g), g ≤
		/// `MaxGrantsPerPatient` (see [`CheckAccessWeight`]).
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
			// A record written under a break-glass session the patient disputed gives its
			// author's organization no rights of its own: not to read it, nor to bill for it.
			let disputed = subject
				.emergency
				.and_then(Emergencies::<T>::get)
				.is_some_and(|emergency| emergency.disputed);
			if subject.author_org == Some(membership.org)
				&& !disputed && matches!(
				purpose,
				Purpose::Treatment | Purpose::Payment | Purpose::Operations
			) {
				return Decision::Allowed(AccessBasis::AuthorOrganization);
			}

			let mut denial = DenialReason::NoConsent;
			for id in PatientConsents::<T>::get(patient) {
				let Some(consent) = Consents::<T>::get(id) else { continue };
				if !Self::names(&consent, accessor, &membership) {
					continue;
				}
				let failed = if consent.expires_at <= now {
					DenialReason::ConsentExpired
				} else if !consent.purposes.contains(&purpose) {
					DenialReason::PurposeNotPermitted
				} else if !Self::scope_covers(&consent.scope, record, &subject.resource_type) {
					DenialReason::OutOfScope
				} else {
					return Decision::Allowed(AccessBasis::Consent(id));
				};
				denial = Self::more_specific(denial, failed);
			}

			if let Some(id) = Self::open_emergency(patient, accessor, &membership, now) {
				if purpose == Purpose::Treatment {
					return Decision::Allowed(AccessBasis::BreakGlass(id));
				}
				denial = DenialReason::PurposeNotPermitted;
			}
			Decision::Denied(denial)
		}

		/// Decides whether `author` may write a new record of `resource_type` for `patient` at
		/// `now`.
		///
		/// Allowed for the patient and a guardian. Otherwise `author` must be a practitioner of
		/// an active care provider, and either be named by an unexpired consent of the patient
		/// for `Treatment` whose scope covers the resource type (all records, or the type
		/// listed; a list of records covers no new record), by organization or as a
		/// practitioner still in the organization the grant is bound to, or have an open,
		/// undisputed break-glass session for the patient through their current organization.
		/// Authorship of earlier records gives no right to write. Denials name the most
		/// specific reason: `AccessorNotActive`, `NoConsent`, `ConsentExpired`,
		/// `PurposeNotPermitted`, `OutOfScope`. O(g), g ≤ `MaxGrantsPerPatient` (see
		/// [`CheckWriteWeight`]).
		pub fn decide_write(
			patient: &T::AccountId,
			author: &T::AccountId,
			resource_type: FhirResourceType,
			now: Moment,
		) -> Decision {
			if author == patient && T::Registry::is_patient(author) {
				return Decision::Allowed(AccessBasis::Patient);
			}
			if T::Registry::is_guardian(patient, author) {
				return Decision::Allowed(AccessBasis::Guardian);
			}
			let Some(membership) =
				T::Registry::active_membership(author).filter(Self::is_care_practitioner)
			else {
				return Decision::Denied(DenialReason::AccessorNotActive);
			};

			let mut denial = DenialReason::NoConsent;
			for id in PatientConsents::<T>::get(patient) {
				let Some(consent) = Consents::<T>::get(id) else { continue };
				if !Self::names(&consent, author, &membership) {
					continue;
				}
				let covers = match &consent.scope {
					ConsentScope::AllRecords => true,
					ConsentScope::ResourceTypes(types) => types.contains(&resource_type),
					ConsentScope::Records(_) => false,
				};
				let failed = if consent.expires_at <= now {
					DenialReason::ConsentExpired
				} else if !consent.purposes.contains(&Purpose::Treatment) {
					DenialReason::PurposeNotPermitted
				} else if !covers {
					DenialReason::OutOfScope
				} else {
					return Decision::Allowed(AccessBasis::Consent(id));
				};
				denial = Self::more_specific(denial, failed);
			}

			if let Some(id) = Self::open_emergency(patient, author, &membership, now) {
				return Decision::Allowed(AccessBasis::BreakGlass(id));
			}
			Decision::Denied(denial)
		}

		fn scope_covers(
			scope: &BoundedScope<T>,
			record: &RecordId,
			resource_type: &FhirResourceType,
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
		) -> Option<(Consent<T>, Vec<(RecordId, WrappedKey)>)> {
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

		/// Checks the pallet's invariants: consent lists and consents agree, wrapped keys and
		/// their holders agree both ways and belong to live consents, audit logs are complete
		/// and in order, emergency pointers and dispute blocks name sessions of their pair, and
		/// the rate-limit logs are in order.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next_consent = NextConsentId::<T>::get();
			for (patient, ids) in PatientConsents::<T>::iter() {
				ensure!(!ids.is_empty(), "an empty consent list is kept");
				for (i, id) in ids.iter().enumerate() {
					ensure!(!ids[..i].contains(id), "a consent is listed twice");
					let consent = Consents::<T>::get(id).ok_or("a listed consent is missing")?;
					ensure!(consent.patient == patient, "a consent is listed for another patient");
				}
			}
			for (id, consent) in Consents::<T>::iter() {
				ensure!(id < next_consent, "a consent id is not yet assigned");
				ensure!(
					PatientConsents::<T>::get(&consent.patient).contains(&id),
					"a consent is missing from its patient's list"
				);
				if let Grantee::Organization(org) = consent.grantee {
					ensure!(org == consent.grantee_org, "an organization grant is bound elsewhere");
				}
			}
			for (consent_id, record, _) in GrantedKeys::<T>::iter() {
				ensure!(
					Consents::<T>::contains_key(consent_id),
					"a wrapped key outlives its consent"
				);
				ensure!(
					RecordKeyHolders::<T>::contains_key(record, consent_id),
					"a wrapped key is not indexed by its record"
				);
			}
			for (record, consent_id, ()) in RecordKeyHolders::<T>::iter() {
				ensure!(
					Consents::<T>::contains_key(consent_id),
					"a key holder's consent is missing"
				);
				ensure!(
					GrantedKeys::<T>::contains_key(consent_id, record),
					"a key holder holds no key"
				);
			}

			for (patient, ids) in PatientEndedConsents::<T>::iter() {
				for (i, id) in ids.iter().enumerate() {
					ensure!(!ids[..i].contains(id), "an ended consent is listed twice");
					let ended =
						EndedConsents::<T>::get(id).ok_or("a listed ended consent is missing")?;
					ensure!(
						ended.consent.patient == patient,
						"an ended consent is listed for another patient"
					);
				}
			}
			for (id, ended) in EndedConsents::<T>::iter() {
				ensure!(id < next_consent, "an ended consent's id was never assigned");
				ensure!(!Consents::<T>::contains_key(id), "a consent is both in force and ended");
				ensure!(
					PatientEndedConsents::<T>::get(&ended.consent.patient).contains(&id),
					"an ended consent is missing from its patient's history"
				);
			}

			for (patient, length) in AuditLength::<T>::iter() {
				let mut previous: Option<(BlockNumberFor<T>, Moment)> = None;
				for index in 0..length {
					let entry = AuditTrail::<T>::get(&patient, index)
						.ok_or("an audit entry below the log's length is missing")?;
					ensure!(entry.patient == patient, "an audit entry is in another patient's log");
					if let Some((block, timestamp)) = previous {
						ensure!(
							entry.block >= block && entry.timestamp >= timestamp,
							"audit entries are out of order"
						);
					}
					previous = Some((entry.block, entry.timestamp));
				}
			}
			for (patient, index, _) in AuditTrail::<T>::iter() {
				ensure!(
					index < AuditLength::<T>::get(&patient),
					"an audit entry lies past the log's length"
				);
			}

			let next_emergency = NextEmergencyId::<T>::get();
			for (id, _) in Emergencies::<T>::iter() {
				ensure!(id < next_emergency, "an emergency id is not yet assigned");
			}
			for (patient, accessor, id) in EmergencyAccess::<T>::iter() {
				let emergency = Emergencies::<T>::get(id).ok_or("an emergency pointer dangles")?;
				ensure!(
					emergency.patient == patient && emergency.accessor == accessor,
					"an emergency pointer names another pair's session"
				);
			}
			for (patient, accessor, id) in DisputeBlocks::<T>::iter() {
				let emergency = Emergencies::<T>::get(id).ok_or("a dispute block dangles")?;
				ensure!(
					emergency.patient == patient && emergency.accessor == accessor,
					"a dispute block names another pair's session"
				);
				ensure!(emergency.disputed, "a dispute block names an undisputed session");
			}
			for (_, opened) in RecentBreakGlassByPractitioner::<T>::iter() {
				ensure!(opened.windows(2).all(|w| w[0] <= w[1]), "openings are out of order");
			}
			for (_, opened) in RecentBreakGlassByOrganization::<T>::iter() {
				ensure!(opened.windows(2).all(|w| w[0] <= w[1]), "openings are out of order");
			}
			for (patient, org, openings) in RecentBreakGlassByPatientAndOrganization::<T>::iter() {
				ensure!(
					openings.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 < w[1].0),
					"openings are out of order"
				);
				for (id, opened) in openings {
					let emergency =
						Emergencies::<T>::get(id).ok_or("a counted opening names no session")?;
					ensure!(
						emergency.patient == patient
							&& emergency.org == org
							&& emergency.opened_at == opened,
						"a counted opening names another pair's session"
					);
					ensure!(!emergency.disputed, "a disputed session still counts for its patient");
				}
			}
			Ok(())
		}
	}
}

impl<T: Config> AccessPolicy<T::AccountId> for Pallet<T> {
	fn consents_of(patient: &T::AccountId) -> u32 {
		PatientConsents::<T>::decode_len(patient).unwrap_or(0) as u32
	}

	fn check_write(
		patient: &T::AccountId,
		author: &T::AccountId,
		resource_type: FhirResourceType,
		now: Moment,
	) -> Decision {
		Self::decide_write(patient, author, resource_type, now)
	}

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

	/// The grant is bound to the grantee's organization now; a grantee without one gets a
	/// consent that allows nothing.
	#[cfg(feature = "runtime-benchmarks")]
	fn grant_for_benchmark(patient: &T::AccountId, grantee: &T::AccountId, record: &RecordId) {
		let grantee_org = T::Registry::active_membership(grantee).map_or(OrgId::MAX, |m| m.org);
		let key: WrappedKey = [1u8; carechain_primitives::WRAPPED_KEY_LEN];
		Pallet::<T>::insert_consent_for_benchmark(
			Consent {
				patient: patient.clone(),
				granted_by: patient.clone(),
				grantee: Grantee::Practitioner(grantee.clone()),
				grantee_org,
				scope: ConsentScope::AllRecords,
				purposes: alloc::vec![Purpose::Treatment, Purpose::Payment]
					.try_into()
					.expect("two purposes"),
				granted_at: 0,
				expires_at: Moment::MAX,
			},
			alloc::vec![(*record, key)],
		);
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// Stores `consent` with `keys` as `grant` would, without its checks: only for benchmarks.
	pub fn insert_consent_for_benchmark(
		consent: Consent<T>,
		keys: Vec<(RecordId, WrappedKey)>,
	) -> ConsentId {
		let consent_id = NextConsentId::<T>::get();
		NextConsentId::<T>::put(consent_id.saturating_add(1));
		PatientConsents::<T>::mutate(&consent.patient, |ids| {
			ids.try_push(consent_id).expect("benchmarks stay within MaxGrantsPerPatient")
		});
		for (record, key) in keys {
			GrantedKeys::<T>::insert(consent_id, record, key);
			RecordKeyHolders::<T>::insert(record, consent_id, ());
		}
		Consents::<T>::insert(consent_id, consent);
		consent_id
	}

	/// Fills `patient`'s history of ended consents, so that the next consent to end evicts the
	/// oldest: the worst case of ending one. Only for benchmarks.
	pub fn fill_ended_for_benchmark(patient: &T::AccountId) {
		let max = T::MaxEndedConsentsPerPatient::get();
		for i in 0..u64::from(max) {
			let consent_id = NextConsentId::<T>::get();
			NextConsentId::<T>::put(consent_id.saturating_add(1));
			let consent = Consent {
				patient: patient.clone(),
				granted_by: patient.clone(),
				grantee: Grantee::Organization(0),
				grantee_org: 0,
				scope: ConsentScope::AllRecords,
				purposes: Default::default(),
				granted_at: i,
				expires_at: i,
			};
			Self::keep_ended(consent_id, consent, ConsentEnding::Revoked);
		}
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
