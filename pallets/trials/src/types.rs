//! SCALE types stored by the trials pallet, the registry identifier check, the subject key and
//! the allocation commitment (a Merkle tree over the randomisation list).

use crate::Config;
use alloc::vec::Vec;
use carechain_primitives::{Moment, OrgId, RecordId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

/// A study's id, assigned by the chain in registration order.
pub type StudyId = u32;

/// A protocol version of a study: 1 at registration, one more for each amendment.
pub type ProtocolVersionId = u32;

/// An arm's index in its study: 0, 1, 2, … in registration order.
pub type ArmIndex = u8;

/// A subject's study-scoped pseudonym: 32 bytes the patient's wallet chooses, e.g.
/// [`pseudonym`] of the study, the patient and 32 random bytes the wallet keeps. The chain never
/// learns how it was made.
pub type Pseudonym = H256;

/// The one-way binding of a pseudonym to the account the patient acts from for it
/// ([`subject_key`]), checked on each subject call.
pub type SubjectKey = H256;

/// A trial registry identifier: a registry and the digits it assigned. Digits only, so that
/// no text fits.
#[derive(
	Clone,
	Copy,
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
pub enum RegistryId {
	/// ClinicalTrials.gov: `NCT` followed by these 8 ASCII digits.
	Nct([u8; 8]),
	/// The ISRCTN registry: `ISRCTN` followed by these 8 ASCII digits.
	Isrctn([u8; 8]),
}

impl RegistryId {
	/// Whether the identifier's digits are 8 ASCII digits.
	pub fn is_valid(&self) -> bool {
		let (RegistryId::Nct(digits) | RegistryId::Isrctn(digits)) = self;
		digits.iter().all(u8::is_ascii_digit)
	}

	/// The identifier as its registry prints it, e.g. `NCT01234567`.
	pub fn to_ascii(&self) -> Vec<u8> {
		let (prefix, digits): (&[u8], _) = match self {
			RegistryId::Nct(digits) => (b"NCT", digits),
			RegistryId::Isrctn(digits) => (b"ISRCTN", digits),
		};
		let mut text = prefix.to_vec();
		text.extend_from_slice(digits);
		text
	}
}

/// A study's phase, as ClinicalTrials.gov names them.
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
pub enum Phase {
	/// Early phase 1 (formerly phase 0).
	EarlyPhase1,
	/// Phase 1.
	Phase1,
	/// Phase 1/2.
	Phase1Phase2,
	/// Phase 2.
	Phase2,
	/// Phase 2/3.
	Phase2Phase3,
	/// Phase 3.
	Phase3,
	/// Phase 4 (post-marketing).
	Phase4,
	/// Not applicable (a device or behavioural study without phases).
	NotApplicable,
}

/// An arm of a study.
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
pub struct Arm {
	/// Its index: arms are numbered 0, 1, 2, … in the order given.
	pub index: ArmIndex,
	/// blake2b-256 of its description (intervention, dose, comparator), kept off chain.
	pub description_hash: H256,
}

/// A registered study.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Study<T: Config> {
	/// The sponsor organization (an active research sponsor when it registered).
	pub sponsor: OrgId,
	/// Its trial registry identifier.
	pub registry_id: RegistryId,
	/// Its phase.
	pub phase: Phase,
	/// Its arms, numbered from 0.
	pub arms: BoundedVec<Arm, T::MaxArms>,
	/// How many subjects it enrols at most.
	pub target_enrolment: u32,
	/// blake2b-256 of each pre-specified primary outcome, in registration order.
	pub primary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
	/// blake2b-256 of each pre-specified secondary outcome, in registration order.
	pub secondary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
	/// blake2b-256 of the statistical analysis plan.
	pub analysis_plan_hash: H256,
	/// The root of the allocation list's Merkle tree ([`allocation_root`]).
	pub allocation_root: H256,
	/// When it was registered.
	pub registered_at: Moment,
	/// Its current protocol version.
	pub version: ProtocolVersionId,
	/// The oldest protocol version whose consent still allows data capture and randomisation:
	/// the latest amendment that required re-consent (1 if none did).
	pub min_consent_version: ProtocolVersionId,
	/// How many sites were ever activated.
	pub sites: u32,
	/// How many subjects were randomised.
	pub randomised: u32,
	/// How many record hashes were captured, over all subjects.
	pub captures: u32,
	/// A running blake2b-256 over every captured record ([`capture_digest`]), zero before the
	/// first.
	pub capture_digest: H256,
	/// How many adverse events were reported, over all subjects: the next event's id.
	pub adverse_events: u32,
	/// How many of them were reported after their deadline.
	pub late_adverse_events: u32,
	/// When the last subject completed, if any did: the results deadline runs from it.
	pub last_completion: Option<Moment>,
	/// The database lock, once the sponsor locked it.
	pub lock: Option<DatabaseLock>,
	/// The results deadline that passed without results, once someone flagged it
	/// ([`crate::Pallet::flag_overdue`]). Kept after the results come.
	pub results_overdue: Option<Moment>,
}

