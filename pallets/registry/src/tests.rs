//! Unit tests of the registry: one success and at least one failure per call.

// Test and benchmark set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use crate::{
	mock::*, Error, Event, Licence, Members, OrgStatus, OrganizationByLicence, Organizations,
	Patients,
};
use carechain_primitives::{Membership, MembershipProvider, OrgKind, Role};
use frame_support::{assert_noop, assert_ok};
use sp_core::H256;
use sp_runtime::DispatchError;

fn providers(who: u64) -> u32 {
	System::providers(&who)
}

#[test]
fn genesis_seeds_founders_with_providers() {
	run_test(|| {
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
	run_test(|| {
		assert_ok!(Registry::admit_organization(
			RuntimeOrigin::root(),
			OrgKind::Pharmacy,
			PHARMACY_NPI,
			H256::repeat_byte(3),
			20
		));
		assert_eq!(OrganizationByLicence::<Test>::get(PHARMACY_NPI), Some(2));
		assert_eq!(Organizations::<Test>::get(2).map(|o| o.licence), Some(PHARMACY_NPI));
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
	run_test(|| {
		assert_noop!(
			Registry::admit_organization(
				RuntimeOrigin::signed(HOSPITAL_ADMIN),
				OrgKind::Lab,
				PHARMACY_NPI,
				H256::zero(),
				20
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Registry::admit_organization(
				RuntimeOrigin::root(),
				OrgKind::Lab,
				PHARMACY_NPI,
				H256::zero(),
				DOCTOR
			),
			Error::<Test>::AlreadyMember
		);
	});
}

/// A pharmacy's NPI (CMS's example body with its last digit changed, and its check digit).
const PHARMACY_NPI: Licence = Licence::Npi(*b"1234567885");

fn admit(kind: OrgKind, licence: Licence) -> frame_support::dispatch::DispatchResult {
	Registry::admit_organization(RuntimeOrigin::root(), kind, licence, H256::zero(), 20)
}

#[test]
fn licences_carry_check_digits_and_nothing_else() {
	run_test(|| {
		assert_eq!(Licence::npi(*b"123456789"), HOSPITAL_NPI);
		assert_eq!(Licence::npi(*b"123456788"), PHARMACY_NPI);
		assert_eq!(Licence::gln(*b"061414100001"), PAYER_GLN);
		assert_eq!(Licence::parse("npi:1234567893"), Some(HOSPITAL_NPI));
		assert_eq!(Licence::parse("gln:0614141000012"), Some(PAYER_GLN));
		for text in ["npi:123456789", "npi:12345678930", "gln:1234567893", "NPI:1234567893", ""] {
			assert_eq!(Licence::parse(text), None, "{text}");
		}
		// Every wrong check digit, a first digit other than 1 or 2, letters (a name, a
		// diagnosis) where the digits go: refused before anything is written.
		let mut refused = Vec::new();
		for check in (b'0'..=b'9').filter(|d| *d != b'3') {
			let mut digits = *b"1234567893";
			digits[9] = check;
			refused.push((OrgKind::Hospital, Licence::Npi(digits)));
		}
		for check in (b'0'..=b'9').filter(|d| *d != b'2') {
			let mut digits = *b"0614141000012";
			digits[12] = check;
			refused.push((OrgKind::Payer, Licence::Gln(digits)));
		}
		refused.extend([
			(OrgKind::Hospital, Licence::npi(*b"323456789")),
			(OrgKind::Hospital, Licence::npi(*b"023456789")),
			(OrgKind::Hospital, Licence::Npi(*b"HIV+ J.Doe")),
			(OrgKind::Hospital, Licence::Npi(*b"12345678 3")),
			(OrgKind::Payer, Licence::Gln(*b"F32.9 J. Doe!")),
			(OrgKind::Payer, Licence::Gln([0; 13])),
		]);
		for (kind, licence) in refused {
			assert!(!licence.is_well_formed(), "{licence:?}");
			assert_noop!(admit(kind, licence), Error::<Test>::MalformedLicence);
		}
	});
}

#[test]
fn npis_are_for_care_providers_and_pharmacies_and_a_licence_registers_one_organization() {
	run_test(|| {
		for kind in [OrgKind::Payer, OrgKind::Manufacturer, OrgKind::Regulator] {
			assert_noop!(admit(kind, PHARMACY_NPI), Error::<Test>::LicenceNotForKind);
		}
		assert_noop!(admit(OrgKind::Clinic, HOSPITAL_NPI), Error::<Test>::LicenceInUse);
		assert_noop!(admit(OrgKind::Distributor, PAYER_GLN), Error::<Test>::LicenceInUse);
		let gln = Licence::gln(*b"061414112345");
		assert_ok!(admit(OrgKind::Hospital, gln));
		// Removing an organization frees its licence for a successor.
		assert_ok!(Registry::remove_organization(RuntimeOrigin::root(), 2));
		assert_eq!(OrganizationByLicence::<Test>::get(gln), None);
		assert_ok!(Registry::admit_organization(
			RuntimeOrigin::root(),
			OrgKind::Lab,
			gln,
			H256::zero(),
			21
		));
	});
}

#[test]
fn try_state_finds_a_malformed_or_unindexed_licence() {
	new_test_ext().execute_with(|| {
		Organizations::<Test>::mutate(0, |o| {
			o.as_mut().expect("founder").licence = Licence::Npi(*b"1234567890")
		});
		assert!(Registry::do_try_state().is_err());
	});
	new_test_ext().execute_with(|| {
		OrganizationByLicence::<Test>::remove(PAYER_GLN);
		assert!(Registry::do_try_state().is_err());
	});
}

#[test]
fn suspension_silences_members_until_reinstated() {
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
		assert_noop!(
			Registry::remove_organization(RuntimeOrigin::signed(HOSPITAL_ADMIN), 0),
			DispatchError::BadOrigin
		);
		assert_ok!(Registry::remove_organization(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::OrganizationRemoved { org: 0, members_removed: 2 }.into());
		assert!(Organizations::<Test>::get(0).is_none());
		assert!(Members::<Test>::get(DOCTOR).is_none());
		assert!(Members::<Test>::get(HOSPITAL_ADMIN).is_none());
		// The accounts stay, with their nonces: see `removed_members_keep_their_nonces`.
		assert_eq!(providers(DOCTOR), 1);
		// The other founder is untouched.
		assert!(Registry::active_membership(&PAYER_ADMIN).is_some());
	});
}

#[test]
fn admin_adds_and_removes_staff() {
	run_test(|| {
		assert_ok!(Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30, Role::Staff));
		System::assert_last_event(Event::MemberAdded { org: 0, who: 30, role: Role::Staff }.into());
		assert_eq!(providers(30), 1);

		assert_ok!(Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30));
		System::assert_last_event(Event::MemberRemoved { org: 0, who: 30 }.into());
		assert_eq!(providers(30), 1, "the account stays, with its nonce");
		assert_eq!(Organizations::<Test>::get(0).map(|o| o.member_count), Some(2));
	});
}

#[test]
fn only_an_admin_manages_its_own_members() {
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
		for who in 50..53 {
			assert_ok!(Registry::reserve_registration(&who, &KEY, &[]));
		}
		assert!(!Registry::registration_open());
		assert_noop!(
			Registry::reserve_registration(&53, &KEY, &[]),
			Error::<Test>::TooManyRegistrationsInBlock
		);
		run_to(2);
		assert_ok!(Registry::reserve_registration(&53, &KEY, &[]));
		assert_ok!(Registry::register_patient(RuntimeOrigin::signed(53), KEY, vec![]));
	});
}

