//! The revalidator: after each block, the waiting transactions that could wait for good are
//! validated again against the new head.
//!
//! A transaction waits for a tag (its sender's previous nonce) until a transaction in the pool
//! provides it or a block that the pool heard of does. A block can also provide it with a
//! transaction the pool never held (another validator's, or one evicted here), and a block can
//! use a waiting transaction's own nonce: then nothing in the pool ever resolves the wait. So
//! after each block (and every second when none comes), the revalidator takes the entries that
//! wait for a tag nobody in the pool provides, reads their senders' nonces on chain (one read
//! per sender), and validates again those the chain has caught up with: they become ready, or
//! are dropped as stale with `invalid` to their watchers. Every [`REVALIDATE_EVERY`] blocks it
//! also validates again whatever else still waits. At most [`REVALIDATE_PER_ROUND`] runtime
//! calls a round, oldest first.

use super::{account_nonce, validate, Pool, PoolError, PoolTx, Revalidation, RUNTIME_THREAD_STACK};
use crate::client::Client;
use carechain_runtime::{
	extensions::{ALLOWANCE_SPENT, REGISTRATIONS_EXHAUSTED},
	AccountId,
};
use sp_runtime::transaction_validity::InvalidTransaction;
use std::{collections::HashMap, sync::Weak, time::Duration};

/// Blocks between two validations of a transaction that waits on a transaction in the pool.
pub(super) const REVALIDATE_EVERY: u32 = 16;

/// Most transactions looked at in one round (each costs a runtime call at most).
pub(super) const REVALIDATE_PER_ROUND: usize = 4096;

/// How long the revalidator waits for a block before it looks anyway.
const IDLE_ROUND: Duration = Duration::from_secs(1);

/// Starts the revalidator on its own thread; it stops once the pool or the chain is gone.
pub(super) fn start(pool: Weak<Pool>, client: Weak<Client>) {
	std::thread::Builder::new()
		.name("pool-revalidator".into())
		.stack_size(RUNTIME_THREAD_STACK)
		.spawn(move || {
			let mut seen = 0;
			loop {
				let Some(pool) = pool.upgrade() else { return };
				seen = pool.wait_for_block(seen, IDLE_ROUND);
				let Some(client) = client.upgrade() else { return };
				round(&pool, &client, REVALIDATE_PER_ROUND);
			}
		})
		.expect("the pool revalidator thread starts");
}

/// One round against the chain's head; returns how many transactions it validated again.
pub(super) fn round(pool: &Pool, client: &Client, limit: usize) -> usize {
	let head = client.head();
	let due = pool.due_for_revalidation(head.number, REVALIDATE_EVERY, limit);
	let mut chain_nonces: HashMap<AccountId, Option<u32>> = HashMap::new();
	let mut validated = 0;
	for (tx, orphan) in due {
		if orphan && is_ahead_of_chain(&tx, client, head.hash, &mut chain_nonces) {
			// Its previous nonce is neither on chain nor in the pool yet: it may still come.
			pool.revalidated(tx.hash, head.number, Revalidation::Unchanged);
			continue;
		}
		validated += 1;
		let verdicts = tx.verdict.into_iter().collect();
		let outcome = match validate(client, &head, &tx.extrinsic, verdicts) {
			Ok((valid, _)) => Revalidation::Valid(valid.requires),
			Err(PoolError::Invalid(reason)) if !is_transient(&reason) => {
				Revalidation::Invalid(reason)
			}
			Err(error) => {
				log::debug!("{:?} stays as it is; revalidation: {error}", tx.hash);
				Revalidation::Unchanged
			}
		};
		pool.revalidated(tx.hash, head.number, outcome);
	}
	validated
}

/// Whether `tx`'s nonce is past its sender's next nonce on chain, so that the nonce before it
/// is still to come (and validating it again would find nothing new).
fn is_ahead_of_chain(
	tx: &PoolTx,
	client: &Client,
	at: sp_core::H256,
	chain_nonces: &mut HashMap<AccountId, Option<u32>>,
) -> bool {
	let Some((who, nonce)) = &tx.sender else { return false };
	let next =
		*chain_nonces.entry(who.clone()).or_insert_with(|| account_nonce(client, at, who).ok());
	next.is_some_and(|next| *nonce > next)
}

/// Refusals that may pass later, when the allowance has grown back or a block has room: such a
/// transaction keeps waiting.
fn is_transient(reason: &InvalidTransaction) -> bool {
	matches!(
		reason,
		InvalidTransaction::Future
			| InvalidTransaction::ExhaustsResources
			| InvalidTransaction::Custom(ALLOWANCE_SPENT)
			| InvalidTransaction::Custom(REGISTRATIONS_EXHAUSTED)
	)
}
