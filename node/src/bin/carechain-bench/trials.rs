//! The trials workloads: `enrol` (subjects enrolling, each from its own subject account
//! registered nowhere, as wallets do) and `capture` (the site's practitioner capturing record
//! hashes for enrolled subjects). Their set-up (a study of the research sponsor Grace, the
//! hospital as its site, the subjects screened and, for `capture`, enrolled) is submitted and
//! finalized before the clock starts.

use carechain_node::extrinsic::{sign, to_hex};
use carechain_runtime::{AccountId, RuntimeCall, UncheckedExtrinsic};
use codec::Encode;
use futures::{StreamExt, TryStreamExt};
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClient};
use pallet_trials::{Call as Trials, Pseudonym, StudyId};
use sp_core::{crypto::Pair as _, ed25519, H256};
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::time::{Duration, Instant};

/// The hospital (organization 0) of the development consortium: the study's site.
const SITE: u32 = 0;
/// The most captures the runtime keeps per subject is 1,024; `capture` spreads its records over
/// enough subjects to stay well within it.
const CAPTURES_PER_SUBJECT: u32 = 512;

/// Subject `n`: its study-scoped account (an ed25519 key no registry knows) and pseudonym.
pub struct Subject {
	pair: ed25519::Pair,
	pseudonym: Pseudonym,
}

impl Subject {
	fn new(n: u32) -> Self {
		let seed = BlakeTwo256::hash(&(b"carechain-bench/subject", n).encode());
		let pseudonym = BlakeTwo256::hash(&(b"carechain-bench/pseudonym", n).encode());
		Self { pair: ed25519::Pair::from_seed(&seed.0), pseudonym }
	}

	fn account(&self) -> AccountId {
		AccountId::from(self.pair.public())
	}
}

/// A prepared study: its id and its subjects, screened (and enrolled, for `capture`).
pub struct Prepared {
	pub study: StudyId,
	pub subjects: Vec<Subject>,
}

pub async fn next_nonce(client: &WsClient, who: &AccountId) -> eyre::Result<u32> {
	Ok(client.request("system_accountNextIndex", rpc_params![who.to_string()]).await?)
}

/// Submits `extrinsics`, 64 at a time in flight, failing on the first refusal.
pub async fn submit_all(
	client: &WsClient,
	extrinsics: Vec<UncheckedExtrinsic>,
) -> eyre::Result<()> {
	futures::stream::iter(extrinsics)
		.map(|x| async move {
			client.request::<H256, _>("author_submitExtrinsic", rpc_params![to_hex(&x)]).await
		})
		.buffer_unordered(64)
		.try_collect::<Vec<_>>()
		.await?;
	Ok(())
}