/// Hole 4: a registration that would fail is refused by the check the transaction extension
/// runs before dispatch, with the call's own error, and spends no slot; every one that passes
/// spends one, so a flood of them is bounded by the quota.
#[test]
fn registrations_that_would_fail_are_refused_before_dispatch_and_spend_no_slot() {
	run_test(|| {
		let refused = [
			(PATIENT, KEY, vec![], Error::<Test>::AlreadyRegistered),
			(50, [0u8; 32], vec![], Error::<Test>::InvalidEncryptionKey),
			(50, KEY, vec![50], Error::<Test>::GuardianIsSelf),
			(50, KEY, vec![STRANGER], Error::<Test>::GuardianNotRegistered),
			(50, KEY, vec![PATIENT, PATIENT], Error::<Test>::AlreadyGuardian),
			(50, KEY, vec![PATIENT, DOCTOR, HOSPITAL_ADMIN], Error::<Test>::TooManyGuardians),
		];
		for (who, key, guardians, error) in refused {
			assert_noop!(Registry::reserve_registration(&who, &key, &guardians), error);
		}
		assert_eq!(crate::RegistrationsInBlock::<Test>::get(), 0);
		assert_eq!(System::providers(&50), 0);
		assert!(!frame_system::Account::<Test>::contains_key(50));
	});
}

