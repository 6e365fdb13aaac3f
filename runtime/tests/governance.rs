//! Consortium governance: organizations are admitted only through the council.

use carechain_primitives::{MembershipProvider, OrgKind};
use carechain_runtime::{
	genesis, AccountId, Council, Registry, RuntimeCall, RuntimeOrigin, System,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok};
use sp_core::{crypto::Pair as _, ed25519, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Hash as _, BuildStorage, DispatchError};

fn admit(admin: &AccountId) -> RuntimeCall {
	RuntimeCall::Registry(pallet_registry::Call::admit_organization {
		kind: OrgKind::Lab,
		licence: pallet_registry::Licence::npi(*b"100000060"),
		documents_hash: H256::repeat_byte(4),
		admin: admin.clone(),
	})
}

#[test]
fn the_council_admits_an_organization_and_nobody_else_can() {
	let storage = genesis::development().build_storage().expect("the dev genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		System::set_block_number(1);
		let lab_admin: AccountId = ed25519::Pair::from_seed(&[60u8; 32]).public().into();
		let proposal = admit(&lab_admin);
		let length = proposal.encoded_size() as u32;

		// A hospital admin is no council member: it can neither call nor propose.
		let bob = Sr25519Keyring::Bob.to_account_id();
		assert_noop!(
			Registry::admit_organization(
				RuntimeOrigin::signed(bob.clone()),
				OrgKind::Lab,
				pallet_registry::Licence::npi(*b"100000060"),
				H256::zero(),
				lab_admin.clone()
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Council::propose(RuntimeOrigin::signed(bob), 1, Box::new(proposal.clone()), length),
			pallet_collective::Error::<carechain_runtime::Runtime, pallet_collective::Instance1>::NotMember
		);

		// The dev council is Alice alone: her motion is two thirds of the council and executes.
		let alice = Sr25519Keyring::Alice.to_account_id();
		assert_ok!(Council::propose(RuntimeOrigin::signed(alice), 1, Box::new(proposal), length));
		let membership = Registry::active_membership(&lab_admin).expect("admitted by the council");
		assert_eq!(membership.kind, OrgKind::Lab);
		assert_eq!(System::providers(&lab_admin), 1);
	});
}

/// Review finding: with the prime's vote as the default, a motion whose silent councillors
/// were counted as ayes after its duration reached "unanimity" without them, and with it Root
/// (`Registry::dispatch_as_root`). Silence now counts against a motion.
#[test]
fn root_needs_every_councillors_aye_not_their_silence() {
	use frame_support::traits::Hooks;
	let storage = genesis::development().build_storage().expect("the dev genesis builds");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		System::set_block_number(1);
		let [alice, bob, charlie] =
			[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
				.map(|k| k.to_account_id());
		assert_ok!(Council::set_members(
			RuntimeOrigin::root(),
			vec![alice.clone(), bob.clone(), charlie.clone()],
			Some(alice.clone()),
			0
		));
		let target: AccountId = ed25519::Pair::from_seed(&[61u8; 32]).public().into();
		let mint = RuntimeCall::Registry(pallet_registry::Call::dispatch_as_root {
			call: Box::new(RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
				who: target.clone().into(),
				new_free: 1_000_000,
			})),
		});
		let length = mint.encoded_size() as u32;
		let hash = <carechain_runtime::Runtime as frame_system::Config>::Hashing::hash_of(&mint);
		assert_ok!(Council::propose(
			RuntimeOrigin::signed(alice.clone()),
			3,
			Box::new(mint),
			length
		));
		// Alice, the prime, and Bob vote aye.
		assert_ok!(Council::vote(RuntimeOrigin::signed(alice), hash, 0, true));
		assert_ok!(Council::vote(RuntimeOrigin::signed(bob.clone()), hash, 0, true));
		// Charlie stays silent; the motion's time runs out and anyone closes it.
		let end = System::block_number() + carechain_runtime::CouncilMotionDuration::get() + 1;
		System::set_block_number(end);
		Council::on_initialize(end);
		assert_ok!(Council::close(
			RuntimeOrigin::signed(bob),
			hash,
			0,
			frame_support::weights::Weight::from_parts(10_000_000_000, u64::MAX),
			length
		));
		assert_eq!(
			carechain_runtime::Balances::free_balance(&target),
			0,
			"no Root without Charlie"
		);
	});
}
