//! What becomes of a submitted transaction, for the methods that watch one
//! (`author_submitAndWatchExtrinsic`, `transactionWatch_v1_submitAndWatch`,
//! `transaction_v1_broadcast`).

use crate::{pool::PoolEvent, service::Finalized};
use sp_core::H256;
use std::sync::Arc;
use tokio::sync::broadcast::{error::RecvError, Receiver};

/// What became of a transaction in the pool.
pub enum Fate {
	/// In this finalized block.
	Finalized(H256),
	/// Dropped as invalid.
	Invalid,
	/// Evicted from a full pool.
	Dropped,
	/// The node stops.
	Closed,
}

/// Waits for what becomes of transaction `hash`, given receivers subscribed before it was
/// submitted (so that nothing is missed in between).
pub async fn fate(
	hash: H256,
	finalized: &mut Receiver<Arc<Finalized>>,
	pool: &mut Receiver<PoolEvent>,
) -> Fate {
	loop {
		tokio::select! {
			block = finalized.recv() => match block {
				Ok(block) if block.extrinsics.contains(&hash) => {
					return Fate::Finalized(block.header.hash());
				}
				Ok(_) | Err(RecvError::Lagged(_)) => {}
				Err(RecvError::Closed) => return Fate::Closed,
			},
			event = pool.recv() => match event {
				Ok(PoolEvent::Invalid(dropped)) if dropped == hash => return Fate::Invalid,
				Ok(PoolEvent::Dropped(dropped)) if dropped == hash => return Fate::Dropped,
				Ok(_) | Err(RecvError::Lagged(_)) => {}
				Err(RecvError::Closed) => return Fate::Closed,
			},
		}
	}
}
