//! # Provenance Pallet
//!
//! Drug traceability as the US DSCSA and GS1 EPCIS define it: serialized units, one owner per
//! unit, verification, recall, quarantine and dispensing, with counterfeits caught.
//!
//! ## Overview
//!
//! A licensed manufacturer registers a product under its GTIN-14 (which carries a US NDC) and
//! commissions serialized units in bounded batches: SGTIN (GTIN + serial of up to 20 letters and
//! digits), lot and expiry. Units are packed into cases and cases onto pallets (SSCC-identified
//! containers with bounded contents and depth); shipping, receiving and custody checks on a
//! container apply to everything in it.
//!
//! Custody is an owner organization per unit. The owner ships to an active distributor or
//! pharmacy, whose member receives; a unit or container in transit cannot be shipped again,
//! and only the outermost container is shipped.
//!
//! Any member may verify a product identifier (the DSCSA verification router service): the
//! answer says whether the unit exists, who owns it, its status, lot and expiry, and whether it
//! is recalled or expired; each request is recorded. A manufacturer recalls a lot; a regulator
//! or the owner marks a unit suspect, then clears it or declares it illegitimate. Recalled,
//! suspect, illegitimate, dispensed and expired units cannot be shipped or dispensed.
//!
//! A pharmacy dispenses a unit it holds, optionally linking the MedicationRequest record it
//! fills (no patient is named on chain). Dispensing an unknown or already dispensed identifier
//! does not fail: it reports a likely counterfeit with `CounterfeitSuspected`.
//!
//! Every state change is a GS1 EPCIS 2.0 event ([`EventKind::epcis`]): commissioning,
//! packing and unpacking (`AggregationEvent`), shipping, receiving, dispensing, holding and
//! inspecting (`ObjectEvent`). The `ProvenanceApi` runtime API returns a unit's full history,
//! its lot's recall included.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::register_product`], [`Pallet::commission`], [`Pallet::recall_lot`]: a member of
//!   the manufacturer.
//! - [`Pallet::aggregate`], [`Pallet::disaggregate`], [`Pallet::ship`]: a member of the owner.
//! - [`Pallet::receive`]: a member of the receiver.
//! - [`Pallet::verify_product`]: any member of an active organization.
//! - [`Pallet::mark_suspect`], [`Pallet::clear_suspect`], [`Pallet::declare_illegitimate`]: a
//!   member of a regulator or of the owner.
//! - [`Pallet::dispense`]: a member of the pharmacy that holds the unit.

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
	FhirResourceType, MembershipProvider, Moment, OrgId, OrgKind, RecordId, RecordLookup,
};