/// A protocol version: the registration's (1) or an amendment's.
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
pub struct ProtocolVersion {
	/// blake2b-256 of the protocol document of this version.
	pub protocol_hash: H256,
	/// blake2b-256 of the informed-consent form subjects sign for this version.
	pub consent_form_hash: H256,
	/// Whether subjects who consented to an earlier version must consent again before any
	/// more of their data is captured.
	pub reconsent_required: bool,
	/// When it took effect.
	pub at: Moment,
}

/// An organization's activation as a site of a study.
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
pub struct Site {
	/// blake2b-256 of the ethics committee's (IRB's) approval for this site.
	pub ethics_approval_hash: H256,
	/// When the sponsor activated it.
	pub activated_at: Moment,
	/// Whether it may screen and enrol: the sponsor deactivates a site to stop recruitment
	/// there; its subjects stay in follow-up.
	pub active: bool,
}

/// Where a subject stands.
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
pub enum SubjectStatus {
	/// Screened and eligible: waiting for the patient's consent.
	Screened,
	/// Screened and found not eligible (CONSORT "excluded").
	ScreenFailed,
	/// Consented and enrolled, not yet randomised.
	Enrolled,
	/// Randomised to an arm and in follow-up.
	Randomised,
	/// Completed the study.
	Completed,
	/// Withdrew consent: no data is captured from then on.
	Withdrawn,
	/// Lost to follow-up.
	LostToFollowUp,
}

impl SubjectStatus {
	/// Whether the subject consented and enrolled (whatever happened after).
	pub fn is_enrolled(self) -> bool {
		!matches!(self, SubjectStatus::Screened | SubjectStatus::ScreenFailed)
	}

	/// Whether the subject takes part now: enrolled, and neither finished nor gone.
	pub fn is_participating(self) -> bool {
		matches!(self, SubjectStatus::Enrolled | SubjectStatus::Randomised)
	}
}

/// A subject of a study, known by its pseudonym only.
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
pub struct Subject {
	/// The binding to the account the patient acts from for this subject ([`subject_key`]),
	/// as the site recorded it from the patient's wallet at screening.
	pub key: SubjectKey,
	/// The patient's [`EnrolmentNullifier`] in the study, as the site computed it at screening;
	/// taken at enrolment.
	pub nullifier: EnrolmentNullifier,
	/// The site organization that screened the subject.
	pub site: OrgId,
	/// Where the subject stands.
	pub status: SubjectStatus,
	/// The protocol version the subject last consented to; 0 before consent.
	pub consent_version: ProtocolVersionId,
	/// How many consents the subject gave ([`crate::ConsentHistory`]).
	pub consents: u32,
	/// The allocation slot the subject took at enrolment: the `n`-th subject enrolled (from 0)
	/// takes slot `n`, whenever it is randomised.
	pub slot: Option<u32>,
	/// The arm the subject was randomised to: the allocation list's entry for its slot.
	pub arm: Option<ArmIndex>,
	/// How many record hashes were captured for the subject ([`crate::Captures`]).
	pub captures: u32,
	/// How many adverse events were reported for the subject.
	pub adverse_events: u32,
	/// When the subject enrolled.
	pub enrolled_at: Option<Moment>,
}

/// One consent of a subject: what was agreed to and when.
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
pub struct ConsentRecord {
	/// The protocol version consented to.
	pub version: ProtocolVersionId,
	/// The consent form of that version (copied, so that the record stands alone).
	pub consent_form_hash: H256,
	/// When.
	pub at: Moment,
}

/// A captured record hash.
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
pub struct Capture {
	/// The record (a records-pallet record id, or the hash of a case-report form).
	pub record: RecordId,
	/// When it was captured.
	pub at: Moment,
}

