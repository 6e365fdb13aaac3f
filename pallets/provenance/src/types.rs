//! SCALE types stored by the provenance pallet, and the GS1 identifier checks.

use crate::Config;
use carechain_primitives::{Moment, OrgId, RecordId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::ConstU32, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// A calendar day: days since 1970-01-01 (UTC), as expiry dates are printed (GS1 AI 17).
pub type Day = u32;

/// A GTIN-14 (GS1 AI 01) as 14 ASCII digits, the last a GS1 check digit. A US NDC is carried
/// inside it as DSCSA labels do: `0` + `3` + the 10-digit NDC + the check digit.
pub type Gtin = [u8; 14];

/// An SSCC (GS1 AI 00) identifying a case or pallet: 18 ASCII digits, the last a check digit.
pub type Sscc = [u8; 18];

/// The longest serial number and lot number (GS1 AI 21 and 10).
pub const MAX_SERIAL_LEN: u32 = 20;

/// A serial number: 1 to 20 ASCII letters and digits.
pub type Serial = BoundedVec<u8, ConstU32<MAX_SERIAL_LEN>>;

/// A lot (batch) number: 1 to 20 ASCII letters and digits.
pub type Lot = BoundedVec<u8, ConstU32<MAX_SERIAL_LEN>>;

/// The shortest and longest GS1 company prefix, in digits.
pub const MIN_COMPANY_PREFIX_LEN: u32 = 4;
/// The longest GS1 company prefix: with it, a GTIN-14 has one item (a one-off GTIN).
pub const MAX_COMPANY_PREFIX_LEN: u32 = 12;

/// A GS1 company prefix as GS1 licenses it to a company: 4 to 12 ASCII digits. In a GTIN-14 it
/// follows the indicator digit (for a US NDC, `03` + the FDA labeler code).
pub type CompanyPrefix = BoundedVec<u8, ConstU32<MAX_COMPANY_PREFIX_LEN>>;

/// Whether `prefix` is 4 to 12 ASCII digits.
pub fn is_company_prefix(prefix: &[u8]) -> bool {
	(MIN_COMPANY_PREFIX_LEN as usize..=MAX_COMPANY_PREFIX_LEN as usize).contains(&prefix.len())
		&& prefix.iter().all(u8::is_ascii_digit)
}

pub use carechain_primitives::{gs1_check_digit, has_gs1_check_digit};

/// Whether `text` is 1 to 20 ASCII letters and digits (a serial or lot number).
pub fn is_alphanumeric(text: &[u8]) -> bool {
	!text.is_empty() && text.iter().all(u8::is_ascii_alphanumeric)
}

/// A serialized unit: GTIN plus serial number (the SGTIN of the DSCSA product identifier).
#[derive(
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Sgtin {
	/// The product.
	pub gtin: Gtin,
	/// The unit's serial number.
	pub serial: Serial,
}

/// What an EPCIS event is about: a unit or a container.
#[derive(
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Epc {
	/// A serialized saleable unit.
	Unit(Sgtin),
	/// A case or pallet.
	Container(Sscc),
}

/// A registered product.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Product {
	/// The manufacturer organization.
	pub manufacturer: OrgId,
	/// blake2b-256 of the product's description (name, strength, dosage form, package size).
	pub description_hash: H256,
	/// When it was registered.
	pub registered_at: Moment,
}

/// A lot of a product.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct LotInfo {
	/// The expiry date of its units.
	pub expiry: Day,
	/// How many units were commissioned in it.
	pub units: u32,
	/// When and why the manufacturer recalled it, if it did.
	pub recall: Option<(Moment, H256)>,
}

/// Where a unit stands, apart from custody.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum UnitStatus {
	/// In the supply chain, saleable.
	Active,
	/// Quarantined while a suspicion is investigated.
	Suspect,
	/// Found counterfeit, diverted, stolen or otherwise unfit: never saleable again.
	Illegitimate,
	/// Dispensed to a patient: its life in the supply chain is over.
	Dispensed,
}

/// A serialized unit.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Unit {
	/// Its lot.
	pub lot: Lot,
	/// Its expiry date.
	pub expiry: Day,
	/// The organization that owns it.
	pub owner: OrgId,
	/// The organization it was shipped to and that has not yet received it.
	pub in_transit_to: Option<OrgId>,
	/// Its status.
	pub status: UnitStatus,
	/// The case it is packed in.
	pub parent: Option<Sscc>,
}

