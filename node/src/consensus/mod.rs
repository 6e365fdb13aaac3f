//! Consensus through Malachite (Tendermint BFT): the node proposes blocks it builds, executes
//! the blocks others propose, and commits what the validators decide. A decided block is final.
//!
//! Who decides block `n` is `Registry::Validators` in the state of block `n - 1`, so a change
//! that governance announced takes effect at the same height on every node. A full node runs
//! the same engine without a signing key: it follows, syncs and serves, and never votes.
//! Transactions that this node's users submit are gossiped to the peers beside the proposals.
//!
//! A block's time is checked against this node's clock before it votes for the block and
//! before it imports one (see [`timestamp`]): one validator cannot set the chain's clock.

pub mod context;
pub mod peers;
pub mod signing;
pub mod timestamp;
pub mod wire;

#[cfg(test)]
mod tests;

use crate::service::Node;
use bytes::Bytes;
use carechain_runtime::Block;
use codec::Encode as _;
use context::{
	stream_signing_bytes, Address, BlockHash, CarechainContext as Ctx, Height, ProposalPart,
	PublicKey, Signature, ValidatorSet, Value,
};
use malachitebft_app_channel::{
	app::{
		config::{ConsensusConfig, NodeConfig, P2pConfig, ValueSyncConfig},
		engine::host::{HeightParams, Next, SyncedValueOutcome},
		metrics::SharedRegistry,
		net::Multiaddr,
		streaming::{StreamContent, StreamId, StreamMessage},
		types::{
			codec::Codec as _,
			core::{
				CommitCertificate, ExtendedCommitCertificate, LinearTimeouts, Round,
				ValidatorSet as _, Validity, VoteExtensions,
			},
			sync::RawDecidedValue,
			Keypair, LocallyProposedValue, PeerId, ProposedValue,
		},
	},
	AppMsg, Channels, ConsensusContext, EngineBuilder, NetworkIdentity, NetworkMsg, RequestContext,
	Signer as _, SyncContext, WalContext,
};
use malachitebft_signing_ed25519 as ed;
use sp_core::H256;
use sp_state_machine::StorageChanges;
use std::{
	collections::{BTreeMap, HashMap},
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant},
};
use timestamp::{Rules, TimestampError};
use tracing::{debug, error, info, warn};
use wire::BorshCodec;

/// The largest piece of a block in one proposal part.
const PART_BYTES: usize = 128 * 1024;
/// The most parts one stream may have: a block of up to 16 MiB.
const MAX_STREAM_PARTS: u64 = 128;
/// The most proposal streams one peer may have open at once.
const MAX_STREAMS_PER_PEER: usize = 32;
/// How many heights ahead a proposal is kept until this node gets there.
const MAX_HEIGHTS_AHEAD: u64 = 4;
/// The most bytes of gossiped transactions in one message.
const GOSSIP_BATCH_BYTES: usize = 1 << 20;
/// How often this node's transactions still in its pool are gossiped again, for peers that
/// were not connected the first time.
const REGOSSIP_INTERVAL: Duration = Duration::from_secs(3);
/// The most of this node's transactions it remembers to gossip again.
const MAX_REGOSSIP: usize = 65_536;
/// The most bytes of blocks in one answer to a peer that syncs (Malachite's limit is 10 MiB).
const SYNC_RESPONSE_BYTES: usize = 8 << 20;

/// How this node takes part in consensus.
pub enum Role {
	/// Proposes and votes whenever its key is in the validator set.
	Validator {
		/// The consensus key's 32-byte ed25519 seed.
		key: [u8; 32],
	},
	/// Follows the chain without voting.
	Full {
		/// The seed of its peer-to-peer identity.
		node_key: [u8; 32],
	},
}

/// A way a validator misbehaves when it proposes, to test that its peers ignore it. Never
/// meant for a real chain; the node's `--unsafe-faulty-proposals` option selects one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
	/// The proposed block's bytes are random.
	Garbage,
	/// The block is signed, but its state root is wrong.
	InvalidBlock,
	/// The block is signed with a key that is not the proposer's.
	BadSignature,
	/// The block is valid but stamped in the year 2100, which would expire every consent and
	/// leave honest proposers unable to follow.
	FutureTimestamp,
	/// The block is stamped an hour before its parent, which would turn the chain's clock back.
	PastTimestamp,
	/// The block carries, after its own extrinsics, a call nested 1,024 or 100,000 deep (at
	/// random), signed: decoding it unbounded would overflow any stack.
	NestedCall,
	/// Each of the others in turn, by height (but [`Fault::NestedCall`]).
	Any,
}

impl Fault {
	/// The fault of a proposal for `height`: [`Fault::Any`] picks one by height.
	fn at(self, height: Height) -> Self {
		match self {
			Self::Any => [
				Self::Garbage,
				Self::InvalidBlock,
				Self::BadSignature,
				Self::FutureTimestamp,
				Self::PastTimestamp,
			][(height.0 % 5) as usize],
			fault => fault,
		}
	}
}

