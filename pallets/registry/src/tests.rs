//! Unit tests of the registry: one success and at least one failure per call.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{mock::*, Error, Event, Members, OrgStatus, Organizations, Patients};
use carechain_primitives::{Membership, MembershipProvider, OrgKind, Role};
use frame_support::{assert_noop, assert_ok, traits::Hooks};
use sp_core::H256;
use sp_runtime::DispatchError;

fn providers(who: u64) -> u32 {
	System::providers(&who)
}

#[test]
fn genesis_seeds_founders_with_providers() {
	new_test_ext().execute_with(|| {
		assert_eq!(
			Registry::active_membership(&DOCTOR),
			Some(Membership { org: 0, kind: OrgKind::Hospital, role: Role::Practitioner })
		);
		assert_eq!(Organizations::<Test>::get(0).map(|o| o.member_count), Some(2));
		assert!(Registry::is_patient(&PATIENT));
		assert_eq!(providers(DOCTOR), 1);
		assert_eq!(providers(PATIENT), 1);
	});
}

#[test]
fn governance_admits_an_organization() {
	new_test_ext().execute_with(|| {
		assert_ok!(Registry::admit_organization(
			RuntimeOrigin::root(),
			OrgKind::Pharmacy,
			H256::repeat_byte(3),
			20
		));
		System::assert_last_event(
			Event::OrganizationAdmitted { org: 2, kind: OrgKind::Pharmacy, admin: 20 }.into(),
		);
		assert_eq!(
			Registry::active_membership(&20),
			Some(Membership { org: 2, kind: OrgKind::Pharmacy, role: Role::Admin })
		);
		assert_eq!(providers(20), 1);
	});
}

#[test]
fn only_governance_admits() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::admit_organization(
				RuntimeOrigin::signed(HOSPITAL_ADMIN),
				OrgKind::Lab,
				H256::zero(),
				20
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::admit_organization(RuntimeOrigin::root(), OrgKind::Lab, H256::zero(), DOCTOR),
			Error::<Test>::AlreadyMember
		);
	});
}

#[test]
fn suspension_silences_members_until_reinstated() {
	new_test_ext().execute_with(|| {
		assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::OrganizationSuspended { org: 0 }.into());
		assert_eq!(Organizations::<Test>::get(0).map(|o| o.status), Some(OrgStatus::Suspended));
		assert_eq!(Registry::active_membership(&DOCTOR), None);
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30, Role::Staff),
			Error::<Test>::OrganizationSuspended
		);
		assert_noop!(
			Registry::suspend_organization(RuntimeOrigin::root(), 0),
			Error::<Test>::OrganizationSuspended
		);

		assert_ok!(Registry::reinstate_organization(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::OrganizationReinstated { org: 0 }.into());
		assert!(Registry::active_membership(&DOCTOR).is_some());
		assert_noop!(
			Registry::reinstate_organization(RuntimeOrigin::root(), 0),
			Error::<Test>::OrganizationAlreadyActive
		);
	});
}

#[test]
fn unknown_organizations_are_named() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::suspend_organization(RuntimeOrigin::root(), 7),
			Error::<Test>::UnknownOrganization
		);
		assert_noop!(
			Registry::reinstate_organization(RuntimeOrigin::root(), 7),
			Error::<Test>::UnknownOrganization
		);
		assert_noop!(
			Registry::remove_organization(RuntimeOrigin::root(), 7),
			Error::<Test>::UnknownOrganization
		);
	});
}

#[test]
fn removing_an_organization_removes_its_members() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::remove_organization(RuntimeOrigin::signed(HOSPITAL_ADMIN), 0),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::remove_organization(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::OrganizationRemoved { org: 0, members_removed: 2 }.into());
		assert!(Organizations::<Test>::get(0).is_none());
		assert!(Members::<Test>::get(DOCTOR).is_none());
		assert!(Members::<Test>::get(HOSPITAL_ADMIN).is_none());
		assert_eq!(providers(DOCTOR), 0);
		// The other founder is untouched.
		assert!(Registry::active_membership(&PAYER_ADMIN).is_some());
	});
}

