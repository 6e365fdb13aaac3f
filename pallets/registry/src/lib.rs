//! # Registry Pallet
//!
//! Who the consortium is: its organizations, their members, and the patients.
//!
//! ## Overview
//!
//! Organizations (hospitals, clinics, labs, payers, manufacturers, distributors, pharmacies,
//! regulators, research sponsors) are admitted, suspended, reinstated and removed only by
//! consortium governance (`GovernanceOrigin`: two thirds of the council in production, Root in
//! development). Each organization's admins add and remove members of their own organization
//! only. An organization stores its licence identifier (an NPI or a GLN, with its check
//! digit: [`Licence`]) and a hash of its credentials documents; nothing else it is described by
//! (its name, its address) is on chain, so no field of it can carry free text.
//!
//! Governance also decides who validates: each validator is an organization's ed25519 consensus
//! key. A change to the set is announced with the first block it validates,
//! `ValidatorSetDelay` blocks later, so that every node switches at the same height; the node
//! reads [`Validators`] from the state of block `n - 1` to know who decides block `n`.
//! Suspending or removing an organization announces the set without its validators in the same
//! way, and is refused (`LastValidator`) when they are the only ones, so the chain cannot halt.
//! Reinstating an organization does not bring its validators back: governance adds them again.
//!
//! Patients register themselves with an X25519 public key to which record data keys are
//! wrapped, may name a bounded number of guardians, and may rotate their key. Registering a
//! member or a patient gives the account a provider reference, so that its nonce is stored.
//! Removing a member keeps that reference: the account, and with it its nonce, stays, so the
//! transactions it signed can never be replayed should it be admitted again.
//!
//! ## Rationing a feeless chain
//!
//! Nothing costs a fee, so the registry keeps the state the runtime's transaction extensions
//! ration with (`runtime/src/extensions.rs`):
//! - [`Pallet::reserve_registration`]: a registration transaction is checked exactly as
//!   [`Pallet::register_patient`] would check it, then spends one of the block's
//!   `MaxPatientRegistrationsPerBlock` slots, before dispatch. A registration that would fail
//!   is refused before it reaches a block, so it leaves nothing in state.
//! - [`Pallet::spend_allowance`]: every signer has an allowance of transactions that grows by
//!   `per_block` each block up to `burst` ([`RateLimit`]): `MemberRateLimit` for members of
//!   active organizations (and the council), `PatientRateLimit` for patients, who can be
//!   created by anyone and so get far less.
//!
//! ## Root
//!
//! The chain has no sudo key. [`Pallet::dispatch_as_root`] lets `RootOrigin` (a unanimous
//! council in production) dispatch one call as Root, e.g. `Balances::force_set_balance` to mint
//! the settlement currency payers fund policies with.
//!
//! Other pallets ask the registry through [`MembershipProvider`], never through its storage.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::admit_organization`]: governance admits an organization with its first admin.
//! - [`Pallet::suspend_organization`], [`Pallet::reinstate_organization`]: governance.
//! - [`Pallet::remove_organization`]: governance removes an organization and all its members.
//! - [`Pallet::add_member`], [`Pallet::remove_member`]: an organization's admin.
//! - [`Pallet::add_validator`], [`Pallet::remove_validator`]: governance changes the
//!   validator set, from a later block.
//! - [`Pallet::register_patient`]: anyone, for themselves; limited per block.
//! - [`Pallet::add_guardian`], [`Pallet::remove_guardian`], [`Pallet::rotate_encryption_key`]:
//!   the patient.
//! - [`Pallet::dispatch_as_root`]: `RootOrigin` dispatches a call as Root.

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

/// The X25519 public keys of small order (libsodium's list: 0, 1, the two points of order 8,
/// and p - 1, p, p + 1), compared without the top bit, which X25519 ignores. Any scalar maps
/// them to a handful of shared secrets (all zero, for a clamped scalar), so a data key wrapped to
/// one would be readable by anyone; wallets refuse them, and so does the registry.
const SMALL_ORDER_KEYS: [[u8; 32]; 7] = {
	let mut keys = [[0u8; 32]; 7];
	keys[1][0] = 1;
	keys[2] = [
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
		0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		0xb8, 0x00,
	];
	keys[3] = [
		0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
		0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
		0x11, 0x57,
	];
	let mut i = 4;
	while i < 7 {
		keys[i] = [0xff; 32];
		keys[i][31] = 0x7f;
		i += 1;
	}
	keys[4][0] = 0xec;
	keys[5][0] = 0xed;
	keys[6][0] = 0xee;
	keys
};