/// Waits until study `study`'s CONSORT flow says `field` has reached `count`.
async fn wait_for(client: &WsClient, study: StudyId, field: &str, count: u32) -> eyre::Result<()> {
	let deadline = Instant::now() + Duration::from_secs(600);
	loop {
		let flow: Option<serde_json::Value> =
			client.request("trials_consortFlow", rpc_params![study]).await?;
		if flow.and_then(|f| f[field].as_u64()).is_some_and(|n| n >= u64::from(count)) {
			return Ok(());
		}
		eyre::ensure!(Instant::now() < deadline, "set-up: {field} never reached {count}");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

/// Registers a study enrolling at least `subjects`, activates the hospital as its site,
/// screens the subjects, and enrols them too when `enrol` is set: all finalized before this
/// returns.
pub async fn prepare(
	client: &WsClient,
	genesis: H256,
	subjects: u32,
	enrol: bool,
) -> eyre::Result<Prepared> {
	let grace = ed25519::Pair::from_string("//Grace", None).map_err(|e| eyre::eyre!("{e:?}"))?;
	let bob = Ed25519Keyring::Bob.pair();
	let grace_nonce = next_nonce(client, &AccountId::from(grace.public())).await?;
	// A registry number of this run's own, so that `--url` may point at a chain with studies.
	let stamp = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map_or(0, |d| d.as_micros() % 100_000_000);
	let digits: [u8; 8] = format!("{stamp:08}").into_bytes().try_into().expect("8 digits");
	let arms = vec![
		pallet_trials::Arm { index: 0, description_hash: H256::repeat_byte(0x40) },
		pallet_trials::Arm { index: 1, description_hash: H256::repeat_byte(0x41) },
	];
	let register = Trials::register_study {
		registry_id: pallet_trials::RegistryId::Nct(digits),
		phase: pallet_trials::Phase::Phase3,
		arms: arms.try_into().expect("two arms"),
		target_enrolment: subjects.max(1),
		protocol_hash: H256::repeat_byte(1),
		consent_form_hash: H256::repeat_byte(2),
		primary_outcomes: vec![H256::repeat_byte(11)].try_into().expect("one"),
		secondary_outcomes: Vec::new().try_into().expect("none"),
		analysis_plan_hash: H256::repeat_byte(3),
		allocation_root: H256::repeat_byte(4),
	};
	submit_all(client, vec![sign(&grace, grace_nonce, register.into(), genesis)]).await?;
	let study = find_study(client, &digits).await?;
	let activate =
		Trials::activate_site { study, site: SITE, ethics_approval_hash: H256::repeat_byte(5) };
	submit_all(client, vec![sign(&grace, grace_nonce + 1, activate.into(), genesis)]).await?;

	let subjects: Vec<Subject> = (0..subjects).map(Subject::new).collect();
	let bob_nonce = next_nonce(client, &Ed25519Keyring::Bob.to_account_id()).await?;
	let screenings = subjects
		.iter()
		.zip(bob_nonce..)
		.map(|(s, nonce)| {
			let key = pallet_trials::subject_key(study, &s.pseudonym, &s.account());
			let patient = AccountId::from(BlakeTwo256::hash(s.pseudonym.as_bytes()).0);
			let nullifier = pallet_trials::enrolment_nullifier(&[0x4E; 32], study, &patient);
			let call =
				Trials::screen { study, pseudonym: s.pseudonym, key, nullifier, eligible: true };
			sign(&bob, nonce, call.into(), genesis)
		})
		.collect();
	// The site is active once the sponsor's call is in a block: retry screening until then.
	wait_for_site(client, study).await?;
	submit_all(client, screenings).await?;
	wait_for(client, study, "assessed", subjects.len() as u32).await?;
	if enrol {
		submit_all(client, enrolments(study, &subjects, genesis)).await?;
		wait_for(client, study, "enrolled", subjects.len() as u32).await?;
	}
	Ok(Prepared { study, subjects })
}

async fn find_study(client: &WsClient, digits: &[u8; 8]) -> eyre::Result<StudyId> {
	let wanted = format!("NCT{}", String::from_utf8_lossy(digits));
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		for id in 0.. {
			let study: Option<serde_json::Value> =
				client.request("trials_study", rpc_params![id]).await?;
			let Some(study) = study else { break };
			if study["registryId"] == wanted.as_str() {
				return Ok(id);
			}
		}
		eyre::ensure!(Instant::now() < deadline, "set-up: study {wanted} was never registered");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

async fn wait_for_site(client: &WsClient, study: StudyId) -> eyre::Result<()> {
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		let info: Option<serde_json::Value> =
			client.request("trials_study", rpc_params![study]).await?;
		if info.is_some_and(|s| s["sites"].as_u64() == Some(1)) {
			return Ok(());
		}
		eyre::ensure!(Instant::now() < deadline, "set-up: the site was never activated");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

/// Each subject's enrolment, signed by its own subject account (its first transaction).
pub fn enrolments(study: StudyId, subjects: &[Subject], genesis: H256) -> Vec<UncheckedExtrinsic> {
	subjects
		.iter()
		.map(|s| {
			let call = Trials::enrol { study, pseudonym: s.pseudonym, site: SITE, version: 1 };
			sign(&s.pair, 0, call.into(), genesis)
		})
		.collect()
}

/// How many subjects `capture` enrols to hold `transactions` captures.
pub fn capture_subjects(transactions: u32) -> u32 {
	transactions.div_ceil(CAPTURES_PER_SUBJECT).max(1)
}

/// Capture `n` (of a record hash of its own) for the prepared study's subjects in turn.
pub fn capture(prepared: &Prepared, n: u32) -> RuntimeCall {
	let subject = &prepared.subjects[(n as usize) % prepared.subjects.len()];
	Trials::capture_data {
		study: prepared.study,
		pseudonym: subject.pseudonym,
		record: BlakeTwo256::hash(&(b"carechain-bench/capture", n).encode()),
	}
	.into()
}

/// How many of the timed calls succeeded, from the study's own counts: subjects enrolled for
/// `enrol`, records captured for `capture` (a call in a block may still fail at dispatch).
pub async fn succeeded(client: &WsClient, prepared: &Prepared, call: &str) -> eyre::Result<u64> {
	let study: Option<serde_json::Value> =
		client.request("trials_study", rpc_params![prepared.study]).await?;
	let flow: Option<serde_json::Value> =
		client.request("trials_consortFlow", rpc_params![prepared.study]).await?;
	let count = match call {
		"enrol" => flow.and_then(|f| f["enrolled"].as_u64()),
		_ => study.and_then(|s| s["captures"].as_u64()),
	};
	count.ok_or_else(|| eyre::eyre!("study {} is gone", prepared.study))
}