/// Hole 9: the number of guardians is checked before any loop over them. Past the bound, the
/// list is refused as too long even when its entries would fail the per-guardian checks first.
#[test]
fn too_many_guardians_are_refused_before_they_are_looked_at() {
	run_test(|| {
		// Three times the patient itself, one past `MaxGuardians` = 2.
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![50, 50, 50]),
			Error::<Test>::TooManyGuardians
		);
		// At the bound, the entries are checked.
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![50, 50]),
			Error::<Test>::GuardianIsSelf
		);
		assert_ok!(Registry::register_patient(
			RuntimeOrigin::signed(50),
			KEY,
			vec![PATIENT, DOCTOR]
		));
	});
}

#[test]
fn guardians_are_added_and_removed() {
	run_test(|| {
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
	run_test(|| {
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
	run_test(|| {
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

	#[test]
	fn genesis_validators_are_sorted_by_key() {
		run_test(|| {
			assert_eq!(Registry::validators(), sorted(vec![validator(1, 0), validator(2, 1)]));
			assert!(ScheduledValidatorSet::<Test>::get().is_none());
		});
	}

	#[test]
	fn an_added_validator_decides_from_the_announced_block() {
		run_test(|| {
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
		run_test(|| {
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
		run_test(|| {
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
		run_test(|| {
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

	/// Hole 12: suspending an organization announces the set without its validators, through
	/// the same delay as any change.
	#[test]
	fn suspending_an_organization_removes_its_validators() {
		run_test(|| {
			assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), 0));
			let scheduled = ScheduledValidatorSet::<Test>::get().expect("announced");
			assert_eq!(scheduled.validators.into_inner(), vec![validator(2, 1)]);
			assert_eq!(scheduled.at, 6);
			run_to(5);
			assert_eq!(Registry::validators(), vec![validator(2, 1)]);

			// Reinstating does not bring them back: governance adds them again.
			assert_ok!(Registry::reinstate_organization(RuntimeOrigin::root(), 0));
			assert!(ScheduledValidatorSet::<Test>::get().is_none());
			assert_ok!(Registry::add_validator(
				RuntimeOrigin::root(),
				0,
				validator(1, 0).key,
				proof(1, 0)
			));
		});
	}

	/// Hole 12: removing an organization removes its validators, announced ones included.
	#[test]
	fn removing_an_organization_removes_its_validators() {
		run_test(|| {
			assert_ok!(Registry::add_validator(
				RuntimeOrigin::root(),
				1,
				validator(3, 1).key,
				proof(3, 1)
			));
			assert_ok!(Registry::remove_organization(RuntimeOrigin::root(), 1));
			let scheduled = ScheduledValidatorSet::<Test>::get().expect("announced");
			assert_eq!(scheduled.validators.into_inner(), vec![validator(1, 0)]);
			run_to(5);
			assert_eq!(Registry::validators(), vec![validator(1, 0)]);
		});
	}

	/// Hole 12: the organization that runs every validator can be neither suspended nor
	/// removed, so the chain cannot halt.
	#[test]
	fn the_organization_running_every_validator_stays() {
		run_test(|| {
			assert_ok!(Registry::remove_validator(RuntimeOrigin::root(), validator(2, 1).key));
			assert_noop!(
				Registry::suspend_organization(RuntimeOrigin::root(), 0),
				Error::<Test>::LastValidator
			);
			assert_noop!(
				Registry::remove_organization(RuntimeOrigin::root(), 0),
				Error::<Test>::LastValidator
			);
			// An organization without validators is suspended with no change to the set.
			assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), 1));
			assert_eq!(
				ScheduledValidatorSet::<Test>::get().map(|s| s.validators.into_inner()),
				Some(vec![validator(1, 0)])
			);
		});
	}

	#[test]
	fn the_set_is_bounded() {
		run_test(|| {
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

/// Audit: a removed member's account stays with its nonce. Before, removing the last provider
/// reaped the account, its nonce fell back to 0, and every transaction it had signed could be
/// replayed once it was admitted again.
#[test]
fn removed_members_keep_their_nonces() {
	run_test(|| {
		for _ in 0..3 {
			System::inc_account_nonce(DOCTOR);
		}
		assert_ok!(Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), DOCTOR));
		assert_eq!(System::account_nonce(DOCTOR), 3);
		assert_eq!(Registry::standing(&DOCTOR), None, "a removed member may not sign");

		System::inc_account_nonce(PAYER_ADMIN);
		assert_ok!(Registry::remove_organization(RuntimeOrigin::root(), 1));
		assert_eq!(System::account_nonce(PAYER_ADMIN), 1);

		// Admitted again, the account goes on from its nonce.
		assert_ok!(Registry::add_member(
			RuntimeOrigin::signed(HOSPITAL_ADMIN),
			DOCTOR,
			Role::Practitioner
		));
		assert_eq!(System::account_nonce(DOCTOR), 3);
	});
}

/// Audit: members of a suspended organization and removed members lose their standing, and a
/// removed admin can no longer manage anyone.
#[test]
fn suspended_and_removed_members_cannot_act() {
	run_test(|| {
		use crate::Standing;
		assert_eq!(Registry::standing(&DOCTOR), Some(Standing::Member));
		assert_eq!(Registry::standing(&PATIENT), Some(Standing::Patient));
		assert_eq!(Registry::standing(&STRANGER), None);

		assert_ok!(Registry::suspend_organization(RuntimeOrigin::root(), 1));
		assert_eq!(Registry::standing(&PAYER_ADMIN), None);
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(PAYER_ADMIN), 30, Role::Admin),
			Error::<Test>::OrganizationSuspended
		);

		assert_ok!(Registry::add_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30, Role::Admin));
		assert_ok!(Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), 30));
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(30), 31, Role::Admin),
			Error::<Test>::NotOrgAdmin
		);
		assert_noop!(
			Registry::remove_member(RuntimeOrigin::signed(30), DOCTOR),
			Error::<Test>::NotOrgAdmin
		);
	});
}

/// Audit: an admin acts on its own organization only (a member of another is refused, and a
/// new account always joins the admin's organization), and a member below admin cannot add
/// anyone, let alone an admin.
#[test]
fn admins_cannot_reach_other_organizations_and_members_cannot_escalate() {
	run_test(|| {
		assert_noop!(
			Registry::remove_member(RuntimeOrigin::signed(PAYER_ADMIN), DOCTOR),
			Error::<Test>::NotMemberOfYourOrganization
		);
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(PAYER_ADMIN), DOCTOR, Role::Admin),
			Error::<Test>::AlreadyMember
		);
		assert_ok!(Registry::add_member(RuntimeOrigin::signed(PAYER_ADMIN), 30, Role::Staff));
		assert_eq!(Members::<Test>::get(30).map(|m| m.org), Some(1));
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(DOCTOR), 31, Role::Admin),
			Error::<Test>::NotOrgAdmin
		);
		assert_noop!(
			Registry::add_member(RuntimeOrigin::signed(PATIENT), 31, Role::Admin),
			Error::<Test>::NotOrgAdmin
		);
	});
}

