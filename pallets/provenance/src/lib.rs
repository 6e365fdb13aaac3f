//! # Provenance Pallet
//!
//! Drug traceability as the US DSCSA and GS1 EPCIS define it: serialized units, one owner per
//! unit, verification, recall, quarantine and dispensing, with counterfeits caught.
//!
//! ## Overview
//!
//! The consortium's governance records each manufacturer's GS1 company prefixes, as GS1
//! licensed them. A member of that manufacturer registers a product under a GTIN-14 (which
//! carries a US NDC) that begins, after its indicator digit, with one of them, and
//! commissions serialized units in bounded batches: SGTIN (GTIN + serial of up to 20 letters
//! and digits), lot and expiry. Units are packed into cases and cases onto pallets
//! (SSCC-identified containers with bounded contents and depth, never in a cycle); shipping,
//! receiving and custody checks on a container apply to everything in it.
//!
//! Custody is an owner organization per unit. The owner ships to an active distributor or
//! pharmacy, whose member receives; a unit or container in transit cannot be shipped again,
//! and only the outermost container is shipped or received: an item inside a container moves
//! with it.
//!
//! Any member may verify a product identifier (the DSCSA verification router service): the
//! answer says whether the unit exists, who owns it, its status, lot and expiry, and whether it
//! is recalled or expired. A request about a unit is kept in a bounded ring per unit; one about
//! an unknown identifier (a likely counterfeit) is answered in the event alone and leaves no
//! state, so made-up identifiers cannot grow storage.
//!
//! A manufacturer recalls a lot of its own. A regulator or the owner quarantines a unit as
//! suspect; only a regulator, or the organization that quarantined it, lifts the quarantine,
//! and a regulator may take over a quarantine the owner placed. A regulator or the owner
//! declares a suspect unit illegitimate. While a unit is in transit its owner is the sender,
//! who may do neither: only a regulator quarantines or condemns goods on their way. Recalled, suspect, illegitimate, dispensed and expired
//! units cannot be shipped or dispensed.
//!
//! A pharmacy dispenses a unit it holds. Nothing on chain links the unit to a patient or a
//! prescription: the call carries a [`DispenseCommitment`] to the patient, the prescription and
//! the unit under 32 random bytes, which the pharmacy keeps and opens to the patient, a
//! regulator or an auditor ([`verify_dispense_opening`]); a fill of a prescription is spent as
//! a [`FillNullifier`], a hash keyed with the prescription's data key that the chain cannot
//! invert, and no nullifier is spent twice. The pharmacy checks the prescription off chain
//! (it exists, is current, is the patient's and was given to it, and has a fill left of
//! `MaxFillsPerPrescription`); SECURITY.md, "Privacy: dispensing", says why. Dispensing an
//! unknown identifier is refused (`UnknownUnit`: a likely counterfeit); presenting an already
//! dispensed one reports a likely counterfeit with `CounterfeitSuspected`.
//!
//! Every state change is a GS1 EPCIS 2.0 event ([`EventKind::epcis`]): commissioning,
//! packing and unpacking (`AggregationEvent`), shipping, receiving, dispensing, holding and
//! inspecting (`ObjectEvent`). Each item's history on chain keeps its first event and its
//! latest `MaxHistory - 1` in a ring, with the count of all its events in [`HistoryLength`]:
//! a history never fills up, so no sequence of events can make a unit unusable, and the full
//! record stays in the blocks' events. The `ProvenanceApi` runtime API returns a unit's
//! history, its lot's recall included.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::set_company_prefixes`]: the consortium's governance (`GovernanceOrigin`).
//! - [`Pallet::register_product`]: a member of an active manufacturer, for a GTIN under one of
//!   its company prefixes.
//! - [`Pallet::commission`], [`Pallet::recall_lot`]: a member of the product's manufacturer.
//! - [`Pallet::aggregate`], [`Pallet::disaggregate`], [`Pallet::ship`]: a member of the owner
//!   (a new container's SSCC not under another organization's company prefix).
//! - [`Pallet::receive`]: a member of the receiver.
//! - [`Pallet::verify_product`]: any member of an active organization.
//! - [`Pallet::mark_suspect`], [`Pallet::declare_illegitimate`]: a member of an active
//!   regulator or of the owner (of a regulator only while the unit is in transit).
//! - [`Pallet::clear_suspect`]: a member of an active regulator or of the organization that
//!   quarantined the unit.
//! - [`Pallet::dispense`]: a member of the pharmacy that holds the unit.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::{string::String, vec::Vec};
use carechain_primitives::{Membership, MembershipProvider, Moment, OrgId, OrgKind};

/// Milliseconds in a day.
pub use carechain_primitives::DAY_MS;

/// The deepest nesting of containers: units in cases, cases on pallets.
pub const MAX_LEVEL: u8 = 2;

