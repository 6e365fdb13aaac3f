//! Crash trials: the real `carechain --dev` binary is killed with SIGKILL under load, again and
//! again on one database, half the time at a random moment and half the time right after it
//! announced a finalized head. After every restart, nothing it announced may be missing: the
//! finalized head never goes back, every announced block keeps its number and hash, and the
//! state of the last announced block is intact and readable.
//!
//! `CARECHAIN_CRASH_TRIALS` sets the number of trials (default 20, as the README test command
//! runs them); `CARECHAIN_CRASH_SEED` replays a run (each run prints its seed). The long run
//! (200 trials of each kind) is documented in README.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{create_record, hex_of, sign, DevNode};
use carechain_runtime::{Header, RuntimeCall};
use codec::Decode;
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use std::{
	collections::BTreeMap,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

/// Where a trial kills the node.
#[derive(Clone, Copy, Debug)]
enum Moment {
	/// After a random delay while transactions stream in.
	Random,
	/// The moment a finalized-head notification arrives.
	AfterNotification,
}

/// A small deterministic generator, so that a failing run can be replayed from its seed.
struct Rng(u64);

impl Rng {
	fn below(&mut self, bound: u64) -> u64 {
		// xorshift64*
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
	}
}

fn env_number(name: &str) -> Option<u64> {
	std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?}")))
}

/// The storage key of `System::Number`: twox128("System") ++ twox128("Number").
const SYSTEM_NUMBER_KEY: &str =
	"0x26aa394eea5630e07c48ae0c9558cef702a5c1b19ab7a04f536c519aca4983ac";

/// Keeps the node busy until aborted: Bob writes records for Eve and Alice, Charlie and Dave
/// send remarks, each signer with `IN_FLIGHT` submissions outstanding, so blocks are large (the
/// larger a block's state changes, the longer its write takes, and the wider the window a
/// crash could fall into). Counts what the node accepted.
fn start_load(
	rpc_port: u16,
	genesis: H256,
	seeds: u32,
	accepted: Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
	const IN_FLIGHT: u32 = 32;
	let signers =
		[Ed25519Keyring::Bob, Ed25519Keyring::Alice, Ed25519Keyring::Charlie, Ed25519Keyring::Dave];
	signers
		.into_iter()
		.map(|signer| {
			let accepted = accepted.clone();
			tokio::spawn(async move {
				let url = format!("ws://127.0.0.1:{rpc_port}");
				let Ok(client) = WsClientBuilder::default().build(&url).await else { return };
				let Ok(mut nonce) = client
					.request::<u32, _>(
						"system_accountNextIndex",
						rpc_params![signer.to_account_id()],
					)
					.await
				else {
					return;
				};
				loop {
					let submissions = (nonce..nonce + IN_FLIGHT).map(|n| {
						let call = match signer {
							Ed25519Keyring::Bob => create_record(seeds + n),
							// Empty: the runtime refuses a remark with bytes.
							_ => RuntimeCall::System(frame_system::Call::remark {
								remark: Vec::new(),
							}),
						};
						let x = hex_of(&sign(&signer.pair(), n, call, genesis));
						let client = &client;
						async move {
							client
								.request::<H256, _>("author_submitExtrinsic", rpc_params![x])
								.await
						}
					});
					let mut ok = 0u32;
					for result in futures::future::join_all(submissions).await {
						match result {
							Ok(_) => ok += 1,
							// The node is gone: the trial killed it.
							Err(jsonrpsee::core::client::Error::RestartNeeded(_)) => return,
							// Refused (the pool is full, say).
							Err(_) => {}
						}
					}
					accepted.fetch_add(u64::from(ok), Ordering::Relaxed);
					if ok < IN_FLIGHT {
						// Start again from what the node expects next.
						tokio::time::sleep(Duration::from_millis(200)).await;
						match client
							.request::<u32, _>(
								"system_accountNextIndex",
								rpc_params![signer.to_account_id()],
							)
							.await
						{
							Ok(next) => nonce = next,
							Err(_) => return,
						}
					} else {
						nonce += IN_FLIGHT;
					}
				}
			})
		})
		.collect()
}

