//! # Registry Pallet
//!
//! Who the consortium is: its organizations, their members, and the patients.
//!
//! ## Overview
//!
//! Organizations (hospitals, clinics, labs, payers, manufacturers, distributors, pharmacies,
//! regulators, research sponsors) are admitted, suspended, reinstated and removed only by
//! consortium governance (`GovernanceOrigin`: two thirds of the council in production, Root in
//! development). Each organization's admins add and remove its own members. An organization
//! stores only a hash of its legal name and licence.
//!
//! Patients register themselves with an X25519 public key to which record data keys are
//! wrapped, may name a bounded number of guardians, and may rotate their key. Registering a
//! member or a patient gives the account a provider reference (so its nonce can be stored), and
//! removing it takes that reference back.
//!
//! Other pallets ask the registry through [`MembershipProvider`], never through its storage.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::admit_organization`]: governance admits an organization with its first admin.
//! - [`Pallet::suspend_organization`], [`Pallet::reinstate_organization`]: governance.
//! - [`Pallet::remove_organization`]: governance removes an organization and all its members.
//! - [`Pallet::add_member`], [`Pallet::remove_member`]: an organization's admin.
//! - [`Pallet::register_patient`]: anyone, for themselves; limited per block.
//! - [`Pallet::add_guardian`], [`Pallet::remove_guardian`], [`Pallet::rotate_encryption_key`]:
//!   the patient.

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