/// 2100-01-01T00:00:00Z, in milliseconds since the Unix epoch: what a
/// [`Fault::FutureTimestamp`] proposer stamps.
const YEAR_2100_MS: u64 = 4_102_444_800_000;
/// What a [`Fault::PastTimestamp`] proposer takes off the time.
const HOUR_MS: u64 = 3_600_000;

/// How this node takes part in consensus.
pub struct Settings {
	/// Validator or full node, with its key.
	pub role: Role,
	/// Where to listen for peers.
	pub listen: Multiaddr,
	/// Peers to keep connected to.
	pub peers: Vec<Multiaddr>,
	/// The time between blocks.
	pub block_time: Duration,
	/// The folder of the write-ahead log.
	pub wal_dir: PathBuf,
	/// A human-readable node name.
	pub moniker: String,
	/// Misbehaviour to test peers with; `None` on any real node.
	pub fault: Option<Fault>,
}

struct EngineConfig {
	moniker: String,
	consensus: ConsensusConfig,
	value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
	fn moniker(&self) -> &str {
		&self.moniker
	}

	fn consensus(&self) -> &ConsensusConfig {
		&self.consensus
	}

	fn consensus_mut(&mut self) -> &mut ConsensusConfig {
		&mut self.consensus
	}

	fn value_sync(&self) -> &ValueSyncConfig {
		&self.value_sync
	}

	fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
		&mut self.value_sync
	}
}

/// The libp2p peer id of a node whose identity (a validator's consensus key, a full node's
/// node key) has this ed25519 seed.
pub fn peer_id(seed: &[u8; 32]) -> eyre::Result<String> {
	Ok(Keypair::ed25519_from_bytes(*seed)?.public().to_peer_id().to_string())
}

/// Starts Malachite and runs the application side until consensus stops.
pub async fn run(settings: Settings, node: Arc<Node>) -> eyre::Result<()> {
	let minimum = Duration::from_millis(timestamp::minimum_period());
	eyre::ensure!(
		settings.block_time >= minimum,
		"a block time of {} ms is shorter than the runtime's minimum period between blocks \
		 ({} ms): set --block-time-ms (or the chain spec's blockTimeMs) to {} or more",
		settings.block_time.as_millis(),
		minimum.as_millis(),
		minimum.as_millis(),
	);
	let moniker = settings.moniker.clone();
	let (identity, context, me) = match settings.role {
		Role::Validator { key: seed } => {
			let key = ed::PrivateKey::from(seed);
			let address = PublicKey(key.public_key()).address();
			let provider = signing::Ed25519Provider::new(key.clone());
			let keypair = Keypair::ed25519_from_bytes(seed)?;
			let proof = provider
				.sign_validator_proof(
					key.public_key().as_bytes().to_vec(),
					keypair.public().to_peer_id().to_bytes(),
				)
				.await?;
			let proof_bytes = BorshCodec.encode(&proof)?;
			let identity =
				NetworkIdentity::new_validator(moniker, keypair, address.to_string(), proof_bytes);
			let context = ConsensusContext::new_validator(
				address,
				Box::new(signing::Ed25519Provider::new(key.clone())),
				Box::new(provider),
			);
			(identity, context, Some((address, key)))
		}
		Role::Full { node_key } => {
			let key = ed::PrivateKey::from(node_key);
			let address = PublicKey(key.public_key()).address();
			let identity =
				NetworkIdentity::new(moniker, Keypair::ed25519_from_bytes(node_key)?, None);
			let context = ConsensusContext::new_full_node(
				address,
				Box::new(signing::Ed25519Provider::new(key)),
			);
			(identity, context, None)
		}
	};
	let config = EngineConfig {
		moniker: settings.moniker.clone(),
		consensus: ConsensusConfig {
			p2p: P2pConfig {
				listen_addr: settings.listen.clone(),
				persistent_peers: settings.peers.clone(),
				persistent_peers_only: true,
				..Default::default()
			},
			..Default::default()
		},
		value_sync: ValueSyncConfig::default(),
	};
	// The network is spawned here rather than by the builder so that the peer book can
	// subscribe to its events (each peer's reported height, for `system_peers`).
	let registry = SharedRegistry::global().with_moniker(config.moniker());
	let (network, tx_network) = malachitebft_app_channel::spawn::spawn_network_actor(
		identity,
		config.consensus(),
		config.value_sync(),
		&registry,
		BorshCodec,
	)
	.await?;
	peers::watch(&network, node.peers.clone()).await?;
	let (mut channels, _engine) = EngineBuilder::new(Ctx, config)
		.with_default_wal(WalContext::new(settings.wal_dir.join("consensus.wal"), BorshCodec))
		.with_custom_network(network, tx_network)
		.with_default_sync(SyncContext::new(BorshCodec))
		.with_default_consensus(context)
		.with_default_request(RequestContext::new(100))
		.build()
		.await?;
	node.peers.connect(channels.net_requests.clone());
	let mut gossip =
		node.take_gossip().ok_or_else(|| eyre::eyre!("consensus runs once per node"))?;
	let mut app = App {
		node,
		validators: ValidatorSet::new(Vec::new()),
		me,
		block_time: settings.block_time,
		proposals: HashMap::new(),
		early: HashMap::new(),
		built: HashMap::new(),
		streams: HashMap::new(),
		gossiped: 0,
		local: HashMap::new(),
		fault: settings.fault,
	};
	let mut regossip = tokio::time::interval(REGOSSIP_INTERVAL);
	loop {
		tokio::select! {
			message = channels.consensus.recv() => {
				let Some(message) = message else { break };
				if let Err(error) = app.handle(message, &mut channels).await {
					error!(%error, "consensus application error");
				}
			}
			Some(first) = gossip.recv() => app.gossip(first, &mut gossip, &mut channels).await?,
			_ = regossip.tick() => app.regossip(&mut channels).await?,
		}
	}
	Ok(())
}