/// Audit: guardians and keys change only by the patient's own signature. A guardian cannot
/// name another guardian, and another patient's rotation changes only their own key.
#[test]
fn only_the_patient_changes_their_guardians_and_key() {
	run_test(|| {
		assert_ok!(Registry::register_patient(RuntimeOrigin::signed(50), KEY, vec![PATIENT]));
		// PATIENT is 50's guardian; its calls act on its own record, never on 50's.
		assert_ok!(Registry::add_guardian(RuntimeOrigin::signed(PATIENT), DOCTOR));
		assert!(!Registry::is_guardian(&50, &DOCTOR));
		assert_ok!(Registry::rotate_encryption_key(RuntimeOrigin::signed(PATIENT), [4u8; 32]));
		assert_eq!(Registry::encryption_key(&50), Some(KEY));
		assert_noop!(
			Registry::remove_guardian(RuntimeOrigin::signed(PATIENT), PATIENT),
			Error::<Test>::NotGuardian
		);
		assert!(Registry::is_guardian(&50, &PATIENT));
		assert_noop!(
			Registry::register_patient(RuntimeOrigin::signed(50), [5u8; 32], vec![]),
			Error::<Test>::AlreadyRegistered
		);
		assert_eq!(Registry::encryption_key(&50), Some(KEY));
	});
}

mod allowances {
	use super::*;
	use crate::Standing;

