//! Issue 17, "transactions stuck for good": the pool validates a batch against the head of the
//! moment and inserts it afterwards; blocks commit in between. Many connections submit the
//! nonces of several signers out of order while blocks commit, and every accepted transaction
//! must be included (or refused with a reason), with nothing left in the pool.

#![allow(clippy::arithmetic_side_effects)]

use carechain_e2e::{hex_of, sign, DevNode};
use carechain_runtime::{AccountId, RuntimeCall, UncheckedExtrinsic};
use codec::{Decode, Encode};
use futures::StreamExt;
use jsonrpsee::{
	core::client::{ClientT, Error as RpcClientError},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use sp_core::{Bytes, H256};
use sp_keyring::Ed25519Keyring;
use std::time::{Duration, Instant};

/// Signers: the development organizations' four members' ed25519 accounts (sr25519 signing
/// is slow in a debug build).
const SIGNERS: [Ed25519Keyring; 4] =
	[Ed25519Keyring::Alice, Ed25519Keyring::Bob, Ed25519Keyring::Charlie, Ed25519Keyring::Dave];
/// Transactions each signer sends.
const PER_SIGNER: u32 = 900;
const CONNECTIONS: usize = 32;
const IN_FLIGHT: usize = 32;

/// Transaction `nonce` of `signer`: an empty remark (the runtime refuses one with bytes; the
/// nonce makes each transaction distinct).
fn signed(signer: &sp_core::ed25519::Pair, nonce: u32, genesis: H256) -> UncheckedExtrinsic {
	let call = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	sign(signer, nonce, call, genesis)
}

async fn chain_nonce(client: &WsClient, who: &AccountId) -> u32 {
	let bytes: Bytes = client
		.request("state_call", rpc_params!["AccountNonceApi_account_nonce", Bytes(who.encode())])
		.await
		.expect("the node answers the nonce");
	u32::decode(&mut &bytes[..]).expect("a nonce")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_accepted_transaction_is_included_while_blocks_race_the_batches() {
	let dir = tempfile::tempdir().unwrap();
	let node = DevNode::start_with(dir.path(), &["--rpc-max-connections", "200"], &[]);
	let client = node.connect().await;
	let genesis: H256 = client.request("chain_getBlockHash", rpc_params![0]).await.unwrap();

	// Round-robin over the signers, so that every connection carries every signer's nonces.
	let accounts: Vec<AccountId> = SIGNERS.iter().map(|s| s.to_account_id()).collect();
	// Derived once: each derivation runs the development phrase's key stretching.
	let pairs = SIGNERS.map(|signer| signer.pair());
	let transactions: Vec<String> = (0..PER_SIGNER)
		.flat_map(|nonce| pairs.iter().map(move |pair| hex_of(&signed(pair, nonce, genesis))))
		.collect();
	let total = transactions.len();

	let started = Instant::now();
	let url = format!("ws://127.0.0.1:{}", node.rpc_port);
	let mut tasks = Vec::new();
	for k in 0..CONNECTIONS {
		let chunk: Vec<String> =
			transactions.iter().skip(k).step_by(CONNECTIONS).cloned().collect();
		let connection = WsClientBuilder::default()
			.max_concurrent_requests(IN_FLIGHT * 2)
			.request_timeout(Duration::from_secs(120))
			.build(&url)
			.await
			.expect("the node takes 32 connections");
		tasks.push(tokio::spawn(async move {
			futures::stream::iter(chunk)
				.map(|hex| {
					let connection = &connection;
					async move {
						connection
							.request::<H256, _>("author_submitExtrinsic", rpc_params![hex])
							.await
					}
				})
				.buffer_unordered(IN_FLIGHT)
				.collect::<Vec<_>>()
				.await
		}));
	}
	let mut accepted = 0;
	let mut refused = Vec::new();
	for task in tasks {
		for result in task.await.unwrap() {
			match result {
				Ok(_) => accepted += 1,
				Err(RpcClientError::Call(e)) => refused.push((e.code(), e.message().to_owned())),
				Err(other) => panic!("a submission got no answer: {other}"),
			}
		}
	}
	// Nothing here is refused for a reason of its own (each signer is within its allowance and
	// the pool's window), and a refusal must at least carry a code and a reason.
	for (code, message) in &refused {
		assert!(*code != 0 && !message.is_empty(), "a refusal without a reason: {code}");
	}
	assert!(refused.is_empty(), "{} of {total} refused, e.g. {:?}", refused.len(), &refused[..1]);
	assert_eq!(accepted, total);
	eprintln!("{total} accepted in {:.1} s", started.elapsed().as_secs_f64());

	// Every accepted transaction is included: each signer's nonce on chain reaches what it
	// sent. Without the fix some wait in the pool for good.
	let deadline = Instant::now() + Duration::from_secs(90);
	loop {
		let mut behind = Vec::new();
		for who in &accounts {
			let nonce = chain_nonce(&client, who).await;
			if nonce < PER_SIGNER {
				behind.push((who.clone(), nonce));
			}
		}
		if behind.is_empty() {
			break;
		}
		if Instant::now() > deadline {
			let pending: Vec<Bytes> =
				client.request("author_pendingExtrinsics", rpc_params![]).await.unwrap();
			panic!(
				"accepted transactions never included: on-chain nonces {behind:?} of \
				 {PER_SIGNER} each; {} still in the pool",
				pending.len()
			);
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}

	eprintln!("all included after {:.1} s", started.elapsed().as_secs_f64());
	// Nothing is left in the pool, and wallets are told the chain's next nonce.
	let deadline = Instant::now() + Duration::from_secs(30);
	loop {
		let pending: Vec<Bytes> =
			client.request("author_pendingExtrinsics", rpc_params![]).await.unwrap();
		if pending.is_empty() {
			break;
		}
		assert!(Instant::now() < deadline, "{} transactions stay in the pool", pending.len());
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	for who in &accounts {
		let next: u32 =
			client.request("system_accountNextIndex", rpc_params![who.clone()]).await.unwrap();
		assert_eq!(next, PER_SIGNER);
	}
	// And the node still admits and includes a transaction.
	let next = signed(&pairs[0], PER_SIGNER, genesis);
	let _: H256 =
		client.request("author_submitExtrinsic", rpc_params![hex_of(&next)]).await.unwrap();
	let deadline = Instant::now() + Duration::from_secs(30);
	while chain_nonce(&client, &accounts[0]).await <= PER_SIGNER {
		assert!(Instant::now() < deadline, "the node stopped including transactions");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}