/// A case or pallet.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Container<T: Config> {
	/// The organization that owns it and its contents.
	pub owner: OrgId,
	/// The organization it was shipped to and that has not yet received it.
	pub in_transit_to: Option<OrgId>,
	/// The pallet it is on.
	pub parent: Option<Sscc>,
	/// What it directly holds.
	pub children: BoundedVec<Epc, T::MaxChildren>,
	/// Everything it holds, at any depth.
	pub contents: u32,
	/// 1 for a case of units (or an empty one), 2 for a pallet of cases, and so on.
	pub level: u8,
}

/// What a supply-chain event did (the EPCIS `bizStep`, with its details).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum EventKind {
	/// The manufacturer commissioned the unit.
	Commissioned,
	/// It was packed into a container.
	Packed {
		/// The container.
		parent: Sscc,
	},
	/// It was unpacked from a container.
	Unpacked {
		/// The container.
		parent: Sscc,
	},
	/// Its owner shipped it.
	Shipped {
		/// The receiving organization.
		to: OrgId,
	},
	/// The receiver took it over.
	Received {
		/// The previous owner.
		from: OrgId,
	},
	/// A pharmacy dispensed it.
	Dispensed {
		/// The pharmacy's commitment to the patient and prescription ([`dispense_commitment`]);
		/// zero for a unit dispensed before commitments existed (storage version 0).
		commitment: DispenseCommitment,
	},
	/// It was quarantined as suspect.
	MarkedSuspect {
		/// blake2b-256 of the reason, kept off chain.
		reason: H256,
	},
	/// The suspicion was cleared.
	Cleared,
	/// It was declared illegitimate.
	DeclaredIllegitimate,
	/// Its lot was recalled (from the lot record, in histories).
	Recalled {
		/// blake2b-256 of the recall notice.
		reason: H256,
	},
	/// A dispensed or unknown identifier was presented again: likely a counterfeit copy.
	CounterfeitReported,
}

/// The GS1 EPCIS 2.0 fields of an event: event type, action, business step, disposition.
pub type EpcisFields = (&'static str, &'static str, &'static str, &'static str);

impl EventKind {
	/// The event as GS1 EPCIS 2.0 and its Core Business Vocabulary name it.
	pub fn epcis(&self) -> EpcisFields {
		match self {
			EventKind::Commissioned => ("ObjectEvent", "ADD", "commissioning", "active"),
			EventKind::Packed { .. } => ("AggregationEvent", "ADD", "packing", "in_progress"),
			EventKind::Unpacked { .. } => {
				("AggregationEvent", "DELETE", "unpacking", "in_progress")
			}
			EventKind::Shipped { .. } => ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
			EventKind::Received { .. } => ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
			EventKind::Dispensed { .. } => ("ObjectEvent", "OBSERVE", "dispensing", "dispensed"),
			EventKind::MarkedSuspect { .. } => {
				("ObjectEvent", "OBSERVE", "holding", "non_sellable_other")
			}
			EventKind::Cleared => ("ObjectEvent", "OBSERVE", "inspecting", "active"),
			EventKind::DeclaredIllegitimate => {
				("ObjectEvent", "OBSERVE", "inspecting", "non_sellable_other")
			}
			EventKind::Recalled { .. } => ("ObjectEvent", "OBSERVE", "holding", "recalled"),
			EventKind::CounterfeitReported => ("ObjectEvent", "OBSERVE", "inspecting", "unknown"),
		}
	}
}

/// One entry of a unit's or container's history.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct SupplyEvent {
	/// What happened.
	pub kind: EventKind,
	/// The organization that did it.
	pub org: OrgId,
	/// When, in milliseconds since the Unix epoch.
	pub at: Moment,
}

/// The answer of the verification router service about a product identifier.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Verification {
	/// No unit has that identifier: likely counterfeit.
	Unknown,
	/// The unit exists.
	Known {
		/// Who owns it.
		owner: OrgId,
		/// Its status.
		status: UnitStatus,
		/// Whether it is in transit.
		in_transit: bool,
		/// Its lot.
		lot: Lot,
		/// Its expiry date.
		expiry: Day,
		/// Whether its lot was recalled.
		recalled: bool,
		/// Whether it is past its expiry date.
		expired: bool,
	},
}

impl Verification {
	/// Whether the unit may be sold or dispensed now.
	pub fn is_saleable(&self) -> bool {
		matches!(
			self,
			Verification::Known { status: UnitStatus::Active, recalled: false, expired: false, .. }
		)
	}
}

/// A recorded verification request.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct VerificationRecord {
	/// The requesting organization.
	pub org: OrgId,
	/// When.
	pub at: Moment,
	/// Whether the unit was known and saleable.
	pub saleable: bool,
}