/// How serious an adverse event is (ICH E2A).
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
pub enum Seriousness {
	/// An adverse event that is not serious.
	NonSerious,
	/// A serious adverse event: death, a threat to life, hospitalisation, lasting disability,
	/// a congenital anomaly, or another important medical event.
	Serious,
}

/// A reported adverse event. What happened is in the report, of which only a hash is kept.
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
pub struct AdverseEvent {
	/// The subject.
	pub pseudonym: Pseudonym,
	/// The site that reported it.
	pub site: OrgId,
	/// Whether it is serious.
	pub seriousness: Seriousness,
	/// When it began, as the site reports it.
	pub onset: Moment,
	/// When it had to be reported by: `onset` plus the deadline for its seriousness.
	pub due: Moment,
	/// When it was reported.
	pub reported_at: Moment,
	/// Whether it was reported after `due`.
	pub late: bool,
	/// blake2b-256 of the report (a salted commitment from the site's system: the chain keeps
	/// no clinical fact).
	pub report_hash: H256,
}

/// The database lock of a study.
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
pub struct DatabaseLock {
	/// The sponsor's root over the locked clinical database (computed off chain).
	pub data_root: H256,
	/// The chain's running digest of every captured record hash at the lock.
	pub capture_digest: H256,
	/// How many record hashes had been captured at the lock.
	pub captures: u32,
	/// When.
	pub at: Moment,
}

/// How the reported outcome lists differ from the registered ones, outcome by outcome.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct OutcomeComparison {
	/// Reported primary outcomes that were not registered as primary.
	pub primary_added: u32,
	/// Registered primary outcomes that were not reported as primary.
	pub primary_omitted: u32,
	/// Reported secondary outcomes that were not registered as secondary.
	pub secondary_added: u32,
	/// Registered secondary outcomes that were not reported as secondary.
	pub secondary_omitted: u32,
}

impl OutcomeComparison {
	/// Compares reported outcome lists with registered ones, ignoring order.
	pub fn compare(
		registered_primary: &[H256],
		registered_secondary: &[H256],
		reported_primary: &[H256],
		reported_secondary: &[H256],
	) -> Self {
		let missing = |from: &[H256], against: &[H256]| -> u32 {
			let count = from.iter().filter(|h| !against.contains(h)).count();
			u32::try_from(count).unwrap_or(u32::MAX)
		};
		OutcomeComparison {
			primary_added: missing(reported_primary, registered_primary),
			primary_omitted: missing(registered_primary, reported_primary),
			secondary_added: missing(reported_secondary, registered_secondary),
			secondary_omitted: missing(registered_secondary, reported_secondary),
		}
	}

	/// Whether any outcome was switched: added, dropped, promoted or demoted.
	pub fn switched(&self) -> bool {
		*self != OutcomeComparison::default()
	}
}

/// A study's reported results.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct StudyResults<T: Config> {
	/// blake2b-256 of the results document.
	pub results_hash: H256,
	/// blake2b-256 of each primary outcome the results report.
	pub primary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
	/// blake2b-256 of each secondary outcome the results report.
	pub secondary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
	/// How they differ from the registered outcomes: kept forever.
	pub comparison: OutcomeComparison,
	/// When they were reported.
	pub reported_at: Moment,
	/// Whether they came after the results deadline.
	pub late: bool,
}

/// The CONSORT participant flow of one arm.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct ArmFlow {
	/// Subjects randomised to the arm.
	pub allocated: u32,
	/// Of them, lost to follow-up.
	pub lost: u32,
	/// Of them, withdrawn after allocation.
	pub withdrawn: u32,
	/// Of them, completed.
	pub completed: u32,
	/// Of them, analysed: the completed subjects at the database lock (0 before it).
	pub analysed: u32,
}

/// A study's CONSORT participant-flow counts, kept by the transitions and checked against the
/// subjects by `try_state`.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
	frame_support::DefaultNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ConsortFlow<T: Config> {
	/// Screened for eligibility.
	pub assessed: u32,
	/// Of them, excluded (not eligible).
	pub excluded: u32,
	/// Enrolled (consented).
	pub enrolled: u32,
	/// Withdrawn after enrolment, before allocation.
	pub withdrawn_before_allocation: u32,
	/// Each arm's flow, by arm index.
	pub arms: BoundedVec<ArmFlow, T::MaxArms>,
}