/// A block proposed for a height, and its state changes once executed.
struct Proposed {
	block: Block,
	height: Height,
	round: Round,
	pol_round: Round,
	proposer: Address,
	changes: Option<StorageChanges<sp_runtime::traits::BlakeTwo256>>,
	validity: Validity,
	/// Why the block's time was refused, when that is why it is invalid: it is judged again
	/// under the import rules, or once this node's clock has caught up.
	refused: Option<TimestampError>,
}

impl Proposed {
	fn proposed_value(&self, hash: BlockHash) -> ProposedValue<Ctx> {
		ProposedValue {
			height: self.height,
			round: self.round,
			valid_round: self.pol_round,
			proposer: self.proposer,
			value: Value(hash),
			validity: self.validity,
		}
	}
}

/// Parts of a proposal arriving from one publisher.
#[derive(Default)]
struct Stream {
	parts: BTreeMap<u64, Option<ProposalPart>>,
	fin: Option<u64>,
}

/// A complete proposal for a height this node has not reached yet.
struct Early {
	block: Block,
	height: Height,
	round: Round,
	pol_round: Round,
	proposer: Address,
	signature: Option<Signature>,
	publisher: PeerId,
}

struct App {
	node: Arc<Node>,
	/// The validators of the height consensus is at.
	validators: ValidatorSet,
	/// This validator's address and key; `None` on a full node.
	me: Option<(Address, ed::PrivateKey)>,
	block_time: Duration,
	proposals: HashMap<BlockHash, Proposed>,
	early: HashMap<BlockHash, Early>,
	built: HashMap<(Height, Round), BlockHash>,
	streams: HashMap<(PeerId, StreamId), Stream>,
	gossiped: u64,
	/// This node's users' transactions, by hash, until they leave the pool.
	local: HashMap<H256, Vec<u8>>,
	fault: Option<Fault>,
}

fn height_params(validators: &ValidatorSet) -> HeightParams<Ctx> {
	HeightParams::new(validators.clone(), LinearTimeouts::default(), None)
}

fn reply<T>(sender: tokio::sync::oneshot::Sender<T>, value: T, what: &str) {
	if sender.send(value).is_err() {
		warn!("consensus dropped its {what} reply channel");
	}
}

impl App {
	fn next_height(&self) -> Height {
		Height(u64::from(self.node.client.head().number).saturating_add(1))
	}

	/// Reads who decides the next height from the head's state.
	fn refresh_validators(&mut self) -> eyre::Result<()> {
		let head = self.node.client.head();
		let validators = self
			.node
			.client
			.validators(head.hash)?
			.into_iter()
			.filter_map(|v| match PublicKey::from_bytes(v.key) {
				Ok(key) => Some(context::Validator::new(key, 1)),
				Err(error) => {
					error!(%error, org = v.org, "a validator in the chain's state is left out");
					None
				}
			})
			.collect();
		let validators = ValidatorSet::new(validators);
		if validators != self.validators {
			let member = self
				.me
				.as_ref()
				.is_some_and(|(address, _)| validators.get_by_address(address).is_some());
			info!(
				height = head.number.saturating_add(1),
				validators = validators.count(),
				"validator set: {}; this node {}",
				validators
					.validators()
					.iter()
					.map(|v| v.address.to_string())
					.collect::<Vec<_>>()
					.join(", "),
				if member { "votes" } else { "follows" },
			);
		}
		eyre::ensure!(validators.count() > 0, "the chain's state names no validators");
		self.validators = validators;
		Ok(())
	}

	fn height_params(&self) -> HeightParams<Ctx> {
		height_params(&self.validators)
	}

	/// Publishes a batch of the transactions this node's users submitted.
	async fn gossip(
		&mut self,
		first: Vec<u8>,
		queue: &mut tokio::sync::mpsc::Receiver<Vec<u8>>,
		channels: &mut Channels<Ctx>,
	) -> eyre::Result<()> {
		let mut bytes = first.len();
		let mut batch = vec![first];
		while bytes < GOSSIP_BATCH_BYTES {
			match queue.try_recv() {
				Ok(tx) => {
					bytes = bytes.saturating_add(tx.len());
					batch.push(tx);
				}
				Err(_) => break,
			}
		}
		for tx in &batch {
			if self.local.len() < MAX_REGOSSIP {
				self.local.insert(crate::client::extrinsic_hash(tx), tx.clone());
			}
		}
		self.publish(batch, channels).await
	}

