//! Storage version 1: escrow ledgers, and services held by overturned lines.
//!
//! Version 0 kept no ledger: an escrow paid what its account held. Each policy's ledger starts
//! from what is known: `paid` is what its claims' settled lines were paid, `funded` is that
//! plus the escrow account's balance, `withdrawn` is zero (earlier withdrawals are not
//! recoverable from state, and `funded - paid - withdrawn` is the account's balance either way).
//! Version 0 also paid overturned appeals without recording their services; each such line now
//! holds its service, unless another line already holds it (a payment version 0 made twice,
//! which `try_state` then reports).

use crate::{
	migrations::v2::{V1AdjudicatedLine, V1Claim},
	BalanceOf, ClaimedServices, Claims, Config, EscrowLedger, Escrows, LineOutcome, Pallet,
	Policies, PolicyId,
};
use alloc::collections::btree_map::BTreeMap;
use frame_support::{
	migrations::VersionedMigration,
	storage::unhashed,
	traits::{fungible::Inspect, Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};
use sp_runtime::traits::{Saturating, Zero};

/// Migrates the claims pallet from storage version 0 to 1; add it to the runtime's migrations.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	version_unchecked::MigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

mod version_unchecked {
	use super::*;

	/// The migration without its version check: use [`super::MigrateV0ToV1`].
	pub struct MigrateV0ToV1<T>(core::marker::PhantomData<T>);

	fn settled<B>(line: &V1AdjudicatedLine<B>) -> bool {
		matches!(line.outcome, LineOutcome::Allowed | LineOutcome::Reduced)
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateV0ToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			let mut paid = BTreeMap::<PolicyId, BalanceOf<T>>::new();
			// Claims as version 0 and 1 stored them (version 2 added a field to their lines).
			for claim_id in Claims::<T>::iter_keys() {
				reads.saturating_inc();
				let Some(claim) = unhashed::get::<V1Claim<T::AccountId, BalanceOf<T>>>(
					&Claims::<T>::hashed_key_for(claim_id),
				) else {
					continue;
				};
				for line in claim.lines.iter().filter(|line| settled(line)) {
					let total = paid.entry(claim.policy).or_insert_with(Zero::zero);
					*total = total.saturating_add(line.payer_paid);
					let service = Pallet::<T>::service_key(
						&claim.patient,
						claim.provider,
						claim.service_date,
						&line.billed.procedure,
					);
					reads.saturating_inc();
					if !ClaimedServices::<T>::contains_key(service) {
						ClaimedServices::<T>::insert(service, claim_id);
						writes.saturating_inc();
					}
				}
			}
			for policy_id in Policies::<T>::iter_keys() {
				let paid = paid.get(&policy_id).copied().unwrap_or_else(Zero::zero);
				let balance = T::Currency::balance(&Pallet::<T>::escrow_account(policy_id));
				Escrows::<T>::insert(
					policy_id,
					EscrowLedger {
						funded: balance.saturating_add(paid),
						paid,
						withdrawn: Zero::zero(),
					},
				);
				reads.saturating_accrue(2);
				writes.saturating_inc();
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			for policy_id in Policies::<T>::iter_keys() {
				frame_support::ensure!(
					Escrows::<T>::get(policy_id).available()
						== T::Currency::balance(&Pallet::<T>::escrow_account(policy_id)),
					"an escrow ledger does not start at its account's balance"
				);
			}
			Ok(())
		}
	}
}
