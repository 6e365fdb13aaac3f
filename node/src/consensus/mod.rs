//! Consensus through Malachite (Tendermint BFT): the node proposes blocks it builds, executes
//! the blocks others propose, and commits what the validators decide. A decided block is final.

pub mod context;
pub mod signing;
pub mod wire;

use crate::service::Node;
use bytes::Bytes;
use carechain_runtime::Block;
use codec::{DecodeAll as _, Encode as _};
use context::{
	stream_signing_bytes, Address, BlockHash, CarechainContext as Ctx, Height, ProposalPart,
	PublicKey, Signature, ValidatorSet, Value,
};
use malachitebft_app_channel::{
	app::{
		config::{ConsensusConfig, NodeConfig, P2pConfig, ValueSyncConfig},
		engine::host::{HeightParams, Next, SyncedValueOutcome},
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
	AppMsg, Channels, ConsensusContext, NetworkContext, NetworkIdentity, NetworkMsg,
	RequestContext, Signer as _, SyncContext, WalContext,
};
use malachitebft_signing_ed25519 as ed;
use sp_core::H256;
use sp_state_machine::StorageChanges;
use std::{
	collections::{BTreeMap, HashMap},
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tracing::{debug, error, info, warn};
use wire::BorshCodec;

/// The largest piece of a block in one proposal part.
const PART_BYTES: usize = 128 * 1024;

/// How this node takes part in consensus.
pub struct Settings {
	/// The validator's consensus key (its 32-byte seed).
	pub key: [u8; 32],
	/// The validators.
	pub validators: ValidatorSet,
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

/// Starts Malachite and runs the application side until consensus stops.
pub async fn run(settings: Settings, node: Arc<Node>) -> eyre::Result<()> {
	let key = ed::PrivateKey::from(settings.key);
	let public = PublicKey(key.public_key());
	let address = public.address();
	let provider = signing::Ed25519Provider::new(key.clone());
	let keypair = Keypair::ed25519_from_bytes(settings.key)?;
	let proof = provider
		.sign_validator_proof(
			public.0.as_bytes().to_vec(),
			keypair.public().to_peer_id().to_bytes(),
		)
		.await?;
	let proof_bytes = BorshCodec.encode(&proof)?;
	let identity = NetworkIdentity::new_validator(
		settings.moniker.clone(),
		keypair,
		address.to_string(),
		proof_bytes,
	);
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
	let (mut channels, _engine) = malachitebft_app_channel::start_engine(
		Ctx,
		config,
		WalContext::new(settings.wal_dir.join("consensus.wal"), BorshCodec),
		NetworkContext::new(identity, BorshCodec),
		ConsensusContext::new_validator(
			address,
			Box::new(signing::Ed25519Provider::new(key.clone())),
			Box::new(provider),
		),
		SyncContext::new(BorshCodec),
		RequestContext::new(100),
	)
	.await?;
	let mut app = App {
		node,
		validators: settings.validators,
		address,
		key,
		block_time: settings.block_time,
		proposals: HashMap::new(),
		built: HashMap::new(),
		streams: HashMap::new(),
		last_block: Instant::now(),
	};
	while let Some(message) = channels.consensus.recv().await {
		if let Err(error) = app.handle(message, &mut channels).await {
			error!(%error, "consensus application error");
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

struct App {
	node: Arc<Node>,
	validators: ValidatorSet,
	address: Address,
	key: ed::PrivateKey,
	block_time: Duration,
	proposals: HashMap<BlockHash, Proposed>,
	built: HashMap<(Height, Round), BlockHash>,
	streams: HashMap<(PeerId, StreamId), Stream>,
	last_block: Instant,
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

	async fn handle(
		&mut self,
		message: AppMsg<Ctx>,
		channels: &mut Channels<Ctx>,
	) -> eyre::Result<()> {
		match message {
			AppMsg::ConsensusReady { reply: r } => {
				let height = self.next_height();
				info!(%height, validators = self.validators.count(), "consensus ready");
				reply(r, (height, height_params(&self.validators)), "ConsensusReady");
			}
			AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
				debug!(%height, %round, %proposer, ?role, "started round");
				let known = self
					.proposals
					.iter()
					.filter(|(_, p)| p.height == height && p.round == round)
					.map(|(hash, p)| p.proposed_value(*hash))
					.collect();
				reply(reply_value, known, "StartedRound");
			}
			AppMsg::GetValue { height, round, timeout, reply: r } => {
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
				if self.proposals.get(&value_id).is_some_and(|p| p.proposer == self.address) {
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
				let next = if committed {
					Next::Start(self.next_height(), height_params(&self.validators))
				} else {
					Next::Restart(certificate.height, height_params(&self.validators))
				};
				reply(r, next, "Finalized");
			}
			AppMsg::GetDecidedValues { range, reply: r } => {
				let values = self.decided_values(range.start().0, range.end().0);
				reply(r, values, "GetDecidedValues");
			}
			AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply: r } => {
				let outcome = match Block::decode_all(&mut &value_bytes[..]) {
					Err(_) => SyncedValueOutcome::PeerFault,
					Ok(block) => {
						let hash = self.execute(block, height, round, Round::Nil, proposer);
						match self.proposals.get(&hash) {
							Some(p) => SyncedValueOutcome::Verdict(p.proposed_value(hash)),
							None => SyncedValueOutcome::LocalTransientError,
						}
					}
				};
				reply(r, outcome, "ProcessSyncedValue");
			}
		}
		Ok(())
	}

	/// Builds a block on the head for `height`, no sooner than a block time after the last one.
	async fn build(
		&mut self,
		height: Height,
		round: Round,
		timeout: Duration,
	) -> eyre::Result<BlockHash> {
		// The block is due a block time after the last one; building takes up to 60% of the
		// block time (a third of the proposal timeout at most), so it starts that much earlier.
		let budget = (self.block_time * 3 / 5).max(Duration::from_millis(50)).min(timeout / 3);
		let due = self.last_block + self.block_time;
		let wait = due.saturating_duration_since(Instant::now() + budget);
		tokio::time::sleep(wait.min(timeout / 2)).await;
		let node = self.node.clone();
		let built = tokio::task::spawn_blocking(move || {
			let ready = node.pool.ready();
			// The pool verified these signatures in batches as they arrived; only those it has
			// no verdict for are verified now.
			let unverified: Vec<_> =
				ready.iter().filter(|tx| tx.verdict.is_none()).map(|tx| &tx.extrinsic).collect();
			let number = node.client.head().number.saturating_add(1);
			let (fresh, report) = node.verifier.verify(&node.client, number, unverified);
			let verdicts = ready.iter().filter_map(|tx| tx.verdict).chain(fresh.iter()).collect();
			let now_ms =
				SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
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
		self.proposals.insert(
			hash,
			Proposed {
				block: built.block,
				height,
				round,
				pol_round: Round::Nil,
				proposer: self.address,
				changes: Some(built.changes),
				validity: Validity::Valid,
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
		let (height, round) = (proposal.height, proposal.round);
		let encoded = proposal.block.encode();
		let mut parts =
			vec![ProposalPart::Init { height, round, proposer: self.address, pol_round }];
		parts.extend(encoded.chunks(PART_BYTES).map(|chunk| ProposalPart::Data(chunk.to_vec())));
		parts.push(ProposalPart::Fin(Signature(
			self.key.sign(&stream_signing_bytes(height, round, hash)),
		)));
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
	fn received_part(
		&mut self,
		publisher: PeerId,
		part: StreamMessage<ProposalPart>,
	) -> Option<ProposedValue<Ctx>> {
		let key = (publisher, part.stream_id.clone());
		let stream = self.streams.entry(key.clone()).or_default();
		match part.content {
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
			warn!(%publisher, "a proposal stream does not start with its Init part");
			return None;
		};
		let mut bytes = Vec::new();
		let mut signature = None;
		for part in parts {
			match part {
				ProposalPart::Data(chunk) => bytes.extend_from_slice(&chunk),
				ProposalPart::Fin(s) => signature = Some(s),
				ProposalPart::Init { .. } => return None,
			}
		}
		let Ok(block) = Block::decode_all(&mut &bytes[..]) else {
			warn!(%publisher, %height, "a proposed block does not decode");
			return None;
		};
		let hash = BlockHash::from(block.header.hash());
		let validator = self.validators.get_by_address(&proposer)?;
		let signed = signature.is_some_and(|s| {
			validator.public_key.0.verify(&stream_signing_bytes(height, round, hash), &s.0).is_ok()
		});
		if !signed {
			warn!(%publisher, %height, %proposer, "a proposal's signature does not verify");
			return None;
		}
		let hash = self.execute(block, height, round, pol_round, proposer);
		self.proposals.get(&hash).map(|p| p.proposed_value(hash))
	}

	/// Executes a block proposed for the next height and remembers it with its verdict.
	fn execute(
		&mut self,
		block: Block,
		height: Height,
		round: Round,
		pol_round: Round,
		proposer: Address,
	) -> BlockHash {
		let hash = BlockHash::from(block.header.hash());
		if let Some(known) = self.proposals.get_mut(&hash) {
			known.round = round;
			return hash;
		}
		let (changes, validity) = if height == self.next_height() {
			let (verdicts, report) = self.node.verifier.verify(
				&self.node.client,
				block.header.number,
				&block.extrinsics,
			);
			self.node.metrics.record_batch(report);
			match self.node.client.execute_block(&block, verdicts) {
				Ok(changes) => (Some(changes), Validity::Valid),
				Err(error) => {
					warn!(%error, %height, %hash, "a proposed block is invalid");
					(None, Validity::Invalid)
				}
			}
		} else {
			(None, Validity::Invalid)
		};
		self.proposals.insert(
			hash,
			Proposed { block, height, round, pol_round, proposer, changes, validity },
		);
		hash
	}

	/// Stores the decided block with its certificate, and forgets the other proposals.
	fn commit(
		&mut self,
		certificate: CommitCertificate<Ctx>,
		extensions: VoteExtensions<Ctx>,
	) -> eyre::Result<()> {
		let hash = certificate.value_id;
		let height = certificate.height;
		let Some(mut proposed) = self.proposals.remove(&hash) else {
			eyre::bail!(
				"consensus decided block {hash} at height {height}, which this node never saw"
			);
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
		self.last_block = Instant::now();
		let included: Vec<H256> = proposed
			.block
			.extrinsics
			.iter()
			.map(|x| crate::client::extrinsic_hash(&x.encode()))
			.collect();
		self.node.pool.included(&included);
		self.node.imported(&proposed.block, included, started.elapsed());
		self.proposals.retain(|_, p| p.height > height);
		self.built.retain(|(h, _), _| *h > height);
		Ok(())
	}

	fn decided_values(&self, from: u64, to: u64) -> Vec<RawDecidedValue<Ctx>> {
		let mut values = Vec::new();
		for number in from..=to.min(from.saturating_add(64)) {
			let Ok(number) = u32::try_from(number) else { break };
			let Some(value) = self.decided_value(number) else { break };
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