#[test]
fn admin_adds_and_removes_staff() {
	new_test_ext().execute_with(|| {
		assert_ok!(Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30, Role::Staff));
		System::assert_last_event(Event::MemberAdded { org: 0, who: 30, role: Role::Staff }.into());
		assert_eq!(providers(30), 1);

		assert_ok!(Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30));
		System::assert_last_event(Event::MemberRemoved { org: 0, who: 30 }.into());
		assert_eq!(providers(30), 0);
		assert_eq!(Organizations::<Test>::get(0).map(|o| o.member_count), Some(2));
	});
}

#[test]
fn only_an_admin_manages_its_own_members() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(DOCTOR), 30, Role::Staff),
			Error::<Test>::NotOrgAdmin
		);
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), PAYER_ADMIN, Role::Staff),
			Error::<Test>::AlreadyMember
		);
		assert_noop!(
			Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), PAYER_ADMIN),
			Error::<Test>::NotMemberOfYourOrganization
		);
		assert_noop!(
			Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), HOSPITAL_ADMIN),
			Error::<Test>::CannotRemoveSelf
		);
		assert_noop!(
			Registry::remove_member(RuntimeOrigin::signed(STRANGER), DOCTOR),
			Error::<Test>::NotOrgAdmin
		);
	});
}

#[test]
fn organizations_are_bounded() {
	new_test_ext().execute_with(|| {
		assert_ok!(Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30, Role::Staff));
		assert_ok!(Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 31, Role::Staff));
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 32, Role::Staff),
			Error::<Test>::TooManyMembers
		);
	});
}

#[test]
fn patients_register_themselves() {
	new_test_ext().execute_with(|| {
		assert_eq!(providers(50), 0);
		assert_ok!(Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![PATIENT]));
		System::assert_last_event(Event::PatientRegistered { patient: 50 }.into());
		assert_eq!(providers(50), 1);
		assert!(Registry::is_guardian(&50, &PATIENT));
		assert!(Registry::is_patient_or_guardian(&50, &PATIENT));
		assert!(Registry::is_patient_or_guardian(&50, &50));
		assert!(!Registry::is_patient_or_guardian(&50, &DOCTOR));
		assert_eq!(Registry::encryption_key(&50), Some(KEY));
	});
}

#[test]
fn registration_rejects_bad_input() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(PATIENT), KEY, vec![]),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), [0u8; 32], vec![]),
			Error::<Test>::InvalidEncryptionKey
		);
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![50]),
			Error::<Test>::GuardianIsSelf
		);
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![STRANGER]),
			Error::<Test>::GuardianNotRegistered
		);
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![PATIENT, PATIENT]),
			Error::<Test>::AlreadyGuardian
		);
		assert_noop!(
			Registry::register_patient(
				RuntimeOrigin::signed(50),
				KEY,
				vec![PATIENT, DOCTOR, HOSPITAL_ADMIN]
			),
			Error::<Test>::TooManyGuardians
		);
	});
}

#[test]
fn registrations_are_rationed_per_block() {
	new_test_ext().execute_with(|| {
		for who in 50..53 {
			assert_ok!(Registry::register_patient(RuntimeOrigin::signed(who), KEY, vec![]));
		}
		assert!(!Registry::registration_open());
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(53), KEY, vec![]),
			Error::<Test>::TooManyRegistrationsInBlock
		);
		System::set_block_number(2);
		Registry::on_initialize(2);
		assert_ok!(Registry::register_patient(RuntimeOrigin::signed(53), KEY, vec![]));
	});
}

#[test]
fn guardians_are_added_and_removed() {
	new_test_ext().execute_with(|| {
		assert_ok!(Registry::add_guardian(RuntimeOrigin::signed(PATIENT), DOCTOR));
		System::assert_last_event(
			Event::GuardianAdded { patient: PATIENT, guardian: DOCTOR }.into(),
		);
		assert!(Registry::is_guardian(&PATIENT, &DOCTOR));

		assert_ok!(Registry::remove_guardian(RuntimeOrigin::signed(PATIENT), DOCTOR));
		System::assert_last_event(
			Event::GuardianRemoved { patient: PATIENT, guardian: DOCTOR }.into(),
		);
		assert!(!Registry::is_guardian(&PATIENT, &DOCTOR));
	});
}

