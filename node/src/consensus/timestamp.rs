//! Block timestamps: how a proposer stamps its block, and the bounds within which every other
//! node accepts the stamp.
//!
//! The runtime only knows that a block's time (`pallet_timestamp::Call::set`, the first
//! extrinsic) comes at least `MinimumPeriod` after its parent's. It cannot know the real time,
//! so without these checks one byzantine proposer could stamp the year 2100: every consent and
//! break-glass session would expire at once, and no honest block could follow, since honest
//! clocks would then fail the runtime's monotonic rule. So each node compares the stamp with its
//! own clock:
//!
//! - before voting for a fresh proposal ([`Rules::Proposal`]): no more than
//!   [`MAX_FUTURE_DRIFT`] ahead of this node's clock, no more than [`MAX_PROPOSAL_AGE`] behind
//!   it, and no sooner than the parent's time plus the minimum period;
//! - when importing a block that others decided (synced, or decided while this node looked on)
//!   and when a proposal is proposed again with a proof of lock ([`Rules::Import`]): only the
//!   minimum period and [`MAX_FUTURE_DRIFT`] ahead of this node's clock. An old block is history
//!   and carries old time; a block ahead of this clock waits until the clock gets there.
//!
//! A finalized block needs the votes of more than two thirds of the validators, so more than a
//! third of them, at least one honest one, found its time within these bounds of their clocks.
//!
//! Proposers stamp `max(now, parent + MinimumPeriod)` ([`authored`]) and do not build before
//! their clock reaches `parent + MinimumPeriod`, so honest stamps stay on the wall clock even
//! after a parent stamped a little ahead of it.

use carechain_runtime::{Block, Runtime, RuntimeCall};
use sp_core::Get as _;
use sp_runtime::generic::Preamble;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far ahead of this node's clock a block's time may be. Honest proposers stamp their
/// wall clock, and validators keep their clocks in sync (NTP keeps them within tens of
/// milliseconds), so a few seconds cover clock skew with a wide margin, while a byzantine
/// proposer can move the chain's clock ahead by no more than this: consents and break-glass
/// sessions end at most this much early.
pub const MAX_FUTURE_DRIFT: Duration = Duration::from_secs(3);

/// How far behind this node's clock a fresh proposal's time may be. A proposal is stamped when
/// its building starts; building (at most two thirds of a block time), gossip and execution take a
/// few seconds at worst. An older stamp holds the chain's clock back (consents would outlive
/// their expiry, audit entries would carry a false time). Like CometBFT's proposer-based
/// timestamps (whose message delay is 15 s), the bound is loose: a false refusal costs a round.
/// Proposals made again with a proof of lock are not held to it: more than two thirds of the
/// validators prevoted for them when they were fresh.
pub const MAX_PROPOSAL_AGE: Duration = Duration::from_secs(30);

/// The runtime's least time between a block and its parent, in milliseconds.
pub fn minimum_period() -> u64 {
	<Runtime as pallet_timestamp::Config>::MinimumPeriod::get()
}

/// This node's clock, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
	SystemTime::now()
		.duration_since(UNIX_EPOCH)
		.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The earliest time the runtime accepts for a block whose parent has time `parent` (zero at
/// genesis, which has no time: the first block may have any).
pub fn earliest(parent: u64) -> u64 {
	if parent == 0 {
		0
	} else {
		parent.saturating_add(minimum_period())
	}
}

/// The time a proposer stamps on a block built at `now` on a parent with time `parent`: its
/// clock, or the earliest time the runtime accepts when the parent is stamped ahead of it.
pub fn authored(now: u64, parent: u64) -> u64 {
	now.max(earliest(parent))
}

/// The time a block carries: its `Timestamp::set` inherent's.
pub fn of_block(block: &Block) -> Option<u64> {
	block.extrinsics.iter().find_map(|extrinsic| match (&extrinsic.preamble, &extrinsic.function) {
		(Preamble::Bare(_), RuntimeCall::Timestamp(pallet_timestamp::Call::set { now })) => {
			Some(*now)
		}
		_ => None,
	})
}

/// Which bounds a block's time must meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
	/// A fresh proposal this node is about to vote on: close to this node's clock both ways.
	Proposal,
	/// A block others decided, or a proposal made again with a proof of lock: not ahead of
	/// this node's clock by more than the drift; any age.
	Import,
}