/// The domain separator of [`subject_key`].
pub const SUBJECT_KEY_DOMAIN: &[u8] = b"carechain/trials/subject-key/v1";

/// The domain separator of [`enrolment_nullifier`].
pub const ENROLMENT_NULLIFIER_DOMAIN: &[u8] = b"carechain/trials/enrolment/v2";

/// The domain separator of [`pseudonym`].
pub const PSEUDONYM_DOMAIN: &[u8] = b"carechain/trials/pseudonym/v1";

/// The domain separator of [`allocation_leaf`].
pub const ALLOCATION_LEAF_DOMAIN: &[u8] = b"carechain/trials/allocation/leaf/v1";

/// The domain separator of [`allocation_node`].
pub const ALLOCATION_NODE_DOMAIN: &[u8] = b"carechain/trials/allocation/node/v1";

/// The domain separator of [`capture_digest`].
pub const CAPTURE_DIGEST_DOMAIN: &[u8] = b"carechain/trials/capture/v1";

/// A pseudonym a wallet may choose for `patient` in `study`: blake2b-256(`PSEUDONYM_DOMAIN` ‖
/// study as u32 little endian ‖ SCALE(patient) ‖ salt), with 32 random bytes the wallet keeps.
/// Without the salt nobody can test a guess of the patient against it. The chain never checks
/// how a pseudonym was made.
pub fn pseudonym<AccountId: Encode>(
	study: StudyId,
	patient: &AccountId,
	salt: &[u8; 32],
) -> Pseudonym {
	let mut preimage = PSEUDONYM_DOMAIN.to_vec();
	preimage.extend_from_slice(&study.to_le_bytes());
	patient.encode_to(&mut preimage);
	preimage.extend_from_slice(salt);
	BlakeTwo256::hash(&preimage)
}

/// The binding of `pseudonym` in `study` to `account`, the account the patient acts from for
/// the subject: blake2b-256(`SUBJECT_KEY_DOMAIN` ‖ study as u32 little endian ‖ pseudonym ‖
/// SCALE(account)). A wallet uses a study-scoped subject account (see the crate docs,
/// "Pseudonyms"), never the patient's own. The chain recomputes the key from the signer of
/// each subject call and compares it with the stored one; state keeps the key, not the account.
pub fn subject_key<AccountId: Encode>(
	study: StudyId,
	pseudonym: &Pseudonym,
	account: &AccountId,
) -> SubjectKey {
	let mut preimage = SUBJECT_KEY_DOMAIN.to_vec();
	preimage.extend_from_slice(&study.to_le_bytes());
	preimage.extend_from_slice(pseudonym.as_bytes());
	account.encode_to(&mut preimage);
	BlakeTwo256::hash(&preimage)
}

/// What marks a patient as enrolled in a study, whatever the pseudonym and whichever subject
/// account it acts from: [`enrolment_nullifier`] of the study's nullifier key, the study and the
/// patient's account. The site computes it at screening (it knows its patient), so that a
/// patient enrols in a study once and nobody withdraws and comes back under a fresh pseudonym
/// to draw another arm. The key is a secret the sponsor gives the study's sites with their
/// activation: without it nobody can test the registered patients against the nullifiers.
pub type EnrolmentNullifier = H256;

/// The [`EnrolmentNullifier`] of `patient` in `study` under the study's nullifier key:
/// blake2b-256(`ENROLMENT_NULLIFIER_DOMAIN` ‖ key ‖ study as u32 little endian ‖
/// SCALE(patient)).
pub fn enrolment_nullifier<AccountId: Encode>(
	key: &[u8; 32],
	study: StudyId,
	patient: &AccountId,
) -> EnrolmentNullifier {
	let mut preimage = ENROLMENT_NULLIFIER_DOMAIN.to_vec();
	preimage.extend_from_slice(key);
	preimage.extend_from_slice(&study.to_le_bytes());
	patient.encode_to(&mut preimage);
	BlakeTwo256::hash(&preimage)
}

/// The next running digest of captured records: blake2b-256(`CAPTURE_DIGEST_DOMAIN` ‖ previous
/// digest ‖ pseudonym ‖ record), starting from zero.
pub fn capture_digest(previous: &H256, pseudonym: &Pseudonym, record: &RecordId) -> H256 {
	let mut preimage = CAPTURE_DIGEST_DOMAIN.to_vec();
	preimage.extend_from_slice(previous.as_bytes());
	preimage.extend_from_slice(pseudonym.as_bytes());
	preimage.extend_from_slice(record.as_bytes());
	BlakeTwo256::hash(&preimage)
}