	/// Gossips again this node's transactions that no block has included yet.
	async fn regossip(&mut self, channels: &mut Channels<Ctx>) -> eyre::Result<()> {
		let pool = &self.node.pool;
		self.local.retain(|hash, _| pool.contains(hash));
		let mut batches = vec![Vec::new()];
		let mut bytes = 0usize;
		for tx in self.local.values() {
			if bytes >= GOSSIP_BATCH_BYTES {
				batches.push(Vec::new());
				bytes = 0;
			}
			bytes = bytes.saturating_add(tx.len());
			batches.last_mut().expect("one batch at least").push(tx.clone());
		}
		for batch in batches.into_iter().filter(|b| !b.is_empty()) {
			self.publish(batch, channels).await?;
		}
		Ok(())
	}

	async fn publish(
		&mut self,
		batch: Vec<Vec<u8>>,
		channels: &mut Channels<Ctx>,
	) -> eyre::Result<()> {
		self.gossiped = self.gossiped.wrapping_add(1);
		let stream_id =
			StreamId::new(Bytes::from([b"txs".as_slice(), &self.gossiped.to_be_bytes()].concat()));
		let part = StreamContent::Data(ProposalPart::Transactions(batch));
		let message = StreamMessage::new(stream_id, 0, part);
		channels.network.send(NetworkMsg::PublishProposalPart(message)).await?;
		Ok(())
	}

	/// Puts transactions a peer gossiped into the pool, which validates them as any other.
	fn received_transactions(&self, publisher: PeerId, txs: Vec<Vec<u8>>) {
		let submitter = self.node.submitter.clone();
		tokio::spawn(async move {
			let results =
				futures::future::join_all(txs.into_iter().map(|tx| submitter.submit_from_peer(tx)))
					.await;
			let refused = results.iter().filter(|r| r.is_err()).count();
			if refused > 0 {
				// Duplicates are normal: a transaction can reach a node twice.
				debug!(%publisher, refused, of = results.len(), "gossiped transactions refused");
			}
		});
	}