#[test]
fn guardian_changes_reject_bad_input() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Registry::add_guardian(RuntimeOrigin::signed(STRANGER), DOCTOR),
			Error::<Test>::NotPatient
		);
		assert_noop!(
			Registry::add_guardian(RuntimeOrigin::signed(PATIENT), STRANGER),
			Error::<Test>::GuardianNotRegistered
		);
		assert_noop!(
			Registry::add_guardian(RuntimeOrigin::signed(PATIENT), PATIENT),
			Error::<Test>::GuardianIsSelf
		);
		assert_ok!(Registry::add_guardian(RuntimeOrigin::signed(PATIENT), DOCTOR));
		assert_noop!(
			Registry::add_guardian(RuntimeOrigin::signed(PATIENT), DOCTOR),
			Error::<Test>::AlreadyGuardian
		);
		assert_ok!(Registry::add_guardian(RuntimeOrigin::signed(PATIENT), HOSPITAL_ADMIN));
		assert_noop!(
			Registry::add_guardian(RuntimeOrigin::signed(PATIENT), PAYER_ADMIN),
			Error::<Test>::TooManyGuardians
		);
		assert_noop!(
			Registry::remove_guardian(RuntimeOrigin::signed(PATIENT), PAYER_ADMIN),
			Error::<Test>::NotGuardian
		);
	});
}

#[test]
fn patients_rotate_their_key() {
	new_test_ext().execute_with(|| {
		assert_ok!(Registry::rotate_encryption_key(RuntimeOrigin::signed(PATIENT), [4u8; 32]));
		System::assert_last_event(Event::EncryptionKeyRotated { patient: PATIENT }.into());
		assert_eq!(Patients::<Test>::get(PATIENT).map(|p| p.encryption_key), Some([4u8; 32]));
		assert_noop!(
			Registry::rotate_encryption_key(RuntimeOrigin::signed(PATIENT), [0u8; 32]),
			Error::<Test>::InvalidEncryptionKey
		);
		assert_noop!(
			Registry::rotate_encryption_key(RuntimeOrigin::signed(STRANGER), [4u8; 32]),
			Error::<Test>::NotPatient
		);
	});
}

mod validators {
	use super::*;
	use crate::{validator_proof_payload, ScheduledValidatorSet, Validator, Validators};
	use sp_core::Pair as _;

	fn proof(n: u8, org: u32) -> sp_core::ed25519::Signature {
		validator_pair(n).sign(&validator_proof_payload(org, &validator(n, org).key))
	}

	fn sorted(mut set: Vec<Validator>) -> Vec<Validator> {
		set.sort_by_key(|v| v.key);
		set
	}

	/// Runs the registry's hook for each block up to `n`, as the executive does.
	fn run_to(n: u64) {
		while System::block_number() < n {
			let next = System::block_number() + 1;
			System::set_block_number(next);
			Registry::on_initialize(next);
		}
	}

	#[test]
	fn genesis_validators_are_sorted_by_key() {
		new_test_ext().execute_with(|| {
			assert_eq!(Registry::validators(), sorted(vec![validator(1, 0), validator(2, 1)]));
			assert!(ScheduledValidatorSet::<Test>::get().is_none());
		});
	}

	#[test]
	fn an_added_validator_decides_from_the_announced_block() {
		new_test_ext().execute_with(|| {
			assert_ok!(Registry::add_validator(
				RuntimeOrigin::root(),
				1,
				validator(3, 1).key,
				proof(3, 1)
			));
			let expected = sorted(vec![validator(1, 0), validator(2, 1), validator(3, 1)]);
			System::assert_last_event(
				Event::ValidatorSetScheduled { validators: expected.clone(), at: 6 }.into(),
			);
			// Blocks 2 to 5 are still decided by the old set: the node reads the set after
			// block n - 1 to learn who decides block n.
			run_to(4);
			assert_eq!(Registry::validators().len(), 2);
			run_to(5);
			assert_eq!(Registry::validators(), expected);
			System::assert_last_event(
				Event::ValidatorSetActivated { validators: expected, at: 6 }.into(),
			);
			assert!(ScheduledValidatorSet::<Test>::get().is_none());
		});
	}