/// The leaf of allocation slot `slot`: blake2b-256(`ALLOCATION_LEAF_DOMAIN` ‖ SCALE((slot, arm,
/// salt))), i.e. the slot as u32 little endian, the arm's byte and the 32-byte salt. The salt
/// hides each arm until its reveal: without it the 2 to 256 possible leaves of a slot could be
/// tried.
pub fn allocation_leaf(slot: u32, arm: ArmIndex, salt: &H256) -> H256 {
	let mut preimage = ALLOCATION_LEAF_DOMAIN.to_vec();
	(slot, arm, salt).encode_to(&mut preimage);
	BlakeTwo256::hash(&preimage)
}

/// An inner node of the allocation tree: blake2b-256(`ALLOCATION_NODE_DOMAIN` ‖ left ‖ right).
/// Leaves and nodes hash under different domains, so no node passes for a leaf.
pub fn allocation_node(left: &H256, right: &H256) -> H256 {
	let mut preimage = ALLOCATION_NODE_DOMAIN.to_vec();
	preimage.extend_from_slice(left.as_bytes());
	preimage.extend_from_slice(right.as_bytes());
	BlakeTwo256::hash(&preimage)
}

/// The depth of the allocation tree of a study enrolling at most `target` subjects: the least
/// `d` with `2^d >= target`. Every proof has exactly this many siblings.
pub fn allocation_depth(target: u32) -> u32 {
	target.checked_next_power_of_two().map_or(32, u32::trailing_zeros)
}

/// The levels of the allocation tree over `leaves` (slot `i` at position `i`), padded with zero
/// leaves to `2^depth`: level 0 the leaves, the last level the root. `leaves` beyond `2^depth`
/// are ignored. For the sponsor's tooling, tests and benchmarks.
fn allocation_levels(leaves: &[H256], depth: u32) -> Vec<Vec<H256>> {
	let width = 1usize.checked_shl(depth).unwrap_or(0);
	let mut level: Vec<H256> =
		(0..width).map(|i| leaves.get(i).copied().unwrap_or_default()).collect();
	let mut levels = Vec::new();
	while level.len() > 1 {
		let next = level.chunks(2).map(|pair| allocation_node(&pair[0], &pair[1])).collect();
		levels.push(core::mem::replace(&mut level, next));
	}
	levels.push(level);
	levels
}

/// The root of the allocation tree over `leaves` ([`allocation_leaf`] of each slot in order),
/// padded with zero leaves to `2^depth`: what the sponsor commits to at registration.
pub fn allocation_root(leaves: &[H256], depth: u32) -> H256 {
	allocation_levels(leaves, depth)
		.last()
		.and_then(|root| root.first().copied())
		.unwrap_or_default()
}

/// The siblings from leaf `slot` up to the root, for [`verify_allocation`].
pub fn allocation_proof(leaves: &[H256], depth: u32, slot: u32) -> Vec<H256> {
	let levels = allocation_levels(leaves, depth);
	let mut index = slot as usize;
	let mut proof = Vec::new();
	for level in levels.iter().take(levels.len().saturating_sub(1)) {
		proof.push(level.get(index ^ 1).copied().unwrap_or_default());
		index >>= 1;
	}
	proof
}

/// Whether `proof` shows that `root` commits to `arm` (with `salt`) at allocation slot `slot`:
/// the proof has exactly `depth` siblings, the slot lies within the tree, and hashing the leaf
/// up the path the slot's bits choose ends at the root.
pub fn verify_allocation(
	root: &H256,
	depth: u32,
	slot: u32,
	arm: ArmIndex,
	salt: &H256,
	proof: &[H256],
) -> bool {
	if proof.len() != depth as usize || u64::from(slot) >= 1u64.checked_shl(depth).unwrap_or(0) {
		return false;
	}
	let mut node = allocation_leaf(slot, arm, salt);
	let mut index = slot;
	for sibling in proof {
		node = if index & 1 == 0 {
			allocation_node(&node, sibling)
		} else {
			allocation_node(sibling, &node)
		};
		index >>= 1;
	}
	node == *root
}