/// Why a block's time is refused. Each is the proposer's fault, except [`Self::Ahead`] on
/// import, which only says that this node's clock is behind: the block is tried again later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
	/// The block has no `Timestamp::set` inherent.
	#[error("the block carries no timestamp inherent")]
	Missing,
	/// The block's time is too soon after its parent's.
	#[error(
		"the block's time {stamp} ms is before {earliest} ms, its parent's time plus the \
		 minimum period"
	)]
	TooEarly {
		/// The block's time.
		stamp: u64,
		/// The earliest the runtime accepts.
		earliest: u64,
	},
	/// The block's time is too far ahead of this node's clock.
	#[error(
		"the block's time {stamp} ms is {ahead_ms} ms ahead of this node's clock ({now} ms), more \
		 than the {} ms allowed",
		MAX_FUTURE_DRIFT.as_millis()
	)]
	Ahead {
		/// The block's time.
		stamp: u64,
		/// This node's clock.
		now: u64,
		/// By how much the block is ahead.
		ahead_ms: u64,
	},
	/// A fresh proposal's time is too far behind this node's clock.
	#[error(
		"the block's time {stamp} ms is {behind_ms} ms behind this node's clock ({now} ms), more \
		 than the {} ms allowed",
		MAX_PROPOSAL_AGE.as_millis()
	)]
	Behind {
		/// The block's time.
		stamp: u64,
		/// This node's clock.
		now: u64,
		/// By how much the block is behind.
		behind_ms: u64,
	},
}

/// Checks the time `stamp` of a block whose parent has time `parent` against this node's
/// clock `now`, under `rules`.
pub fn check(
	stamp: Option<u64>,
	parent: u64,
	now: u64,
	rules: Rules,
) -> Result<(), TimestampError> {
	let stamp = stamp.ok_or(TimestampError::Missing)?;
	let ahead_ms = stamp.saturating_sub(now);
	if ahead_ms > millis(MAX_FUTURE_DRIFT) {
		return Err(TimestampError::Ahead { stamp, now, ahead_ms });
	}
	let behind_ms = now.saturating_sub(stamp);
	if rules == Rules::Proposal && behind_ms > millis(MAX_PROPOSAL_AGE) {
		return Err(TimestampError::Behind { stamp, now, behind_ms });
	}
	let earliest = earliest(parent);
	if stamp < earliest {
		return Err(TimestampError::TooEarly { stamp, earliest });
	}
	Ok(())
}