/// Milliseconds in a day.
pub const DAY_MS: Moment = 24 * 60 * 60 * 1000;

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
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the provenance pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry.
		type Registry: MembershipProvider<Self::AccountId>;
		/// The record index, to check linked prescriptions.
		type Records: RecordLookup<Self::AccountId>;
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
		/// The most events in one unit's or container's history.
		#[pallet::constant]
		type MaxHistory: Get<u32>;
		/// How many recent verification requests are kept per unit.
		#[pallet::constant]
		type MaxVerificationLog: Get<u32>;
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

	/// Each unit's and container's supply events, in order.
	#[pallet::storage]
	pub type History<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, Epc, Twox64Concat, u32, SupplyEvent>;

	/// How many events each history holds.
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

	/// How many times each identifier was presented as a likely counterfeit.
	#[pallet::storage]
	pub type CounterfeitReports<T: Config> =
		StorageMap<_, Blake2_128Concat, Sgtin, u32, ValueQuery>;

	// Event fields are named for what they hold; the variant docs say what happened.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
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
		/// A suspect unit was cleared.
		SuspicionCleared { sgtin: Sgtin, by: OrgId },
		/// A suspect unit was declared illegitimate.
		DeclaredIllegitimate { sgtin: Sgtin, by: OrgId },
		/// A pharmacy dispensed a unit.
		UnitDispensed { sgtin: Sgtin, pharmacy: OrgId, prescription: Option<RecordId> },
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
		/// The GTIN is not 14 digits with a valid GS1 check digit.
		InvalidGtin,
		/// The SSCC is not 18 digits with a valid GS1 check digit.
		InvalidSscc,
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
		/// No unit has that identifier.
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
		/// Only an active unit can be marked suspect.
		NotActive,
		/// The unit is not suspect.
		NotSuspect,
		/// The linked prescription is not an existing, unerased MedicationRequest record.
		BadPrescription,
		/// A history holds `MaxHistory` events already.
		HistoryFull,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a product.
		///
		/// The signer must be a member of an active manufacturer.
		///
		/// - `gtin`: the GTIN-14, with its check digit.
		/// - `description_hash`: blake2b-256 of the product's description.
		///
		/// Emits `ProductRegistered`. O(1).
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
				Self::append_history(
					&Epc::Unit(sgtin),
					0,
					EventKind::Commissioned,
					manufacturer,
					now,
				);
			}
			info.units = info.units.saturating_add(count);
			Lots::<T>::insert(gtin, &lot, info);
			Self::deposit_event(Event::UnitsCommissioned { gtin, lot, expiry, count });
			Ok(())
		}

		/// Packs units or cases into a case or pallet, creating it if its SSCC is new.
		///
		/// The signer must be a member of the organization that owns the container and every
		/// item; none may be in transit or packed elsewhere, and units must be active.
		///
		/// - `parent`: the container's SSCC; it must not itself be inside another container.
		/// - `children`: the items to pack.
		///
		/// Emits `Aggregated`. O(c), c children.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::aggregate(children.len() as u32))]
		pub fn aggregate(origin: OriginFor<T>, parent: Sscc, children: Vec<Epc>) -> DispatchResult {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			ensure!(has_gs1_check_digit(&parent), Error::<T>::InvalidSscc);
			ensure!(!children.is_empty(), Error::<T>::NoChildren);
			ensure!(children.len() <= T::MaxChildren::get() as usize, Error::<T>::TooManyChildren);
			let mut container = Containers::<T>::get(parent).unwrap_or(Container {
				owner: org,
				in_transit_to: None,
				parent: None,
				children: Default::default(),
				contents: 0,
				level: 1,
			});
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
				nodes.push((child.clone(), node, Self::history_slot(child)?));
			}
			ensure!(container.level <= MAX_LEVEL, Error::<T>::TooDeep);
			ensure!(container.contents <= T::MaxContents::get(), Error::<T>::ContainerFull);
			container
				.children
				.try_extend(children.into_iter())
				.map_err(|_| Error::<T>::TooManyChildren)?;

			let now = T::Time::now();
			let count = nodes.len() as u32;
			for (epc, mut node, slot) in nodes {
				node.set_parent(Some(parent));
				Self::store(&epc, node);
				Self::append_history(&epc, slot, EventKind::Packed { parent }, org, now);
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
		/// - `children`: the items to unpack; empty unpacks everything.
		///
		/// Emits `Disaggregated`. O(c), c children of the container.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::disaggregate(T::MaxChildren::get()))]
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
			let children = if children.is_empty() { container.children.to_vec() } else { children };
			ensure!(!has_repeats(&children), Error::<T>::DuplicateItem);

			let mut nodes = Vec::with_capacity(children.len());
			for child in &children {
				ensure!(container.children.contains(child), Error::<T>::NotInContainer);
				let node = Self::node(child)?;
				container.contents = container.contents.saturating_sub(node.size());
				nodes.push((child.clone(), node, Self::history_slot(child)?));
			}
			container.children.retain(|c| !children.contains(c));

			let now = T::Time::now();
			let count = nodes.len() as u32;
			for (epc, mut node, slot) in nodes {
				node.set_parent(None);
				Self::store(&epc, node);
				Self::append_history(&epc, slot, EventKind::Unpacked { parent }, org, now);
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
		/// Emits `Shipped`. O(n), n items inside.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::ship(T::MaxContents::get()))]
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
			for (epc, node, _) in &tree {
				if let (Epc::Unit(sgtin), Node::Unit(unit)) = (epc, node) {
					Self::ensure_saleable(sgtin, unit, today)?;
				}
			}

			let now = T::Time::now();
			let items = tree.len() as u32;
			for (epc, mut node, slot) in tree {
				node.set_in_transit_to(Some(to));
				Self::store(&epc, node);
				Self::append_history(&epc, slot, EventKind::Shipped { to }, org, now);
			}
			Self::deposit_event(Event::Shipped { epc, from: org, to, items });
			Ok(Some(T::WeightInfo::ship(items)).into())
		}

		/// Receives a unit or container shipped to the signer's organization, which becomes
		/// the owner of it and everything in it.
		///
		/// The signer must be a member of the receiver.
		///
		/// - `epc`: the unit or container in transit.
		///
		/// Emits `Received`. O(n), n items inside.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::receive(T::MaxContents::get()))]
		pub fn receive(origin: OriginFor<T>, epc: Epc) -> DispatchResultWithPostInfo {
			let org = Self::member_org(&ensure_signed(origin)?)?;
			let root = Self::node(&epc)?;
			ensure!(root.in_transit_to() == Some(org), Error::<T>::NotInTransitToYou);
			let from = root.owner();
			let tree = Self::tree(epc.clone(), root)?;

			let now = T::Time::now();
			let items = tree.len() as u32;
			for (epc, mut node, slot) in tree {
				node.set_in_transit_to(None);
				node.set_owner(org);
				Self::store(&epc, node);
				Self::append_history(&epc, slot, EventKind::Received { from }, org, now);
			}
			Self::deposit_event(Event::Received { epc, from, by: org, items });
			Ok(Some(T::WeightInfo::receive(items)).into())
		}

		/// Verifies a product identifier and records the request: the answer, in
		/// `ProductVerified`, says whether the unit exists, who owns it, its status, lot and
		/// expiry, and whether it is recalled or expired.
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
		/// The signer must be a member of the product's manufacturer.
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

		/// Quarantines an active unit as suspect.
		///
		/// The signer must be a member of a regulator or of the unit's owner.
		///
		/// - `sgtin`: the unit.
		/// - `reason`: blake2b-256 of the reason, kept off chain.
		///
		/// Emits `MarkedSuspect`. O(1).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::mark_suspect())]
		pub fn mark_suspect(origin: OriginFor<T>, sgtin: Sgtin, reason: H256) -> DispatchResult {
			let (org, unit) = Self::investigator(&ensure_signed(origin)?, &sgtin)?;
			ensure!(unit.status == UnitStatus::Active, Error::<T>::NotActive);
			Self::set_status(
				sgtin.clone(),
				unit,
				UnitStatus::Suspect,
				EventKind::MarkedSuspect { reason },
				org,
			)?;
			Self::deposit_event(Event::MarkedSuspect { sgtin, by: org, reason });
			Ok(())
		}

		/// Clears a suspect unit, which becomes active again.
		///
		/// The signer must be a member of a regulator or of the unit's owner.
		///
		/// - `sgtin`: the suspect unit.
		///
		/// Emits `SuspicionCleared`. O(1).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::clear_suspect())]
		pub fn clear_suspect(origin: OriginFor<T>, sgtin: Sgtin) -> DispatchResult {
			let (org, unit) = Self::investigator(&ensure_signed(origin)?, &sgtin)?;
			ensure!(unit.status == UnitStatus::Suspect, Error::<T>::NotSuspect);
			Self::set_status(sgtin.clone(), unit, UnitStatus::Active, EventKind::Cleared, org)?;
			Self::deposit_event(Event::SuspicionCleared { sgtin, by: org });
			Ok(())
		}

		/// Declares a suspect unit illegitimate: it can never be shipped or dispensed again.
		///
		/// The signer must be a member of a regulator or of the unit's owner.
		///
		/// - `sgtin`: the suspect unit.
		///
		/// Emits `DeclaredIllegitimate`. O(1).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::declare_illegitimate())]
		pub fn declare_illegitimate(origin: OriginFor<T>, sgtin: Sgtin) -> DispatchResult {
			let (org, unit) = Self::investigator(&ensure_signed(origin)?, &sgtin)?;
			ensure!(unit.status == UnitStatus::Suspect, Error::<T>::NotSuspect);
			Self::set_status(
				sgtin.clone(),
				unit,
				UnitStatus::Illegitimate,
				EventKind::DeclaredIllegitimate,
				org,
			)?;
			Self::deposit_event(Event::DeclaredIllegitimate { sgtin, by: org });
			Ok(())
		}

		/// Dispenses a unit to a patient, unpacking it from its case if needed. An unknown or
		/// already dispensed identifier is reported as a likely counterfeit instead.
		///
		/// The signer must be a member of the pharmacy that holds the unit.
		///
		/// - `sgtin`: the unit.
		/// - `prescription`: the MedicationRequest record it fills, if linked.
		///
		/// Emits `UnitDispensed` or `CounterfeitSuspected`. O(c), c items in its case.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::dispense())]
		pub fn dispense(
			origin: OriginFor<T>,
			sgtin: Sgtin,
			prescription: Option<RecordId>,
		) -> DispatchResult {
			let pharmacy = T::Registry::active_membership(&ensure_signed(origin)?)
				.filter(|m| m.kind == OrgKind::Pharmacy)
				.ok_or(Error::<T>::NotPharmacy)?
				.org;
			let now = T::Time::now();
			let mut unit = match Units::<T>::get(&sgtin) {
				None => {
					Self::report_counterfeit(sgtin, pharmacy, CounterfeitSign::UnknownIdentifier);
					return Ok(());
				}
				Some(unit) if unit.status == UnitStatus::Dispensed => {
					Self::report_counterfeit(sgtin, pharmacy, CounterfeitSign::AlreadyDispensed);
					return Ok(());
				}
				Some(unit) => unit,
			};
			ensure!(unit.owner == pharmacy, Error::<T>::NotOwner);
			ensure!(unit.in_transit_to.is_none(), Error::<T>::InTransit);
			Self::ensure_saleable(&sgtin, &unit, Self::today())?;
			if let Some(record) = prescription {
				ensure!(
					T::Records::record_subject(&record).is_some_and(|s| {
						s.resource_type == FhirResourceType::MedicationRequest && !s.erased
					}),
					Error::<T>::BadPrescription
				);
			}
			let epc = Epc::Unit(sgtin.clone());
			let mut slot = Self::history_slot(&epc)?;
			// A unit in a case leaves it: the case, and the pallet the case is on, shrink.
			let packed = match unit.parent {
				Some(sscc) => {
					ensure!(slot.saturating_add(1) < T::MaxHistory::get(), Error::<T>::HistoryFull);
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

			if let Some((sscc, mut case, outer)) = packed {
				case.children.retain(|c| *c != epc);
				case.contents = case.contents.saturating_sub(1);
				Containers::<T>::insert(sscc, case);
				if let Some((p, mut pallet)) = outer {
					pallet.contents = pallet.contents.saturating_sub(1);
					Containers::<T>::insert(p, pallet);
				}
				Self::append_history(
					&epc,
					slot,
					EventKind::Unpacked { parent: sscc },
					pharmacy,
					now,
				);
				slot = slot.saturating_add(1);
			}
			unit.parent = None;
			unit.status = UnitStatus::Dispensed;
			Units::<T>::insert(&sgtin, unit);
			Self::append_history(&epc, slot, EventKind::Dispensed { prescription }, pharmacy, now);
			Self::deposit_event(Event::UnitDispensed { sgtin, pharmacy, prescription });
			Ok(())
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
			(T::Time::now() / DAY_MS).try_into().unwrap_or(Day::MAX)
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

		/// The signer's organization and the unit, when the signer is a regulator or a member
		/// of the owner.
		fn investigator(who: &T::AccountId, sgtin: &Sgtin) -> Result<(OrgId, Unit), Error<T>> {
			let membership = T::Registry::active_membership(who).ok_or(Error::<T>::NotMember)?;
			let unit = Units::<T>::get(sgtin).ok_or(Error::<T>::UnknownUnit)?;
			ensure!(
				membership.kind == OrgKind::Regulator || membership.org == unit.owner,
				Error::<T>::NotOwnerOrRegulator
			);
			Ok((membership.org, unit))
		}

		fn set_status(
			sgtin: Sgtin,
			mut unit: Unit,
			status: UnitStatus,
			kind: EventKind,
			org: OrgId,
		) -> DispatchResult {
			let epc = Epc::Unit(sgtin.clone());
			let slot = Self::history_slot(&epc)?;
			unit.status = status;
			Units::<T>::insert(&sgtin, unit);
			Self::append_history(&epc, slot, kind, org, T::Time::now());
			Ok(())
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

		/// The item and everything inside it, outermost first, with each one's next history
		/// slot.
		#[allow(clippy::type_complexity)]
		fn tree(epc: Epc, root: Node<T>) -> Result<Vec<(Epc, Node<T>, u32)>, Error<T>> {
			let mut tree = Vec::new();
			let slot = Self::history_slot(&epc)?;
			tree.push((epc, root, slot));
			let mut next = 0;
			while let Some((_, node, _)) = tree.get(next) {
				if let Node::Container(container) = node {
					for child in container.children.clone() {
						let node = Self::node(&child)?;
						let slot = Self::history_slot(&child)?;
						tree.push((child, node, slot));
					}
				}
				next = next.saturating_add(1);
			}
			Ok(tree)
		}

		/// The next history slot of an item, if its history has room.
		fn history_slot(epc: &Epc) -> Result<u32, Error<T>> {
			let length = HistoryLength::<T>::get(epc);
			ensure!(length < T::MaxHistory::get(), Error::<T>::HistoryFull);
			Ok(length)
		}

		fn append_history(epc: &Epc, slot: u32, kind: EventKind, org: OrgId, at: Moment) {
			History::<T>::insert(epc, slot, SupplyEvent { kind, org, at });
			HistoryLength::<T>::insert(epc, slot.saturating_add(1));
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

		/// Records a likely counterfeit presented at a pharmacy: counted, kept in a known unit's
		/// history while it has room, and announced.
		fn report_counterfeit(sgtin: Sgtin, pharmacy: OrgId, sign: CounterfeitSign) {
			CounterfeitReports::<T>::mutate(&sgtin, |n| *n = n.saturating_add(1));
			let epc = Epc::Unit(sgtin.clone());
			if sign == CounterfeitSign::AlreadyDispensed {
				if let Ok(slot) = Self::history_slot(&epc) {
					let kind = EventKind::CounterfeitReported;
					Self::append_history(&epc, slot, kind, pharmacy, T::Time::now());
				}
			}
			Self::deposit_event(Event::CounterfeitSuspected { sgtin, reported_by: pharmacy, sign });
		}

		/// Whether the unit's lot was recalled.
		fn is_recalled(sgtin: &Sgtin, unit: &Unit) -> bool {
			Lots::<T>::get(sgtin.gtin, &unit.lot).is_some_and(|lot| lot.recall.is_some())
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

		/// An item's supply events in time order; a unit's include its lot's recall.
		pub fn history(epc: &Epc) -> Vec<SupplyEvent> {
			let length = HistoryLength::<T>::get(epc);
			let mut events: Vec<_> =
				(0..length).filter_map(|i| History::<T>::get(epc, i)).collect();
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