	#[test]
	fn a_removed_validator_stops_at_the_announced_block() {
		new_test_ext().execute_with(|| {
			assert_ok!(Registry::remove_validator(RuntimeOrigin::root(), validator(1, 0).key));
			run_to(4);
			assert_eq!(Registry::validators().len(), 2);
			run_to(5);
			assert_eq!(Registry::validators(), vec![validator(2, 1)]);
			assert_noop!(
				Registry::remove_validator(RuntimeOrigin::root(), validator(2, 1).key),
				Error::<Test>::LastValidator
			);
		});
	}

	#[test]
	fn changes_while_one_is_pending_build_on_it() {
		new_test_ext().execute_with(|| {
			assert_ok!(Registry::add_validator(
				RuntimeOrigin::root(),
				1,
				validator(3, 1).key,
				proof(3, 1)
			));
			run_to(3);
			assert_ok!(Registry::remove_validator(RuntimeOrigin::root(), validator(1, 0).key));
			// The whole announced set applies at the later height.
			let scheduled = ScheduledValidatorSet::<Test>::get().unwrap();
			assert_eq!(scheduled.at, 8);
			assert_eq!(
				scheduled.validators.into_inner(),
				sorted(vec![validator(2, 1), validator(3, 1)])
			);
			run_to(6);
			assert_eq!(Registry::validators().len(), 2);
			assert!(Registry::validators().contains(&validator(1, 0)));
			run_to(7);
			assert_eq!(Registry::validators(), sorted(vec![validator(2, 1), validator(3, 1)]));
		});
	}

	#[test]
	fn bad_changes_are_refused_and_change_nothing() {
		new_test_ext().execute_with(|| {
			let key3 = validator(3, 1).key;
			assert_noop!(
				Registry::add_validator(
					RuntimeOrigin::signed(HOSPITAL_ADMIN),
					1,
					key3,
					proof(3, 1)
				),
				DispatchError::BadOrigin
			);
			// A proof made for another organization, or by another key.
			assert_noop!(
				Registry::add_validator(RuntimeOrigin::root(), 1, key3, proof(3, 0)),
				Error::<Test>::InvalidValidatorProof
			);
			assert_noop!(
				Registry::add_validator(RuntimeOrigin::root(), 1, key3, proof(4, 1)),
				Error::<Test>::InvalidValidatorProof
			);
			assert_noop!(
				Registry::add_validator(RuntimeOrigin::root(), 7, key3, proof(3, 7)),
				Error::<Test>::UnknownOrganization
			);
			assert_noop!(
				Registry::add_validator(RuntimeOrigin::root(), 0, validator(1, 0).key, proof(1, 0)),
				Error::<Test>::AlreadyValidator
			);
			assert_noop!(
				Registry::remove_validator(RuntimeOrigin::root(), key3),
				Error::<Test>::NotValidator
			);
			assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), 1));
			assert_noop!(
				Registry::add_validator(RuntimeOrigin::root(), 1, key3, proof(3, 1)),
				Error::<Test>::OrganizationSuspended
			);
		});
	}

	#[test]
	fn the_set_is_bounded() {
		new_test_ext().execute_with(|| {
			assert_ok!(Registry::add_validator(
				RuntimeOrigin::root(),
				0,
				validator(3, 0).key,
				proof(3, 0)
			));
			assert_ok!(Registry::add_validator(
				RuntimeOrigin::root(),
				0,
				validator(4, 0).key,
				proof(4, 0)
			));
			assert_noop!(
				Registry::add_validator(RuntimeOrigin::root(), 0, validator(5, 0).key, proof(5, 0)),
				Error::<Test>::TooManyValidators
			);
			assert_eq!(Validators::<Test>::get().len(), 2);
		});
	}
}
