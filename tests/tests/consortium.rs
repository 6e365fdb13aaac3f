//! A consortium of real `carechain` processes on loopback: four validators on the `local`
//! spec agree on every block and survive crashes; a full node follows; the council changes
//! the validator set from an announced height; a validator that proposes faulty blocks (its
//! clock set to the year 2100 among them) is ignored.
//!
//! The networks are heavy for two cores, so the tests take turns.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{carechain, hex_of, sign, Network, Role};
use carechain_node::{
	consensus::timestamp::{minimum_period, now_ms, MAX_FUTURE_DRIFT, MAX_PROPOSAL_AGE},
	rpc::api::{CommitInfo, PeerInfo, ValidatorSetInfo},
};
use carechain_runtime::{Header, RuntimeCall};
use codec::Decode as _;
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::WsClient,
};
use serde_json::Value as Json;
use sp_core::{crypto::Pair as _, ed25519, Bytes, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use std::{
	future::Future,
	time::{Duration, Instant},
};
use tokio::sync::Mutex;

static ONE_NETWORK_AT_A_TIME: Mutex<()> = Mutex::const_new(());

const VALIDATORS: [&str; 4] = ["//Alice", "//Bob", "//Charlie", "//Dave"];

fn validator_key(uri: &str) -> String {
	format!("0x{}", hex::encode(ed25519::Pair::from_string(uri, None).unwrap().public()))
}

async fn finalized(client: &WsClient) -> u32 {
	let hash: H256 = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	let header: Header = client.request("chain_getHeader", rpc_params![hash]).await.unwrap();
	header.number
}

async fn header_at(client: &WsClient, number: u32) -> Option<Header> {
	let hash: Option<H256> =
		client.request("chain_getBlockHash", rpc_params![number]).await.ok()?;
	client.request("chain_getHeader", rpc_params![hash?]).await.ok()?
}

/// The time of finalized block `number` (`Timestamp::Now` in its state), in milliseconds.
async fn block_time(client: &WsClient, number: u32) -> u64 {
	let hash: H256 = client.request("chain_getBlockHash", rpc_params![number]).await.unwrap();
	let key = Bytes(carechain_node::client::now_key());
	let now: Option<Bytes> =
		client.request("state_getStorage", rpc_params![key, hash]).await.unwrap();
	u64::decode(&mut &now.expect("every block has a time").0[..]).unwrap()
}

async fn commit(client: &WsClient, number: u32) -> CommitInfo {
	let commit: Option<CommitInfo> =
		client.request("consensus_commit", rpc_params![number]).await.unwrap();
	commit.unwrap_or_else(|| panic!("block #{number} has a commit"))
}

/// Polls `check` until it holds, or fails with the network's logs after `limit`.
async fn eventually<F, Fut>(network: &Network, what: &str, limit: Duration, mut check: F)
where
	F: FnMut() -> Fut,
	Fut: Future<Output = bool>,
{
	let deadline = Instant::now() + limit;
	while !check().await {
		assert!(
			Instant::now() < deadline,
			"{what} did not happen in {limit:?}\n{}",
			network.logs()
		);
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
}

/// Waits until every client has finalized block `number`.
async fn all_reach(network: &Network, clients: &[&WsClient], number: u32, limit: Duration) {
	eventually(network, &format!("finalizing #{number} everywhere"), limit, || async {
		for client in clients {
			if finalized(client).await < number {
				return false;
			}
		}
		true
	})
	.await;
}

/// Every client has the same header (hash and state root) at every height up to `number`.
async fn assert_same_chain(clients: &[&WsClient], number: u32) {
	for n in 1..=number {
		let first = header_at(clients[0], n).await.expect("the first node has the block");
		for (i, client) in clients.iter().enumerate().skip(1) {
			let header = header_at(client, n).await.expect("every node has the block");
			assert_eq!(header.hash(), first.hash(), "node {i} differs at #{n}");
			assert_eq!(header.state_root, first.state_root, "node {i}'s state differs at #{n}");
		}
	}
}

/// Submits an empty remark (the runtime refuses one with bytes) signed by `signer` to `client`
/// and returns the finalized block hash, or `None` if it is not finalized within a minute.
async fn remark_finalized(client: &WsClient, signer: ed25519::Pair, genesis: H256) -> Option<H256> {
	let call = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	let extrinsic = sign(&signer, 0, call, genesis);
	let mut watch = client
		.subscribe::<Json, _>(
			"author_submitAndWatchExtrinsic",
			rpc_params![hex_of(&extrinsic)],
			"author_unwatchExtrinsic",
		)
		.await
		.expect("the pool accepts the remark");
	loop {
		let status = tokio::time::timeout(Duration::from_secs(60), watch.next())
			.await
			.ok()?
			.expect("the subscription stays open")
			.expect("statuses are JSON");
		if let Some(hash) = status.get("finalized") {
			return Some(serde_json::from_value(hash.clone()).unwrap());
		}
		assert_ne!(status, Json::from("invalid"), "the remark was dropped");
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_agree_survive_one_crash_and_halt_without_two() {
	let _turn = ONE_NETWORK_AT_A_TIME.lock().await;
	let roles: Vec<Role> =
		VALIDATORS.iter().map(|k| Role::Validator(k)).chain([Role::Full]).collect();
	let mut network = Network::start(&roles, &[]);
	let mut clients = Vec::new();
	for i in 0..5 {
		clients.push(network.client(i).await);
	}
	let genesis: H256 = clients[0].request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let set: ValidatorSetInfo =
		clients[4].request("consensus_validators", rpc_params![]).await.unwrap();
	assert_eq!(set.validators.len(), 4);

	// A transaction sent to any node, the full node included (it never proposes, so only
	// gossip brings its transactions to a proposer), is final on all of them.
	let signers = [
		Ed25519Keyring::Alice,
		Ed25519Keyring::Bob,
		Ed25519Keyring::Charlie,
		Ed25519Keyring::Dave,
		Ed25519Keyring::Eve,
	];
	let mut included = Vec::new();
	for (client, signer) in clients.iter().zip(signers) {
		included.push(remark_finalized(client, signer.pair(), genesis));
	}
	let included = futures::future::join_all(included).await;
	let late: Vec<usize> = (0..5).filter(|i| included[*i].is_none()).collect();
	assert!(
		late.is_empty(),
		"remarks sent to nodes {late:?} were not finalized\n{}",
		network.logs()
	);
	let mut highest = 0;
	for hash in included.iter().flatten() {
		for client in &clients {
			let header: Option<Header> =
				client.request("chain_getHeader", rpc_params![hash]).await.unwrap();
			let header = header.expect("every node has the block that included the remark");
			highest = highest.max(header.number);
		}
	}
	let all: Vec<&WsClient> = clients.iter().collect();
	all_reach(&network, &all, highest, Duration::from_secs(60)).await;
	assert_same_chain(&all, highest).await;
	// Four validators sign each commit: more than two thirds of them, at least three.
	assert!(commit(&clients[0], highest).await.signers.len() >= 3);

	// `system_peers`: each node lists the other four, the validators as authorities, each
	// with a height it reported and this node's block at that height.
	let mut ids = Vec::new();
	for client in &clients {
		ids.push(client.request::<String, _>("system_localPeerId", rpc_params![]).await.unwrap());
	}
	let authorities: Vec<&String> = ids[..4].iter().collect();
	for (i, client) in clients.iter().enumerate() {
		eventually(
			&network,
			&format!("node {i} hears every peer's height and knows the validators"),
			Duration::from_secs(30),
			|| async {
				let peers: Vec<PeerInfo> =
					client.request("system_peers", rpc_params![]).await.unwrap();
				// A peer is an authority once it has proved a validator's key to this node,
				// which may come after its first status: wait for both.
				let proved = peers.iter().filter(|p| p.roles == "AUTHORITY").count();
				let expected = if i < 4 { 3 } else { 4 };
				peers.len() == 4
					&& peers.iter().all(|p| p.best_hash.is_some())
					&& proved == expected
			},
		)
		.await;
		let peers: Vec<PeerInfo> = client.request("system_peers", rpc_params![]).await.unwrap();
		let mut listed: Vec<&String> = peers.iter().map(|p| &p.peer_id).collect();
		let mut others: Vec<&String> = ids.iter().filter(|id| **id != ids[i]).collect();
		listed.sort();
		others.sort();
		assert_eq!(listed, others, "node {i} lists the other four");
		for peer in &peers {
			let role = if authorities.contains(&&peer.peer_id) { "AUTHORITY" } else { "FULL" };
			assert_eq!(peer.roles, role, "node {i}'s view of {}", peer.peer_id);
			let number = peer.best_number.expect("a height once its hash is known");
			let ours: Option<H256> =
				client.request("chain_getBlockHash", rpc_params![number]).await.unwrap();
			assert_eq!(peer.best_hash, ours, "node {i}: the hash at #{number}");
		}
	}

	// kill -9 one validator: the other three keep finalizing.
	network.kill(3);
	let at_crash = finalized(&clients[0]).await;
	let three: Vec<&WsClient> = vec![&clients[0], &clients[1], &clients[2], &clients[4]];
	all_reach(&network, &three, at_crash + 3, Duration::from_secs(90)).await;

	// It comes back, catches up through sync, and agrees.
	network.restart(3);
	clients[3] = network.client(3).await;
	let target = finalized(&clients[0]).await;
	let all: Vec<&WsClient> = clients.iter().collect();
	all_reach(&network, &all, target, Duration::from_secs(120)).await;
	assert_same_chain(&all, target).await;

	// Two of four down: no two thirds, so finalization halts, without forking.
	network.kill(2);
	network.kill(3);
	tokio::time::sleep(Duration::from_secs(4)).await;
	let halted = finalized(&clients[0]).await;
	tokio::time::sleep(Duration::from_secs(10)).await;
	for client in [&clients[0], &clients[1], &clients[4]] {
		assert_eq!(finalized(client).await, halted, "a block was finalized by two of four");
	}
	assert_same_chain(&[&clients[0], &clients[1], &clients[4]], halted).await;

	// One returns: three of four again, and finalization resumes.
	network.restart(2);
	clients[2] = network.client(2).await;
	let back: Vec<&WsClient> = vec![&clients[0], &clients[1], &clients[2], &clients[4]];
	all_reach(&network, &back, halted + 3, Duration::from_secs(120)).await;
	assert_same_chain(&back, halted + 3).await;
}

async fn council_motion(client: &WsClient, genesis: H256, nonce: u32, call: RuntimeCall) {
	// The local spec's council is Alice (sr25519) alone: a threshold of one executes at once.
	let motion = RuntimeCall::Council(pallet_collective::Call::propose {
		threshold: 1,
		proposal: Box::new(call),
		length_bound: 10_000,
	});
	let extrinsic = sign(&Sr25519Keyring::Alice.pair(), nonce, motion, genesis);
	let hash: H256 = client
		.request("author_submitExtrinsic", rpc_params![hex_of(&extrinsic)])
		.await
		.expect("the pool accepts the council motion");
	assert_ne!(hash, H256::zero());
}

/// The height from which the announced validator set decides.
async fn scheduled_at(network: &Network, client: &WsClient) -> u32 {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		let set: ValidatorSetInfo =
			client.request("consensus_validators", rpc_params![]).await.unwrap();
		if let Some(scheduled) = set.scheduled {
			return scheduled.at;
		}
		assert!(Instant::now() < deadline, "no change was announced\n{}", network.logs());
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn the_council_adds_and_removes_validators_from_an_announced_height() {
	let _turn = ONE_NETWORK_AT_A_TIME.lock().await;
	// Node 4 runs //Eve's key from its key file; it is not a validator yet, so it follows.
	let roles: Vec<Role> =
		VALIDATORS.iter().map(|k| Role::Validator(k)).chain([Role::KeyFile("//Eve")]).collect();
	let mut network = Network::start(&roles, &[]);
	let mut clients = Vec::new();
	for i in 0..5 {
		clients.push(network.client(i).await);
	}
	let genesis: H256 = clients[0].request("chain_getBlockHash", rpc_params![0]).await.unwrap();
	let eve = validator_key("//Eve");
	let bob = validator_key("//Bob");

	// Eve's operator, Two Distribution (organization 4), proves that it holds the key.
	let proof = carechain(
		&["key", "validator-proof", "--org", "4", "--chain", "local"],
		network.base_path(4),
	);
	let proof = proof.lines().find_map(|l| l.strip_prefix("Proof:")).expect("a proof line").trim();
	let proof: [u8; 64] = hex::decode(&proof[2..]).unwrap().try_into().unwrap();
	let key = ed25519::Pair::from_string("//Eve", None).unwrap().public().0;
	let add = RuntimeCall::Registry(pallet_registry::Call::add_validator {
		org: 4,
		key,
		proof: ed25519::Signature::from_raw(proof),
	});
	council_motion(&clients[0], genesis, 0, add).await;
	let at = scheduled_at(&network, &clients[4]).await;
	let all: Vec<&WsClient> = clients.iter().collect();
	all_reach(&network, &all, at, Duration::from_secs(90)).await;
	let set: ValidatorSetInfo =
		clients[4].request("consensus_validators", rpc_params![]).await.unwrap();
	assert!(set.validators.iter().any(|v| v.key == eve && v.org == 4), "{set:?}");
	for n in 1..at {
		assert!(!commit(&clients[0], n).await.signers.contains(&eve), "Eve signed #{n} < {at}");
	}

	// With five validators four must sign; with Alice down only Eve makes the fourth, so
	// blocks that still finalize prove that Eve votes.
	network.kill(0);
	let from = finalized(&clients[1]).await + 1;
	let rest: Vec<&WsClient> = clients[1..].iter().collect();
	all_reach(&network, &rest, from + 2, Duration::from_secs(120)).await;
	for n in from..=from + 2 {
		assert!(commit(&clients[1], n).await.signers.contains(&eve), "Eve did not sign #{n}");
	}
	network.restart(0);
	clients[0] = network.client(0).await;

	// The council removes Bob; from the announced height the set is four again, without him.
	let remove = RuntimeCall::Registry(pallet_registry::Call::remove_validator {
		key: ed25519::Pair::from_string("//Bob", None).unwrap().public().0,
	});
	council_motion(&clients[1], genesis, 1, remove).await;
	let at = scheduled_at(&network, &clients[1]).await;
	let all: Vec<&WsClient> = clients.iter().collect();
	all_reach(&network, &all, at, Duration::from_secs(120)).await;
	let set: ValidatorSetInfo =
		clients[0].request("consensus_validators", rpc_params![]).await.unwrap();
	assert_eq!(set.validators.len(), 4);
	assert!(!set.validators.iter().any(|v| v.key == bob));

	// Bob no longer counts: with Bob and Charlie down, Alice, Dave and Eve are three of four
	// and keep finalizing (had Bob still counted, three of five could not).
	network.kill(1);
	network.kill(2);
	let from = finalized(&clients[0]).await + 1;
	let left: Vec<&WsClient> = vec![&clients[0], &clients[3], &clients[4]];
	all_reach(&network, &left, from + 2, Duration::from_secs(120)).await;
	for n in at..=from + 2 {
		assert!(!commit(&clients[0], n).await.signers.contains(&bob), "Bob signed #{n}");
	}
	assert_same_chain(&left, from + 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validator_proposing_faulty_blocks_is_ignored() {
	let _turn = ONE_NETWORK_AT_A_TIME.lock().await;
	let roles: Vec<Role> = VALIDATORS.iter().map(|k| Role::Validator(k)).collect();
	let started = now_ms();
	let network = Network::start(&roles, &[(3, &["--unsafe-faulty-proposals", "any"])]);
	let mut clients = Vec::new();
	for i in 0..4 {
		clients.push(network.client(i).await);
	}
	// Dave proposes every fourth height first; each of his proposals is garbage, a block with
	// a wrong state root, signed by a stranger, a valid block stamped in the year 2100, or one
	// stamped an hour before its parent, in turn by height: five of his heights show all five.
	const LAST: u32 = 22;
	let honest: Vec<&WsClient> = clients[..3].iter().collect();
	all_reach(&network, &honest, LAST, Duration::from_secs(360)).await;
	assert_same_chain(&honest, LAST).await;
	// The chain's clock is the honest validators': no finalized block is stamped beyond the
	// drift of the wall clock, or before the network started, and each a minimum period after
	// its parent.
	let drift = MAX_FUTURE_DRIFT.as_millis() as u64;
	let age = MAX_PROPOSAL_AGE.as_millis() as u64;
	let mut parent = 0;
	for n in 1..=LAST {
		let time = block_time(&clients[0], n).await;
		let now = now_ms();
		assert!(time <= now + drift, "#{n} is stamped {time}, {} ms ahead", time - now);
		assert!(time + age >= started, "#{n} is stamped {time}, before the network started");
		assert!(n == 1 || time >= parent + minimum_period(), "#{n} at {time} after {parent}");
		parent = time;
	}
	let mut later_rounds = 0;
	for n in 1..=LAST {
		if commit(&clients[0], n).await.round > 0 {
			later_rounds += 1;
		}
	}
	assert!(later_rounds >= 5, "Dave's heights were decided in later rounds: {later_rounds}");

	let logs: String = (0..3).map(|i| network.node(i).log()).collect();
	for warning in [
		"a proposed block does not decode; ignored",
		"a proposed block is invalid",
		"a proposal's signature does not verify; ignored",
	] {
		assert!(logs.contains(warning), "no honest node logged {warning:?}\n{}", network.logs());
	}
	for reason in ["ahead of this node's clock", "behind this node's clock"] {
		assert!(
			logs.lines()
				.any(|l| l.contains("a block's timestamp is refused") && l.contains(reason)),
			"no honest node refused a block's timestamp as {reason:?}\n{}",
			network.logs()
		);
	}
}