/// Why a presented identifier looks counterfeit.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum CounterfeitSign {
	/// No unit was ever commissioned with it. No longer reported: dispensing an unknown
	/// identifier is refused, and nothing is kept about it. Kept so that old events decode.
	UnknownIdentifier,
	/// Its unit was dispensed already.
	AlreadyDispensed,
}

/// A pharmacy's commitment to whom it dispensed a unit, and against which prescription:
/// [`dispense_commitment`] of the patient, the prescription, the unit and 32 random bytes.
/// Without the random bytes no one can test a guess of the patient or prescription against it.
pub type DispenseCommitment = H256;

/// A spent fill of a prescription ([`fill_nullifier`]): a hash keyed with the prescription's
/// data key, which the chain and everyone the patient did not give the prescription lack, so
/// that it names no prescription and two fills of one prescription cannot be linked.
pub type FillNullifier = H256;

/// The domain separator of [`dispense_commitment`].
pub const DISPENSE_COMMITMENT_DOMAIN: &[u8] = b"carechain/dispense/v1";

/// The domain separator of [`fill_nullifier`].
pub const FILL_NULLIFIER_DOMAIN: &[u8] = b"carechain/dispense/fill/v1";

/// What a pharmacy keeps to open its [`DispenseCommitment`] to the patient, a regulator or an
/// auditor. It never goes on chain: an auditor checks it with [`verify_dispense_opening`]
/// against the commitment read from [`crate::DispenseCommitments`].
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct DispenseOpening<AccountId> {
	/// The patient the unit was dispensed to.
	pub patient: AccountId,
	/// The MedicationRequest record (the version) it filled, if any.
	pub prescription: Option<RecordId>,
	/// The 32 random bytes the pharmacy drew for this dispense.
	pub blinding: [u8; 32],
}

/// The commitment to dispensing `sgtin` to `patient` against `prescription`:
/// blake2b-256(`"carechain/dispense/v1"` ‖ SCALE(patient) ‖ prescription record id (32 zero
/// bytes for none) ‖ SCALE(sgtin) ‖ blinding). For the runtime's 32-byte accounts SCALE(patient)
/// is the account's 32 bytes; SCALE(sgtin) is the 14 GTIN digits, the serial's compact length
/// and its characters. `client-js` computes the same bytes (`dispenseCommitment`).
pub fn dispense_commitment<AccountId: Encode>(
	patient: &AccountId,
	prescription: Option<&RecordId>,
	sgtin: &Sgtin,
	blinding: &[u8; 32],
) -> DispenseCommitment {
	let mut preimage = DISPENSE_COMMITMENT_DOMAIN.to_vec();
	patient.encode_to(&mut preimage);
	preimage.extend_from_slice(prescription.map_or(&[0u8; 32], |r| r.as_fixed_bytes()));
	sgtin.encode_to(&mut preimage);
	preimage.extend_from_slice(blinding);
	BlakeTwo256::hash(&preimage)
}

/// Whether `opening` opens `commitment`, the one stored for `sgtin`: the right patient, the
/// right prescription and the right random bytes, for that unit.
pub fn verify_dispense_opening<AccountId: Encode>(
	commitment: &DispenseCommitment,
	sgtin: &Sgtin,
	opening: &DispenseOpening<AccountId>,
) -> bool {
	*commitment
		== dispense_commitment(
			&opening.patient,
			opening.prescription.as_ref(),
			sgtin,
			&opening.blinding,
		)
}

/// The nullifier of fill `fill` (from 0, below `MaxFillsPerPrescription`) of a prescription:
/// blake2b-256(`"carechain/dispense/fill/v1"` ‖ data key ‖ prescription record id ‖ fill as
/// u32 little endian). `data_key` is the prescription record's vault data key, which the
/// patient's wallet wraps to each grantee: every pharmacy the patient gave the prescription
/// computes the same nullifiers, and nobody else can (BLAKE2 with a secret prefix is a PRF: it
/// has no length extension). `client-js` computes the same bytes (`fillNullifier`).
pub fn fill_nullifier(data_key: &[u8; 32], prescription: &RecordId, fill: u32) -> FillNullifier {
	let mut preimage = FILL_NULLIFIER_DOMAIN.to_vec();
	preimage.extend_from_slice(data_key);
	preimage.extend_from_slice(prescription.as_fixed_bytes());
	preimage.extend_from_slice(&fill.to_le_bytes());
	BlakeTwo256::hash(&preimage)
}