/// Checks a restarted node against everything announced before the crash.
async fn verify(client: &WsClient, announced: &BTreeMap<u32, H256>, trial: usize, log: &str) {
	let finalized: H256 = client.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
	let head: Header = client.request("chain_getHeader", rpc_params![finalized]).await.unwrap();
	if let Some((&last, &last_hash)) = announced.last_key_value() {
		assert!(
			head.number >= last,
			"trial {trial}: the finalized head went back from announced #{last} to #{}; log:\n{log}",
			head.number
		);
		for (&number, &hash) in announced {
			let stored: Option<H256> =
				client.request("chain_getBlockHash", rpc_params![number]).await.unwrap();
			assert_eq!(
				stored,
				Some(hash),
				"trial {trial}: announced block #{number} changed or vanished across the crash"
			);
		}
		// The last announced block's state is intact: its header is stored and state reads
		// at it go through its state root.
		let header: Header =
			client.request("chain_getHeader", rpc_params![last_hash]).await.unwrap();
		assert_eq!(header.number, last);
		let number: Option<sp_core::Bytes> = client
			.request("state_getStorage", rpc_params![SYSTEM_NUMBER_KEY, last_hash])
			.await
			.unwrap_or_else(|e| panic!("trial {trial}: the state of #{last} is unreadable: {e}"));
		let number = number.expect("System::Number is set in every block's state");
		assert_eq!(u32::decode(&mut &number[..]).unwrap(), last, "trial {trial}: state of #{last}");
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_never_loses_an_announced_block() {
	let trials = env_number("CARECHAIN_CRASH_TRIALS").unwrap_or(20) as usize;
	let seed = env_number("CARECHAIN_CRASH_SEED").unwrap_or_else(|| {
		std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
			as u64 | 1
	});
	println!("crash trials: {trials}, seed {seed} (CARECHAIN_CRASH_SEED={seed} replays it)");
	let mut rng = Rng(seed);
	let dir = tempfile::tempdir().unwrap();
	let mut announced: BTreeMap<u32, H256> = BTreeMap::new();
	let accepted = Arc::new(AtomicU64::new(0));
	let mut with_transactions = 0usize;

	for trial in 0..=trials {
		let mut node = DevNode::start(dir.path());
		let client = node.connect().await;
		verify(&client, &announced, trial, &node.log()).await;
		if trial == trials {
			break;
		}
		let moment = if trial % 2 == 0 { Moment::Random } else { Moment::AfterNotification };
		let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
		let mut heads: Subscription<Header> = client
			.subscribe(
				"chain_subscribeFinalizedHeads",
				rpc_params![],
				"chain_unsubscribeFinalizedHeads",
			)
			.await
			.unwrap();
		let accepted_before = accepted.load(Ordering::Relaxed);
		// Each trial's records get content hashes of their own.
		let seeds = (trial as u32 + 1) << 20;
		let load = start_load(node.rpc_port, genesis, seeds, accepted.clone());

		// Collect announcements until the moment comes.
		let start = Instant::now();
		let delay = Duration::from_millis(1_000 + rng.below(4_000));
		// Kill on the third to sixth notification: by then the load is flowing.
		let kill_on = 3 + rng.below(4);
		let mut seen = 0u64;
		let deadline = start + Duration::from_secs(60);
		loop {
			let wait = match moment {
				Moment::Random => delay.saturating_sub(start.elapsed()),
				Moment::AfterNotification => deadline.saturating_duration_since(Instant::now()),
			};
			match tokio::time::timeout(wait, heads.next()).await {
				Ok(Some(Ok(header))) => {
					let hash = header.hash();
					if let Some(previous) = announced.insert(header.number, hash) {
						assert_eq!(
							previous, hash,
							"trial {trial}: #{} announced twice",
							header.number
						);
					}
					seen += 1;
					if matches!(moment, Moment::AfterNotification) && seen >= kill_on {
						break;
					}
				}
				Ok(other) => panic!("trial {trial}: the subscription ended: {other:?}"),
				Err(_) => {
					assert!(
						matches!(moment, Moment::Random),
						"trial {trial}: no finalized head within 60 s; log:\n{}",
						node.log()
					);
					break;
				}
			}
		}
		node.kill();
		load.iter().for_each(|task| task.abort());
		// What the client had received before the kill was announced too.
		while let Ok(Some(Ok(header))) =
			tokio::time::timeout(Duration::from_millis(200), heads.next()).await
		{
			announced.insert(header.number, header.hash());
		}
		drop(heads);
		drop(client);
		if let Some((&last, _)) = announced.last_key_value() {
			println!("trial {trial} ({moment:?}): killed after #{last}");
		}
		if accepted.load(Ordering::Relaxed) > accepted_before {
			with_transactions += 1;
		}
	}
	// The trials crashed a node that was busy, not an idle one.
	assert!(with_transactions > trials / 2, "the load never reached the node");
	println!(
		"{trials} trials: {} blocks announced, none lost; {} transactions accepted",
		announced.len(),
		accepted.load(Ordering::Relaxed)
	);
}
