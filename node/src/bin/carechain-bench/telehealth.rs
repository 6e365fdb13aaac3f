//! The telehealth workload: `attest` (the practitioner recording encounters, each with its
//! patient's ed25519 countersignature, which the node verifies in its signature batch beside
//! the transaction's). Its set-up (a licence for Bob, one registered patient per appointment,
//! each appointment proposed and booked) is submitted and finalized before the clock starts.

use crate::trials::{next_nonce, submit_all};
use carechain_node::extrinsic::sign;
use carechain_runtime::{AccountId, RuntimeCall, UncheckedExtrinsic};
use codec::Encode;
use futures::{StreamExt, TryStreamExt};
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClient};
use pallet_telehealth::{AppointmentId, Call as Telehealth, Encounter, Jurisdiction, Modality};
use sp_core::{crypto::Pair as _, ed25519, H256};
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const MINUTE: u64 = 60_000;
/// Patients registered for the workload: a block admits 256 registrations, so each patient
/// has several appointments (a clinic's patients come back).
const PATIENTS: u32 = 500;
/// Registrations submitted before waiting for them to be in a block.
const REGISTRATIONS_PER_ROUND: usize = 200;

fn jurisdiction() -> Jurisdiction {
	Jurisdiction(*b"US-CA\0")
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The booked appointments and their patients' keys.
pub struct Prepared {
	appointments: Vec<(AppointmentId, ed25519::Pair)>,
	/// When the appointments start.
	start: u64,
}

/// Waits until `ready` says yes, or fails after 10 minutes with `what`.
async fn wait_until<F, Fut>(what: &str, ready: F) -> eyre::Result<()>
where
	F: Fn() -> Fut,
	Fut: std::future::Future<Output = eyre::Result<bool>>,
{
	let deadline = Instant::now() + Duration::from_secs(600);
	while !ready().await? {
		eyre::ensure!(Instant::now() < deadline, "set-up: {what} never happened");
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
	Ok(())
}

/// The appointment `id`'s status in the node's JSON view, if it exists.
async fn status(client: &WsClient, id: AppointmentId) -> eyre::Result<Option<String>> {
	let view: Option<serde_json::Value> =
		client.request("telehealth_appointment", rpc_params![id]).await?;
	Ok(view.and_then(|v| v["status"].as_str().map(str::to_owned)))
}

/// Licenses Bob in California, registers up to `PATIENTS` patients, and has Bob propose `n`
/// appointments an hour from now, to the patients in turn, which they book: all finalized
/// before this returns.
pub async fn prepare(client: &WsClient, genesis: H256, n: u32) -> eyre::Result<Prepared> {
	let alice = Ed25519Keyring::Alice.pair();
	let bob = Ed25519Keyring::Bob.pair();
	let first: AppointmentId = {
		// The next id: the first that has no appointment.
		let mut id = 0;
		while status(client, id).await?.is_some() {
			id += 1;
		}
		id
	};
	let licence = Telehealth::issue_licence {
		practitioner: Ed25519Keyring::Bob.to_account_id(),
		jurisdiction: jurisdiction(),
		expires_at: now_ms() + 24 * 60 * MINUTE,
	};
	let alice_nonce = next_nonce(client, &Ed25519Keyring::Alice.to_account_id()).await?;
	submit_all(client, vec![sign(&alice, alice_nonce, licence.into(), genesis)]).await?;

	let patients: Vec<ed25519::Pair> = (0..n.min(PATIENTS))
		.map(|i| {
			let seed = BlakeTwo256::hash(&(b"carechain-bench/telehealth-patient", i).encode());
			ed25519::Pair::from_seed(&seed.0)
		})
		.collect();
	for round in patients.chunks(REGISTRATIONS_PER_ROUND) {
		let registrations = round
			.iter()
			.map(|p| {
				let call = pallet_registry::Call::register_patient {
					encryption_key: p.public().0,
					guardians: Vec::new(),
				};
				sign(p, 0, RuntimeCall::Registry(call), genesis)
			})
			.collect();
		submit_all(client, registrations).await?;
		let last = AccountId::from(round.last().map_or([0; 32], |p| p.public().0));
		let key = format!("0x{}", hex::encode(last.encode()));
		wait_until("the patients' registration", || async {
			// The nonce in state, not the pool's: 1 once the registration is in a block.
			let nonce: String = client
				.request("state_call", rpc_params!["AccountNonceApi_account_nonce", &key])
				.await?;
			Ok(nonce != "0x00000000")
		})
		.await?;
	}

	// Proposals start an hour from now: attesting needs no wait for the visit to begin.
	let start = now_ms() + 60 * MINUTE;
	let bob_nonce = next_nonce(client, &Ed25519Keyring::Bob.to_account_id()).await?;
	let proposals = (0..n as usize)
		.map(|i| &patients[i % patients.len()])
		.zip(bob_nonce..)
		.map(|(p, nonce)| {
			let call = Telehealth::propose_appointment {
				patient: AccountId::from(p.public()),
				jurisdiction: jurisdiction(),
				start,
				end: start + 30 * MINUTE,
				modality: Modality::Video,
			};
			sign(&bob, nonce, call.into(), genesis)
		})
		.collect();
	submit_all(client, proposals).await?;
	let last_id = first + n - 1;
	wait_until("the proposals", || async { Ok(status(client, last_id).await?.is_some()) }).await?;
	let appointments: Vec<(AppointmentId, ed25519::Pair)> =
		(first..).zip((0..n as usize).map(|i| patients[i % patients.len()])).collect();
	for (id, _) in [&appointments[0], &appointments[appointments.len() - 1]] {
		eyre::ensure!(
			status(client, *id).await?.as_deref() == Some("proposed"),
			"set-up: appointment {id} was not proposed to the patient expected (another client \
			 proposing on this chain?)"
		);
	}
	// Each patient's bookings in order of its appointments, from nonce 1.
	let bookings = appointments
		.iter()
		.enumerate()
		.map(|(i, (id, p))| {
			let nonce = 1 + (i / patients.len()) as u32;
			sign(p, nonce, Telehealth::book { appointment: *id }.into(), genesis)
		})
		.collect();
	submit_all(client, bookings).await?;
	wait_until("the bookings", || async {
		Ok(status(client, last_id).await?.as_deref() == Some("booked"))
	})
	.await?;
	Ok(Prepared { appointments, start })
}

/// Bob's attestations of every prepared appointment, each countersigned by its patient: a
/// 20-minute visit that started 25 minutes ago (within a day of the appointment's start).
pub fn attestations(
	prepared: &Prepared,
	first_nonce: u32,
	genesis: H256,
) -> Vec<UncheckedExtrinsic> {
	let bob = Ed25519Keyring::Bob.pair();
	let started_at = now_ms() - 25 * MINUTE;
	debug_assert!(prepared.start.abs_diff(started_at) < 24 * 60 * MINUTE);
	prepared
		.appointments
		.iter()
		.zip(first_nonce..)
		.map(|((id, patient), nonce)| {
			let encounter = Encounter {
				started_at,
				ended_at: started_at + 20 * MINUTE,
				note_hash: BlakeTwo256::hash(&(b"carechain-bench/note", id).encode()),
			};
			let payload = pallet_telehealth::attestation_payload(*id, &encounter, Modality::Video);
			let signature = sp_runtime::MultiSignature::Ed25519(patient.sign(&payload));
			let call = Telehealth::attest_encounter {
				appointment: *id,
				patient: AccountId::from(patient.public()),
				modality: Modality::Video,
				started_at: encounter.started_at,
				ended_at: encounter.ended_at,
				note_hash: encounter.note_hash,
				patient_signature: signature.into(),
			};
			sign(&bob, nonce, call.into(), genesis)
		})
		.collect()
}

/// How many of the prepared appointments are fulfilled: attestations that succeeded (a call
/// in a block may still fail at dispatch).
pub async fn succeeded(client: &WsClient, prepared: &Prepared) -> eyre::Result<u64> {
	let statuses = futures::stream::iter(prepared.appointments.iter().map(|(id, _)| *id))
		.map(|id| async move { status(client, id).await })
		.buffer_unordered(64)
		.try_collect::<Vec<_>>()
		.await?;
	Ok(statuses.iter().filter(|s| s.as_deref() == Some("fulfilled")).count() as u64)
}