fn millis(duration: Duration) -> u64 {
	u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
	use super::*;
	use carechain_runtime::UncheckedExtrinsic;

	const NOW: u64 = 1_800_000_000_000;
	const DRIFT: u64 = 3_000;
	const AGE: u64 = 30_000;

	#[test]
	fn the_minimum_period_is_half_a_block_time() {
		assert_eq!(minimum_period(), carechain_runtime::MILLISECS_PER_BLOCK / 2);
		assert_eq!(millis(MAX_FUTURE_DRIFT), DRIFT);
		assert_eq!(millis(MAX_PROPOSAL_AGE), AGE);
	}

	#[test]
	fn a_proposal_within_the_drift_is_accepted() {
		let parent = NOW - AGE - 1_000;
		for stamp in [NOW, NOW + 1, NOW + DRIFT, NOW - AGE] {
			for rules in [Rules::Proposal, Rules::Import] {
				assert_eq!(check(Some(stamp), parent, NOW, rules), Ok(()), "{stamp} {rules:?}");
			}
		}
	}

	#[test]
	fn a_proposal_ahead_of_the_drift_is_refused() {
		let parent = NOW - 1_000;
		for rules in [Rules::Proposal, Rules::Import] {
			assert_eq!(
				check(Some(NOW + DRIFT + 1), parent, NOW, rules),
				Err(TimestampError::Ahead {
					stamp: NOW + DRIFT + 1,
					now: NOW,
					ahead_ms: DRIFT + 1
				})
			);
		}
		// The year 2100.
		let stamp = 4_102_444_800_000;
		assert!(matches!(
			check(Some(stamp), parent, NOW, Rules::Proposal),
			Err(TimestampError::Ahead { .. })
		));
	}

	#[test]
	fn a_fresh_proposal_behind_the_clock_is_refused_but_history_is_imported() {
		let stamp = NOW - AGE - 1;
		assert_eq!(
			check(Some(stamp), 0, NOW, Rules::Proposal),
			Err(TimestampError::Behind { stamp, now: NOW, behind_ms: AGE + 1 })
		);
		// A year-old block that a node syncs, or a block stamped near the Unix epoch.
		assert_eq!(check(Some(stamp - 365 * 86_400_000), 0, NOW, Rules::Import), Ok(()));
		assert!(check(Some(minimum_period()), 0, NOW, Rules::Proposal).is_err());
	}

	#[test]
	fn a_time_too_soon_after_the_parent_is_refused_by_either_rules() {
		let parent = NOW - 100;
		let earliest = parent + minimum_period();
		for rules in [Rules::Proposal, Rules::Import] {
			assert_eq!(
				check(Some(earliest - 1), parent, NOW, rules),
				Err(TimestampError::TooEarly { stamp: earliest - 1, earliest })
			);
			assert_eq!(check(Some(earliest), parent, NOW, rules), Ok(()));
		}
		// A block without a timestamp.
		assert_eq!(check(None, parent, NOW, Rules::Import), Err(TimestampError::Missing));
	}

	#[test]
	fn a_proposer_stamps_its_clock_or_the_parent_plus_the_minimum_period() {
		assert_eq!(authored(NOW, NOW - 1_000), NOW);
		assert_eq!(authored(NOW, 0), NOW, "the first block takes the clock");
		// A parent stamped ahead of this clock (within the drift others accepted).
		let parent = NOW + 2_000;
		assert_eq!(authored(NOW, parent), parent + minimum_period());
		assert_eq!(check(Some(authored(NOW, parent)), parent, NOW, Rules::Proposal), Ok(()));
	}

	#[test]
	fn a_block_on_a_parent_ahead_of_the_clock_is_stamped_a_minimum_period_after_it() {
		use crate::{chain_spec::ChainSpec, client::Client, db::ChainDb};
		use std::time::Instant;
		let dir = tempfile::tempdir().unwrap();
		let db = ChainDb::open(dir.path()).unwrap();
		let client = Client::open(db, &ChainSpec::development().genesis).unwrap();
		let far = || Instant::now() + Duration::from_secs(60);
		let clock = now_ms();
		// A parent stamped ahead of this clock, by less than the drift that others accepted.
		let ahead = clock + 2_000;
		let parent = client.build_block(ahead, [], Default::default(), far()).unwrap();
		assert_eq!(of_block(&parent.block), Some(ahead));
		client.commit(&parent.block, parent.changes, b"certificate").unwrap();
		assert_eq!(client.timestamp(client.head().hash).unwrap(), ahead);

		let child = client.build_block(clock, [], Default::default(), far()).unwrap();
		let stamp = of_block(&child.block).unwrap();
		assert_eq!(stamp, ahead + minimum_period());
		assert_eq!(check(Some(stamp), ahead, clock, Rules::Proposal), Ok(()));
		client.execute_block(&child.block, Default::default()).expect("the runtime accepts it");
	}

	#[test]
	fn the_time_is_read_from_the_inherent() {
		let set = |now| {
			UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
				now,
			}))
		};
		let header = crate::client::genesis_header(Default::default());
		let block = Block { header: header.clone(), extrinsics: vec![set(NOW)] };
		assert_eq!(of_block(&block), Some(NOW));
		assert_eq!(of_block(&Block { header, extrinsics: vec![] }), None);
	}
}