use carechain_primitives::{Membership, MembershipProvider, OrgId, OrgKind, Role};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::Saturating;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the registry.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The origin that admits, suspends, reinstates and removes organizations.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The most accounts an organization may have.
		#[pallet::constant]
		type MaxMembersPerOrg: Get<u32>;
		/// The most guardians a patient may name.
		#[pallet::constant]
		type MaxGuardians: Get<u32>;
		/// The most patients that may register in one block: registration is the only call an
		/// unknown account may make, so it is rationed.
		#[pallet::constant]
		type MaxPatientRegistrationsPerBlock: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The id the next admitted organization gets.
	#[pallet::storage]
	pub type NextOrgId<T> = StorageValue<_, OrgId, ValueQuery>;

	/// Organizations by id. Ids are assigned by the chain, so `Twox64Concat` is safe.
	#[pallet::storage]
	pub type Organizations<T: Config> =
		StorageMap<_, Twox64Concat, OrgId, Organization<BlockNumberFor<T>>>;

	/// Each member account's organization and role. An account belongs to one organization.
	#[pallet::storage]
	pub type Members<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, OrgMember>;

	/// The accounts of each organization, so that removing one removes its members.
	#[pallet::storage]
	pub type OrgMembers<T: Config> =
		StorageDoubleMap<_, Twox64Concat, OrgId, Blake2_128Concat, T::AccountId, (), OptionQuery>;

	/// Registered patients.
	#[pallet::storage]
	pub type Patients<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Patient<T>>;

	/// How many patients registered in the current block; cleared at the start of each block.
	#[pallet::storage]
	pub type RegistrationsInBlock<T> = StorageValue<_, u32, ValueQuery>;

	/// The founding consortium.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Founding organizations: kind, credentials hash, and members with their roles.
		pub organizations: Vec<GenesisOrganization<T::AccountId>>,
		/// Founding patients with their X25519 public keys.
		pub patients: Vec<(T::AccountId, EncryptionKey)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (kind, credentials_hash, members) in &self.organizations {
				let org = Pallet::<T>::insert_organization(*kind, *credentials_hash)
					.expect("fewer than 2^32 founders");
				for (account, role) in members {
					Pallet::<T>::insert_member(org, account, *role)
						.expect("genesis members are unique and within bounds");
				}
			}
			for (account, key) in &self.patients {
				assert!(!Patients::<T>::contains_key(account), "genesis patient listed twice");
				Pallet::<T>::insert_patient(account, *key, BoundedVec::new());
			}
		}
	}

	/// Events of the registry.
	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance admitted an organization.
		OrganizationAdmitted { org: OrgId, kind: OrgKind, admin: T::AccountId },
		/// Governance suspended an organization.
		OrganizationSuspended { org: OrgId },
		/// Governance reinstated a suspended organization.
		OrganizationReinstated { org: OrgId },
		/// Governance removed an organization and its members.
		OrganizationRemoved { org: OrgId, members_removed: u32 },
		/// An admin added a member to the organization.
		MemberAdded { org: OrgId, who: T::AccountId, role: Role },
		/// An admin removed a member from the organization.
		MemberRemoved { org: OrgId, who: T::AccountId },
		/// A patient registered.
		PatientRegistered { patient: T::AccountId },
		/// A patient named a guardian.
		GuardianAdded { patient: T::AccountId, guardian: T::AccountId },
		/// A patient removed a guardian.
		GuardianRemoved { patient: T::AccountId, guardian: T::AccountId },
		/// A patient rotated the encryption key.
		EncryptionKeyRotated { patient: T::AccountId },
	}

	/// Errors of the registry.
	#[pallet::error]
	pub enum Error<T> {
		/// No organization has that id.
		UnknownOrganization,
		/// The organization is already active.
		OrganizationAlreadyActive,
		/// The organization is suspended: reinstate it first.
		OrganizationSuspended,
		/// The account already belongs to an organization; remove it there first.
		AlreadyMember,
		/// The signer is not an admin of an active organization.
		NotOrgAdmin,
		/// The account is not a member of the signer's organization.
		NotMemberOfYourOrganization,
		/// An admin cannot remove itself; another admin or governance must.
		CannotRemoveSelf,
		/// The organization has as many members as `MaxMembersPerOrg` allows.
		TooManyMembers,
		/// Organization ids are exhausted.
		OrgIdOverflow,
		/// The account is already a registered patient.
		AlreadyRegistered,
		/// The account is not a registered patient.
		NotPatient,
		/// The encryption key is all zeros, which is not an X25519 public key.
		InvalidEncryptionKey,
		/// As many patients registered in this block as `MaxPatientRegistrationsPerBlock`
		/// allows; try again in the next block.
		TooManyRegistrationsInBlock,
		/// The patient has as many guardians as `MaxGuardians` allows.
		TooManyGuardians,
		/// A patient cannot be their own guardian.
		GuardianIsSelf,
		/// That account is already a guardian of the patient.
		AlreadyGuardian,
		/// That account is not a guardian of the patient.
		NotGuardian,
		/// A guardian must be a registered patient or an organization member, so that it can
		/// sign transactions.
		GuardianNotRegistered,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			RegistrationsInBlock::<T>::kill();
			T::DbWeight::get().writes(1)
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Admits an organization, with `admin` as its first member.
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `kind`: what kind of organization it is.
		/// - `credentials_hash`: blake2b-256 of its legal name and licence.
		/// - `admin`: its first admin; must not belong to another organization.
		///
		/// Emits `OrganizationAdmitted`. O(1).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::admit_organization())]
		pub fn admit_organization(
			origin: OriginFor<T>,
			kind: OrgKind,
			credentials_hash: H256,
			admin: T::AccountId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(!Members::<T>::contains_key(&admin), Error::<T>::AlreadyMember);

			let org = Self::insert_organization(kind, credentials_hash)?;
			Self::insert_member(org, &admin, Role::Admin)?;
			Self::deposit_event(Event::OrganizationAdmitted { org, kind, admin });
			Ok(())
		}

		/// Suspends an active organization: its members can no longer act for it.
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `org`: the organization.
		///
		/// Emits `OrganizationSuspended`. O(1).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::suspend_organization())]
		pub fn suspend_organization(origin: OriginFor<T>, org: OrgId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;
			ensure!(organization.status == OrgStatus::Active, Error::<T>::OrganizationSuspended);

			organization.status = OrgStatus::Suspended;
			Organizations::<T>::insert(org, organization);
			Self::deposit_event(Event::OrganizationSuspended { org });
			Ok(())
		}

		/// Reinstates a suspended organization.
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `org`: the organization.
		///
		/// Emits `OrganizationReinstated`. O(1).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reinstate_organization())]
		pub fn reinstate_organization(origin: OriginFor<T>, org: OrgId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;
			ensure!(
				organization.status == OrgStatus::Suspended,
				Error::<T>::OrganizationAlreadyActive
			);

			organization.status = OrgStatus::Active;
			Organizations::<T>::insert(org, organization);
			Self::deposit_event(Event::OrganizationReinstated { org });
			Ok(())
		}

		/// Removes an organization and every one of its members.
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `org`: the organization.
		///
		/// Emits `OrganizationRemoved`. O(m), m the organization's members, at most
		/// `MaxMembersPerOrg`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_organization(T::MaxMembersPerOrg::get()))]
		pub fn remove_organization(origin: OriginFor<T>, org: OrgId) -> DispatchResultWithPostInfo {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;

			let mut removed = 0u32;
			for (who, ()) in OrgMembers::<T>::drain_prefix(org) {
				Members::<T>::remove(&who);
				Self::release_account(&who);
				removed.saturating_inc();
			}
			Organizations::<T>::remove(org);
			debug_assert_eq!(removed, organization.member_count);
			Self::deposit_event(Event::OrganizationRemoved { org, members_removed: removed });
			Ok(Some(T::WeightInfo::remove_organization(removed)).into())
		}

		/// Adds an account to the signer's organization.
		///
		/// The signer must be an admin of an active organization.
		///
		/// - `who`: the account; must not belong to any organization.
		/// - `role`: its role.
		///
		/// Emits `MemberAdded`. O(1).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_member())]
		pub fn add_member(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
			let admin = ensure_signed(origin)?;
			let org = Self::ensure_active_admin(&admin)?;
			ensure!(!Members::<T>::contains_key(&who), Error::<T>::AlreadyMember);

			Self::insert_member(org, &who, role)?;
			Self::deposit_event(Event::MemberAdded { org, who, role });
			Ok(())
		}

		/// Removes an account from the signer's organization.
		///
		/// The signer must be an admin of an active organization, other than `who`.
		///
		/// - `who`: a member of the signer's organization.
		///
		/// Emits `MemberRemoved`. O(1).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::remove_member())]
		pub fn remove_member(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let admin = ensure_signed(origin)?;
			let org = Self::ensure_active_admin(&admin)?;
			ensure!(admin != who, Error::<T>::CannotRemoveSelf);
			let member = Members::<T>::get(&who).ok_or(Error::<T>::NotMemberOfYourOrganization)?;
			ensure!(member.org == org, Error::<T>::NotMemberOfYourOrganization);

			Members::<T>::remove(&who);
			OrgMembers::<T>::remove(org, &who);
			Organizations::<T>::mutate(org, |o| {
				if let Some(o) = o {
					o.member_count.saturating_dec();
				}
			});
			Self::release_account(&who);
			Self::deposit_event(Event::MemberRemoved { org, who });
			Ok(())
		}

		/// Registers the signer as a patient.
		///
		/// Any signed origin, even an account the chain has never seen; at most
		/// `MaxPatientRegistrationsPerBlock` per block.
		///
		/// - `encryption_key`: the X25519 public key record data keys are wrapped to.
		/// - `guardians`: accounts that act for the patient, at most `MaxGuardians`; each must be
		///   a registered patient or an organization member.
		///
		/// Emits `PatientRegistered`. O(g), g the number of guardians.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::register_patient(guardians.len() as u32))]
		pub fn register_patient(
			origin: OriginFor<T>,
			encryption_key: EncryptionKey,
			guardians: Vec<T::AccountId>,
		) -> DispatchResult {
			let patient = ensure_signed(origin)?;
			ensure!(!Patients::<T>::contains_key(&patient), Error::<T>::AlreadyRegistered);
			let registered = RegistrationsInBlock::<T>::get();
			ensure!(
				registered < T::MaxPatientRegistrationsPerBlock::get(),
				Error::<T>::TooManyRegistrationsInBlock
			);
			ensure!(encryption_key != [0u8; 32], Error::<T>::InvalidEncryptionKey);
			for (i, guardian) in guardians.iter().enumerate() {
				Self::ensure_can_guard(&patient, guardian)?;
				ensure!(!guardians[..i].contains(guardian), Error::<T>::AlreadyGuardian);
			}
			let guardians: BoundedVec<_, T::MaxGuardians> =
				guardians.try_into().map_err(|_| Error::<T>::TooManyGuardians)?;

			RegistrationsInBlock::<T>::put(registered.saturating_add(1));
			Self::insert_patient(&patient, encryption_key, guardians);
			Self::deposit_event(Event::PatientRegistered { patient });
			Ok(())
		}

		/// Names a guardian who may act for the signing patient.
		///
		/// The signer must be a registered patient.
		///
		/// - `guardian`: a registered patient or organization member, not yet a guardian.
		///
		/// Emits `GuardianAdded`. O(g).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::add_guardian())]
		pub fn add_guardian(origin: OriginFor<T>, guardian: T::AccountId) -> DispatchResult {
			let patient = ensure_signed(origin)?;
			let mut record = Patients::<T>::get(&patient).ok_or(Error::<T>::NotPatient)?;
			Self::ensure_can_guard(&patient, &guardian)?;
			ensure!(!record.guardians.contains(&guardian), Error::<T>::AlreadyGuardian);
			record
				.guardians
				.try_push(guardian.clone())
				.map_err(|_| Error::<T>::TooManyGuardians)?;

			Patients::<T>::insert(&patient, record);
			Self::deposit_event(Event::GuardianAdded { patient, guardian });
			Ok(())
		}

		/// Removes one of the signing patient's guardians.
		///
		/// The signer must be a registered patient.
		///
		/// - `guardian`: one of the patient's guardians.
		///
		/// Emits `GuardianRemoved`. O(g).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::remove_guardian())]
		pub fn remove_guardian(origin: OriginFor<T>, guardian: T::AccountId) -> DispatchResult {
			let patient = ensure_signed(origin)?;
			let mut record = Patients::<T>::get(&patient).ok_or(Error::<T>::NotPatient)?;
			let position = record
				.guardians
				.iter()
				.position(|g| *g == guardian)
				.ok_or(Error::<T>::NotGuardian)?;

			record.guardians.remove(position);
			Patients::<T>::insert(&patient, record);
			Self::deposit_event(Event::GuardianRemoved { patient, guardian });
			Ok(())
		}

		/// Replaces the signing patient's encryption key. Keys wrapped to the old key stay
		/// readable by whoever holds the old private key; new records use the new key.
		///
		/// The signer must be a registered patient.
		///
		/// - `encryption_key`: the new X25519 public key.
		///
		/// Emits `EncryptionKeyRotated`. O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::rotate_encryption_key())]
		pub fn rotate_encryption_key(
			origin: OriginFor<T>,
			encryption_key: EncryptionKey,
		) -> DispatchResult {
			let patient = ensure_signed(origin)?;
			let mut record = Patients::<T>::get(&patient).ok_or(Error::<T>::NotPatient)?;
			ensure!(encryption_key != [0u8; 32], Error::<T>::InvalidEncryptionKey);

			record.encryption_key = encryption_key;
			Patients::<T>::insert(&patient, record);
			Self::deposit_event(Event::EncryptionKeyRotated { patient });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The organization the signer administers, if it is active.
		fn ensure_active_admin(admin: &T::AccountId) -> Result<OrgId, DispatchError> {
			let member = Members::<T>::get(admin).ok_or(Error::<T>::NotOrgAdmin)?;
			ensure!(member.role == Role::Admin, Error::<T>::NotOrgAdmin);
			let organization =
				Organizations::<T>::get(member.org).ok_or(Error::<T>::UnknownOrganization)?;
			ensure!(organization.status == OrgStatus::Active, Error::<T>::OrganizationSuspended);
			Ok(member.org)
		}

		fn ensure_can_guard(patient: &T::AccountId, guardian: &T::AccountId) -> DispatchResult {
			ensure!(guardian != patient, Error::<T>::GuardianIsSelf);
			ensure!(
				Patients::<T>::contains_key(guardian) || Members::<T>::contains_key(guardian),
				Error::<T>::GuardianNotRegistered
			);
			Ok(())
		}

		/// Admits an active organization without members: checks the id, then writes.
		pub(crate) fn insert_organization(
			kind: OrgKind,
			credentials_hash: H256,
		) -> Result<OrgId, DispatchError> {
			let org = NextOrgId::<T>::get();
			let next = org.checked_add(1).ok_or(Error::<T>::OrgIdOverflow)?;
			NextOrgId::<T>::put(next);
			Organizations::<T>::insert(
				org,
				Organization {
					kind,
					status: OrgStatus::Active,
					credentials_hash,
					member_count: 0,
					admitted_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			Ok(org)
		}

		/// Adds a member: checks the bound, then writes. Callers check `AlreadyMember`.
		pub(crate) fn insert_member(org: OrgId, who: &T::AccountId, role: Role) -> DispatchResult {
			let mut organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;
			ensure!(!Members::<T>::contains_key(who), Error::<T>::AlreadyMember);
			ensure!(
				organization.member_count < T::MaxMembersPerOrg::get(),
				Error::<T>::TooManyMembers
			);

			organization.member_count.saturating_inc();
			Organizations::<T>::insert(org, organization);
			Members::<T>::insert(who, OrgMember { org, role });
			OrgMembers::<T>::insert(org, who, ());
			frame_system::Pallet::<T>::inc_providers(who);
			Ok(())
		}

		pub(crate) fn insert_patient(
			who: &T::AccountId,
			encryption_key: EncryptionKey,
			guardians: BoundedVec<T::AccountId, T::MaxGuardians>,
		) {
			Patients::<T>::insert(
				who,
				Patient {
					encryption_key,
					guardians,
					registered_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			frame_system::Pallet::<T>::inc_providers(who);
		}

		/// Takes back the provider reference a membership gave.
		fn release_account(who: &T::AccountId) {
			// Only fails if the account has consumers and no other provider; the registry is
			// the only source of providers here and nothing takes consumers, so it cannot.
			let _ = frame_system::Pallet::<T>::dec_providers(who);
		}

		/// The patient's X25519 public key, for wallets that wrap record keys to it.
		pub fn encryption_key(patient: &T::AccountId) -> Option<EncryptionKey> {
			Patients::<T>::get(patient).map(|p| p.encryption_key)
		}

		/// Whether any account may sign: a member of an active organization or a patient.
		pub fn is_known_signer(who: &T::AccountId) -> bool {
			Self::active_membership(who).is_some() || Patients::<T>::contains_key(who)
		}

		/// Whether another patient may still register in this block.
		pub fn registration_open() -> bool {
			RegistrationsInBlock::<T>::get() < T::MaxPatientRegistrationsPerBlock::get()
		}
	}
}

impl<T: Config> MembershipProvider<T::AccountId> for Pallet<T> {
	fn active_membership(who: &T::AccountId) -> Option<Membership> {
		let member = Members::<T>::get(who)?;
		let organization = Organizations::<T>::get(member.org)?;
		(organization.status == OrgStatus::Active).then_some(Membership {
			org: member.org,
			kind: organization.kind,
			role: member.role,
		})
	}

	fn active_organization_kind(org: OrgId) -> Option<OrgKind> {
		Organizations::<T>::get(org).filter(|o| o.status == OrgStatus::Active).map(|o| o.kind)
	}

	fn is_patient(who: &T::AccountId) -> bool {
		Patients::<T>::contains_key(who)
	}

	fn is_patient_or_guardian(patient: &T::AccountId, who: &T::AccountId) -> bool {
		(patient == who && Self::is_patient(who)) || Self::is_guardian(patient, who)
	}

	fn is_guardian(patient: &T::AccountId, who: &T::AccountId) -> bool {
		Patients::<T>::get(patient).is_some_and(|p| p.guardians.contains(who))
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(who: &T::AccountId, org: Option<(OrgKind, Role)>) {
		if !Patients::<T>::contains_key(who) {
			Self::insert_patient(who, [7u8; 32], Default::default());
		}
		if let Some((kind, role)) = org {
			let id = Self::insert_organization(kind, Default::default()).expect("ids remain");
			Self::insert_member(id, who, role).expect("fresh organization");
		}
	}
}
