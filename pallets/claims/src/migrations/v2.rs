//! Storage version 2: service lines may bill a telehealth encounter.
//!
//! A stored claim's lines gained `telehealth` ([`crate::ServiceLine`]); every claim of version
//! 1 is rewritten with `telehealth: None` on each line, so that it still decodes. Nothing else
//! changes: no version-1 line billed an encounter, so no encounter is held
//! ([`crate::BilledEncounters`] starts empty).

use crate::{
	AdjudicatedLine, BalanceOf, Claim, ClaimStatus, Claims, Config, DiagnosisTags, LineOutcome,
	Pallet, PolicyId, ServiceLine,
};
use carechain_primitives::{Moment, OrgId, RecordId};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
	BoundedVec,
};
use sp_core::H256;

/// Migrates the claims pallet from storage version 1 to 2; add it to the runtime's migrations.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	version_unchecked::MigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// A service line as version 1 stored it.
#[derive(Encode, Decode)]
pub struct V1ServiceLine<Balance> {
	/// The procedure's tag.
	pub procedure: crate::CodeTag,
	/// Units provided.
	pub units: u32,
	/// The charge.
	pub charged: Balance,
}

/// An adjudicated line as version 1 stored it.
#[derive(Encode, Decode)]
pub struct V1AdjudicatedLine<Balance> {
	/// The line as billed.
	pub billed: V1ServiceLine<Balance>,
	/// Its outcome.
	pub outcome: LineOutcome,
	/// The fee schedule's amount.
	pub scheduled: Balance,
	/// The allowed amount.
	pub allowed: Balance,
	/// The payer's share.
	pub payer_paid: Balance,
	/// The patient's share.
	pub patient_share: Balance,
	/// The appeal's hash.
	pub appeal: Option<H256>,
}

/// A claim as version 1 stored it.
#[derive(Encode, Decode)]
pub struct V1Claim<AccountId, Balance> {
	/// The policy.
	pub policy: PolicyId,
	/// The patient.
	pub patient: AccountId,
	/// The provider.
	pub provider: OrgId,
	/// The practitioner.
	pub practitioner: AccountId,
	/// The day of service.
	pub service_date: crate::Day,
	/// The code key epoch.
	pub code_key_epoch: u32,
	/// The principal diagnosis's tags.
	pub diagnosis: DiagnosisTags,
	/// The lines.
	pub lines: alloc::vec::Vec<V1AdjudicatedLine<Balance>>,
	/// The supporting records.
	pub records: alloc::vec::Vec<RecordId>,
	/// The attachment's hash.
	pub attachment: H256,
	/// Where it stands.
	pub status: ClaimStatus,
	/// When it was submitted.
	pub submitted_at: Moment,
}

mod version_unchecked {
	use super::*;

	/// The migration without its version check: use [`super::MigrateV1ToV2`].
	pub struct MigrateV1ToV2<T>(core::marker::PhantomData<T>);

	fn upgrade<T: Config>(old: V1Claim<T::AccountId, BalanceOf<T>>) -> Option<Claim<T>> {
		let lines: alloc::vec::Vec<_> = old
			.lines
			.into_iter()
			.map(|line| AdjudicatedLine {
				billed: ServiceLine {
					procedure: line.billed.procedure,
					units: line.billed.units,
					charged: line.billed.charged,
					telehealth: None,
				},
				outcome: line.outcome,
				scheduled: line.scheduled,
				allowed: line.allowed,
				payer_paid: line.payer_paid,
				patient_share: line.patient_share,
				appeal: line.appeal,
			})
			.collect();
		Some(Claim {
			policy: old.policy,
			patient: old.patient,
			provider: old.provider,
			practitioner: old.practitioner,
			service_date: old.service_date,
			code_key_epoch: old.code_key_epoch,
			diagnosis: old.diagnosis,
			lines: BoundedVec::try_from(lines).ok()?,
			records: BoundedVec::try_from(old.records).ok()?,
			attachment: old.attachment,
			status: old.status,
			submitted_at: old.submitted_at,
		})
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut claims = 0u64;
			Claims::<T>::translate::<V1Claim<T::AccountId, BalanceOf<T>>, _>(|_, old| {
				claims = claims.saturating_add(1);
				upgrade::<T>(old)
			});
			T::DbWeight::get().reads_writes(claims, claims)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(u64::try_from(Claims::<T>::iter_keys().count()).unwrap_or(u64::MAX).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "the pre-upgrade count")?;
			let after = u64::try_from(Claims::<T>::iter().count()).unwrap_or(u64::MAX);
			frame_support::ensure!(before == after, "a claim was lost migrating to version 2");
			Ok(())
		}
	}
}
