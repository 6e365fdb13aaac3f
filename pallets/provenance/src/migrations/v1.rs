//! Storage version 1: dispensing names no prescription.
//!
//! Version 0 kept, for each unit dispensed against a prescription, the MedicationRequest
//! record's id in the unit's history (`Dispensed { prescription }`), and counted fills per
//! record id (`PrescriptionFills`): with the record index, a public link from a patient to a
//! drug. Version 1 keeps a commitment the pharmacy opens off chain, and spent fills as
//! nullifiers. The commitments of earlier dispenses cannot be made now: their history events
//! become `Dispensed { commitment: 0 }` (dispensed before commitments) and the fill counts are
//! removed. Fills of a prescription before the upgrade are then no longer counted on chain;
//! pharmacies count them from their own dispensing records. The old record ids remain in the
//! blocks and events of version 0, which no migration of state can reach.

use crate::{Config, EventKind, History, Pallet, SupplyEvent};
use carechain_primitives::{Moment, OrgId, RecordId};
use codec::DecodeAll;
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::ValueQuery,
	storage::unhashed,
	storage_alias,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
	Blake2_128Concat,
};
use sp_core::H256;

/// Migrates the provenance pallet from storage version 0 to 1; add it to the runtime's
/// migrations.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	version_unchecked::MigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// The storage and types of version 0 that version 1 no longer has.
pub mod v0 {
	use super::*;

	/// Fills per prescription record, as version 0 counted them.
	#[storage_alias]
	pub(crate) type PrescriptionFills<T: Config> =
		StorageMap<Pallet<T>, Blake2_128Concat, RecordId, u32, ValueQuery>;

	/// The index of `EventKind::Dispensed`, the one variant whose fields version 1 changed.
	pub const DISPENSED: u8 = 5;

	/// A dispensing history entry as version 0 encoded it after its variant index: the
	/// prescription, the pharmacy and the time.
	pub type Dispensed = (Option<RecordId>, OrgId, Moment);
}

mod version_unchecked {
	use super::*;

	/// The migration without its version check: use [`super::MigrateV0ToV1`].
	pub struct MigrateV0ToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			// Only dispensing entries changed: read each entry's bytes, rewrite only those.
			for (epc, slot) in History::<T>::iter_keys() {
				reads = reads.saturating_add(1);
				let key = History::<T>::hashed_key_for(&epc, slot);
				let Some(raw) = unhashed::get_raw(&key) else { continue };
				let Some((&v0::DISPENSED, mut fields)) = raw.split_first() else { continue };
				if let Ok((_prescription, org, at)) = v0::Dispensed::decode_all(&mut fields) {
					let kind = EventKind::Dispensed { commitment: H256::zero() };
					History::<T>::insert(&epc, slot, SupplyEvent { kind, org, at });
					writes = writes.saturating_add(1);
				}
			}
			let cleared = v0::PrescriptionFills::<T>::clear(u32::MAX, None);
			reads = reads.saturating_add(u64::from(cleared.loops));
			writes = writes.saturating_add(u64::from(cleared.unique));
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(
				v0::PrescriptionFills::<T>::iter_keys().next().is_none(),
				"a prescription's fill count survived the migration"
			);
			frame_support::ensure!(
				History::<T>::iter_values().all(|event| !matches!(
					event.kind,
					EventKind::Dispensed { commitment } if !commitment.is_zero()
				)),
				"a dispensing event written before version 1 holds a commitment"
			);
			Ok(())
		}
	}
}