/// Whether some item appears more than once.
fn has_repeats<I: Ord>(items: &[I]) -> bool {
	let mut sorted: Vec<&I> = items.iter().collect();
	sorted.sort();
	sorted.windows(2).any(|w| w[0] == w[1])
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{EnsureOrigin, Time},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;

	/// The in-code storage version. Still 0 after the hardening of issue 16: the new items
	/// start empty, and a history written before (at most `MaxHistory` events in slots 0 on)
	/// is a ring that has not yet turned, so no stored value changes meaning. 1 since issue
	/// 18: a dispensing event holds a commitment instead of the prescription, and fills are
	/// nullifiers instead of counts per prescription ([`crate::migrations::v1`] migrates).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the provenance pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry.
		type Registry: MembershipProvider<Self::AccountId>;
		/// Who records manufacturers' GS1 company prefixes: the consortium's governance, which
		/// admits the manufacturer and checks its GS1 licence (one regulator alone cannot).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// The most units commissioned in one call.
		#[pallet::constant]
		type MaxCommissionBatch: Get<u32>;
		/// The most items a container directly holds.
		#[pallet::constant]
		type MaxChildren: Get<u32>;
		/// The most items a container holds at any depth.
		#[pallet::constant]
		type MaxContents: Get<u32>;
		/// The most events kept in one unit's or container's history: its first, and the latest
		/// `MaxHistory - 1` in a ring. At least 2. It must not shrink without a migration of
		/// [`History`].
		#[pallet::constant]
		type MaxHistory: Get<u32>;
		/// How many recent verification requests are kept per unit.
		#[pallet::constant]
		type MaxVerificationLog: Get<u32>;
		/// The most GS1 company prefixes one manufacturer holds.
		#[pallet::constant]
		type MaxCompanyPrefixes: Get<u32>;
		/// The most units dispensed against one prescription (one version of a
		/// MedicationRequest record): its original fill and refills together, fills 0 to
		/// `MaxFillsPerPrescription - 1`, each spent once as a [`FillNullifier`]. At least 1.
		/// The chain cannot see which prescription or fill a nullifier is, so pharmacies read
		/// this bound and keep to it (SECURITY.md, "Privacy: dispensing").
		#[pallet::constant]
		type MaxFillsPerPrescription: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Registered products by GTIN.
	#[pallet::storage]
	pub type Products<T: Config> = StorageMap<_, Blake2_128Concat, Gtin, Product>;

	/// Lots of each product.
	#[pallet::storage]
	pub type Lots<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, Gtin, Blake2_128Concat, Lot, LotInfo>;

	/// Serialized units.
	#[pallet::storage]
	pub type Units<T: Config> = StorageMap<_, Blake2_128Concat, Sgtin, Unit>;

	/// Cases and pallets.
	#[pallet::storage]
	pub type Containers<T: Config> = StorageMap<_, Blake2_128Concat, Sscc, Container<T>>;

	/// Each unit's and container's supply events by slot: its first event in slot 0, the
	/// later ones in a ring over slots 1 to `MaxHistory - 1` ([`Pallet::history_slot`]).
	#[pallet::storage]
	pub type History<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, Epc, Twox64Concat, u32, SupplyEvent>;

	/// How many events each unit and container has had, including those the ring dropped.
	#[pallet::storage]
	pub type HistoryLength<T: Config> = StorageMap<_, Blake2_128Concat, Epc, u32, ValueQuery>;

	/// The most recent verification requests per identifier, in a ring of
	/// `MaxVerificationLog` slots.
	#[pallet::storage]
	pub type Verifications<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, Sgtin, Twox64Concat, u32, VerificationRecord>;

	/// How many verification requests each identifier has had.
	#[pallet::storage]
	pub type VerificationCount<T: Config> = StorageMap<_, Blake2_128Concat, Sgtin, u32, ValueQuery>;

	/// How many times each dispensed unit's identifier was presented again: likely copies.
	#[pallet::storage]
	pub type CounterfeitReports<T: Config> =
		StorageMap<_, Blake2_128Concat, Sgtin, u32, ValueQuery>;

	/// The organization that quarantined each suspect unit (a unit quarantined before this
	/// was kept has none: only a regulator clears it).
	#[pallet::storage]
	pub type Quarantines<T: Config> = StorageMap<_, Blake2_128Concat, Sgtin, OrgId>;

	/// The spent fills of prescriptions, each with the unit that filled it. A nullifier names
	/// no prescription: only those the patient gave the prescription can compute it.
	// Keyed by a caller-chosen hash: Blake2 keeps the trie balanced whatever the callers pick.
	#[pallet::storage]
	pub type FillNullifiers<T: Config> = StorageMap<_, Blake2_128Concat, FillNullifier, Sgtin>;

	/// Each dispensed unit's commitment to its patient and prescription, which the pharmacy
	/// opens off chain ([`verify_dispense_opening`]). Kept apart from the unit's history, whose
	/// ring could drop the dispensing event.
	#[pallet::storage]
	pub type DispenseCommitments<T: Config> =
		StorageMap<_, Blake2_128Concat, Sgtin, DispenseCommitment>;

	/// How many units each pharmacy dispensed each day (days since the Unix epoch): what a
	/// wellness program's fill reports are bounded by, without naming a unit or a patient.
	// Organization ids are assigned by the registry and days by the clock: `Twox64Concat`.
	#[pallet::storage]
	pub type DispensedPerDay<T: Config> =
		StorageDoubleMap<_, Twox64Concat, OrgId, Twox64Concat, Day, u32, ValueQuery>;

	/// Each manufacturer's GS1 company prefixes, as governance recorded them.
	// The registry assigns organization ids in admission order; callers cannot choose them.
	#[pallet::storage]
	pub type CompanyPrefixes<T: Config> = StorageMap<
		_,
		Twox64Concat,
		OrgId,
		BoundedVec<CompanyPrefix, T::MaxCompanyPrefixes>,
		ValueQuery,
	>;

	/// The manufacturer each GS1 company prefix is recorded for.
	#[pallet::storage]
	pub type PrefixLicensees<T: Config> = StorageMap<_, Blake2_128Concat, CompanyPrefix, OrgId>;

	/// Founding manufacturers' GS1 company prefixes.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Manufacturer organizations (by id, as the registry's genesis assigns them) with
		/// their GS1 company prefixes as digit strings, e.g. `(3, ["0614141"])`.
		pub company_prefixes: Vec<(OrgId, Vec<String>)>,
		#[serde(skip)]
		#[allow(missing_docs)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (org, prefixes) in &self.company_prefixes {
				let prefixes: Vec<CompanyPrefix> = prefixes
					.iter()
					.map(|p| CompanyPrefix::try_from(p.as_bytes().to_vec()).unwrap_or_default())
					.collect();
				let prefixes: BoundedVec<_, T::MaxCompanyPrefixes> = prefixes
					.try_into()
					.expect("genesis gives each manufacturer at most MaxCompanyPrefixes prefixes");
				if let Err(e) = Pallet::<T>::check_prefixes(*org, &prefixes) {
					panic!("genesis company prefixes of organization {org}: {e:?}");
				}
				Pallet::<T>::store_prefixes(*org, prefixes);
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxHistory::get() >= 2, "a history keeps its first event and a ring");
			assert!(T::MaxCommissionBatch::get() >= 1, "a batch commissions at least one unit");
			assert!(T::MaxChildren::get() >= 1, "a container holds at least one item");
			assert!(
				T::MaxContents::get() >= T::MaxChildren::get(),
				"a full case of units fits the contents bound"
			);
			assert!(T::MaxVerificationLog::get() >= 1, "the latest verification is kept");
			assert!(T::MaxCompanyPrefixes::get() >= 1, "a manufacturer holds a prefix");
			assert!(T::MaxFillsPerPrescription::get() >= 1, "a prescription is filled once");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance recorded a manufacturer's GS1 company prefixes (none: all removed).
		CompanyPrefixesSet {
			org: OrgId,
			prefixes: BoundedVec<CompanyPrefix, T::MaxCompanyPrefixes>,
		},
		/// A manufacturer registered a product.
		ProductRegistered { gtin: Gtin, manufacturer: OrgId },
		/// A manufacturer commissioned units of a lot (EPCIS ObjectEvent ADD, commissioning).
		UnitsCommissioned { gtin: Gtin, lot: Lot, expiry: Day, count: u32 },
		/// Items were packed into a container (EPCIS AggregationEvent ADD, packing).
		Aggregated { parent: Sscc, count: u32 },
		/// Items were unpacked from a container (EPCIS AggregationEvent DELETE, unpacking).
		Disaggregated { parent: Sscc, count: u32 },
		/// An owner shipped a unit or container with everything in it (shipping).
		Shipped { epc: Epc, from: OrgId, to: OrgId, items: u32 },
		/// The receiver took over a unit or container with everything in it (receiving).
		Received { epc: Epc, from: OrgId, by: OrgId, items: u32 },
		/// A member verified a product identifier.
		ProductVerified { sgtin: Sgtin, by: OrgId, verification: Verification },
		/// A manufacturer recalled a lot.
		LotRecalled { gtin: Gtin, lot: Lot, units: u32, reason: H256 },
		/// A unit was quarantined as suspect.
		MarkedSuspect { sgtin: Sgtin, by: OrgId, reason: H256 },
		/// A suspect unit was cleared: the quarantine is lifted.
		SuspicionCleared { sgtin: Sgtin, by: OrgId },
		/// A suspect unit was declared illegitimate.
		DeclaredIllegitimate { sgtin: Sgtin, by: OrgId },
		/// A pharmacy dispensed a unit, under its commitment to the patient and prescription.
		UnitDispensed { sgtin: Sgtin, pharmacy: OrgId, commitment: DispenseCommitment },
		/// A presented identifier is likely a counterfeit.
		CounterfeitSuspected { sgtin: Sgtin, reported_by: OrgId, sign: CounterfeitSign },
	}

	/// Errors of the provenance pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The signer is not a member of an active organization.
		NotMember,
		/// The signer is not a member of an active manufacturer.
		NotManufacturer,
		/// The signer is not a member of the product's manufacturer.
		NotProductManufacturer,
		/// The signer is not a member of an active pharmacy.
		NotPharmacy,
		/// The signer's organization does not own the unit or container.
		NotOwner,
		/// The signer is neither a regulator nor a member of the owner.
		NotOwnerOrRegulator,
		/// Only a member of an active regulator, or of the organization that quarantined the
		/// unit, may lift its quarantine.
		NotRegulatorOrQuarantiner,
		/// The signer's manufacturer has no GS1 company prefix on record: ask the consortium's
		/// governance to record the prefixes GS1 licensed to it.
		NoCompanyPrefix,
		/// The GTIN does not begin, after its indicator digit, with a GS1 company prefix of the
		/// signer's manufacturer (the longest recorded prefix it begins with is another's, or
		/// none is).
		GtinOutsideCompanyPrefix,
		/// A GS1 company prefix is not 4 to 12 ASCII digits.
		InvalidCompanyPrefix,
		/// More GS1 company prefixes than `MaxCompanyPrefixes` were given.
		TooManyCompanyPrefixes,
		/// The GS1 company prefix is recorded for another organization: remove it there first.
		CompanyPrefixTaken,
		/// Company prefixes are recorded only for an active manufacturer organization.
		NotManufacturerOrganization,
		/// The GTIN is not 14 digits with a valid GS1 check digit.
		InvalidGtin,
		/// The SSCC is not 18 digits with a valid GS1 check digit.
		InvalidSscc,
		/// The new container's SSCC lies under another organization's GS1 company prefix: a
		/// container takes an SSCC of the packer's own prefix (or of none recorded).
		SsccOutsideCompanyPrefix,
		/// A serial number is empty, longer than 20 characters, or not letters and digits.
		InvalidSerial,
		/// The lot number is empty, longer than 20 characters, or not letters and digits.
		InvalidLot,
		/// A product with that GTIN is registered already.
		ProductExists,
		/// No product has that GTIN.
		UnknownProduct,
		/// No lot of the product has that number.
		UnknownLot,
		/// The lot was commissioned before with another expiry date.
		LotExpiryMismatch,
		/// The expiry date has passed.
		ExpiryInPast,
		/// The batch has no serial numbers.
		EmptyBatch,
		/// The batch has more serial numbers than `MaxCommissionBatch`.
		BatchTooLarge,
		/// A unit with that serial number exists already, or the batch repeats it.
		AlreadyCommissioned,
		/// No unit has that identifier. Presented for dispensing, it is likely a counterfeit:
		/// quarantine the package and report it.
		UnknownUnit,
		/// No container has that SSCC.
		UnknownContainer,
		/// No children were given.
		NoChildren,
		/// The container would directly hold more than `MaxChildren` items.
		TooManyChildren,
		/// The container would hold more than `MaxContents` items in all.
		ContainerFull,
		/// Containers nest at most two deep (units in cases, cases on pallets).
		TooDeep,
		/// The item is packed in a container already; unpack it first.
		AlreadyPacked,
		/// The item is not in that container.
		NotInContainer,
		/// The container is itself inside another: pack and unpack from the outside in.
		ContainerNested,
		/// The item is inside a container: ship or receive the outermost container.
		InsideContainer,
		/// The same item appears twice.
		DuplicateItem,
		/// The unit or container is in transit.
		InTransit,
		/// The unit or container is not in transit to the signer's organization.
		NotInTransitToYou,
		/// The receiver is not an active distributor or pharmacy other than the owner.
		InvalidReceiver,
		/// The unit's lot was recalled.
		UnitRecalled,
		/// The unit is quarantined as suspect.
		UnitSuspect,
		/// The unit was declared illegitimate.
		UnitIllegitimate,
		/// The unit was dispensed.
		UnitDispensed,
		/// The unit is past its expiry date.
		UnitExpired,
		/// The lot was recalled already.
		AlreadyRecalled,
		/// Only an active unit can be marked suspect (or, by a regulator, one that another
		/// organization quarantined).
		NotActive,
		/// The unit is not suspect.
		NotSuspect,
		/// The dispense commitment is zero: compute it with `dispense_commitment` from the
		/// patient, the prescription, the unit and 32 fresh random bytes, and keep those to open
		/// it later.
		MissingCommitment,
		/// That fill of the prescription was dispensed already (its nullifier is spent): take
		/// the next fill below `MaxFillsPerPrescription`, or, when none is left, ask the
		/// prescriber for a new prescription.
		PrescriptionFillUsed,
		/// The unit is in transit: while it travels, only a regulator quarantines or condemns
		/// it. Its sender may report it to a regulator; its receiver may act once it has
		/// received it.
		InTransitRegulatorOnly,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a product.
		///
		/// The signer must be a member of an active manufacturer, and the GTIN must be the
		/// manufacturer's: the longest recorded GS1 company prefix it begins with, after its
		/// indicator digit, is one of the manufacturer's.
		///
		/// - `gtin`: the GTIN-14, with its GS1 mod-10 check digit.
		/// - `description_hash`: blake2b-256 of the product's description.
		///
		/// Emits `ProductRegistered`. O(1): at most 9 prefix lookups.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_product())]
		pub fn register_product(
			origin: OriginFor<T>,
			gtin: Gtin,
			description_hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let manufacturer = T::Registry::active_membership(&who)
				.filter(|m| m.kind == OrgKind::Manufacturer)
				.ok_or(Error::<T>::NotManufacturer)?
				.org;
			ensure!(has_gs1_check_digit(&gtin), Error::<T>::InvalidGtin);
			ensure!(CompanyPrefixes::<T>::contains_key(manufacturer), Error::<T>::NoCompanyPrefix);
			ensure!(
				Self::licensee(&gtin) == Some(manufacturer),
				Error::<T>::GtinOutsideCompanyPrefix
			);
			ensure!(!Products::<T>::contains_key(gtin), Error::<T>::ProductExists);

			Products::<T>::insert(
				gtin,
				Product { manufacturer, description_hash, registered_at: T::Time::now() },
			);
			Self::deposit_event(Event::ProductRegistered { gtin, manufacturer });
			Ok(())
		}

		/// Commissions serialized units of a lot.
		///
		/// The signer must be a member of the product's manufacturer.
		///
		/// - `gtin`: a registered product.
		/// - `lot`: the lot number; a lot commissioned before keeps its expiry date.
		/// - `expiry`: the expiry date, today or later.
		/// - `serials`: the units' serial numbers.
		///
		/// Emits `UnitsCommissioned`. O(n), n serials.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::commission(serials.len() as u32))]
		pub fn commission(
			origin: OriginFor<T>,
			gtin: Gtin,
			lot: Lot,
			expiry: Day,
			serials: Vec<Serial>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let manufacturer = Self::product_manufacturer(&who, &gtin)?;
			ensure!(is_alphanumeric(&lot), Error::<T>::InvalidLot);
			ensure!(expiry >= Self::today(), Error::<T>::ExpiryInPast);
			ensure!(!serials.is_empty(), Error::<T>::EmptyBatch);
			ensure!(
				serials.len() <= T::MaxCommissionBatch::get() as usize,
				Error::<T>::BatchTooLarge
			);
			let mut info = match Lots::<T>::get(gtin, &lot) {
				Some(info) => {
					ensure!(info.expiry == expiry, Error::<T>::LotExpiryMismatch);
					ensure!(info.recall.is_none(), Error::<T>::UnitRecalled);
					info
				}
				None => LotInfo { expiry, units: 0, recall: None },
			};
			ensure!(!has_repeats(&serials), Error::<T>::AlreadyCommissioned);
			for serial in &serials {
				ensure!(is_alphanumeric(serial), Error::<T>::InvalidSerial);
				let sgtin = Sgtin { gtin, serial: serial.clone() };
				ensure!(!Units::<T>::contains_key(&sgtin), Error::<T>::AlreadyCommissioned);
			}

			let now = T::Time::now();
			let count = serials.len() as u32;
			for serial in serials {
				let sgtin = Sgtin { gtin, serial };
				Units::<T>::insert(
					&sgtin,
					Unit {
						lot: lot.clone(),
						expiry,
						owner: manufacturer,
						in_transit_to: None,
						status: UnitStatus::Active,
						parent: None,
					},
				);
				Self::append_history(&Epc::Unit(sgtin), EventKind::Commissioned, manufacturer, now);
			}
			info.units = info.units.saturating_add(count);
			Lots::<T>::insert(gtin, &lot, info);
			Self::deposit_event(Event::UnitsCommissioned { gtin, lot, expiry, count });
			Ok(())
		}

		/// Packs units or cases into a case or pallet, creating it if its SSCC is new.
		///
		/// The signer must be a member of the organization that owns the container and every
		/// item; none may be in transit or packed elsewhere, and units must be active. Only an
		/// outermost container is packed into, and only unpacked items are packed, so
		/// containers never form a cycle.
		///
		/// - `parent`: the container's SSCC; it must not itself be inside another container. A
		///   new one must not lie under another organization's recorded company prefix, so no
		///   one squats a manufacturer's SSCCs.
		/// - `children`: the items to pack, at most `MaxChildren`, bounded before any is read.
		///
		/// Emits `Aggregated`. O(c), c children.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::aggregate(children.len() as u32))]
		pub fn aggregate(origin: OriginFor<T>, parent: Sscc, children: Vec<Epc>) -> DispatchResult {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			ensure!(has_gs1_check_digit(&parent), Error::<T>::InvalidSscc);
			ensure!(!children.is_empty(), Error::<T>::NoChildren);
			ensure!(children.len() <= T::MaxChildren::get() as usize, Error::<T>::TooManyChildren);
			let mut container = match Containers::<T>::get(parent) {
				Some(container) => container,
				None => {
					// After its extension digit, an SSCC begins with its issuer's company prefix.
					ensure!(
						parent.get(1..17).and_then(Self::prefix_holder).is_none_or(|h| h == org),
						Error::<T>::SsccOutsideCompanyPrefix
					);
					Container {
						owner: org,
						in_transit_to: None,
						parent: None,
						children: Default::default(),
						contents: 0,
						level: 1,
					}
				}
			};
			ensure!(container.owner == org, Error::<T>::NotOwner);
			ensure!(container.in_transit_to.is_none(), Error::<T>::InTransit);
			ensure!(container.parent.is_none(), Error::<T>::ContainerNested);
			ensure!(!has_repeats(&children), Error::<T>::DuplicateItem);

			let mut nodes = Vec::with_capacity(children.len());
			for child in &children {
				ensure!(*child != Epc::Container(parent), Error::<T>::ContainerNested);
				let node = Self::node(child)?;
				ensure!(node.owner() == org, Error::<T>::NotOwner);
				ensure!(node.in_transit_to().is_none(), Error::<T>::InTransit);
				ensure!(node.parent().is_none(), Error::<T>::AlreadyPacked);
				match &node {
					Node::Unit(unit) => {
						ensure!(unit.status == UnitStatus::Active, Error::<T>::NotActive)
					}
					Node::Container(inner) => {
						container.level = container.level.max(inner.level.saturating_add(1))
					}
				}
				container.contents = container.contents.saturating_add(node.size());
				nodes.push((child.clone(), node));
			}
			ensure!(container.level <= MAX_LEVEL, Error::<T>::TooDeep);
			ensure!(container.contents <= T::MaxContents::get(), Error::<T>::ContainerFull);
			container
				.children
				.try_extend(children.into_iter())
				.map_err(|_| Error::<T>::TooManyChildren)?;

			let now = T::Time::now();
			let count = nodes.len() as u32;
			for (epc, mut node) in nodes {
				node.set_parent(Some(parent));
				Self::store(&epc, node);
				Self::append_history(&epc, EventKind::Packed { parent }, org, now);
			}
			Containers::<T>::insert(parent, container);
			Self::deposit_event(Event::Aggregated { parent, count });
			Ok(())
		}

		/// Unpacks items from a container.
		///
		/// The signer must be a member of the organization that owns the container, which must
		/// not be in transit or inside another container.
		///
		/// - `parent`: the container.
		/// - `children`: the items to unpack, at most `MaxChildren`; empty unpacks everything.
		///
		/// Emits `Disaggregated`. O(c), c children of the container: charged for
		/// `MaxChildren`, refunded to the items unpacked.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::disaggregate(
			T::MaxChildren::get().max(children.len().try_into().unwrap_or(u32::MAX))
		))]
		pub fn disaggregate(
			origin: OriginFor<T>,
			parent: Sscc,
			children: Vec<Epc>,
		) -> DispatchResultWithPostInfo {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			let mut container = Containers::<T>::get(parent).ok_or(Error::<T>::UnknownContainer)?;
			ensure!(container.owner == org, Error::<T>::NotOwner);
			ensure!(container.in_transit_to.is_none(), Error::<T>::InTransit);
			ensure!(container.parent.is_none(), Error::<T>::ContainerNested);
			ensure!(children.len() <= T::MaxChildren::get() as usize, Error::<T>::TooManyChildren);
			let children = if children.is_empty() { container.children.to_vec() } else { children };
			ensure!(!has_repeats(&children), Error::<T>::DuplicateItem);

			let mut nodes = Vec::with_capacity(children.len());
			for child in &children {
				ensure!(container.children.contains(child), Error::<T>::NotInContainer);
				let node = Self::node(child)?;
				container.contents = container.contents.saturating_sub(node.size());
				nodes.push((child.clone(), node));
			}
			container.children.retain(|c| !children.contains(c));

			let now = T::Time::now();
			let count = nodes.len() as u32;
			for (epc, mut node) in nodes {
				node.set_parent(None);
				Self::store(&epc, node);
				Self::append_history(&epc, EventKind::Unpacked { parent }, org, now);
			}
			Containers::<T>::insert(parent, container);
			Self::deposit_event(Event::Disaggregated { parent, count });
			Ok(Some(T::WeightInfo::disaggregate(count)).into())
		}

		/// Ships a unit or container, with everything in it, to another organization.
		///
		/// The signer must be a member of the owner. The item must be outermost and not in
		/// transit, and every unit in it active, unrecalled and unexpired.
		///
		/// - `epc`: the unit or container.
		/// - `to`: an active distributor or pharmacy.
		///
		/// Emits `Shipped`. O(n), n items moved (the container and everything in it): charged
		/// for `MaxContents + 1`, refunded to n.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::ship(T::MaxContents::get().saturating_add(1)))]
		pub fn ship(origin: OriginFor<T>, epc: Epc, to: OrgId) -> DispatchResultWithPostInfo {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			let root = Self::node(&epc)?;
			ensure!(root.owner() == org, Error::<T>::NotOwner);
			ensure!(root.in_transit_to().is_none(), Error::<T>::InTransit);
			ensure!(root.parent().is_none(), Error::<T>::InsideContainer);
			ensure!(
				to != org
					&& matches!(
						T::Registry::active_organization_kind(to),
						Some(OrgKind::Distributor | OrgKind::Pharmacy)
					),
				Error::<T>::InvalidReceiver
			);
			let tree = Self::tree(epc.clone(), root)?;
			let today = Self::today();
			for (epc, node) in &tree {
				if let (Epc::Unit(sgtin), Node::Unit(unit)) = (epc, node) {
					Self::ensure_saleable(sgtin, unit, today)?;
				}
			}

			let now = T::Time::now();
			let items = tree.len() as u32;
			for (epc, mut node) in tree {
				node.set_in_transit_to(Some(to));
				Self::store(&epc, node);
				Self::append_history(&epc, EventKind::Shipped { to }, org, now);
			}
			Self::deposit_event(Event::Shipped { epc, from: org, to, items });
			Ok(Some(T::WeightInfo::ship(items)).into())
		}

		/// Receives a unit or container shipped to the signer's organization, which becomes
		/// the owner of it and everything in it.
		///
		/// The signer must be a member of the receiver. Only the outermost item shipped is
		/// received: an item inside a container changes hands only with its container.
		///
		/// - `epc`: the unit or container in transit.
		///
		/// Emits `Received`. O(n), n items moved: charged for `MaxContents + 1`, refunded to n.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::receive(T::MaxContents::get().saturating_add(1)))]
		pub fn receive(origin: OriginFor<T>, epc: Epc) -> DispatchResultWithPostInfo {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			let root = Self::node(&epc)?;
			ensure!(root.in_transit_to() == Some(org), Error::<T>::NotInTransitToYou);
			ensure!(root.parent().is_none(), Error::<T>::InsideContainer);
			let from = root.owner();
			let tree = Self::tree(epc.clone(), root)?;

			let now = T::Time::now();
			let items = tree.len() as u32;
			for (epc, mut node) in tree {
				node.set_in_transit_to(None);
				node.set_owner(org);
				Self::store(&epc, node);
				Self::append_history(&epc, EventKind::Received { from }, org, now);
			}
			Self::deposit_event(Event::Received { epc, from, by: org, items });
			Ok(Some(T::WeightInfo::receive(items)).into())
		}

		/// Verifies a product identifier: the answer, in `ProductVerified`, says whether the
		/// unit exists, who owns it, its status, lot and expiry, and whether it is recalled or
		/// expired. A request about a unit is recorded in its ring of `MaxVerificationLog`
		/// requests; one about an unknown identifier (`Verification::Unknown`, a likely
		/// counterfeit) is answered in the event only and writes nothing, so that made-up
		/// identifiers cannot grow storage.
		///
		/// The signer must be a member of an active organization.
		///
		/// - `sgtin`: the identifier read from the package.
		///
		/// Emits `ProductVerified`. O(1).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::verify_product())]
		pub fn verify_product(origin: OriginFor<T>, sgtin: Sgtin) -> DispatchResult {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			let verification = Self::verification(&sgtin);
			if verification == Verification::Unknown {
				Self::deposit_event(Event::ProductVerified { sgtin, by: org, verification });
				return Ok(());
			}

			let count = VerificationCount::<T>::get(&sgtin);
			let slot = count.checked_rem(T::MaxVerificationLog::get()).unwrap_or(0);
			Verifications::<T>::insert(
				&sgtin,
				slot,
				VerificationRecord {
					org,
					at: T::Time::now(),
					saleable: verification.is_saleable(),
				},
			);
			VerificationCount::<T>::insert(&sgtin, count.saturating_add(1));
			Self::deposit_event(Event::ProductVerified { sgtin, by: org, verification });
			Ok(())
		}

		/// Recalls a lot: none of its units may be shipped or dispensed any more.
		///
		/// The signer must be a member of the product's manufacturer: no other organization
		/// recalls its lots.
		///
		/// - `gtin`: the product.
		/// - `lot`: the lot.
		/// - `reason`: blake2b-256 of the recall notice.
		///
		/// Emits `LotRecalled`. O(1).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::recall_lot())]
		pub fn recall_lot(
			origin: OriginFor<T>,
			gtin: Gtin,
			lot: Lot,
			reason: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::product_manufacturer(&who, &gtin)?;
			let mut info = Lots::<T>::get(gtin, &lot).ok_or(Error::<T>::UnknownLot)?;
			ensure!(info.recall.is_none(), Error::<T>::AlreadyRecalled);

			info.recall = Some((T::Time::now(), reason));
			let units = info.units;
			Lots::<T>::insert(gtin, &lot, info);
			Self::deposit_event(Event::LotRecalled { gtin, lot, units, reason });
			Ok(())
		}

		/// Quarantines an active unit as suspect; the signer's organization holds the
		/// quarantine ([`Quarantines`]). A regulator may also take over the quarantine of a
		/// suspect unit that another organization holds, so that its owner cannot lift it.
		///
		/// The signer must be a member of an active regulator or of the unit's owner; while the
		/// unit is in transit, of a regulator only (the owner is then its sender).
		///
		/// - `sgtin`: the unit.
		/// - `reason`: blake2b-256 of the reason, kept off chain.
		///
		/// Emits `MarkedSuspect`. O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::mark_suspect())]
		pub fn mark_suspect(origin: OriginFor<T>, sgtin: Sgtin, reason: H256) -> DispatchResult {
			let (membership, unit) = Self::investigator(&ensure_signed(origin)?, &sgtin)?;
			let org = membership.org;
			let takes_over = unit.status == UnitStatus::Suspect
				&& membership.kind == OrgKind::Regulator
				&& Quarantines::<T>::get(&sgtin) != Some(org);
			ensure!(unit.status == UnitStatus::Active || takes_over, Error::<T>::NotActive);

			Quarantines::<T>::insert(&sgtin, org);
			Self::set_status(
				sgtin.clone(),
				unit,
				UnitStatus::Suspect,
				EventKind::MarkedSuspect { reason },
				org,
			);
			Self::deposit_event(Event::MarkedSuspect { sgtin, by: org, reason });
			Ok(())
		}

		/// Clears a suspect unit, which becomes active again: the quarantine is lifted.
		///
		/// The signer must be a member of an active regulator, or of the organization that
		/// quarantined the unit while it is active; the owner alone cannot lift a quarantine
		/// somebody else placed.
		///
		/// - `sgtin`: the suspect unit.
		///
		/// Emits `SuspicionCleared`. O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::clear_suspect())]
		pub fn clear_suspect(origin: OriginFor<T>, sgtin: Sgtin) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let membership = T::Registry::active_membership(&who).ok_or(Error::<T>::NotMember)?;
			let unit = Units::<T>::get(&sgtin).ok_or(Error::<T>::UnknownUnit)?;
			ensure!(
				membership.kind == OrgKind::Regulator
					|| Quarantines::<T>::get(&sgtin) == Some(membership.org),
				Error::<T>::NotRegulatorOrQuarantiner
			);
			ensure!(unit.status == UnitStatus::Suspect, Error::<T>::NotSuspect);

			let org = membership.org;
			Quarantines::<T>::remove(&sgtin);
			Self::set_status(sgtin.clone(), unit, UnitStatus::Active, EventKind::Cleared, org);
			Self::deposit_event(Event::SuspicionCleared { sgtin, by: org });
			Ok(())
		}

		/// Declares a suspect unit illegitimate: it can never be shipped or dispensed again.
		///
		/// The signer must be a member of an active regulator or of the unit's owner (which
		/// may condemn its own stock, never release it); while the unit is in transit, of a
		/// regulator only.
		///
		/// - `sgtin`: the suspect unit.
		///
		/// Emits `DeclaredIllegitimate`. O(1).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::declare_illegitimate())]
		pub fn declare_illegitimate(origin: OriginFor<T>, sgtin: Sgtin) -> DispatchResult {
			let (membership, unit) = Self::investigator(&ensure_signed(origin)?, &sgtin)?;
			ensure!(unit.status == UnitStatus::Suspect, Error::<T>::NotSuspect);
			let org = membership.org;
			Quarantines::<T>::remove(&sgtin);
			Self::set_status(
				sgtin.clone(),
				unit,
				UnitStatus::Illegitimate,
				EventKind::DeclaredIllegitimate,
				org,
			);
			Self::deposit_event(Event::DeclaredIllegitimate { sgtin, by: org });
			Ok(())
		}

		/// Dispenses a unit to a patient, unpacking it from its case if needed. An already
		/// dispensed identifier presented again is reported as a likely counterfeit copy
		/// (`CounterfeitSuspected`); an unknown one is refused with `UnknownUnit` and leaves
		/// no state.
		///
		/// The signer must be a member of the pharmacy that holds the unit. Neither the patient
		/// nor the prescription is an argument: block bodies are public. The pharmacy checks
		/// the prescription off chain (it exists, is the current version, is the patient's and
		/// was given to the pharmacy) and keeps the opening of its commitment.
		///
		/// - `sgtin`: the unit.
		/// - `commitment`: [`dispense_commitment`] of the patient, the prescription (if any),
		///   the unit and 32 fresh random bytes; not zero.
		/// - `fill`: when the unit fills a prescription, [`fill_nullifier`] of the lowest of
		///   its fills 0 to `MaxFillsPerPrescription - 1` not yet in [`FillNullifiers`]; each
		///   is spent once.
		///
		/// Emits `UnitDispensed` or `CounterfeitSuspected`. O(c), c items in its case: removing
		/// the unit from the case scans the case's children.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::dispense())]
		pub fn dispense(
			origin: OriginFor<T>,
			sgtin: Sgtin,
			commitment: DispenseCommitment,
			fill: Option<FillNullifier>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let pharmacy = T::Registry::active_membership(&who)
				.filter(|m| m.kind == OrgKind::Pharmacy)
				.ok_or(Error::<T>::NotPharmacy)?
				.org;
			let mut unit = Units::<T>::get(&sgtin).ok_or(Error::<T>::UnknownUnit)?;
			if unit.status == UnitStatus::Dispensed {
				Self::report_counterfeit(sgtin, pharmacy, CounterfeitSign::AlreadyDispensed);
				return Ok(());
			}
			ensure!(unit.owner == pharmacy, Error::<T>::NotOwner);
			ensure!(unit.in_transit_to.is_none(), Error::<T>::InTransit);
			Self::ensure_saleable(&sgtin, &unit, Self::today())?;
			// A zero commitment opens to nothing: the pharmacy could never show whom it
			// dispensed to, as DSCSA dispenser records must.
			ensure!(!commitment.is_zero(), Error::<T>::MissingCommitment);
			if let Some(nullifier) = &fill {
				ensure!(
					!FillNullifiers::<T>::contains_key(nullifier),
					Error::<T>::PrescriptionFillUsed
				);
			}
			// A unit in a case leaves it: the case, and the pallet the case is on, shrink.
			let packed = match unit.parent {
				Some(sscc) => {
					let case = Containers::<T>::get(sscc).ok_or(Error::<T>::UnknownContainer)?;
					let outer = match case.parent {
						Some(p) => {
							Some((p, Containers::<T>::get(p).ok_or(Error::<T>::UnknownContainer)?))
						}
						None => None,
					};
					Some((sscc, case, outer))
				}
				None => None,
			};

			let now = T::Time::now();
			let epc = Epc::Unit(sgtin.clone());
			if let Some((sscc, mut case, outer)) = packed {
				case.children.retain(|c| *c != epc);
				case.contents = case.contents.saturating_sub(1);
				Containers::<T>::insert(sscc, case);
				if let Some((p, mut pallet)) = outer {
					pallet.contents = pallet.contents.saturating_sub(1);
					Containers::<T>::insert(p, pallet);
				}
				Self::append_history(&epc, EventKind::Unpacked { parent: sscc }, pharmacy, now);
			}
			if let Some(nullifier) = fill {
				FillNullifiers::<T>::insert(nullifier, &sgtin);
			}
			DispenseCommitments::<T>::insert(&sgtin, commitment);
			DispensedPerDay::<T>::mutate(pharmacy, Self::today(), |n| *n = n.saturating_add(1));
			unit.parent = None;
			unit.status = UnitStatus::Dispensed;
			Units::<T>::insert(&sgtin, unit);
			Self::append_history(&epc, EventKind::Dispensed { commitment }, pharmacy, now);
			Self::deposit_event(Event::UnitDispensed { sgtin, pharmacy, commitment });
			Ok(())
		}

		/// Records the GS1 company prefixes licensed to a manufacturer, replacing those
		/// recorded before; an empty list removes them all. Products registered before stay.
		///
		/// The origin must be `GovernanceOrigin`: the consortium's governance checks the GS1
		/// licence, as it checks the manufacturer's credentials on admission.
		///
		/// - `org`: an active manufacturer (any organization when `prefixes` is empty).
		/// - `prefixes`: at most `MaxCompanyPrefixes` prefixes of 4 to 12 ASCII digits, none
		///   recorded for another organization.
		///
		/// Emits `CompanyPrefixesSet`. O(p + q), p prefixes recorded before and q given:
		/// charged for `MaxCompanyPrefixes` of each, refunded to the actual counts.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::set_company_prefixes(
			T::MaxCompanyPrefixes::get(),
			T::MaxCompanyPrefixes::get(),
		))]
		pub fn set_company_prefixes(
			origin: OriginFor<T>,
			org: OrgId,
			prefixes: Vec<CompanyPrefix>,
		) -> DispatchResultWithPostInfo {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(
				prefixes.len() <= T::MaxCompanyPrefixes::get() as usize,
				Error::<T>::TooManyCompanyPrefixes
			);
			let prefixes: BoundedVec<_, T::MaxCompanyPrefixes> =
				prefixes.try_into().map_err(|_| Error::<T>::TooManyCompanyPrefixes)?;
			Self::check_prefixes(org, &prefixes)?;

			let removed = CompanyPrefixes::<T>::decode_len(org).unwrap_or(0) as u32;
			let added = prefixes.len() as u32;
			Self::store_prefixes(org, prefixes.clone());
			Self::deposit_event(Event::CompanyPrefixesSet { org, prefixes });
			Ok(Some(T::WeightInfo::set_company_prefixes(removed, added)).into())
		}
	}

	/// A unit or a container, as read from storage.
	pub(crate) enum Node<T: Config> {
		Unit(Unit),
		Container(Container<T>),
	}

	impl<T: Config> Node<T> {
		fn owner(&self) -> OrgId {
			match self {
				Node::Unit(u) => u.owner,
				Node::Container(c) => c.owner,
			}
		}

		fn in_transit_to(&self) -> Option<OrgId> {
			match self {
				Node::Unit(u) => u.in_transit_to,
				Node::Container(c) => c.in_transit_to,
			}
		}

		fn parent(&self) -> Option<Sscc> {
			match self {
				Node::Unit(u) => u.parent,
				Node::Container(c) => c.parent,
			}
		}

		/// How many items it counts for in a container: itself and its contents.
		fn size(&self) -> u32 {
			match self {
				Node::Unit(_) => 1,
				Node::Container(c) => c.contents.saturating_add(1),
			}
		}

		fn set_owner(&mut self, owner: OrgId) {
			match self {
				Node::Unit(u) => u.owner = owner,
				Node::Container(c) => c.owner = owner,
			}
		}

		fn set_in_transit_to(&mut self, to: Option<OrgId>) {
			match self {
				Node::Unit(u) => u.in_transit_to = to,
				Node::Container(c) => c.in_transit_to = to,
			}
		}

		fn set_parent(&mut self, parent: Option<Sscc>) {
			match self {
				Node::Unit(u) => u.parent = parent,
				Node::Container(c) => c.parent = parent,
			}
		}
	}

	impl<T: Config> Pallet<T> {
		/// Today, in days since the Unix epoch.
		fn today() -> Day {
			carechain_primitives::day_of(T::Time::now())
		}

		fn member_org(who: &T::AccountId) -> Result<OrgId, Error<T>> {
			T::Registry::active_membership(who).map(|m| m.org).ok_or(Error::<T>::NotMember)
		}

		/// The product's manufacturer, when the signer belongs to it.
		fn product_manufacturer(who: &T::AccountId, gtin: &Gtin) -> Result<OrgId, Error<T>> {
			let product = Products::<T>::get(gtin).ok_or(Error::<T>::UnknownProduct)?;
			ensure!(
				T::Registry::active_membership(who).is_some_and(|m| m.org == product.manufacturer),
				Error::<T>::NotProductManufacturer
			);
			Ok(product.manufacturer)
		}

		/// The signer's membership and the unit, when the signer is a member of an active
		/// regulator or of the owner.
		fn investigator(who: &T::AccountId, sgtin: &Sgtin) -> Result<(Membership, Unit), Error<T>> {
			let membership = T::Registry::active_membership(who).ok_or(Error::<T>::NotMember)?;
			let unit = Units::<T>::get(sgtin).ok_or(Error::<T>::UnknownUnit)?;
			let regulator = membership.kind == OrgKind::Regulator;
			ensure!(regulator || membership.org == unit.owner, Error::<T>::NotOwnerOrRegulator);
			// The owner of a unit in transit is its sender, who has sold it: quarantining or
			// condemning it on the way would hold back goods the receiver is taking over.
			ensure!(regulator || unit.in_transit_to.is_none(), Error::<T>::InTransitRegulatorOnly);
			Ok((membership, unit))
		}

		fn set_status(
			sgtin: Sgtin,
			mut unit: Unit,
			status: UnitStatus,
			kind: EventKind,
			org: OrgId,
		) {
			unit.status = status;
			Units::<T>::insert(&sgtin, unit);
			Self::append_history(&Epc::Unit(sgtin), kind, org, T::Time::now());
		}

		fn node(epc: &Epc) -> Result<Node<T>, Error<T>> {
			match epc {
				Epc::Unit(sgtin) => {
					Units::<T>::get(sgtin).map(Node::Unit).ok_or(Error::<T>::UnknownUnit)
				}
				Epc::Container(sscc) => Containers::<T>::get(sscc)
					.map(Node::Container)
					.ok_or(Error::<T>::UnknownContainer),
			}
		}

		fn store(epc: &Epc, node: Node<T>) {
			match (epc, node) {
				(Epc::Unit(sgtin), Node::Unit(unit)) => Units::<T>::insert(sgtin, unit),
				(Epc::Container(sscc), Node::Container(c)) => Containers::<T>::insert(sscc, c),
				_ => {}
			}
		}

		/// The item and everything inside it, outermost first: at most `MaxContents + 1`
		/// items, as containers nest at most `MAX_LEVEL` deep and never in a cycle.
		fn tree(epc: Epc, root: Node<T>) -> Result<Vec<(Epc, Node<T>)>, Error<T>> {
			let mut tree = Vec::new();
			tree.push((epc, root));
			let mut next = 0;
			while let Some((_, node)) = tree.get(next) {
				if let Node::Container(container) = node {
					for child in container.children.clone() {
						let node = Self::node(&child)?;
						tree.push((child, node));
					}
				}
				next = next.saturating_add(1);
			}
			Ok(tree)
		}

		/// The storage slot of an item's `index`th event (from 0): the first event keeps slot
		/// 0; later ones turn in a ring over slots 1 to `MaxHistory - 1`, the newest replacing
		/// the oldest but the first.
		pub fn history_slot(index: u32) -> u32 {
			let ring = T::MaxHistory::get().saturating_sub(1).max(1);
			match index.checked_sub(1) {
				None => 0,
				Some(later) => later.checked_rem(ring).unwrap_or(0).saturating_add(1),
			}
		}

		/// Appends an event to an item's history. It never fails: a full ring drops its oldest
		/// event, so no number of events makes an item unusable.
		fn append_history(epc: &Epc, kind: EventKind, org: OrgId, at: Moment) {
			let index = HistoryLength::<T>::get(epc);
			History::<T>::insert(epc, Self::history_slot(index), SupplyEvent { kind, org, at });
			HistoryLength::<T>::insert(epc, index.saturating_add(1));
		}

		fn ensure_saleable(sgtin: &Sgtin, unit: &Unit, today: Day) -> Result<(), Error<T>> {
			match unit.status {
				UnitStatus::Active => {}
				UnitStatus::Suspect => return Err(Error::<T>::UnitSuspect),
				UnitStatus::Illegitimate => return Err(Error::<T>::UnitIllegitimate),
				UnitStatus::Dispensed => return Err(Error::<T>::UnitDispensed),
			}
			ensure!(!Self::is_recalled(sgtin, unit), Error::<T>::UnitRecalled);
			ensure!(unit.expiry >= today, Error::<T>::UnitExpired);
			Ok(())
		}

		/// Records a copy of a dispensed unit presented at a pharmacy: counted, announced, and
		/// noted in the unit's history the first time only, so that no pharmacy can push the
		/// unit's custody events out of the ring by presenting it again and again.
		fn report_counterfeit(sgtin: Sgtin, pharmacy: OrgId, sign: CounterfeitSign) {
			let reports = CounterfeitReports::<T>::get(&sgtin);
			CounterfeitReports::<T>::insert(&sgtin, reports.saturating_add(1));
			if reports == 0 {
				let kind = EventKind::CounterfeitReported;
				Self::append_history(&Epc::Unit(sgtin.clone()), kind, pharmacy, T::Time::now());
			}
			Self::deposit_event(Event::CounterfeitSuspected { sgtin, reported_by: pharmacy, sign });
		}

		/// The manufacturer a GTIN belongs to: the one holding the longest recorded GS1 company
		/// prefix that the GTIN begins with after its indicator digit. GS1 prefixes are
		/// prefix-free, so at most one matches while governance records them faithfully.
		fn licensee(gtin: &Gtin) -> Option<OrgId> {
			Self::prefix_holder(gtin.get(1..13)?)
		}

		/// The organization holding the longest recorded company prefix `digits` begin with.
		fn prefix_holder(digits: &[u8]) -> Option<OrgId> {
			(MIN_COMPANY_PREFIX_LEN..=MAX_COMPANY_PREFIX_LEN).rev().find_map(|len| {
				let prefix = CompanyPrefix::try_from(digits.get(..len as usize)?.to_vec()).ok()?;
				PrefixLicensees::<T>::get(prefix)
			})
		}

		/// Checks prefixes to record for `org`: an active manufacturer's (unless none), each
		/// 4 to 12 digits, none repeated or recorded for another organization.
		pub(crate) fn check_prefixes(
			org: OrgId,
			prefixes: &[CompanyPrefix],
		) -> Result<(), Error<T>> {
			if prefixes.is_empty() {
				return Ok(());
			}
			ensure!(
				T::Registry::active_organization_kind(org) == Some(OrgKind::Manufacturer),
				Error::<T>::NotManufacturerOrganization
			);
			ensure!(
				prefixes.iter().all(|p| is_company_prefix(p)),
				Error::<T>::InvalidCompanyPrefix
			);
			ensure!(!has_repeats(prefixes), Error::<T>::DuplicateItem);
			for prefix in prefixes {
				ensure!(
					PrefixLicensees::<T>::get(prefix).is_none_or(|holder| holder == org),
					Error::<T>::CompanyPrefixTaken
				);
			}
			Ok(())
		}

		/// Replaces `org`'s recorded prefixes and their index.
		pub(crate) fn store_prefixes(
			org: OrgId,
			prefixes: BoundedVec<CompanyPrefix, T::MaxCompanyPrefixes>,
		) {
			for old in CompanyPrefixes::<T>::take(org) {
				PrefixLicensees::<T>::remove(old);
			}
			for prefix in &prefixes {
				PrefixLicensees::<T>::insert(prefix, org);
			}
			if !prefixes.is_empty() {
				CompanyPrefixes::<T>::insert(org, prefixes);
			}
		}

		/// Whether the unit's lot was recalled.
		fn is_recalled(sgtin: &Sgtin, unit: &Unit) -> bool {
			Lots::<T>::get(sgtin.gtin, &unit.lot).is_some_and(|lot| lot.recall.is_some())
		}

		/// Whether `opening` opens the commitment stored for the dispensed unit `sgtin`: false
		/// for a unit not dispensed under a commitment, or an opening with the wrong patient,
		/// prescription or random bytes. It reads only the stored commitment: an auditor runs
		/// it (or `client-js`'s `verifyDispense`) where the opening is, and no runtime API takes
		/// an opening, so that none is ever sent to a node.
		pub fn verify_dispense_opening(
			sgtin: &Sgtin,
			opening: &DispenseOpening<T::AccountId>,
		) -> bool {
			DispenseCommitments::<T>::get(sgtin)
				.is_some_and(|commitment| verify_dispense_opening(&commitment, sgtin, opening))
		}

		/// The verification router's answer about an identifier.
		pub fn verification(sgtin: &Sgtin) -> Verification {
			let Some(unit) = Units::<T>::get(sgtin) else { return Verification::Unknown };
			let recalled = Self::is_recalled(sgtin, &unit);
			Verification::Known {
				owner: unit.owner,
				status: unit.status,
				in_transit: unit.in_transit_to.is_some(),
				expired: unit.expiry < Self::today(),
				lot: unit.lot,
				expiry: unit.expiry,
				recalled,
			}
		}

		/// An item's supply events kept on chain, in time order: its first event and its latest
		/// `MaxHistory - 1` ([`HistoryLength`] counts them all); a unit's include its lot's
		/// recall.
		pub fn history(epc: &Epc) -> Vec<SupplyEvent> {
			let length = HistoryLength::<T>::get(epc);
			let kept_after_first = T::MaxHistory::get().saturating_sub(1);
			let latest = length.saturating_sub(kept_after_first).max(1)..length;
			let mut events: Vec<_> = core::iter::once(0)
				.filter(|_| length > 0)
				.chain(latest)
				.filter_map(|i| History::<T>::get(epc, Self::history_slot(i)))
				.collect();
			if let Epc::Unit(sgtin) = epc {
				let recall = Units::<T>::get(sgtin)
					.and_then(|unit| Lots::<T>::get(sgtin.gtin, unit.lot))
					.and_then(|lot| lot.recall);
				let manufacturer = Products::<T>::get(sgtin.gtin).map(|p| p.manufacturer);
				if let (Some((at, reason)), Some(org)) = (recall, manufacturer) {
					let position = events.partition_point(|e| e.at <= at);
					events.insert(
						position,
						SupplyEvent { kind: EventKind::Recalled { reason }, org, at },
					);
				}
			}
			events
		}

		/// Checks the pallet's invariants: every unit belongs to a registered product and a
		/// lot that counts it; each packed item and its container point at each other and
		/// agree on owner and transit, so one owner holds a unit and everything in a
		/// container; contents counts match, levels stay within `MAX_LEVEL` and no container
		/// is inside itself; dispensed units are loose; histories hold their first and latest
		/// events in their slots; verification rings, counterfeit reports and quarantines
		/// concern existing units only; dispense commitments and spent fills name dispensed
		/// units, each unit spending at most one fill; company prefixes and their index agree
		/// both ways.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;

			let mut lot_units: BTreeMap<(Gtin, Lot), u32> = BTreeMap::new();
			for (sgtin, unit) in Units::<T>::iter() {
				ensure!(Products::<T>::contains_key(sgtin.gtin), "a unit has no product");
				let lot = Lots::<T>::get(sgtin.gtin, &unit.lot).ok_or("a unit has no lot")?;
				ensure!(lot.expiry == unit.expiry, "a unit's expiry differs from its lot's");
				let count = lot_units.entry((sgtin.gtin, unit.lot.clone())).or_default();
				*count = count.saturating_add(1);
				let epc = Epc::Unit(sgtin.clone());
				if let Some(sscc) = unit.parent {
					let case = Containers::<T>::get(sscc).ok_or("a unit's case is missing")?;
					ensure!(case.children.contains(&epc), "a unit's case does not hold it");
					ensure!(case.owner == unit.owner, "a unit and its case have two owners");
					ensure!(
						case.in_transit_to == unit.in_transit_to,
						"a unit travels apart from its case"
					);
				}
				if unit.status == UnitStatus::Dispensed {
					ensure!(unit.parent.is_none(), "a dispensed unit is still packed");
					ensure!(unit.in_transit_to.is_none(), "a dispensed unit is in transit");
				}
				ensure!(HistoryLength::<T>::get(&epc) > 0, "a unit has no history");
			}
			for ((gtin, lot), info) in Lots::<T>::iter().map(|(g, l, i)| ((g, l), i)) {
				ensure!(
					lot_units.get(&(gtin, lot)).copied().unwrap_or(0) == info.units,
					"a lot's unit count differs from its units"
				);
			}

			for (sscc, container) in Containers::<T>::iter() {
				ensure!(!has_repeats(&container.children), "a container holds an item twice");
				ensure!((1..=MAX_LEVEL).contains(&container.level), "a container nests too deep");
				ensure!(
					container.contents <= T::MaxContents::get(),
					"a container holds more than MaxContents"
				);
				let mut contents = 0u32;
				for child in &container.children {
					let node = Self::node(child).map_err(|_| "a container's item is missing")?;
					ensure!(node.parent() == Some(sscc), "an item does not point to its container");
					ensure!(
						node.owner() == container.owner,
						"an item and its container have two owners"
					);
					ensure!(
						node.in_transit_to() == container.in_transit_to,
						"an item travels apart from its container"
					);
					if let Node::Container(inner) = &node {
						ensure!(
							inner.level < container.level,
							"a container is not above its contents"
						);
					}
					contents = contents.saturating_add(node.size());
				}
				ensure!(contents == container.contents, "a container's contents count is wrong");
				if let Some(p) = container.parent {
					let outer = Containers::<T>::get(p).ok_or("a container's pallet is missing")?;
					ensure!(
						outer.children.contains(&Epc::Container(sscc)),
						"a container's pallet does not hold it"
					);
				}
				// Following parents from any container ends within MAX_LEVEL steps: no cycle.
				let mut above = container.parent;
				let mut steps = 0u8;
				while let Some(p) = above {
					ensure!(p != sscc && steps < MAX_LEVEL, "containers nest in a cycle");
					above = Containers::<T>::get(p).and_then(|c| c.parent);
					steps = steps.saturating_add(1);
				}
			}

			let max_history = T::MaxHistory::get();
			let mut kept: BTreeMap<Epc, u32> = BTreeMap::new();
			for (epc, slot, _) in History::<T>::iter() {
				ensure!(slot < max_history, "a history slot is past MaxHistory");
				ensure!(slot < HistoryLength::<T>::get(&epc), "a history slot was never written");
				let count = kept.entry(epc).or_default();
				*count = count.saturating_add(1);
			}
			for (epc, length) in HistoryLength::<T>::iter() {
				ensure!(
					kept.get(&epc).copied().unwrap_or(0) == length.min(max_history),
					"a history misses events it should keep"
				);
				let exists = match &epc {
					Epc::Unit(sgtin) => Units::<T>::contains_key(sgtin),
					Epc::Container(sscc) => Containers::<T>::contains_key(sscc),
				};
				ensure!(exists, "a history belongs to no item");
			}

			let max_log = T::MaxVerificationLog::get();
			let mut logged: BTreeMap<Sgtin, u32> = BTreeMap::new();
			for (sgtin, slot, _) in Verifications::<T>::iter() {
				ensure!(slot < max_log, "a verification slot is past MaxVerificationLog");
				let count = logged.entry(sgtin).or_default();
				*count = count.saturating_add(1);
			}
			for (sgtin, requests) in VerificationCount::<T>::iter() {
				ensure!(Units::<T>::contains_key(&sgtin), "verifications kept for no unit");
				ensure!(
					logged.remove(&sgtin).unwrap_or(0) == requests.min(max_log),
					"a verification ring misses requests"
				);
			}
			ensure!(logged.is_empty(), "verifications kept without a count");
			for (sgtin, _) in CounterfeitReports::<T>::iter() {
				ensure!(
					Units::<T>::get(&sgtin).is_some_and(|u| u.status == UnitStatus::Dispensed),
					"a counterfeit report names no dispensed unit"
				);
			}
			for (sgtin, _) in Quarantines::<T>::iter() {
				ensure!(
					Units::<T>::get(&sgtin).is_some_and(|u| u.status == UnitStatus::Suspect),
					"a quarantine holds a unit that is not suspect"
				);
			}

			for (sgtin, commitment) in DispenseCommitments::<T>::iter() {
				ensure!(!commitment.is_zero(), "a dispense commitment is zero");
				ensure!(
					Units::<T>::get(&sgtin).is_some_and(|u| u.status == UnitStatus::Dispensed),
					"a dispense commitment names no dispensed unit"
				);
			}
			let mut filled: alloc::collections::btree_set::BTreeSet<Sgtin> = Default::default();
			for (_, sgtin) in FillNullifiers::<T>::iter() {
				ensure!(
					DispenseCommitments::<T>::contains_key(&sgtin),
					"a spent fill names a unit dispensed without a commitment"
				);
				ensure!(filled.insert(sgtin), "one unit spent two fills");
			}

			for (org, prefixes) in CompanyPrefixes::<T>::iter() {
				ensure!(!prefixes.is_empty(), "an empty prefix list is kept");
				for prefix in &prefixes {
					ensure!(is_company_prefix(prefix), "a recorded prefix is not 4 to 12 digits");
					ensure!(
						PrefixLicensees::<T>::get(prefix) == Some(org),
						"a prefix is not indexed to its manufacturer"
					);
				}
			}
			for (prefix, org) in PrefixLicensees::<T>::iter() {
				ensure!(
					CompanyPrefixes::<T>::get(org).contains(&prefix),
					"an indexed prefix is not its manufacturer's"
				);
			}
			Ok(())
		}
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of the supply chain, for the node and wallets.
	pub trait ProvenanceApi {
		/// The verification router's answer about a product identifier, without recording it.
		fn verify_product(sgtin: Sgtin) -> Verification;
		/// A unit's or container's supply events in time order (GS1 EPCIS events).
		fn history(epc: Epc) -> Vec<SupplyEvent>;
	}
}

impl<T: Config> carechain_primitives::wellness::DispensingCounts for Pallet<T> {
	fn dispensed_on(org: OrgId, day: u32) -> u32 {
		DispensedPerDay::<T>::get(org, day)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_dispensed_for_benchmark(org: OrgId, day: u32, count: u32) {
		DispensedPerDay::<T>::insert(org, day, count);
	}
}