	async fn handle(
		&mut self,
		message: AppMsg<Ctx>,
		channels: &mut Channels<Ctx>,
	) -> eyre::Result<()> {
		match message {
			AppMsg::ConsensusReady { reply: r } => {
				self.refresh_validators()?;
				let height = self.next_height();
				info!(%height, validators = self.validators.count(), "consensus ready");
				reply(r, (height, self.height_params()), "ConsensusReady");
			}
			AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
				debug!(%height, %round, %proposer, ?role, "started round");
				self.admit_early(height);
				let known = self
					.proposals
					.iter()
					.filter(|(_, p)| p.height == height && p.round == round)
					.map(|(hash, p)| p.proposed_value(*hash))
					.collect();
				reply(reply_value, known, "StartedRound");
			}
			AppMsg::GetValue { height, round, timeout, reply: r } => {
				eyre::ensure!(self.me.is_some(), "consensus asked a full node to propose");
				let hash = match self.built.get(&(height, round)) {
					Some(hash) => *hash,
					None => self.build(height, round, timeout).await?,
				};
				reply(r, LocallyProposedValue::new(height, round, Value(hash)), "GetValue");
				self.stream(channels, hash, Round::Nil).await?;
			}
			AppMsg::ExtendVote { reply: r, .. } => reply(r, None, "ExtendVote"),
			AppMsg::VerifyVoteExtensions { extensions, reply: r, .. } => {
				// Carechain uses no vote extensions; any that arrive are refused.
				let verdicts = extensions
					.into_iter()
					.map(|(address, _)| {
						(address, Err(malachitebft_app_channel::app::consensus::VoteExtensionError::InvalidVoteExtension))
					})
					.collect();
				reply(r, verdicts, "VerifyVoteExtensions");
			}
			AppMsg::RestreamProposal { height, round, valid_round, value_id, .. } => {
				let mine = self.me.as_ref().map(|(address, _)| *address);
				if self.proposals.get(&value_id).is_some_and(|p| Some(p.proposer) == mine) {
					if let Some(p) = self.proposals.get_mut(&value_id) {
						p.height = height;
						p.round = round;
					}
					self.stream(channels, value_id, valid_round).await?;
				}
			}
			AppMsg::GetHistoryMinHeight { reply: r } => reply(r, Height(1), "GetHistoryMinHeight"),
			AppMsg::ReceivedProposalPart { from, published_by, part, reply: r } => {
				let value = self.received_part(published_by.unwrap_or(from), part);
				reply(r, value, "ReceivedProposalPart");
			}
			AppMsg::Decided { certificate, extensions, reply: r } => {
				if let Err(error) = self.commit(certificate, extensions) {
					error!(%error, "committing a decided block failed");
				}
				reply(r, (), "Decided");
			}
			AppMsg::Finalized { certificate, reply: r, .. } => {
				let committed = u64::from(self.node.client.head().number) >= certificate.height.0;
				if let Err(error) = self.refresh_validators() {
					error!(%error, "reading the next validator set failed; keeping the last one");
				}
				let next = if committed {
					Next::Start(self.next_height(), self.height_params())
				} else {
					Next::Restart(certificate.height, self.height_params())
				};
				reply(r, next, "Finalized");
			}
			AppMsg::GetDecidedValues { range, reply: r } => {
				let values = self.decided_values(range.start().0, range.end().0);
				reply(r, values, "GetDecidedValues");
			}
			AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply: r } => {
				let outcome = self.synced_value(height, round, proposer, &value_bytes);
				reply(r, outcome, "ProcessSyncedValue");
			}
		}
		Ok(())
	}

	/// Executes a block a peer sent this node to catch up with, under the import rules: bytes
	/// that do not decode within the limits of [`crate::decode::block`] are the peer's fault.
	fn synced_value(
		&mut self,
		height: Height,
		round: Round,
		proposer: Address,
		value_bytes: &[u8],
	) -> SyncedValueOutcome<Ctx> {
		match crate::decode::block(value_bytes) {
			Err(error) => {
				warn!(%height, %proposer, %error, "a synced block is refused");
				SyncedValueOutcome::PeerFault
			}
			Ok(block) => {
				let hash = self.execute(block, height, round, Round::Nil, proposer, Rules::Import);
				match self.proposals.get(&hash) {
					// Decided by others but ahead of this node's clock: this clock is
					// behind, so the block is asked for again later.
					Some(Proposed { refused: Some(TimestampError::Ahead { .. }), .. }) => {
						SyncedValueOutcome::LocalTransientError
					}
					Some(p) => SyncedValueOutcome::Verdict(p.proposed_value(hash)),
					None => SyncedValueOutcome::LocalTransientError,
				}
			}
		}
	}

	/// Builds a block on the head for `height`, a block time after the head's, by the chain's
	/// clock: blocks come every block time, empty or not, and back to back when building and
	/// committing one takes longer (every validator paces by the same stamps, whoever proposed
	/// the last block).
	async fn build(
		&mut self,
		height: Height,
		round: Round,
		timeout: Duration,
	) -> eyre::Result<BlockHash> {
		// Building takes up to two thirds of the block time, the share Substrate's authoring
		// gives a proposer (a third of the proposal timeout at most).
		let budget = (self.block_time * 2 / 3).max(Duration::from_millis(50)).min(timeout / 3);
		// The head's time is its proposer's clock when it started building. A block time is at
		// least the runtime's minimum period (`run` refuses less), so waiting for the due time
		// also waits out that period after a parent stamped a little ahead of this clock, and
		// the stamp stays on this clock rather than ahead of it. Genesis has no time.
		let parent = self.node.client.timestamp(self.node.client.head().hash)?;
		let block_time_ms = u64::try_from(self.block_time.as_millis()).unwrap_or(u64::MAX);
		let due = if parent == 0 { 0 } else { parent.saturating_add(block_time_ms) };
		let wait = Duration::from_millis(due.saturating_sub(timestamp::now_ms()));
		tokio::time::sleep(wait.min(timeout / 2)).await;
		// Stamped when building starts, before the pool is read, so that reading a full pool
		// does not push every later block back by as long.
		let started_ms = timestamp::now_ms();
		let node = self.node.clone();
		let fault = self.fault.map(|f| f.at(height));
		let built = tokio::task::spawn_blocking(move || {
			let started = Instant::now();
			let ready = node.pool.ready();
			// The pool verified these signatures in batches as they arrived; only those it has
			// no verdict for are verified now.
			let unverified: Vec<_> =
				ready.iter().filter(|tx| tx.verdict.is_none()).map(|tx| &tx.extrinsic).collect();
			let number = node.client.head().number.saturating_add(1);
			let (fresh, report) = node.verifier.verify(&node.client, number, unverified);
			let verdicts = ready.iter().filter_map(|tx| tx.verdict).chain(fresh.iter()).collect();
			let now_ms = match fault {
				Some(Fault::FutureTimestamp) => {
					warn!(%height, "stamping the year 2100, as --unsafe-faulty-proposals asks");
					YEAR_2100_MS
				}
				_ => started_ms,
			};
			debug!(%height, ready = ready.len(), ms = started.elapsed().as_millis() as u64, "pool read");
			let deadline = Instant::now() + budget;
			let built = node.client.build_block(
				now_ms,
				ready.iter().map(|tx| (tx.hash, &tx.extrinsic)),
				verdicts,
				deadline,
			);
			(built, report)
		})
		.await?;
		let (built, report) = built;
		let built = built?;
		self.node.pool.invalid(&built.invalid);
		self.node.metrics.record_batch(report);
		let hash = BlockHash::from(built.block.header.hash());
		debug!(%height, %round, %hash, txs = built.block.extrinsics.len(), "proposing");
		self.built.insert((height, round), hash);
		let proposer = self.me.as_ref().map(|(address, _)| *address).expect("checked by GetValue");
		self.proposals.insert(
			hash,
			Proposed {
				block: built.block,
				height,
				round,
				pol_round: Round::Nil,
				proposer,
				changes: Some(built.changes),
				validity: Validity::Valid,
				refused: None,
			},
		);
		Ok(hash)
	}

	/// Publishes a proposal as parts: who proposes, the block in chunks, and a signature.
	async fn stream(
		&mut self,
		channels: &mut Channels<Ctx>,
		hash: BlockHash,
		pol_round: Round,
	) -> eyre::Result<()> {
		let Some(proposal) = self.proposals.get(&hash) else { return Ok(()) };
		let Some((address, key)) = &self.me else { return Ok(()) };
		let (height, round) = (proposal.height, proposal.round);
		let (encoded, signature) = match self.fault {
			None => (proposal.block.encode(), key.sign(&stream_signing_bytes(height, round, hash))),
			Some(fault) => faulty(fault, &proposal.block, key, height, round),
		};
		let mut parts = vec![ProposalPart::Init { height, round, proposer: *address, pol_round }];
		parts.extend(encoded.chunks(PART_BYTES).map(|chunk| ProposalPart::Data(chunk.to_vec())));
		parts.push(ProposalPart::Fin(Signature(signature)));
		let stream_id = StreamId::new(Bytes::from(
			[height.0.to_be_bytes(), round.as_i64().to_be_bytes()].concat(),
		));
		let count = parts.len() as u64;
		for (sequence, part) in (0u64..).zip(parts) {
			let message =
				StreamMessage::new(stream_id.clone(), sequence, StreamContent::Data(part));
			channels.network.send(NetworkMsg::PublishProposalPart(message)).await?;
		}
		let fin = StreamMessage::new(stream_id, count, StreamContent::Fin);
		channels.network.send(NetworkMsg::PublishProposalPart(fin)).await?;
		Ok(())
	}

	/// Collects a proposal part; once a stream is complete, checks and executes its block.
	/// Gossiped transactions go to the pool instead.
	fn received_part(
		&mut self,
		publisher: PeerId,
		part: StreamMessage<ProposalPart>,
	) -> Option<ProposedValue<Ctx>> {
		let key = (publisher, part.stream_id.clone());
		let content = match part.content {
			StreamContent::Data(ProposalPart::Transactions(txs)) => {
				self.received_transactions(publisher, txs);
				return None;
			}
			content => content,
		};
		if part.sequence > MAX_STREAM_PARTS {
			warn!(%publisher, sequence = part.sequence, "a proposal stream is too long; dropped");
			self.streams.remove(&key);
			return None;
		}
		if !self.streams.contains_key(&key)
			&& self.streams.keys().filter(|(p, _)| *p == publisher).count() >= MAX_STREAMS_PER_PEER
		{
			warn!(%publisher, "a peer has too many unfinished proposal streams; dropping them");
			self.streams.retain(|(p, _), _| *p != publisher);
		}
		let stream = self.streams.entry(key.clone()).or_default();
		match content {
			StreamContent::Data(data) => {
				stream.parts.insert(part.sequence, Some(data));
			}
			StreamContent::Fin => stream.fin = Some(part.sequence),
		}
		let fin = stream.fin?;
		if stream.parts.len() as u64 != fin {
			return None;
		}
		let stream = self.streams.remove(&key)?;
		let mut parts = stream.parts.into_values().flatten();
		let Some(ProposalPart::Init { height, round, proposer, pol_round }) = parts.next() else {
			warn!(%publisher, "a proposal stream does not start with its Init part; ignored");
			return None;
		};
		let mut bytes = Vec::new();
		let mut signature = None;
		for part in parts {
			match part {
				ProposalPart::Data(chunk) => bytes.extend_from_slice(&chunk),
				ProposalPart::Fin(s) => signature = Some(s),
				ProposalPart::Init { .. } | ProposalPart::Transactions(_) => {
					warn!(%publisher, %height, "a proposal stream has a misplaced part; ignored");
					return None;
				}
			}
		}
		let block = match crate::decode::block(&bytes) {
			Ok(block) => block,
			Err(error) => {
				warn!(%publisher, %height, %proposer, %error, "a proposed block does not decode; ignored");
				return None;
			}
		};
		let next = self.next_height();
		if height < next {
			debug!(%publisher, %height, "a proposal for a decided height; ignored");
			return None;
		}
		if height.0 > next.0.saturating_add(MAX_HEIGHTS_AHEAD) {
			warn!(%publisher, %height, "a proposal too far ahead of this node; ignored");
			return None;
		}
		let early = Early { block, height, round, pol_round, proposer, signature, publisher };
		if height > next {
			// Who may propose there is known once this node gets there.
			self.early.insert(BlockHash::from(early.block.header.hash()), early);
			return None;
		}
		self.admit(early)
	}

	/// Checks a complete proposal for the next height against its validators and executes it.
	fn admit(&mut self, early: Early) -> Option<ProposedValue<Ctx>> {
		let Early { block, height, round, pol_round, proposer, signature, publisher } = early;
		let hash = BlockHash::from(block.header.hash());
		let Some(validator) = self.validators.get_by_address(&proposer) else {
			warn!(%publisher, %height, %proposer, "a proposal from outside the validator set; ignored");
			return None;
		};
		let signed = signature.is_some_and(|s| {
			validator.public_key.0.verify(&stream_signing_bytes(height, round, hash), &s.0).is_ok()
		});
		if !signed {
			warn!(%publisher, %height, %proposer, "a proposal's signature does not verify; ignored");
			return None;
		}
		// A proposal made again with a proof of lock was prevoted by more than two thirds of
		// the validators when it was fresh; only the import rules apply to its time now.
		let rules = if pol_round == Round::Nil { Rules::Proposal } else { Rules::Import };
		let hash = self.execute(block, height, round, pol_round, proposer, rules);
		self.proposals.get(&hash).map(|p| p.proposed_value(hash))
	}

	/// Admits the proposals for `height` that arrived before this node got there.
	fn admit_early(&mut self, height: Height) {
		self.early.retain(|_, e| e.height >= height);
		let ready: Vec<BlockHash> =
			self.early.iter().filter(|(_, e)| e.height == height).map(|(hash, _)| *hash).collect();
		for hash in ready {
			if let Some(early) = self.early.remove(&hash) {
				self.admit(early);
			}
		}
	}

	/// Checks the time of a block proposed for the next height under `rules`, executes it and
	/// remembers it with its verdict. A block already known keeps its verdict, unless its time
	/// was refused: that is judged again, as the rules or this node's clock may have changed.
	fn execute(
		&mut self,
		block: Block,
		height: Height,
		round: Round,
		pol_round: Round,
		proposer: Address,
		rules: Rules,
	) -> BlockHash {
		let hash = BlockHash::from(block.header.hash());
		if let Some(known) = self.proposals.get_mut(&hash) {
			known.round = round;
			if known.refused.is_none() {
				return hash;
			}
		}
		let (changes, validity, refused) = self.verdict(&block, hash, height, proposer, rules);
		self.proposals.insert(
			hash,
			Proposed { block, height, round, pol_round, proposer, changes, validity, refused },
		);
		hash
	}

	/// Whether a block for `height` is valid: its time within the bounds of `rules`, then its
	/// execution on the head.
	fn verdict(
		&self,
		block: &Block,
		hash: BlockHash,
		height: Height,
		proposer: Address,
		rules: Rules,
	) -> (Option<StorageChanges<sp_runtime::traits::BlakeTwo256>>, Validity, Option<TimestampError>)
	{
		if height != self.next_height() {
			return (None, Validity::Invalid, None);
		}
		let client = &self.node.client;
		let parent = match client.timestamp(client.head().hash) {
			Ok(parent) => parent,
			Err(error) => {
				error!(%error, %height, "reading the head's time failed");
				return (None, Validity::Invalid, None);
			}
		};
		let stamp = timestamp::of_block(block);
		if let Err(error) = timestamp::check(stamp, parent, timestamp::now_ms(), rules) {
			warn!(%error, %height, %hash, %proposer, ?rules, "a block's timestamp is refused");
			return (None, Validity::Invalid, Some(error));
		}
		let (verdicts, report) =
			self.node.verifier.verify(client, block.header.number, &block.extrinsics);
		self.node.metrics.record_batch(report);
		match client.execute_block(block, verdicts) {
			Ok(changes) => (Some(changes), Validity::Valid, None),
			Err(error) => {
				warn!(%error, %height, %hash, "a proposed block is invalid");
				(None, Validity::Invalid, None)
			}
		}
	}

	/// Stores the decided block with its certificate, and forgets the other proposals.
	fn commit(
		&mut self,
		certificate: CommitCertificate<Ctx>,
		extensions: VoteExtensions<Ctx>,
	) -> eyre::Result<()> {
		let hash = certificate.value_id;
		let height = certificate.height;
		let Some(decided) = self.proposals.get(&hash) else {
			eyre::bail!(
				"consensus decided block {hash} at height {height}, which this node never saw"
			);
		};
		// The others' clocks accepted its time; this node imports it once its clock agrees
		// (until then, sync asks for it again).
		let client = &self.node.client;
		let parent = client.timestamp(client.head().hash)?;
		let stamp = timestamp::of_block(&decided.block);
		if let Err(error) = timestamp::check(stamp, parent, timestamp::now_ms(), Rules::Import) {
			eyre::bail!("decided block {hash} at height {height} is not imported yet: {error}");
		}
		let Some(mut proposed) = self.proposals.remove(&hash) else {
			eyre::bail!("block {hash} was just seen");
		};
		let started = Instant::now();
		let changes = match proposed.changes.take() {
			Some(changes) => changes,
			None => {
				let (verdicts, _) = self.node.verifier.verify(
					&self.node.client,
					proposed.block.header.number,
					&proposed.block.extrinsics,
				);
				self.node.client.execute_block(&proposed.block, verdicts)?
			}
		};
		let extended = ExtendedCommitCertificate::from_commit_certificate_and_extensions(
			certificate,
			extensions,
		);
		let record = RawDecidedValue { value_bytes: Bytes::new(), certificate: extended };
		self.node.client.commit(&proposed.block, changes, &wire::encode_decided(&record))?;
		let included: Vec<H256> = proposed
			.block
			.extrinsics
			.iter()
			.map(|x| crate::client::extrinsic_hash(&x.encode()))
			.collect();
		self.node.imported(&proposed.block, included, started.elapsed());
		self.proposals.retain(|_, p| p.height > height);
		self.early.retain(|_, e| e.height > height);
		self.built.retain(|(h, _), _| *h > height);
		Ok(())
	}

	fn decided_values(&self, from: u64, to: u64) -> Vec<RawDecidedValue<Ctx>> {
		let mut values = Vec::new();
		let mut bytes = 0usize;
		for number in from..=to.min(from.saturating_add(64)) {
			let Ok(number) = u32::try_from(number) else { break };
			let Some(value) = self.decided_value(number) else { break };
			bytes = bytes.saturating_add(value.value_bytes.len());
			if bytes > SYNC_RESPONSE_BYTES && !values.is_empty() {
				break;
			}
			values.push(value);
		}
		values
	}

	fn decided_value(&self, number: u32) -> Option<RawDecidedValue<Ctx>> {
		let client = &self.node.client;
		let hash = client.hash(number).ok().flatten()?;
		let block = client.block(hash).ok().flatten()?;
		let record = client.certificate(number).ok().flatten()?;
		let mut record = wire::decode_decided(&record).ok()?;
		record.value_bytes = block.encode().into();
		Some(record)
	}
}