/// Whether `key` can receive wrapped data keys: not one of [`SMALL_ORDER_KEYS`].
pub fn is_usable_encryption_key(key: &types::EncryptionKey) -> bool {
	let mut masked = *key;
	masked[31] &= 0x7f;
	!SMALL_ORDER_KEYS.contains(&masked)
}

/// A key as 0x-less hex, for messages.
fn hex_key(key: &[u8; 32]) -> alloc::string::String {
	key.iter().map(|b| alloc::format!("{b:02x}")).collect()
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{boxed::Box, vec::Vec};
	use frame_support::{
		dispatch::{extract_actual_weight, GetDispatchInfo},
		pallet_prelude::*,
		traits::UnfilteredDispatchable,
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::{
		traits::{One, SaturatedConversion},
		Saturating,
	};

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
		/// The transactions a member of an active organization (or a council member) may send.
		#[pallet::constant]
		type MemberRateLimit: Get<RateLimit>;
		/// The transactions a patient may send: anyone can become one, so far fewer.
		#[pallet::constant]
		type PatientRateLimit: Get<RateLimit>;
		/// The origin that may dispatch any call as Root through `dispatch_as_root`.
		type RootOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The runtime's calls, which `dispatch_as_root` dispatches.
		type RuntimeCall: Parameter
			+ UnfilteredDispatchable<RuntimeOrigin = Self::RuntimeOrigin>
			+ GetDispatchInfo
			+ From<frame_system::Call<Self>>;
		/// The most validators the chain may have.
		#[pallet::constant]
		type MaxValidators: Get<u32>;
		/// Blocks between a change to the validator set and the first block the new set
		/// decides: time for every node to see the change before it applies.
		#[pallet::constant]
		type ValidatorSetDelay: Get<BlockNumberFor<Self>>;
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

	/// The organization registered under each licence: one licence, one organization. Licences
	/// are chosen by governance, which could pick colliding keys, hence `Blake2_128Concat`.
	#[pallet::storage]
	pub type OrganizationByLicence<T: Config> = StorageMap<_, Blake2_128Concat, Licence, OrgId>;

	/// Registered patients.
	#[pallet::storage]
	pub type Patients<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Patient<T>>;

	/// How many registration transactions the current block holds; cleared at the start of
	/// each block.
	#[pallet::storage]
	pub type RegistrationsInBlock<T> = StorageValue<_, u32, ValueQuery>;

	/// What is left of each signer's transaction allowance. No entry is a full allowance. Keys
	/// are accounts the registry admitted (members, patients), council members, or trial
	/// subjects' accounts the runtime admits for their own calls.
	#[pallet::storage]
	pub type Allowances<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Allowance<BlockNumberFor<T>>>;

	/// The validators that decide the next block, sorted by key.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<Validator, T::MaxValidators>, ValueQuery>;

	/// The validator set governance announced, with the first block it decides.
	#[pallet::storage]
	pub type ScheduledValidatorSet<T: Config> = StorageValue<_, ScheduledValidators<T>>;

	/// The founding consortium.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Founding organizations: kind, licence, documents hash, and members with their roles.
		pub organizations: Vec<GenesisOrganization<T::AccountId>>,
		/// Founding patients with their X25519 public keys.
		pub patients: Vec<(T::AccountId, EncryptionKey)>,
		/// Founding validators: ed25519 consensus keys with the founding organization (by
		/// its position in `organizations`) that runs each.
		pub validators: Vec<(ValidatorKey, OrgId)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (kind, licence, documents_hash, members) in &self.organizations {
				let org = Pallet::<T>::insert_organization(*kind, *licence, *documents_hash)
					.unwrap_or_else(|e| panic!("founder {licence:?} is not admissible: {e:?}"));
				for (account, role) in members {
					Pallet::<T>::insert_member(org, account, *role)
						.expect("genesis members are unique and within bounds");
				}
			}
			for (account, key) in &self.patients {
				assert!(!Patients::<T>::contains_key(account), "genesis patient listed twice");
				Pallet::<T>::insert_patient(account, *key, BoundedVec::new());
			}
			for (key, org) in &self.validators {
				assert!(
					Organizations::<T>::contains_key(org),
					"genesis validator 0x{} names organization {org}, which is not a founder",
					hex_key(key),
				);
			}
			let validators = self.validators.iter().map(|&(key, org)| Validator { key, org });
			let validators = Pallet::<T>::sorted_set(validators.collect())
				.expect("genesis validators are unique and at most MaxValidators");
			Validators::<T>::put(validators);
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
		/// Governance changed the validator set; the new set decides blocks from `at` on.
		ValidatorSetScheduled { validators: Vec<Validator>, at: BlockNumberFor<T> },
		/// The announced validator set decides blocks from the next one, `at`, on.
		ValidatorSetActivated { validators: Vec<Validator>, at: BlockNumberFor<T> },
		/// `RootOrigin` dispatched a call as Root, with this result.
		DispatchedAsRoot { result: DispatchResult },
	}

	/// Errors of the registry.
	#[pallet::error]
	pub enum Error<T> {
		/// No organization has that id.
		UnknownOrganization,
		/// The licence identifier is not all digits or its check digit is wrong (an NPI is 10
		/// digits starting with 1 or 2, its last the Luhn check digit over `80840` and the first
		/// nine; a GLN 13 digits, its last the GS1 check digit): copy it again from the register.
		MalformedLicence,
		/// NPIs are issued to care providers and pharmacies only: register this kind of
		/// organization under its GLN.
		LicenceNotForKind,
		/// Another organization is registered under this licence.
		LicenceInUse,
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
		/// The encryption key is of small order (all zeros among them): a data key wrapped to
		/// it would be readable by anyone. Use the X25519 public key of a fresh secret.
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
		/// The key is already in the validator set (or the announced one).
		AlreadyValidator,
		/// The key is not in the validator set (or the announced one).
		NotValidator,
		/// The validator set has as many members as `MaxValidators` allows.
		TooManyValidators,
		/// The change would leave no validator and stop the chain: removing the last validator,
		/// or suspending or removing the organization that runs every validator. Add another
		/// organization's validator first.
		LastValidator,
		/// The proof is not the validator key's signature of `carechain/validator/v1`, the
		/// organization id and the key (`carechain key validator-proof` makes it), so the key
		/// is not shown to be held by the organization.
		InvalidValidatorProof,
		/// The signer has sent as many transactions as its `RateLimit` allows for now; the
		/// allowance grows by `per_block` each block.
		AllowanceSpent,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			RegistrationsInBlock::<T>::kill();
			let next = n.saturating_add(One::one());
			match ScheduledValidatorSet::<T>::get() {
				Some(scheduled) if scheduled.at <= next => {
					// Stored now, the set is what the node reads after this block: it decides
					// the next one, `scheduled.at`.
					ScheduledValidatorSet::<T>::kill();
					Validators::<T>::put(&scheduled.validators);
					Self::deposit_event(Event::ValidatorSetActivated {
						validators: scheduled.validators.into_inner(),
						at: next,
					});
					T::DbWeight::get().reads_writes(1, 4)
				}
				_ => T::DbWeight::get().reads_writes(1, 1),
			}
		}

		fn integrity_test() {
			assert!(T::MaxValidators::get() > 0, "MaxValidators must allow a validator");
			assert!(T::MaxMembersPerOrg::get() > 0, "an organization needs room for its admin");
			assert!(
				T::MaxPatientRegistrationsPerBlock::get() > 0,
				"MaxPatientRegistrationsPerBlock of 0 would close registration for good"
			);
			for (name, limit) in [
				("MemberRateLimit", T::MemberRateLimit::get()),
				("PatientRateLimit", T::PatientRateLimit::get()),
			] {
				assert!(
					limit.per_block > 0,
					"{name}.per_block of 0 would silence signers for good"
				);
				assert!(
					limit.burst >= limit.per_block,
					"{name}.burst must hold one block's refill"
				);
			}
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Admits an organization, with `admin` as its first member.
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `kind`: what kind of organization it is.
		/// - `licence`: its licence identifier: an NPI (care providers and pharmacies only) or a
		///   GLN, with a right check digit (`MalformedLicence`, `LicenceNotForKind`), under
		///   which no other organization is registered (`LicenceInUse`).
		/// - `documents_hash`: blake2b-256 of its credentials documents (legal name, licence),
		///   which stay off chain.
		/// - `admin`: its first admin; must not belong to another organization.
		///
		/// Emits `OrganizationAdmitted`. O(1).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::admit_organization())]
		pub fn admit_organization(
			origin: OriginFor<T>,
			kind: OrgKind,
			licence: Licence,
			documents_hash: H256,
			admin: T::AccountId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(!Members::<T>::contains_key(&admin), Error::<T>::AlreadyMember);

			let org = Self::insert_organization(kind, licence, documents_hash)?;
			Self::insert_member(org, &admin, Role::Admin)?;
			Self::deposit_event(Event::OrganizationAdmitted { org, kind, admin });
			Ok(())
		}

		/// Suspends an active organization: its members can no longer act for it, and its
		/// validators leave the set from `ValidatorSetDelay` blocks on (reinstating the
		/// organization does not bring them back).
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `org`: the organization; refused with `LastValidator` when it runs every validator.
		///
		/// Emits `OrganizationSuspended`, and `ValidatorSetScheduled` when it ran validators.
		/// O(v), v the validators, at most `MaxValidators`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::suspend_organization(T::MaxValidators::get()))]
		pub fn suspend_organization(
			origin: OriginFor<T>,
			org: OrgId,
		) -> DispatchResultWithPostInfo {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;
			ensure!(organization.status == OrgStatus::Active, Error::<T>::OrganizationSuspended);
			let (validators, remaining) = Self::validators_without(org)?;

			organization.status = OrgStatus::Suspended;
			Organizations::<T>::insert(org, organization);
			if let Some(remaining) = remaining {
				Self::announce(remaining);
			}
			Self::deposit_event(Event::OrganizationSuspended { org });
			Ok(Some(T::WeightInfo::suspend_organization(validators)).into())
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

		/// Removes an organization and every one of its members; its validators leave the set
		/// from `ValidatorSetDelay` blocks on. Removed members keep their accounts (and nonces).
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `org`: the organization; refused with `LastValidator` when it runs every validator.
		///
		/// Emits `OrganizationRemoved`, and `ValidatorSetScheduled` when it ran validators.
		/// O(m + v), m the organization's members (at most `MaxMembersPerOrg`), v the
		/// validators (at most `MaxValidators`).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_organization(
			T::MaxMembersPerOrg::get(),
			T::MaxValidators::get(),
		))]
		pub fn remove_organization(origin: OriginFor<T>, org: OrgId) -> DispatchResultWithPostInfo {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;
			let (validators, remaining) = Self::validators_without(org)?;

			if let Some(remaining) = remaining {
				Self::announce(remaining);
			}
			let mut removed = 0u32;
			for (who, ()) in OrgMembers::<T>::drain_prefix(org) {
				Members::<T>::remove(&who);
				Allowances::<T>::remove(&who);
				removed.saturating_inc();
			}
			Organizations::<T>::remove(org);
			OrganizationByLicence::<T>::remove(organization.licence);
			debug_assert_eq!(removed, organization.member_count);
			Self::deposit_event(Event::OrganizationRemoved { org, members_removed: removed });
			Ok(Some(T::WeightInfo::remove_organization(removed, validators)).into())
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

		/// Removes an account from the signer's organization. The account keeps its provider
		/// reference, so its nonce stays and what it signed cannot be replayed.
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
			Allowances::<T>::remove(&who);
			Organizations::<T>::mutate(org, |o| {
				if let Some(o) = o {
					o.member_count.saturating_dec();
				}
			});
			Self::deposit_event(Event::MemberRemoved { org, who });
			Ok(())
		}

		/// Registers the signer as a patient.
		///
		/// Any signed origin, even an account the chain has never seen. The runtime's
		/// `CheckPermissioned` extension runs [`Pallet::reserve_registration`] first: the same
		/// checks, and one of the block's `MaxPatientRegistrationsPerBlock` slots.
		///
		/// - `encryption_key`: the X25519 public key record data keys are wrapped to.
		/// - `guardians`: accounts that act for the patient, at most `MaxGuardians` (checked
		///   before anything else), distinct; each must be a registered patient or an
		///   organization member.
		///
		/// Emits `PatientRegistered`. O(g²), g the number of guardians, at most `MaxGuardians`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::register_patient(
			(guardians.len() as u32).min(T::MaxGuardians::get())
		))]
		pub fn register_patient(
			origin: OriginFor<T>,
			encryption_key: EncryptionKey,
			guardians: Vec<T::AccountId>,
		) -> DispatchResult {
			let patient = ensure_signed(origin)?;
			Self::check_registration(&patient, &encryption_key, &guardians)?;
			let guardians: BoundedVec<_, T::MaxGuardians> =
				guardians.try_into().map_err(|_| Error::<T>::TooManyGuardians)?;

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
			ensure!(is_usable_encryption_key(&encryption_key), Error::<T>::InvalidEncryptionKey);

			record.encryption_key = encryption_key;
			Patients::<T>::insert(&patient, record);
			Self::deposit_event(Event::EncryptionKeyRotated { patient });
			Ok(())
		}

		/// Adds a validator run by an organization, from `ValidatorSetDelay` blocks on.
		///
		/// The origin must be `GovernanceOrigin`. Changes announced while another is pending
		/// build on it, and the whole announced set takes effect at the later height.
		///
		/// - `org`: the active organization that operates the validator.
		/// - `key`: its ed25519 consensus key.
		/// - `proof`: the key's signature of [`validator_proof_payload`]`(org, key)`.
		///
		/// Emits `ValidatorSetScheduled`, and `ValidatorSetActivated` in the block before the
		/// new set decides. O(v), v the number of validators.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::add_validator(T::MaxValidators::get()))]
		pub fn add_validator(
			origin: OriginFor<T>,
			org: OrgId,
			key: ValidatorKey,
			proof: sp_core::ed25519::Signature,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let organization =
				Organizations::<T>::get(org).ok_or(Error::<T>::UnknownOrganization)?;
			ensure!(organization.status == OrgStatus::Active, Error::<T>::OrganizationSuspended);
			ensure!(
				sp_io::crypto::ed25519_verify(
					&proof,
					&validator_proof_payload(org, &key),
					&sp_core::ed25519::Public::from_raw(key),
				),
				Error::<T>::InvalidValidatorProof
			);
			let mut validators = Self::latest_validators();
			// `schedule_validators` refuses a key that is already in the set.
			validators.push(Validator { key, org });
			Self::schedule_validators(validators)
		}

		/// Removes a validator, from `ValidatorSetDelay` blocks on.
		///
		/// The origin must be `GovernanceOrigin`.
		///
		/// - `key`: the validator's consensus key; at least one other validator must remain.
		///
		/// Emits `ValidatorSetScheduled`, and `ValidatorSetActivated` in the block before the
		/// new set decides. O(v).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::remove_validator(T::MaxValidators::get()))]
		pub fn remove_validator(origin: OriginFor<T>, key: ValidatorKey) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut validators = Self::latest_validators();
			let position =
				validators.iter().position(|v| v.key == key).ok_or(Error::<T>::NotValidator)?;
			ensure!(validators.len() > 1, Error::<T>::LastValidator);
			validators.remove(position);
			Self::schedule_validators(validators)
		}

		/// Dispatches `call` as Root: the chain's only Root path after genesis (there is no
		/// sudo key), e.g. `Balances::force_set_balance` to mint the settlement currency.
		///
		/// The origin must be `RootOrigin` (a unanimous council motion in production).
		///
		/// - `call`: the call to dispatch with the Root origin.
		///
		/// Emits `DispatchedAsRoot` with the call's result; this call itself succeeds either
		/// way. O(1) plus the call's own weight, which is charged and refunded as it reports.
		#[pallet::call_index(12)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			(T::WeightInfo::dispatch_as_root().saturating_add(info.call_weight), info.class)
		})]
		pub fn dispatch_as_root(
			origin: OriginFor<T>,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			T::RootOrigin::ensure_origin(origin)?;
			let info = call.get_dispatch_info();

			let result = call.dispatch_bypass_filter(frame_system::RawOrigin::Root.into());
			let actual = extract_actual_weight(&result, &info);
			Self::deposit_event(Event::DispatchedAsRoot {
				result: result.map(|_| ()).map_err(|e| e.error),
			});
			Ok(Some(T::WeightInfo::dispatch_as_root().saturating_add(actual)).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The checks of `register_patient`: the number of guardians before anything loops
		/// over them, then the patient, the key and each guardian. Reads only.
		pub fn check_registration(
			patient: &T::AccountId,
			encryption_key: &EncryptionKey,
			guardians: &[T::AccountId],
		) -> DispatchResult {
			ensure!(
				guardians.len() <= T::MaxGuardians::get() as usize,
				Error::<T>::TooManyGuardians
			);
			ensure!(!Patients::<T>::contains_key(patient), Error::<T>::AlreadyRegistered);
			ensure!(is_usable_encryption_key(encryption_key), Error::<T>::InvalidEncryptionKey);
			for (i, guardian) in guardians.iter().enumerate() {
				Self::ensure_can_guard(patient, guardian)?;
				ensure!(!guardians[..i].contains(guardian), Error::<T>::AlreadyGuardian);
			}
			Ok(())
		}

		/// Whether `call` would register `patient`, and if so spends one of the block's
		/// `MaxPatientRegistrationsPerBlock` slots: what the runtime's `CheckPermissioned`
		/// runs for every registration transaction before dispatch, so that one that would fail
		/// never reaches a block and every one that does counts. Checks, then writes.
		pub fn reserve_registration(
			patient: &T::AccountId,
			encryption_key: &EncryptionKey,
			guardians: &[T::AccountId],
		) -> DispatchResult {
			let registered = RegistrationsInBlock::<T>::get();
			ensure!(
				registered < T::MaxPatientRegistrationsPerBlock::get(),
				Error::<T>::TooManyRegistrationsInBlock
			);
			Self::check_registration(patient, encryption_key, guardians)?;
			RegistrationsInBlock::<T>::put(registered.saturating_add(1));
			Ok(())
		}

		/// Why `who` may sign, if it may: membership of an active organization first (the
		/// larger allowance), else a patient registration.
		pub fn standing(who: &T::AccountId) -> Option<Standing> {
			if Self::active_membership(who).is_some() {
				Some(Standing::Member)
			} else if Patients::<T>::contains_key(who) {
				Some(Standing::Patient)
			} else {
				None
			}
		}

		/// The rate limit of a signer with that standing.
		pub fn rate_limit(standing: Standing) -> RateLimit {
			match standing {
				Standing::Member => T::MemberRateLimit::get(),
				Standing::Patient => T::PatientRateLimit::get(),
			}
		}

		/// The transactions `who` may still send in this block under `limit`.
		pub fn allowance_left(who: &T::AccountId, limit: RateLimit) -> u32 {
			let now = frame_system::Pallet::<T>::block_number();
			Allowances::<T>::get(who).map_or(limit.burst, |allowance| {
				let blocks: u32 = now.saturating_sub(allowance.counted_at).saturated_into();
				allowance
					.remaining
					.saturating_add(blocks.saturating_mul(limit.per_block))
					.min(limit.burst)
			})
		}

		/// Spends one transaction of `who`'s allowance under `limit`: `AllowanceSpent` when
		/// none is left. Checks, then writes.
		pub fn spend_allowance(who: &T::AccountId, limit: RateLimit) -> DispatchResult {
			let left = Self::allowance_left(who, limit);
			ensure!(left > 0, Error::<T>::AllowanceSpent);
			Allowances::<T>::insert(
				who,
				Allowance {
					remaining: left.saturating_sub(1),
					counted_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			Ok(())
		}

		/// The size of the latest validator set, and that set without `org`'s validators when
		/// it runs any; `LastValidator` when none would remain. Writes nothing.
		#[allow(clippy::type_complexity)]
		fn validators_without(
			org: OrgId,
		) -> Result<(u32, Option<BoundedVec<Validator, T::MaxValidators>>), DispatchError> {
			let latest = Self::latest_validators();
			let count = latest.len() as u32;
			let remaining: Vec<_> = latest.into_iter().filter(|v| v.org != org).collect();
			if remaining.len() as u32 == count {
				return Ok((count, None));
			}
			ensure!(!remaining.is_empty(), Error::<T>::LastValidator);
			Ok((count, Some(Self::sorted_set(remaining)?)))
		}

		/// The set the next change starts from: the announced one, else the current one.
		fn latest_validators() -> Vec<Validator> {
			ScheduledValidatorSet::<T>::get()
				.map_or_else(Validators::<T>::get, |s| s.validators)
				.into_inner()
		}

		/// Sorts by key and bounds a set; `AlreadyValidator` when a key repeats.
		fn sorted_set(
			mut validators: Vec<Validator>,
		) -> Result<BoundedVec<Validator, T::MaxValidators>, DispatchError> {
			validators.sort_by_key(|v| v.key);
			ensure!(
				validators.windows(2).all(|pair| pair[0].key != pair[1].key),
				Error::<T>::AlreadyValidator
			);
			Ok(validators.try_into().map_err(|_| Error::<T>::TooManyValidators)?)
		}

		/// Announces `validators` as the set from `ValidatorSetDelay` blocks on.
		fn schedule_validators(validators: Vec<Validator>) -> DispatchResult {
			Self::announce(Self::sorted_set(validators)?);
			Ok(())
		}

		/// Announces a checked set as the set from `ValidatorSetDelay` blocks on.
		fn announce(validators: BoundedVec<Validator, T::MaxValidators>) {
			let at = frame_system::Pallet::<T>::block_number()
				.saturating_add(T::ValidatorSetDelay::get())
				.max(frame_system::Pallet::<T>::block_number().saturating_add(One::one()));
			ScheduledValidatorSet::<T>::put(ScheduledValidators {
				at,
				validators: validators.clone(),
			});
			Self::deposit_event(Event::ValidatorSetScheduled {
				validators: validators.into_inner(),
				at,
			});
		}

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

		/// Admits an active organization without members: checks the licence and the id, then
		/// writes.
		pub(crate) fn insert_organization(
			kind: OrgKind,
			licence: Licence,
			documents_hash: H256,
		) -> Result<OrgId, DispatchError> {
			ensure!(licence.is_well_formed(), Error::<T>::MalformedLicence);
			ensure!(licence.fits(kind), Error::<T>::LicenceNotForKind);
			ensure!(!OrganizationByLicence::<T>::contains_key(licence), Error::<T>::LicenceInUse);
			let org = NextOrgId::<T>::get();
			let next = org.checked_add(1).ok_or(Error::<T>::OrgIdOverflow)?;
			NextOrgId::<T>::put(next);
			OrganizationByLicence::<T>::insert(licence, org);
			Organizations::<T>::insert(
				org,
				Organization {
					kind,
					status: OrgStatus::Active,
					licence,
					documents_hash,
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

		/// The patient's X25519 public key, for wallets that wrap record keys to it.
		pub fn encryption_key(patient: &T::AccountId) -> Option<EncryptionKey> {
			Patients::<T>::get(patient).map(|p| p.encryption_key)
		}

		/// Whether any account may sign: a member of an active organization or a patient.
		pub fn is_known_signer(who: &T::AccountId) -> bool {
			Self::active_membership(who).is_some() || Patients::<T>::contains_key(who)
		}

		/// The validators that decide the next block.
		pub fn validators() -> Vec<Validator> {
			Validators::<T>::get().into_inner()
		}

		/// Whether another patient may still register in this block.
		pub fn registration_open() -> bool {
			RegistrationsInBlock::<T>::get() < T::MaxPatientRegistrationsPerBlock::get()
		}

		/// The registry's invariants: members and their organizations agree both ways and
		/// with each organization's count; the validator sets are sorted, unique and bounded,
		/// and the latest one is non-empty (when the chain has validators) and run by active
		/// organizations only; patients' guardians are distinct and not the patient; every
		/// member and patient has a provider reference; the block's counters are in bounds.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next_org = NextOrgId::<T>::get();
			for (org, organization) in Organizations::<T>::iter() {
				ensure!(org < next_org, "an organization's id is not below NextOrgId");
				let members = OrgMembers::<T>::iter_prefix(org).count() as u32;
				ensure!(
					members == organization.member_count,
					"an organization's member_count differs from its OrgMembers"
				);
				ensure!(members <= T::MaxMembersPerOrg::get(), "an organization is over its bound");
				ensure!(organization.licence.is_well_formed(), "a licence is malformed");
				ensure!(
					organization.licence.fits(organization.kind),
					"a licence was issued for another kind of organization"
				);
				ensure!(
					OrganizationByLicence::<T>::get(organization.licence) == Some(org),
					"an organization's licence does not name it"
				);
			}
			for (licence, org) in OrganizationByLicence::<T>::iter() {
				ensure!(
					Organizations::<T>::get(org).is_some_and(|o| o.licence == licence),
					"a licence names an organization registered under another"
				);
			}
			for (org, who, ()) in OrgMembers::<T>::iter() {
				ensure!(
					Members::<T>::get(&who).map(|m| m.org) == Some(org),
					"an OrgMembers entry has no matching Members entry"
				);
			}
			for (who, member) in Members::<T>::iter() {
				ensure!(
					Organizations::<T>::contains_key(member.org),
					"a member points to an organization that does not exist"
				);
				ensure!(
					OrgMembers::<T>::contains_key(member.org, &who),
					"a member is missing from its organization's OrgMembers"
				);
				ensure!(
					frame_system::Pallet::<T>::providers(&who) > 0,
					"a member has no provider reference"
				);
			}

			let sorted_unique = |set: &[Validator]| set.windows(2).all(|w| w[0].key < w[1].key);
			let current = Validators::<T>::get();
			ensure!(sorted_unique(&current), "the validator set is not sorted and unique");
			let latest = match ScheduledValidatorSet::<T>::get() {
				Some(scheduled) => {
					ensure!(
						sorted_unique(&scheduled.validators),
						"the announced validator set is not sorted and unique"
					);
					ensure!(
						scheduled.at > frame_system::Pallet::<T>::block_number(),
						"an announced validator set was not activated at its height"
					);
					scheduled.validators
				}
				None => current.clone(),
			};
			ensure!(
				current.is_empty() || !latest.is_empty(),
				"the announced validator set is empty: the chain would halt"
			);
			for validator in latest.iter() {
				ensure!(
					Self::active_organization_kind(validator.org).is_some(),
					"a validator's organization is suspended or gone and its removal is not announced"
				);
			}

			for (patient, record) in Patients::<T>::iter() {
				ensure!(
					is_usable_encryption_key(&record.encryption_key),
					"a patient's encryption key is of small order"
				);
				for (i, guardian) in record.guardians.iter().enumerate() {
					ensure!(*guardian != patient, "a patient is their own guardian");
					ensure!(
						!record.guardians[..i].contains(guardian),
						"a patient names a guardian twice"
					);
				}
				ensure!(
					frame_system::Pallet::<T>::providers(&patient) > 0,
					"a patient has no provider reference"
				);
			}

			ensure!(
				RegistrationsInBlock::<T>::get() <= T::MaxPatientRegistrationsPerBlock::get(),
				"more registrations in the block than MaxPatientRegistrationsPerBlock"
			);
			let most = T::MemberRateLimit::get().burst.max(T::PatientRateLimit::get().burst);
			for (_, allowance) in Allowances::<T>::iter() {
				ensure!(allowance.remaining <= most, "an allowance holds more than any burst");
			}
			Ok(())
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
			let licence = Licence::for_benchmark(NextOrgId::<T>::get());
			let id =
				Self::insert_organization(kind, licence, Default::default()).expect("ids remain");
			Self::insert_member(id, who, role).expect("fresh organization");
		}
	}

	/// The keys `standing` reads: the membership and its organization, or the membership's
	/// absence and the patient.
	#[cfg(feature = "runtime-benchmarks")]
	fn whitelist_signer_for_benchmark(who: &T::AccountId) {
		use frame_benchmarking::benchmarking::add_to_whitelist;
		add_to_whitelist(Members::<T>::hashed_key_for(who).into());
		match Members::<T>::get(who) {
			Some(member) => add_to_whitelist(Organizations::<T>::hashed_key_for(member.org).into()),
			None => add_to_whitelist(Patients::<T>::hashed_key_for(who).into()),
		}
	}
}
