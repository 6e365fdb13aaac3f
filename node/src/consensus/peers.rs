//! The peers this node is connected to and the finalized height each last reported: what
//! `system_peers` answers.
//!
//! Malachite's network actor knows who is connected and which of them proved a validator key
//! of the current set; it answers a state dump. Each peer's sync status (sent when it
//! subscribes to the sync channel and then every `status_update_interval`, 10 s by default)
//! carries its finalized height; a small actor subscribed to the network's events keeps the
//! latest one per peer. With instant finality a block at a height is the same on every honest
//! node, so a peer's best hash is this node's hash at that height, known once this node holds
//! it.

use super::context::CarechainContext as Ctx;
use malachitebft_app_channel::NetworkRequest;
use malachitebft_engine::network::{NetworkEvent, NetworkMsg, NetworkRef};
use parking_lot::Mutex;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::{
	collections::HashMap,
	sync::{Arc, OnceLock},
};
use tokio::sync::mpsc;

/// At most this many peers' heights are kept: the network admits far fewer.
const MAX_PEERS: usize = 4_096;

/// How long `system_peers` waits for the network actor's state dump.
const DUMP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// One connected peer, as `system_peers` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
	/// Its libp2p peer id.
	pub id: String,
	/// Whether it proved a key of the current validator set.
	pub validator: bool,
	/// The finalized height in its last sync status; `None` until one arrives.
	pub best: Option<u64>,
}

/// Why the peers could not be listed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeersError {
	/// Consensus has not started its network yet (the node is starting).
	#[error("the node's peer-to-peer network has not started yet; try again in a few seconds")]
	NotStarted,
	/// The network actor did not answer (it is stopping or overloaded).
	#[error("the node's peer-to-peer network did not answer; try again, and see the node's log if it keeps failing")]
	NoAnswer,
}

/// The connected peers' latest heights, and the way to ask the network who is connected.
#[derive(Default)]
pub struct PeerBook {
	/// By peer id's bytes: the network's events and its state dump name peers with two types.
	heights: Mutex<HashMap<Vec<u8>, u64>>,
	requests: OnceLock<mpsc::Sender<NetworkRequest>>,
	/// One state dump at a time.
	turn: tokio::sync::Mutex<()>,
}

impl PeerBook {
	/// Remembers where to ask for the network's state; consensus calls it once it started.
	pub(super) fn connect(&self, requests: mpsc::Sender<NetworkRequest>) {
		let _ = self.requests.set(requests);
	}

	/// Notes what a network event says of a peer's height.
	fn note(&self, event: &NetworkEvent<Ctx>) {
		let mut heights = self.heights.lock();
		match event {
			NetworkEvent::Status(peer, status) => {
				let peer = peer.to_bytes();
				if heights.len() < MAX_PEERS || heights.contains_key(&peer) {
					heights.insert(peer, status.tip_height.0);
				}
			}
			NetworkEvent::PeerDisconnected(peer) => {
				heights.remove(&peer.to_bytes());
			}
			_ => {}
		}
	}

	/// The connected peers, ordered by peer id. One call at a time asks the network actor
	/// (it stops gossiping while it answers), and gives up after [`DUMP_TIMEOUT`].
	pub async fn list(&self) -> Result<Vec<Peer>, PeersError> {
		let requests = self.requests.get().ok_or(PeersError::NotStarted)?;
		let _turn = self.turn.lock().await;
		let dump = tokio::time::timeout(DUMP_TIMEOUT, NetworkRequest::dump_state(requests))
			.await
			.map_err(|_| PeersError::NoAnswer)?
			.map_err(|_| PeersError::NoAnswer)?
			.ok_or(PeersError::NoAnswer)?;
		let mut heights = self.heights.lock();
		// A disconnection the watch missed (the network's event port drops events when a
		// subscriber lags) leaves no height behind.
		let connected: std::collections::HashSet<Vec<u8>> =
			dump.peers.keys().map(|id| id.to_bytes()).collect();
		heights.retain(|id, _| connected.contains(id));
		let mut peers: Vec<Peer> = dump
			.peers
			.iter()
			.map(|(id, info)| Peer {
				id: id.to_string(),
				validator: info.consensus_address.is_some(),
				best: heights.get(&id.to_bytes()).copied(),
			})
			.collect();
		peers.sort_by(|a, b| a.id.cmp(&b.id));
		Ok(peers)
	}
}

/// Receives the network's events for a [`PeerBook`].
struct Watch;

#[async_trait::async_trait]
impl Actor for Watch {
	type Msg = NetworkEvent<Ctx>;
	type State = Arc<PeerBook>;
	type Arguments = Arc<PeerBook>;

	async fn pre_start(
		&self,
		_myself: ActorRef<Self::Msg>,
		book: Arc<PeerBook>,
	) -> Result<Arc<PeerBook>, ActorProcessingErr> {
		Ok(book)
	}

	async fn handle(
		&self,
		_myself: ActorRef<Self::Msg>,
		event: Self::Msg,
		book: &mut Arc<PeerBook>,
	) -> Result<(), ActorProcessingErr> {
		book.note(&event);
		Ok(())
	}
}

/// Subscribes `book` to the network's events.
pub(super) async fn watch(network: &NetworkRef<Ctx>, book: Arc<PeerBook>) -> eyre::Result<()> {
	let (watch, _) = Actor::spawn(None, Watch, book)
		.await
		.map_err(|error| eyre::eyre!("could not start the peer watch: {error}"))?;
	network
		.cast(NetworkMsg::Subscribe(Box::new(watch)))
		.map_err(|error| eyre::eyre!("could not subscribe to the network's events: {error}"))?;
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::consensus::context::Height;
	use malachitebft_app_channel::app::types::PeerId;
	use malachitebft_engine::network::Status;

	fn peer(n: u8) -> PeerId {
		PeerId::from_bytes(&[0, 4, n, n, n, n]).unwrap()
	}

	#[test]
	fn a_peer_s_height_is_its_latest_status_and_goes_with_it() {
		let book = PeerBook::default();
		book.note(&NetworkEvent::Status(peer(1), Status::new(Height(7), Height(1))));
		book.note(&NetworkEvent::Status(peer(1), Status::new(Height(9), Height(1))));
		book.note(&NetworkEvent::Status(peer(2), Status::new(Height(3), Height(1))));
		assert_eq!(book.heights.lock().get(&peer(1).to_bytes()), Some(&9));
		book.note(&NetworkEvent::PeerDisconnected(peer(1)));
		assert_eq!(book.heights.lock().get(&peer(1).to_bytes()), None);
		assert_eq!(book.heights.lock().get(&peer(2).to_bytes()), Some(&3));
	}

	#[test]
	fn a_flood_of_peer_ids_is_bounded() {
		let book = PeerBook::default();
		for n in 0..(MAX_PEERS as u32 + 100) {
			let id =
				PeerId::from_bytes(&[&[0u8, 6][..], &n.to_be_bytes(), &[0, 0]].concat()).unwrap();
			book.note(&NetworkEvent::Status(id, Status::new(Height(1), Height(1))));
		}
		assert_eq!(book.heights.lock().len(), MAX_PEERS);
	}

	#[tokio::test]
	async fn before_the_network_starts_listing_says_so() {
		assert_eq!(PeerBook::default().list().await, Err(PeersError::NotStarted));
	}
}