/// The bytes and signature a faulty proposer sends instead of its block's.
fn faulty(
	fault: Fault,
	block: &Block,
	key: &ed::PrivateKey,
	height: Height,
	round: Round,
) -> (Vec<u8>, ed::Signature) {
	use rand::RngCore as _;
	let hash = BlockHash::from(block.header.hash());
	let fault = fault.at(height);
	warn!(%height, %round, ?fault, "proposing a faulty block, as --unsafe-faulty-proposals asks");
	match fault {
		Fault::Garbage => {
			let mut bytes = vec![0u8; block.encoded_size().max(64)];
			rand::thread_rng().fill_bytes(&mut bytes);
			(bytes, key.sign(&stream_signing_bytes(height, round, hash)))
		}
		Fault::InvalidBlock => {
			let mut block = block.clone();
			block.header.state_root = H256::random();
			let hash = BlockHash::from(block.header.hash());
			(block.encode(), key.sign(&stream_signing_bytes(height, round, hash)))
		}
		// `build` stamped the block in the year 2100; it is otherwise valid, and signed.
		Fault::FutureTimestamp => {
			(block.encode(), key.sign(&stream_signing_bytes(height, round, hash)))
		}
		Fault::PastTimestamp => {
			let mut block = block.clone();
			for extrinsic in &mut block.extrinsics {
				if let carechain_runtime::RuntimeCall::Timestamp(pallet_timestamp::Call::set {
					now,
				}) = &mut extrinsic.function
				{
					*now = now.saturating_sub(HOUR_MS);
				}
			}
			// The header names the new body, so the proposal is a block of its own.
			block.header.extrinsics_root =
				<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::ordered_trie_root(
					block.extrinsics.iter().map(|x| x.encode()).collect(),
					sp_runtime::StateVersion::V1,
				);
			let hash = BlockHash::from(block.header.hash());
			(block.encode(), key.sign(&stream_signing_bytes(height, round, hash)))
		}
		Fault::NestedCall => {
			let depth = if rand::random::<bool>() { 1_024 } else { 100_000 };
			(with_nested_call(block, depth), key.sign(&stream_signing_bytes(height, round, hash)))
		}
		Fault::BadSignature | Fault::Any => {
			let mut seed = [0u8; 32];
			rand::thread_rng().fill_bytes(&mut seed);
			let stranger = ed::PrivateKey::from(seed);
			(block.encode(), stranger.sign(&stream_signing_bytes(height, round, hash)))
		}
	}
}

/// `block`'s encoding with one more extrinsic in its body: a remark inside `depth` levels of
/// `Council.execute` (`crate::extrinsic::nested_call`).
fn with_nested_call(block: &Block, depth: usize) -> Vec<u8> {
	use carechain_runtime::{RuntimeCall, UncheckedExtrinsic};
	use codec::Compact;
	let remark = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	let extrinsic = crate::extrinsic::with_call(
		&UncheckedExtrinsic::new_bare(remark.clone()),
		&crate::extrinsic::nested_call(&remark, depth),
	);
	let mut bytes = block.header.encode();
	Compact(block.extrinsics.len() as u32 + 1).encode_to(&mut bytes);
	for existing in &block.extrinsics {
		existing.encode_to(&mut bytes);
	}
	bytes.extend(extrinsic);
	bytes
}