	/// Hole 4: a signer's transactions are bounded by its allowance, refused with
	/// `AllowanceSpent` once it is spent, and allowed again as it refills, up to the burst.
	#[test]
	fn a_spent_allowance_is_refused_until_it_refills() {
		run_test(|| {
			let member = Registry::rate_limit(Standing::Member);
			assert_eq!(Registry::allowance_left(&DOCTOR, member), 6);
			for _ in 0..6 {
				assert_ok!(Registry::spend_allowance(&DOCTOR, member));
			}
			assert_noop!(Registry::spend_allowance(&DOCTOR, member), Error::<Test>::AllowanceSpent);
			// Each block adds `per_block`, up to `burst`.
			run_to(2);
			assert_eq!(Registry::allowance_left(&DOCTOR, member), 3);
			for _ in 0..3 {
				assert_ok!(Registry::spend_allowance(&DOCTOR, member));
			}
			assert_noop!(Registry::spend_allowance(&DOCTOR, member), Error::<Test>::AllowanceSpent);
			run_to(10);
			assert_eq!(Registry::allowance_left(&DOCTOR, member), 6, "capped at the burst");
			// Another signer's allowance is its own.
			assert_eq!(Registry::allowance_left(&HOSPITAL_ADMIN, member), 6);
		});
	}

	#[test]
	fn patients_get_the_smaller_allowance() {
		run_test(|| {
			let patient = Registry::rate_limit(Standing::Patient);
			assert_eq!(patient, PatientRateLimit::get());
			assert_ok!(Registry::spend_allowance(&PATIENT, patient));
			assert_ok!(Registry::spend_allowance(&PATIENT, patient));
			assert_noop!(
				Registry::spend_allowance(&PATIENT, patient),
				Error::<Test>::AllowanceSpent
			);
			run_to(2);
			assert_ok!(Registry::spend_allowance(&PATIENT, patient));
		});
	}

	#[test]
	fn removing_a_member_drops_its_allowance() {
		run_test(|| {
			let member = Registry::rate_limit(Standing::Member);
			assert_ok!(Registry::spend_allowance(&DOCTOR, member));
			assert!(crate::Allowances::<Test>::contains_key(DOCTOR));
			assert_ok!(Registry::remove_member(RuntimeOrigin::signed(HOSPITAL_ADMIN), DOCTOR));
			assert!(!crate::Allowances::<Test>::contains_key(DOCTOR));
		});
	}
}

mod root {
	use super::*;

	fn admit_lab() -> Box<RuntimeCall> {
		Box::new(RuntimeCall::Registry(crate::Call::admit_organization {
			kind: OrgKind::Lab,
			licence: Licence::npi(*b"199999999"),
			documents_hash: H256::repeat_byte(4),
			admin: 40,
		}))
	}

	/// Hole 12: after genesis, `RootOrigin` (the council, unanimous, in the runtime) is the one
	/// way to dispatch as Root.
	#[test]
	fn the_root_origin_dispatches_as_root() {
		run_test(|| {
			assert_ok!(Registry::dispatch_as_root(
				RuntimeOrigin::signed(RootDispatcher::get()),
				admit_lab()
			));
			System::assert_last_event(Event::DispatchedAsRoot { result: Ok(()) }.into());
			assert!(Registry::active_membership(&40).is_some());

			// The inner call's failure is reported, not hidden.
			assert_ok!(Registry::dispatch_as_root(
				RuntimeOrigin::signed(RootDispatcher::get()),
				admit_lab()
			));
			System::assert_last_event(
				Event::DispatchedAsRoot { result: Err(Error::<Test>::AlreadyMember.into()) }.into(),
			);
		});
	}

	#[test]
	fn nobody_else_dispatches_as_root() {
		run_test(|| {
			for who in [HOSPITAL_ADMIN, DOCTOR, PATIENT, STRANGER] {
				assert_noop!(
					Registry::dispatch_as_root(RuntimeOrigin::signed(who), admit_lab()),
					DispatchError::BadOrigin
				);
			}
		});
	}
}

/// Audit: a patient key of small order would let anyone read the data keys wrapped to it.
/// Every such key is refused, with or without the top bit X25519 ignores, at registration and
/// at rotation.
#[test]
fn small_order_encryption_keys_are_refused() {
	run_test(|| {
		let mut keys = vec![[0u8; 32], [0xff; 32]];
		keys[0][0] = 1;
		keys[1][0] = 0xec;
		for mut key in keys.into_iter().chain(crate::SMALL_ORDER_KEYS) {
			for top in [0, 0x80] {
				key[31] = (key[31] & 0x7f) | top;
				assert!(!crate::is_usable_encryption_key(&key), "{key:?}");
				assert_noop!(
					Registry::register_patient(RuntimeOrigin::signed(50), key, vec![]),
					Error::<Test>::InvalidEncryptionKey
				);
				assert_noop!(
					Registry::rotate_encryption_key(RuntimeOrigin::signed(PATIENT), key),
					Error::<Test>::InvalidEncryptionKey
				);
			}
		}
		assert!(crate::is_usable_encryption_key(&KEY));
	});
}
