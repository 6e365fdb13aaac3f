//! # Trials Pallet
//!
//! Clinical trials from registration to results, with the failures a shared ledger can prevent
//! made impossible or visible: outcomes switched after the data came in, enrolment without
//! consent to the current protocol, randomisation that does not follow the concealed list,
//! adverse events reported late, results never published. No clinical fact and no free text
//! goes on chain: documents, outcomes, arms, reports and data are blake2b-256 hashes, and
//! subjects are pseudonyms.
//!
//! ## Overview
//!
//! A practitioner or admin of an active research sponsor registers a study before its first
//! enrolment: its registry identifier (ClinicalTrials.gov `NCT` or `ISRCTN` digits, nothing
//! else), phase, arms (each an index and the hash of its description), target enrolment, the
//! hashes of the protocol, of the consent form, of each pre-specified primary and secondary
//! outcome and of the statistical analysis plan, and the root of a Merkle tree over the
//! allocation list (see "Randomisation"). The registration is protocol version 1; each
//! amendment is a new version with its protocol and consent-form hashes and whether subjects
//! must consent again. Outcomes cannot be amended: they stay as registered, and the results
//! are compared with them.
//!
//! The sponsor activates sites (active care providers) with the hash of their ethics
//! committee's approval, and may deactivate one to stop its recruitment. A practitioner of an
//! active site screens a subject under its pseudonym, eligible or not; an eligible subject's
//! patient enrols by signing a consent to the current protocol version at that site, while the
//! study is below its target enrolment. The sponsor randomises an enrolled subject by revealing
//! the allocation list's entry for the subject's slot with its Merkle proof. The site captures
//! data as record hashes, marks a subject lost to follow-up or completed, and reports adverse
//! events (serious ones within `SeriousAdverseEventDeadline` of onset, others within
//! `AdverseEventDeadline`): a late report is accepted, stored with a flag and announced with
//! `AdverseEventReportedLate`. The patient may consent again to a new version and may withdraw
//! at any time; nothing is captured after withdrawal.
//!
//! The sponsor locks the database (its root over the clinical data; the chain adds its own
//! running digest of every captured record hash), then reports results: a results hash and the
//! outcome lists the results report, which the chain compares with the registered lists. Any
//! outcome added, dropped, promoted or demoted emits `OutcomeSwitched` and stays in
//! [`Results`] forever. Results are due `ResultsDeadline` after the last completion (or, with
//! none, after the lock); once that passes without results, anyone may call
//! [`Pallet::flag_overdue`], which stores the missed deadline on the study for good and emits
//! `ResultsOverdue`. A permissionless call was chosen over `on_initialize`: no per-block scan
//! of studies, no weight charged to every block, and the flag is raised exactly when someone
//! (a registry, a journal, a patient group) looks.
//!
//! Rules the runtime enforces: no data capture or randomisation for a subject whose consent is
//! older than the latest amendment that required re-consent (`ReconsentRequired`); no
//! randomisation or capture before consent (`NotConsented`); no capture after withdrawal
//! (`SubjectWithdrawn`); no enrolment past the target (`TargetReached`) or at an inactive site
//! (`SiteNotActive`); no results before the lock (`NotLocked`); nothing but withdrawals,
//! adverse events and site deactivation after the lock (`StudyLocked`).
//!
//! Each study keeps its CONSORT participant flow ([`ConsortFlows`]: assessed, excluded,
//! enrolled, withdrawn before allocation, and per arm allocated, lost, withdrawn, completed,
//! analysed), updated by every transition; `try_state` recounts it from the subjects.
//!
//! ## Pseudonyms
//!
//! Neither trial state, events nor block bodies name the patient's account. A subject is a
//! 32-byte pseudonym the patient's wallet chooses ([`pseudonym`] suggests blake2b-256 of the
//! study, the patient and 32 random bytes the wallet keeps), and the patient acts for it from a
//! **subject account**: a key pair the wallet derives for this study alone (client-js derives
//! it from the patient's secret with the hard junctions `//carechain//trial//<study>//<salt>`:
//! hard, so that nobody can follow it from the patient's public key), which is
//! neither a patient nor a member and appears nowhere else on chain. Taking part in a study is
//! itself a clinical fact (a study names its condition), so the patient's own account never
//! signs a subject call: a signed extrinsic's block names its signer for good.
//!
//! At screening the site records, with the pseudonym, the [`SubjectKey`] the wallet gives it:
//! [`subject_key`], blake2b-256 of the study, the pseudonym and the subject account. Every
//! subject call (`enrol`, `reconsent`, `withdraw`) recomputes the key from its signer and is
//! refused (`NotSubject`) unless it matches, so only the holder of the subject account acts
//! for the pseudonym, and nobody who merely saw the screening can enrol under someone else's
//! pseudonym first. The runtime's `CheckPermissioned` extension admits an otherwise unknown
//! signer for exactly these calls when [`Pallet::is_subject_account`] says the key matches,
//! under a patient's allowance; nothing else it signs gets into the pool. The subject account
//! is vouched for by the site that screened it in person, not by the registry: a site could
//! screen someone who is not a registered patient, as it could enter any data it captures.
//!
//! The site also records the patient's [`EnrolmentNullifier`], computed from the patient's
//! account under the study's nullifier key (never on chain). Enrolment takes it into
//! [`EnrolledPatients`], and a nullifier already there refuses screening and enrolment
//! (`PatientAlreadyEnrolled`), so that one patient enrols once, under one pseudonym, and
//! cannot withdraw and come back under another to draw a different arm. Whoever holds the key
//! can test every registered patient against the nullifiers and so re-identify every enrolled
//! subject: it belongs with one party, the sponsor's enrolment service (the IWRS trials already
//! use to assign subjects), which the site asks for each screening's nullifier, and never with
//! the sites. A nullifier computed wrongly only defeats the check, which the chain cannot see;
//! a site that enrolled a decoy under a patient's nullifier would shut the patient out of the
//! study, which the enrolment service's log shows.
//!
//! Captures are salted hashes of case-report forms, never ids of the records pallet (whose
//! index names each record's patient): `capture_data` refuses a record id the index knows.
//!
//! ## Randomisation
//!
//! Before registering, the sponsor (or its randomisation service) draws the allocation list:
//! for each slot `0..2^d` (`d` = [`allocation_depth`] of the target enrolment) an arm and 32
//! random bytes. Each entry is a leaf [`allocation_leaf`] = blake2b-256 of the SCALE encoding
//! of `(slot, arm, salt)` under a domain tag; the leaves (zero-padded to `2^d`) form a binary
//! Merkle tree whose inner nodes ([`allocation_node`]) hash under another tag, and the study
//! commits to its root. Subjects take slots in the order they enrol: the chain gives slot `n`
//! to the `n`-th enrolment (from 0), and at randomisation the sponsor reveals that slot's arm
//! and salt with its `d` sibling hashes. The slot is fixed before anything is revealed, by the
//! patient's own enrolment, so the sponsor, who knows the list, cannot choose which subject
//! gets which arm, and the site, which screens, does not know the list. [`verify_allocation`]
//! recomputes the root; a wrong arm, a wrong salt, a proof of another slot or one of the wrong
//! length is `InvalidAllocationProof`. The salts keep the arms of unrevealed slots concealed;
//! the root makes the list immutable. What the chain cannot check is that the list was drawn
//! at random and kept from the sites: that stays with the randomisation service and its audit.
//!
//! ## Dispatchable Functions
//!
//! - [`Pallet::register_study`]: an admin or practitioner of an active research sponsor.
//! - [`Pallet::amend_protocol`], [`Pallet::activate_site`], [`Pallet::deactivate_site`],
//!   [`Pallet::randomise`], [`Pallet::lock_database`], [`Pallet::report_results`]: an admin or
//!   practitioner of the study's sponsor.
//! - [`Pallet::screen`]: a practitioner of an active site of the study.
//! - [`Pallet::enrol`], [`Pallet::reconsent`], [`Pallet::withdraw`]: the patient behind the
//!   pseudonym.
//! - [`Pallet::capture_data`], [`Pallet::mark_lost_to_follow_up`], [`Pallet::complete`],
//!   [`Pallet::report_adverse_event`]: a practitioner of the subject's site.
//! - [`Pallet::flag_overdue`]: any signed account.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use carechain_primitives::{
	Membership, MembershipProvider, Moment, OrgId, OrgKind, RecordId, RecordLookup, Role,
};

/// What benchmarks need from the runtime beyond the pallet's `Config`.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Sets the chain's clock, so that deadlines can pass.
	fn set_time(now: Moment);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Time};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::Saturating;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the trials pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium registry: organizations, roles and patients.
		type Membership: MembershipProvider<Self::AccountId>;
		/// The record index: a capture must not name one of its records, which would tie the
		/// pseudonym to the record's patient.
		type Records: RecordLookup<Self::AccountId>;
		/// The chain's clock, in milliseconds since the Unix epoch.
		type Time: Time<Moment = Moment>;
		/// The most arms a study has. At most 256 (arm indices are bytes).
		#[pallet::constant]
		type MaxArms: Get<u32>;
		/// The most outcomes in each of a study's lists (primary, secondary).
		#[pallet::constant]
		type MaxOutcomes: Get<u32>;
		/// The most protocol versions a study has, the registration's included.
		#[pallet::constant]
		type MaxProtocolVersions: Get<u32>;
		/// The most sites a study activates.
		#[pallet::constant]
		type MaxSites: Get<u32>;
		/// The deepest allocation tree: a study enrols at most `2^MaxAllocationDepth` subjects.
		/// At most 31.
		#[pallet::constant]
		type MaxAllocationDepth: Get<u32>;
		/// The most record hashes captured for one subject.
		#[pallet::constant]
		type MaxCapturesPerSubject: Get<u32>;
		/// The most adverse events reported for one subject.
		#[pallet::constant]
		type MaxAdverseEventsPerSubject: Get<u32>;
		/// How long after its onset a serious adverse event must be reported, in milliseconds
		/// (e.g. 7 days for fatal or life-threatening suspected reactions, 15 otherwise).
		#[pallet::constant]
		type SeriousAdverseEventDeadline: Get<Moment>;
		/// How long after its onset any other adverse event must be reported, in milliseconds.
		#[pallet::constant]
		type AdverseEventDeadline: Get<Moment>;
		/// How long after the last completion (or the lock, with none) results are due, in
		/// milliseconds (FDAAA 801: one year).
		#[pallet::constant]
		type ResultsDeadline: Get<Moment>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Sets the clock for benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// The id the next registered study gets.
	#[pallet::storage]
	pub type NextStudyId<T: Config> = StorageValue<_, StudyId, ValueQuery>;

	/// Registered studies. Study ids are assigned by the chain in order, so `Twox64Concat` is
	/// safe.
	#[pallet::storage]
	pub type Studies<T: Config> = StorageMap<_, Twox64Concat, StudyId, Study<T>>;

	/// The study registered under each registry identifier: one study per identifier.
	#[pallet::storage]
	pub type StudyByRegistryId<T: Config> = StorageMap<_, Blake2_128Concat, RegistryId, StudyId>;

	/// Each study's protocol versions, from 1 (the registration). Both keys are assigned by the
	/// chain.
	#[pallet::storage]
	pub type ProtocolVersions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		StudyId,
		Twox64Concat,
		ProtocolVersionId,
		ProtocolVersion,
	>;

	/// Each study's sites by organization. Study ids are assigned by the chain, organization ids
	/// by the registry.
	#[pallet::storage]
	pub type Sites<T: Config> =
		StorageDoubleMap<_, Twox64Concat, StudyId, Twox64Concat, OrgId, Site>;

	/// Each study's subjects by pseudonym. Pseudonyms are chosen by wallets: `Blake2_128Concat`
	/// keeps the trie balanced whatever they pick.
	#[pallet::storage]
	pub type Subjects<T: Config> =
		StorageDoubleMap<_, Twox64Concat, StudyId, Blake2_128Concat, Pseudonym, Subject>;

	/// The [`EnrolmentNullifier`] of every patient who enrolled in each study, under whatever
	/// pseudonym: a patient enrols in a study once.
	// Nullifiers come from the screening site, which could choose them to unbalance the trie:
	// `Blake2_128Concat`.
	#[pallet::storage]
	pub type EnrolledPatients<T: Config> =
		StorageDoubleMap<_, Twox64Concat, StudyId, Blake2_128Concat, EnrolmentNullifier, ()>;

	/// Each subject's consents, in order from 0: what version was agreed to, and when.
	// The subject half holds a wallet's pseudonym (Blake2); positions are the chain's counter.
	#[pallet::storage]
	pub type ConsentHistory<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		(StudyId, Pseudonym),
		Twox64Concat,
		u32,
		ConsentRecord,
	>;

	/// Each subject's captured record hashes, in order from 0.
	// The subject half holds a wallet's pseudonym (Blake2); positions are the chain's counter.
	#[pallet::storage]
	pub type Captures<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, (StudyId, Pseudonym), Twox64Concat, u32, Capture>;

	/// Each study's adverse events by id, assigned in reporting order.
	// Both keys are assigned by the chain.
	#[pallet::storage]
	pub type AdverseEvents<T: Config> =
		StorageDoubleMap<_, Twox64Concat, StudyId, Twox64Concat, u32, AdverseEvent>;

	/// Each study's CONSORT participant flow.
	// Study ids are assigned by the chain.
	#[pallet::storage]
	pub type ConsortFlows<T: Config> = StorageMap<_, Twox64Concat, StudyId, ConsortFlow<T>>;

	/// Each study's reported results, with their comparison to the registered outcomes: kept
	/// forever.
	// Study ids are assigned by the chain.
	#[pallet::storage]
	pub type Results<T: Config> = StorageMap<_, Twox64Concat, StudyId, StudyResults<T>>;

	// Event fields are named for what they hold; the variant docs say what happened. Events
	// carry ids, pseudonyms, hashes, counts and flags: no account of a patient.
	#[allow(missing_docs)]
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A sponsor registered a study.
		StudyRegistered { study: StudyId, sponsor: OrgId, registry_id: RegistryId },
		/// The sponsor amended the protocol: a new version took effect.
		ProtocolAmended { study: StudyId, version: ProtocolVersionId, reconsent_required: bool },
		/// The sponsor activated a site.
		SiteActivated { study: StudyId, site: OrgId, ethics_approval_hash: H256 },
		/// The sponsor deactivated a site: it recruits no more.
		SiteDeactivated { study: StudyId, site: OrgId },
		/// A site screened a subject.
		SubjectScreened { study: StudyId, pseudonym: Pseudonym, site: OrgId, eligible: bool },
		/// A patient consented and enrolled as a subject.
		SubjectEnrolled {
			study: StudyId,
			pseudonym: Pseudonym,
			site: OrgId,
			version: ProtocolVersionId,
		},
		/// A subject consented to a newer protocol version.
		SubjectReconsented { study: StudyId, pseudonym: Pseudonym, version: ProtocolVersionId },
		/// A subject was randomised: the allocation list's slot was revealed and verified.
		SubjectRandomised { study: StudyId, pseudonym: Pseudonym, slot: u32, arm: ArmIndex },
		/// A site captured a record hash for a subject.
		DataCaptured { study: StudyId, pseudonym: Pseudonym, record: RecordId },
		/// A subject withdrew consent.
		SubjectWithdrawn { study: StudyId, pseudonym: Pseudonym },
		/// A subject was lost to follow-up.
		SubjectLostToFollowUp { study: StudyId, pseudonym: Pseudonym },
		/// A subject completed the study.
		SubjectCompleted { study: StudyId, pseudonym: Pseudonym },
		/// A site reported an adverse event.
		AdverseEventReported {
			study: StudyId,
			event: u32,
			pseudonym: Pseudonym,
			seriousness: Seriousness,
			late: bool,
		},
		/// An adverse event was reported after its deadline.
		AdverseEventReportedLate { study: StudyId, event: u32, due: Moment },
		/// The sponsor locked the database.
		DatabaseLocked { study: StudyId, data_root: H256, capture_digest: H256 },
		/// The sponsor reported results.
		ResultsReported { study: StudyId, results_hash: H256, late: bool },
		/// The reported outcomes differ from the registered ones.
		OutcomeSwitched { study: StudyId, comparison: OutcomeComparison },
		/// The results deadline passed without results.
		ResultsOverdue { study: StudyId, due: Moment },
	}

	/// Errors of the trials pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The signer is not a member of an active research sponsor.
		NotResearchSponsor,
		/// The signer's role is Staff: sponsor acts need an admin or a practitioner.
		NotSponsorStaff,
		/// The signer does not belong to the study's sponsor.
		NotStudySponsor,
		/// The registry identifier's digits are not 8 ASCII digits.
		InvalidRegistryId,
		/// A study with that registry identifier is registered already.
		RegistryIdInUse,
		/// A study needs at least one arm.
		NoArms,
		/// Arms must be numbered 0, 1, 2, … in the order given.
		ArmsNotInOrder,
		/// A study needs at least one pre-specified primary outcome.
		NoPrimaryOutcome,
		/// An outcome appears twice (in one list, or in both).
		DuplicateOutcome,
		/// The target enrolment is 0 or above `2^MaxAllocationDepth`.
		InvalidTargetEnrolment,
		/// A document hash or root is zero: hash the document (or build the tree) first.
		ZeroHash,
		/// No study has that id.
		UnknownStudy,
		/// The study's database is locked: only withdrawals, adverse events and site
		/// deactivation are accepted now.
		StudyLocked,
		/// The study has as many protocol versions as `MaxProtocolVersions` allows.
		TooManyVersions,
		/// A site must be an active care provider (hospital, clinic or lab).
		NotCareProvider,
		/// The study has as many sites as `MaxSites` allows.
		TooManySites,
		/// The site is active already.
		SiteAlreadyActive,
		/// The organization is not an active site of the study (never activated, deactivated
		/// by the sponsor, or no longer active in the registry).
		SiteNotActive,
		/// The signer is not a practitioner of the site concerned.
		NotSiteStaff,
		/// A subject with that pseudonym exists in the study already: choose another.
		SubjectExists,
		/// The study has no subject with that pseudonym.
		UnknownSubject,
		/// The signer is not the account the subject acts from: its subject key differs.
		NotSubject,
		/// The captured hash is the id of a record in the records pallet, whose index names the
		/// record's patient: capture a salted hash of the case-report form instead.
		RecordIdentifiesPatient,
		/// The subject was screened as not eligible.
		NotEligible,
		/// The patient (by the enrolment nullifier the site computed) enrolled in the study
		/// already, under another pseudonym: a patient takes part in a study once, and does not
		/// come back under a new pseudonym after withdrawing.
		PatientAlreadyEnrolled,
		/// The subject is enrolled already.
		AlreadyEnrolled,
		/// The subject was screened at another site: enrol there.
		WrongSite,
		/// That is not the study's current protocol version: consent to the current one.
		NotCurrentVersion,
		/// The subject consented to the current version already.
		AlreadyConsented,
		/// The study enrolled its target already.
		TargetReached,
		/// The subject has not consented (screened only, or screened out).
		NotConsented,
		/// The subject's consent is older than the latest amendment requiring re-consent: the
		/// patient must consent to the current version first.
		ReconsentRequired,
		/// The subject withdrew consent.
		SubjectWithdrawn,
		/// The subject completed or was lost to follow-up.
		SubjectNotParticipating,
		/// The subject is randomised already.
		AlreadyRandomised,
		/// The subject is not randomised yet.
		NotRandomised,
		/// The study has no arm with that index.
		UnknownArm,
		/// The arm and salt are not the allocation list's entry for the subject's slot under the
		/// study's root (a wrong arm, salt, slot or proof length).
		InvalidAllocationProof,
		/// The subject has as many captured records as `MaxCapturesPerSubject` allows.
		TooManyCaptures,
		/// The subject has as many adverse events as `MaxAdverseEventsPerSubject` allows.
		TooManyAdverseEvents,
		/// The onset is later than now.
		OnsetInFuture,
		/// The onset is before the subject enrolled: not an adverse event of the study.
		OnsetBeforeEnrolment,
		/// The study's database is not locked: lock it before reporting results.
		NotLocked,
		/// The study's results were reported already.
		ResultsAlreadyReported,
		/// The study's results are not overdue (no completion or lock yet, or the deadline has
		/// not passed).
		ResultsNotDue,
		/// The study's results were flagged overdue already.
		AlreadyFlagged,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				(1..=256).contains(&T::MaxArms::get()),
				"a study has an arm, and arm indices are bytes"
			);
			assert!(T::MaxOutcomes::get() >= 1, "a study registers a primary outcome");
			assert!(T::MaxProtocolVersions::get() >= 1, "a study has its registered protocol");
			assert!(T::MaxSites::get() >= 1, "a study has a site");
			assert!(T::MaxAllocationDepth::get() <= 31, "a target enrolment is a u32");
			assert!(T::MaxCapturesPerSubject::get() >= 1, "a subject has data");
			assert!(T::MaxAdverseEventsPerSubject::get() >= 1, "a subject can have an event");
			assert!(
				T::SeriousAdverseEventDeadline::get() <= T::AdverseEventDeadline::get(),
				"serious adverse events are due no later than others"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers a study: protocol version 1.
		///
		/// The signer must be an admin or practitioner of an active research sponsor, which
		/// becomes the study's sponsor.
		///
		/// - `registry_id`: the trial registry identifier (digits only), unused.
		/// - `phase`: the study's phase.
		/// - `arms`: at least one, numbered 0, 1, 2, … in order, with their description hashes.
		/// - `target_enrolment`: 1 to `2^MaxAllocationDepth` subjects.
		/// - `protocol_hash`: blake2b-256 of the protocol.
		/// - `consent_form_hash`: blake2b-256 of version 1's consent form.
		/// - `primary_outcomes`: at least one outcome hash.
		/// - `secondary_outcomes`: outcome hashes, none repeating another outcome.
		/// - `analysis_plan_hash`: blake2b-256 of the statistical analysis plan.
		/// - `allocation_root`: the root of the allocation list's tree ([`allocation_root`]),
		///   of depth [`allocation_depth`]`(target_enrolment)`.
		///
		/// Emits `StudyRegistered`. O(a + o²), a arms and o outcomes.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_study(
			arms.len() as u32,
			primary_outcomes.len().saturating_add(secondary_outcomes.len()) as u32,
		))]
		pub fn register_study(
			origin: OriginFor<T>,
			registry_id: RegistryId,
			phase: Phase,
			arms: BoundedVec<Arm, T::MaxArms>,
			target_enrolment: u32,
			protocol_hash: H256,
			consent_form_hash: H256,
			primary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
			secondary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
			analysis_plan_hash: H256,
			allocation_root: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let sponsor = Self::ensure_sponsor_staff(&who)?.org;
			ensure!(registry_id.is_valid(), Error::<T>::InvalidRegistryId);
			ensure!(
				!StudyByRegistryId::<T>::contains_key(registry_id),
				Error::<T>::RegistryIdInUse
			);
			ensure!(!arms.is_empty(), Error::<T>::NoArms);
			ensure!(
				arms.iter().enumerate().all(|(i, arm)| usize::from(arm.index) == i),
				Error::<T>::ArmsNotInOrder
			);
			ensure!(!primary_outcomes.is_empty(), Error::<T>::NoPrimaryOutcome);
			let outcomes: Vec<H256> =
				primary_outcomes.iter().chain(secondary_outcomes.iter()).copied().collect();
			ensure!(!has_repeats(&outcomes), Error::<T>::DuplicateOutcome);
			let most = 1u64.checked_shl(T::MaxAllocationDepth::get()).unwrap_or(u64::MAX);
			ensure!(
				target_enrolment >= 1 && u64::from(target_enrolment) <= most,
				Error::<T>::InvalidTargetEnrolment
			);
			let hashes = [protocol_hash, consent_form_hash, analysis_plan_hash, allocation_root];
			ensure!(
				!hashes
					.iter()
					.chain(outcomes.iter())
					.chain(arms.iter().map(|a| &a.description_hash))
					.any(H256::is_zero),
				Error::<T>::ZeroHash
			);

			let study = NextStudyId::<T>::get();
			let now = T::Time::now();
			let flow = ConsortFlow::<T> {
				arms: arms
					.iter()
					.map(|_| ArmFlow::default())
					.collect::<Vec<_>>()
					.try_into()
					.map_err(|_| Error::<T>::NoArms)?,
				..Default::default()
			};
			ProtocolVersions::<T>::insert(
				study,
				1,
				ProtocolVersion {
					protocol_hash,
					consent_form_hash,
					reconsent_required: false,
					at: now,
				},
			);
			Studies::<T>::insert(
				study,
				Study {
					sponsor,
					registry_id,
					phase,
					arms,
					target_enrolment,
					primary_outcomes,
					secondary_outcomes,
					analysis_plan_hash,
					allocation_root,
					registered_at: now,
					version: 1,
					min_consent_version: 1,
					sites: 0,
					randomised: 0,
					captures: 0,
					capture_digest: H256::zero(),
					adverse_events: 0,
					late_adverse_events: 0,
					last_completion: None,
					lock: None,
					results_overdue: None,
				},
			);
			ConsortFlows::<T>::insert(study, flow);
			StudyByRegistryId::<T>::insert(registry_id, study);
			NextStudyId::<T>::put(study.saturating_add(1));
			Self::deposit_event(Event::StudyRegistered { study, sponsor, registry_id });
			Ok(())
		}

		/// Amends a study's protocol: a new version takes effect for new enrolments at once.
		///
		/// The signer must be an admin or practitioner of the study's sponsor; the database must
		/// not be locked.
		///
		/// - `study`: the study.
		/// - `protocol_hash`: blake2b-256 of the amended protocol.
		/// - `consent_form_hash`: blake2b-256 of the new version's consent form.
		/// - `reconsent_required`: whether subjects who consented to an earlier version must
		///   consent to this one before more of their data is captured or they are randomised.
		///
		/// Emits `ProtocolAmended`. O(1).
		#[pallet::call_index(1)]
		pub fn amend_protocol(
			origin: OriginFor<T>,
			study: StudyId,
			protocol_hash: H256,
			consent_form_hash: H256,
			reconsent_required: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::open_study(study)?;
			Self::ensure_study_sponsor(&who, &info)?;
			ensure!(info.version < T::MaxProtocolVersions::get(), Error::<T>::TooManyVersions);
			ensure!(!protocol_hash.is_zero() && !consent_form_hash.is_zero(), Error::<T>::ZeroHash);

			let version = info.version.saturating_add(1);
			ProtocolVersions::<T>::insert(
				study,
				version,
				ProtocolVersion {
					protocol_hash,
					consent_form_hash,
					reconsent_required,
					at: T::Time::now(),
				},
			);
			info.version = version;
			if reconsent_required {
				info.min_consent_version = version;
			}
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::ProtocolAmended { study, version, reconsent_required });
			Ok(())
		}

		/// Activates an organization as a site of a study, or reactivates a deactivated one
		/// with a new approval.
		///
		/// The signer must be an admin or practitioner of the study's sponsor; the database must
		/// not be locked.
		///
		/// - `study`: the study.
		/// - `site`: an active care provider (hospital, clinic or lab).
		/// - `ethics_approval_hash`: blake2b-256 of its ethics committee's approval.
		///
		/// Emits `SiteActivated`. O(1).
		#[pallet::call_index(2)]
		pub fn activate_site(
			origin: OriginFor<T>,
			study: StudyId,
			site: OrgId,
			ethics_approval_hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::open_study(study)?;
			Self::ensure_study_sponsor(&who, &info)?;
			ensure!(
				T::Membership::active_organization_kind(site)
					.is_some_and(OrgKind::is_care_provider),
				Error::<T>::NotCareProvider
			);
			ensure!(!ethics_approval_hash.is_zero(), Error::<T>::ZeroHash);
			let existing = Sites::<T>::get(study, site);
			ensure!(!existing.is_some_and(|s| s.active), Error::<T>::SiteAlreadyActive);
			if existing.is_none() {
				ensure!(info.sites < T::MaxSites::get(), Error::<T>::TooManySites);
			}

			let record = Site { ethics_approval_hash, activated_at: T::Time::now(), active: true };
			Sites::<T>::insert(study, site, record);
			if existing.is_none() {
				info.sites.saturating_inc();
				Studies::<T>::insert(study, info);
			}
			Self::deposit_event(Event::SiteActivated { study, site, ethics_approval_hash });
			Ok(())
		}

		/// Deactivates a site: it screens and enrols no more; its subjects stay in follow-up.
		///
		/// The signer must be an admin or practitioner of the study's sponsor.
		///
		/// - `study`: the study.
		/// - `site`: an active site of it.
		///
		/// Emits `SiteDeactivated`. O(1).
		#[pallet::call_index(3)]
		pub fn deactivate_site(
			origin: OriginFor<T>,
			study: StudyId,
			site: OrgId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Studies::<T>::get(study).ok_or(Error::<T>::UnknownStudy)?;
			Self::ensure_study_sponsor(&who, &info)?;
			let mut record = Sites::<T>::get(study, site)
				.filter(|s| s.active)
				.ok_or(Error::<T>::SiteNotActive)?;

			record.active = false;
			Sites::<T>::insert(study, site, record);
			Self::deposit_event(Event::SiteDeactivated { study, site });
			Ok(())
		}

		/// Records the screening of a subject at the signer's site, eligible or not.
		///
		/// The signer must be a practitioner of an active site of the study; the database must
		/// not be locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: the subject's pseudonym, as the patient's wallet chose it; unused in
		///   the study.
		/// - `key`: the subject key the patient's wallet computed ([`subject_key`] of the study,
		///   the pseudonym and the subject account the patient will act from), which every
		///   subject call must match.
		/// - `nullifier`: the patient's [`enrolment_nullifier`] in the study, which the site
		///   computes from the patient's account under the study's nullifier key; a patient
		///   already enrolled under it is refused.
		/// - `eligible`: whether the subject meets the eligibility criteria.
		///
		/// Emits `SubjectScreened`. O(1).
		#[pallet::call_index(4)]
		pub fn screen(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
			key: SubjectKey,
			nullifier: EnrolmentNullifier,
			eligible: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::open_study(study)?;
			let site = T::Membership::active_membership(&who)
				.filter(|m| m.role == Role::Practitioner)
				.ok_or(Error::<T>::NotSiteStaff)?
				.org;
			ensure!(Self::is_active_site(study, site), Error::<T>::SiteNotActive);
			ensure!(
				!pseudonym.is_zero() && !key.is_zero() && !nullifier.is_zero(),
				Error::<T>::ZeroHash
			);
			ensure!(!Subjects::<T>::contains_key(study, pseudonym), Error::<T>::SubjectExists);
			ensure!(
				!EnrolledPatients::<T>::contains_key(study, nullifier),
				Error::<T>::PatientAlreadyEnrolled
			);
			let mut flow = Self::flow(study)?;

			flow.assessed.saturating_inc();
			if !eligible {
				flow.excluded.saturating_inc();
			}
			let status =
				if eligible { SubjectStatus::Screened } else { SubjectStatus::ScreenFailed };
			Subjects::<T>::insert(
				study,
				pseudonym,
				Subject {
					key,
					nullifier,
					site,
					status,
					consent_version: 0,
					consents: 0,
					slot: None,
					arm: None,
					captures: 0,
					adverse_events: 0,
					enrolled_at: None,
				},
			);
			ConsortFlows::<T>::insert(study, flow);
			Self::deposit_event(Event::SubjectScreened { study, pseudonym, site, eligible });
			Ok(())
		}

		/// Consents to a protocol version and enrols as a subject.
		///
		/// The signer must be the subject account whose [`subject_key`] for the pseudonym the
		/// site recorded at screening, and the patient (by the nullifier the site recorded) not
		/// enrolled in the study under any pseudonym; the subject must be eligible and not yet
		/// enrolled, the site active, the study below its target and not locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: the subject's pseudonym.
		/// - `site`: the site that screened the subject.
		/// - `version`: the study's current protocol version, whose consent form the patient
		///   signed.
		///
		/// Emits `SubjectEnrolled`. O(1).
		#[pallet::call_index(5)]
		pub fn enrol(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
			site: OrgId,
			version: ProtocolVersionId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::open_study(study)?;
			let mut subject = Self::patients_subject(&who, study, &pseudonym)?;
			match subject.status {
				SubjectStatus::Screened => {}
				SubjectStatus::ScreenFailed => return Err(Error::<T>::NotEligible.into()),
				_ => return Err(Error::<T>::AlreadyEnrolled.into()),
			}
			ensure!(subject.site == site, Error::<T>::WrongSite);
			ensure!(Self::is_active_site(study, site), Error::<T>::SiteNotActive);
			ensure!(version == info.version, Error::<T>::NotCurrentVersion);
			let nullifier = subject.nullifier;
			ensure!(
				!EnrolledPatients::<T>::contains_key(study, nullifier),
				Error::<T>::PatientAlreadyEnrolled
			);
			let mut flow = Self::flow(study)?;
			ensure!(flow.enrolled < info.target_enrolment, Error::<T>::TargetReached);
			let consent = Self::consent_record(study, version)?;

			let now = T::Time::now();
			subject.status = SubjectStatus::Enrolled;
			subject.enrolled_at = Some(now);
			subject.slot = Some(flow.enrolled);
			Self::record_consent(study, &pseudonym, &mut subject, consent);
			Subjects::<T>::insert(study, pseudonym, subject);
			EnrolledPatients::<T>::insert(study, nullifier, ());
			flow.enrolled.saturating_inc();
			ConsortFlows::<T>::insert(study, flow);
			Self::deposit_event(Event::SubjectEnrolled { study, pseudonym, site, version });
			Ok(())
		}

		/// Consents to the study's current protocol version, after an amendment.
		///
		/// The signer must be the subject account behind the pseudonym; the subject must be
		/// taking part (enrolled or randomised) and the database not locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: the subject's pseudonym.
		/// - `version`: the study's current protocol version, newer than the subject's consent.
		///
		/// Emits `SubjectReconsented`. O(1).
		#[pallet::call_index(6)]
		pub fn reconsent(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
			version: ProtocolVersionId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Self::open_study(study)?;
			let mut subject = Self::patients_subject(&who, study, &pseudonym)?;
			Self::ensure_participating(&subject)?;
			ensure!(version == info.version, Error::<T>::NotCurrentVersion);
			ensure!(version > subject.consent_version, Error::<T>::AlreadyConsented);
			let consent = Self::consent_record(study, version)?;

			Self::record_consent(study, &pseudonym, &mut subject, consent);
			Subjects::<T>::insert(study, pseudonym, subject);
			Self::deposit_event(Event::SubjectReconsented { study, pseudonym, version });
			Ok(())
		}

		/// Randomises an enrolled subject: reveals the allocation list's entry for the slot the
		/// subject took at enrolment, which the chain checks against the study's committed root.
		///
		/// The signer must be an admin or practitioner of the study's sponsor; the subject must
		/// be enrolled, not yet randomised, with a consent the latest re-consent amendment
		/// allows; the database must not be locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: the subject's pseudonym.
		/// - `arm`: the arm the list assigns to the subject's slot ([`Subject::slot`]).
		/// - `salt`: that entry's 32 random bytes.
		/// - `proof`: the entry's [`allocation_depth`] sibling hashes, leaf to root
		///   ([`allocation_proof`]).
		///
		/// Emits `SubjectRandomised`. O(d), d the proof's length.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::randomise(proof.len() as u32))]
		pub fn randomise(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
			arm: ArmIndex,
			salt: H256,
			proof: BoundedVec<H256, T::MaxAllocationDepth>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::open_study(study)?;
			Self::ensure_study_sponsor(&who, &info)?;
			let mut subject = Self::subject(study, &pseudonym)?;
			match subject.status {
				SubjectStatus::Enrolled => {}
				SubjectStatus::Screened | SubjectStatus::ScreenFailed => {
					return Err(Error::<T>::NotConsented.into())
				}
				SubjectStatus::Withdrawn => return Err(Error::<T>::SubjectWithdrawn.into()),
				_ => return Err(Error::<T>::AlreadyRandomised.into()),
			}
			Self::ensure_consent_current(&info, &subject)?;
			ensure!(usize::from(arm) < info.arms.len(), Error::<T>::UnknownArm);
			let slot = subject.slot.ok_or(Error::<T>::NotConsented)?;
			ensure!(
				verify_allocation(
					&info.allocation_root,
					allocation_depth(info.target_enrolment),
					slot,
					arm,
					&salt,
					&proof,
				),
				Error::<T>::InvalidAllocationProof
			);
			let mut flow = Self::flow(study)?;
			let arm_flow = flow.arms.get_mut(usize::from(arm)).ok_or(Error::<T>::UnknownArm)?;

			arm_flow.allocated.saturating_inc();
			ConsortFlows::<T>::insert(study, flow);
			subject.status = SubjectStatus::Randomised;
			subject.arm = Some(arm);
			Subjects::<T>::insert(study, pseudonym, subject);
			info.randomised.saturating_inc();
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::SubjectRandomised { study, pseudonym, slot, arm });
			Ok(())
		}

		/// Captures a record hash for a subject.
		///
		/// The signer must be a practitioner of the subject's site; the subject must be taking
		/// part (enrolled or randomised, not withdrawn) with a consent the latest re-consent
		/// amendment allows; the database must not be locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: the subject's pseudonym.
		/// - `record`: the salted hash of the case-report form captured (blake2b-256 of 32
		///   random bytes the site keeps and the form): never an id of the records pallet, whose
		///   index names each record's patient (`RecordIdentifiesPatient`).
		///
		/// Emits `DataCaptured`. O(1).
		#[pallet::call_index(8)]
		pub fn capture_data(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
			record: RecordId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::open_study(study)?;
			let mut subject = Self::subject(study, &pseudonym)?;
			Self::ensure_site_practitioner(&who, subject.site)?;
			Self::ensure_participating(&subject)?;
			Self::ensure_consent_current(&info, &subject)?;
			ensure!(
				subject.captures < T::MaxCapturesPerSubject::get(),
				Error::<T>::TooManyCaptures
			);
			ensure!(!record.is_zero(), Error::<T>::ZeroHash);
			ensure!(
				T::Records::record_subject(&record).is_none(),
				Error::<T>::RecordIdentifiesPatient
			);

			let at = T::Time::now();
			Captures::<T>::insert((study, pseudonym), subject.captures, Capture { record, at });
			subject.captures.saturating_inc();
			Subjects::<T>::insert(study, pseudonym, subject);
			info.captures.saturating_inc();
			info.capture_digest = capture_digest(&info.capture_digest, &pseudonym, &record);
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::DataCaptured { study, pseudonym, record });
			Ok(())
		}

		/// Withdraws the subject's consent: no more data is captured for it. Accepted after the
		/// database lock too.
		///
		/// The signer must be the subject account behind the pseudonym; the subject must be
		/// taking part (enrolled or randomised).
		///
		/// - `study`: the study.
		/// - `pseudonym`: the subject's pseudonym.
		///
		/// Emits `SubjectWithdrawn`. O(1).
		#[pallet::call_index(9)]
		pub fn withdraw(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Studies::<T>::contains_key(study), Error::<T>::UnknownStudy);
			let mut subject = Self::patients_subject(&who, study, &pseudonym)?;
			Self::ensure_participating(&subject)?;
			let mut flow = Self::flow(study)?;
			match subject.arm {
				Some(arm) => flow
					.arms
					.get_mut(usize::from(arm))
					.ok_or(Error::<T>::UnknownArm)?
					.withdrawn
					.saturating_inc(),
				None => flow.withdrawn_before_allocation.saturating_inc(),
			}

			ConsortFlows::<T>::insert(study, flow);
			subject.status = SubjectStatus::Withdrawn;
			Subjects::<T>::insert(study, pseudonym, subject);
			Self::deposit_event(Event::SubjectWithdrawn { study, pseudonym });
			Ok(())
		}

		/// Records that a randomised subject was lost to follow-up.
		///
		/// The signer must be a practitioner of the subject's site; the database must not be
		/// locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: a randomised subject's pseudonym.
		///
		/// Emits `SubjectLostToFollowUp`. O(1).
		#[pallet::call_index(10)]
		pub fn mark_lost_to_follow_up(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::open_study(study)?;
			let mut subject = Self::subject(study, &pseudonym)?;
			Self::ensure_site_practitioner(&who, subject.site)?;
			let arm = Self::ensure_randomised(&subject)?;
			let mut flow = Self::flow(study)?;
			let arm_flow = flow.arms.get_mut(usize::from(arm)).ok_or(Error::<T>::UnknownArm)?;

			arm_flow.lost.saturating_inc();
			ConsortFlows::<T>::insert(study, flow);
			subject.status = SubjectStatus::LostToFollowUp;
			Subjects::<T>::insert(study, pseudonym, subject);
			Self::deposit_event(Event::SubjectLostToFollowUp { study, pseudonym });
			Ok(())
		}

		/// Records that a randomised subject completed the study. The results deadline runs
		/// from the last completion.
		///
		/// The signer must be a practitioner of the subject's site; the database must not be
		/// locked.
		///
		/// - `study`: the study.
		/// - `pseudonym`: a randomised subject's pseudonym.
		///
		/// Emits `SubjectCompleted`. O(1).
		#[pallet::call_index(11)]
		pub fn complete(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::open_study(study)?;
			let mut subject = Self::subject(study, &pseudonym)?;
			Self::ensure_site_practitioner(&who, subject.site)?;
			let arm = Self::ensure_randomised(&subject)?;
			let mut flow = Self::flow(study)?;
			let arm_flow = flow.arms.get_mut(usize::from(arm)).ok_or(Error::<T>::UnknownArm)?;

			arm_flow.completed.saturating_inc();
			ConsortFlows::<T>::insert(study, flow);
			subject.status = SubjectStatus::Completed;
			Subjects::<T>::insert(study, pseudonym, subject);
			info.last_completion = Some(T::Time::now());
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::SubjectCompleted { study, pseudonym });
			Ok(())
		}

		/// Reports an adverse event of an enrolled subject. A report after the deadline for its
		/// seriousness is accepted and flagged late. Accepted after withdrawal and after the
		/// lock: safety reporting never stops.
		///
		/// The signer must be a practitioner of the subject's site.
		///
		/// - `study`: the study.
		/// - `pseudonym`: an enrolled subject's pseudonym.
		/// - `seriousness`: serious or not (ICH E2A).
		/// - `onset`: when it began, not before enrolment and not in the future.
		/// - `report_hash`: blake2b-256 of the report, a salted commitment kept off chain.
		///
		/// Emits `AdverseEventReported`, and `AdverseEventReportedLate` when late. O(1).
		#[pallet::call_index(12)]
		pub fn report_adverse_event(
			origin: OriginFor<T>,
			study: StudyId,
			pseudonym: Pseudonym,
			seriousness: Seriousness,
			onset: Moment,
			report_hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Studies::<T>::get(study).ok_or(Error::<T>::UnknownStudy)?;
			let mut subject = Self::subject(study, &pseudonym)?;
			Self::ensure_site_practitioner(&who, subject.site)?;
			let enrolled_at = subject.enrolled_at.ok_or(Error::<T>::NotConsented)?;
			let now = T::Time::now();
			ensure!(onset <= now, Error::<T>::OnsetInFuture);
			ensure!(onset >= enrolled_at, Error::<T>::OnsetBeforeEnrolment);
			ensure!(
				subject.adverse_events < T::MaxAdverseEventsPerSubject::get(),
				Error::<T>::TooManyAdverseEvents
			);
			ensure!(!report_hash.is_zero(), Error::<T>::ZeroHash);

			let deadline = match seriousness {
				Seriousness::Serious => T::SeriousAdverseEventDeadline::get(),
				Seriousness::NonSerious => T::AdverseEventDeadline::get(),
			};
			let due = onset.saturating_add(deadline);
			let late = now > due;
			let event = info.adverse_events;
			AdverseEvents::<T>::insert(
				study,
				event,
				AdverseEvent {
					pseudonym,
					site: subject.site,
					seriousness,
					onset,
					due,
					reported_at: now,
					late,
					report_hash,
				},
			);
			subject.adverse_events.saturating_inc();
			Subjects::<T>::insert(study, pseudonym, subject);
			info.adverse_events.saturating_inc();
			if late {
				info.late_adverse_events.saturating_inc();
			}
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::AdverseEventReported {
				study,
				event,
				pseudonym,
				seriousness,
				late,
			});
			if late {
				Self::deposit_event(Event::AdverseEventReportedLate { study, event, due });
			}
			Ok(())
		}

		/// Locks the study's database. Completed subjects are counted as analysed.
		///
		/// The signer must be an admin or practitioner of the study's sponsor; the database must
		/// not be locked already.
		///
		/// - `study`: the study.
		/// - `data_root`: the sponsor's root over the locked clinical database.
		///
		/// Emits `DatabaseLocked`. O(a), a the study's arms.
		#[pallet::call_index(13)]
		pub fn lock_database(
			origin: OriginFor<T>,
			study: StudyId,
			data_root: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::open_study(study)?;
			Self::ensure_study_sponsor(&who, &info)?;
			ensure!(!data_root.is_zero(), Error::<T>::ZeroHash);
			let mut flow = Self::flow(study)?;

			for arm in flow.arms.iter_mut() {
				arm.analysed = arm.completed;
			}
			ConsortFlows::<T>::insert(study, flow);
			let capture_digest = info.capture_digest;
			info.lock = Some(DatabaseLock {
				data_root,
				capture_digest,
				captures: info.captures,
				at: T::Time::now(),
			});
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::DatabaseLocked { study, data_root, capture_digest });
			Ok(())
		}

		/// Reports a locked study's results, comparing their outcomes with the registered ones.
		///
		/// The signer must be an admin or practitioner of the study's sponsor; the database must
		/// be locked and no results reported yet.
		///
		/// - `study`: the study.
		/// - `results_hash`: blake2b-256 of the results document.
		/// - `primary_outcomes`: the hashes of the primary outcomes the results report.
		/// - `secondary_outcomes`: the hashes of the secondary outcomes the results report.
		///
		/// Emits `ResultsReported`, and `OutcomeSwitched` when the lists differ from the
		/// registered ones in any outcome. O(o · r), o reported and r registered outcomes.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::report_results(
			primary_outcomes.len().saturating_add(secondary_outcomes.len()) as u32,
		))]
		pub fn report_results(
			origin: OriginFor<T>,
			study: StudyId,
			results_hash: H256,
			primary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
			secondary_outcomes: BoundedVec<H256, T::MaxOutcomes>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Studies::<T>::get(study).ok_or(Error::<T>::UnknownStudy)?;
			Self::ensure_study_sponsor(&who, &info)?;
			ensure!(info.lock.is_some(), Error::<T>::NotLocked);
			ensure!(!Results::<T>::contains_key(study), Error::<T>::ResultsAlreadyReported);
			ensure!(!results_hash.is_zero(), Error::<T>::ZeroHash);
			let outcomes: Vec<H256> =
				primary_outcomes.iter().chain(secondary_outcomes.iter()).copied().collect();
			ensure!(!has_repeats(&outcomes), Error::<T>::DuplicateOutcome);
			ensure!(!outcomes.iter().any(H256::is_zero), Error::<T>::ZeroHash);

			let now = T::Time::now();
			let late = info.results_overdue.is_some()
				|| Self::results_due(&info).is_some_and(|due| now > due);
			let comparison = OutcomeComparison::compare(
				&info.primary_outcomes,
				&info.secondary_outcomes,
				&primary_outcomes,
				&secondary_outcomes,
			);
			Results::<T>::insert(
				study,
				StudyResults {
					results_hash,
					primary_outcomes,
					secondary_outcomes,
					comparison,
					reported_at: now,
					late,
				},
			);
			Self::deposit_event(Event::ResultsReported { study, results_hash, late });
			if comparison.switched() {
				Self::deposit_event(Event::OutcomeSwitched { study, comparison });
			}
			Ok(())
		}

		/// Flags a study whose results deadline passed without results. The flag stays on the
		/// study after results come.
		///
		/// Any signed origin.
		///
		/// - `study`: a study with no results, whose last completion (or, with none, lock) is
		///   more than `ResultsDeadline` ago.
		///
		/// Emits `ResultsOverdue`. O(1).
		#[pallet::call_index(15)]
		pub fn flag_overdue(origin: OriginFor<T>, study: StudyId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut info = Studies::<T>::get(study).ok_or(Error::<T>::UnknownStudy)?;
			ensure!(!Results::<T>::contains_key(study), Error::<T>::ResultsAlreadyReported);
			ensure!(info.results_overdue.is_none(), Error::<T>::AlreadyFlagged);
			let due = Self::results_due(&info)
				.filter(|due| T::Time::now() > *due)
				.ok_or(Error::<T>::ResultsNotDue)?;

			info.results_overdue = Some(due);
			Studies::<T>::insert(study, info);
			Self::deposit_event(Event::ResultsOverdue { study, due });
			Ok(())
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A study's CONSORT participant flow.
		pub fn consort_flow(study: StudyId) -> Option<ConsortFlow<T>> {
			ConsortFlows::<T>::get(study)
		}

		/// A study's protocol versions in order, the registration's first.
		pub fn protocol_history(study: StudyId) -> Vec<ProtocolVersion> {
			let version = Studies::<T>::get(study).map_or(0, |s| s.version);
			(1..=version).filter_map(|v| ProtocolVersions::<T>::get(study, v)).collect()
		}

		/// A subject's consents in order: each protocol version agreed to, its consent form and
		/// when.
		pub fn consent_history(study: StudyId, pseudonym: Pseudonym) -> Vec<ConsentRecord> {
			let consents = Subjects::<T>::get(study, pseudonym).map_or(0, |s| s.consents);
			(0..consents).filter_map(|i| ConsentHistory::<T>::get((study, pseudonym), i)).collect()
		}
	}

	impl<T: Config> Pallet<T> {
		/// The signer's membership, if it is an admin or practitioner of an active research
		/// sponsor.
		fn ensure_sponsor_staff(who: &T::AccountId) -> Result<Membership, DispatchError> {
			let membership = T::Membership::active_membership(who)
				.filter(|m| m.kind == OrgKind::ResearchSponsor)
				.ok_or(Error::<T>::NotResearchSponsor)?;
			ensure!(
				matches!(membership.role, Role::Admin | Role::Practitioner),
				Error::<T>::NotSponsorStaff
			);
			Ok(membership)
		}

		/// Checks that the signer is an admin or practitioner of the study's sponsor.
		fn ensure_study_sponsor(who: &T::AccountId, study: &Study<T>) -> DispatchResult {
			let membership = Self::ensure_sponsor_staff(who)?;
			ensure!(membership.org == study.sponsor, Error::<T>::NotStudySponsor);
			Ok(())
		}

		/// Checks that the signer is a practitioner of `site`, an active organization.
		fn ensure_site_practitioner(who: &T::AccountId, site: OrgId) -> DispatchResult {
			ensure!(
				T::Membership::active_membership(who)
					.is_some_and(|m| m.org == site && m.role == Role::Practitioner),
				Error::<T>::NotSiteStaff
			);
			Ok(())
		}

		/// Whether `site` is an active site of the study and an active organization.
		fn is_active_site(study: StudyId, site: OrgId) -> bool {
			Sites::<T>::get(study, site).is_some_and(|s| s.active)
				&& T::Membership::is_active_organization(site)
		}

		/// The study, if its database is not locked.
		fn open_study(study: StudyId) -> Result<Study<T>, DispatchError> {
			let info = Studies::<T>::get(study).ok_or(Error::<T>::UnknownStudy)?;
			ensure!(info.lock.is_none(), Error::<T>::StudyLocked);
			Ok(info)
		}

		fn flow(study: StudyId) -> Result<ConsortFlow<T>, DispatchError> {
			Ok(ConsortFlows::<T>::get(study).ok_or(Error::<T>::UnknownStudy)?)
		}

		fn subject(study: StudyId, pseudonym: &Pseudonym) -> Result<Subject, DispatchError> {
			Ok(Subjects::<T>::get(study, pseudonym).ok_or(Error::<T>::UnknownSubject)?)
		}

		/// Whether `who` is the account the subject `pseudonym` of `study` acts from, and the
		/// subject stands where the call can succeed: screened and eligible for `enrol`
		/// (`enrolment`), enrolled or randomised for `reconsent` and `withdraw`. The transaction
		/// extension admits an otherwise unknown signer for the subject's own calls on this, so
		/// that an account the site once screened cannot keep sending calls that can only
		/// fail. One read.
		pub fn is_subject_account(
			who: &T::AccountId,
			study: StudyId,
			pseudonym: &Pseudonym,
			enrolment: bool,
		) -> bool {
			Subjects::<T>::get(study, pseudonym).is_some_and(|subject| {
				let standing = match enrolment {
					true => subject.status == SubjectStatus::Screened,
					false => subject.status.is_participating(),
				};
				standing && subject.key == subject_key(study, pseudonym, who)
			})
		}

		/// The subject, if the signer is the account it acts from.
		fn patients_subject(
			who: &T::AccountId,
			study: StudyId,
			pseudonym: &Pseudonym,
		) -> Result<Subject, DispatchError> {
			let subject = Self::subject(study, pseudonym)?;
			ensure!(subject.key == subject_key(study, pseudonym, who), Error::<T>::NotSubject);
			Ok(subject)
		}

		/// Checks that the subject takes part now: enrolled or randomised.
		fn ensure_participating(subject: &Subject) -> DispatchResult {
			match subject.status {
				SubjectStatus::Enrolled | SubjectStatus::Randomised => Ok(()),
				SubjectStatus::Screened | SubjectStatus::ScreenFailed => {
					Err(Error::<T>::NotConsented.into())
				}
				SubjectStatus::Withdrawn => Err(Error::<T>::SubjectWithdrawn.into()),
				SubjectStatus::Completed | SubjectStatus::LostToFollowUp => {
					Err(Error::<T>::SubjectNotParticipating.into())
				}
			}
		}

		/// The arm of a subject in follow-up after randomisation.
		fn ensure_randomised(subject: &Subject) -> Result<ArmIndex, DispatchError> {
			Self::ensure_participating(subject)?;
			match (subject.status, subject.arm) {
				(SubjectStatus::Randomised, Some(arm)) => Ok(arm),
				_ => Err(Error::<T>::NotRandomised.into()),
			}
		}

		/// Checks that the subject's consent is to a version the latest re-consent amendment
		/// still allows.
		fn ensure_consent_current(study: &Study<T>, subject: &Subject) -> DispatchResult {
			ensure!(
				subject.consent_version >= study.min_consent_version,
				Error::<T>::ReconsentRequired
			);
			Ok(())
		}

		fn consent_record(
			study: StudyId,
			version: ProtocolVersionId,
		) -> Result<ConsentRecord, DispatchError> {
			let protocol =
				ProtocolVersions::<T>::get(study, version).ok_or(Error::<T>::NotCurrentVersion)?;
			Ok(ConsentRecord {
				version,
				consent_form_hash: protocol.consent_form_hash,
				at: T::Time::now(),
			})
		}

		fn record_consent(
			study: StudyId,
			pseudonym: &Pseudonym,
			subject: &mut Subject,
			consent: ConsentRecord,
		) {
			ConsentHistory::<T>::insert((study, *pseudonym), subject.consents, consent);
			subject.consents.saturating_inc();
			subject.consent_version = consent.version;
		}

		/// When the study's results are due: `ResultsDeadline` after its last completion, or
		/// after its lock if nobody completed; `None` before either.
		pub fn results_due(study: &Study<T>) -> Option<Moment> {
			study
				.last_completion
				.or(study.lock.map(|lock| lock.at))
				.map(|from| from.saturating_add(T::ResultsDeadline::get()))
		}

		/// The CONSORT flow the study's subjects' states imply.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn recount_flow(
			study: StudyId,
			info: &Study<T>,
		) -> Result<ConsortFlow<T>, sp_runtime::TryRuntimeError> {
			let mut flow = ConsortFlow::<T> {
				arms: info
					.arms
					.iter()
					.map(|_| ArmFlow::default())
					.collect::<Vec<_>>()
					.try_into()
					.map_err(|_| "a study has more arms than MaxArms")?,
				..Default::default()
			};
			for (_, subject) in Subjects::<T>::iter_prefix(study) {
				flow.assessed.saturating_inc();
				if subject.status == SubjectStatus::ScreenFailed {
					flow.excluded.saturating_inc();
				}
				if subject.status.is_enrolled() {
					flow.enrolled.saturating_inc();
				}
				match subject.arm {
					None if subject.status == SubjectStatus::Withdrawn => {
						flow.withdrawn_before_allocation.saturating_inc()
					}
					None => {}
					Some(arm) => {
						let arm = flow
							.arms
							.get_mut(usize::from(arm))
							.ok_or("a subject is allocated to no arm of its study")?;
						arm.allocated.saturating_inc();
						match subject.status {
							SubjectStatus::LostToFollowUp => arm.lost.saturating_inc(),
							SubjectStatus::Withdrawn => arm.withdrawn.saturating_inc(),
							SubjectStatus::Completed => {
								arm.completed.saturating_inc();
								if info.lock.is_some() {
									arm.analysed.saturating_inc();
								}
							}
							_ => {}
						}
					}
				}
			}
			Ok(flow)
		}

		/// Checks the pallet's invariants: each study's CONSORT counts equal those its
		/// subjects' states imply; its randomisation, capture and adverse-event counters equal
		/// what is stored; its protocol versions are dense from 1; its sites are counted;
		/// registry identifiers index their studies both ways; each subject's state agrees with
		/// its slot, arm, consents and site, and the enrolled subjects hold slots 0 to their
		/// count, each once; results exist only after a lock.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let next = NextStudyId::<T>::get();
			for (id, info) in Studies::<T>::iter() {
				ensure!(id < next, "a study's id is not below NextStudyId");
				ensure!(info.registry_id.is_valid(), "a study's registry identifier is invalid");
				ensure!(
					StudyByRegistryId::<T>::get(info.registry_id) == Some(id),
					"a study is not indexed by its registry identifier"
				);
				ensure!(
					info.arms.iter().enumerate().all(|(i, a)| usize::from(a.index) == i),
					"a study's arms are not numbered in order"
				);
				ensure!(
					(1..=info.version).contains(&info.min_consent_version),
					"a study's minimum consent version is outside its versions"
				);
				ensure!(
					ProtocolVersions::<T>::iter_prefix(id).count() == info.version as usize
						&& (1..=info.version).all(|v| ProtocolVersions::<T>::contains_key(id, v)),
					"a study's protocol versions are not 1 to its version"
				);
				ensure!(
					info.min_consent_version == 1
						|| ProtocolVersions::<T>::get(id, info.min_consent_version)
							.is_some_and(|v| v.reconsent_required),
					"a study's minimum consent version did not require re-consent"
				);
				ensure!(
					Sites::<T>::iter_prefix(id).count() == info.sites as usize,
					"a study's site count differs from its sites"
				);

				let flow = ConsortFlows::<T>::get(id).ok_or("a study has no CONSORT flow")?;
				ensure!(
					flow == Self::recount_flow(id, &info)?,
					"a study's CONSORT counts differ from its subjects' states"
				);
				let allocated: u32 =
					flow.arms.iter().map(|a| a.allocated).fold(0, u32::saturating_add);
				ensure!(allocated == info.randomised, "a study's randomisations are miscounted");
				ensure!(flow.enrolled <= info.target_enrolment, "a study enrolled past its target");

				let (mut captures, mut events) = (0u32, 0u32);
				let mut slots = Vec::new();
				let mut nullifiers = Vec::new();
				for (pseudonym, subject) in Subjects::<T>::iter_prefix(id) {
					ensure!(
						Sites::<T>::contains_key(id, subject.site),
						"a subject's site is unknown"
					);
					let allocated = matches!(
						subject.status,
						SubjectStatus::Randomised
							| SubjectStatus::Completed
							| SubjectStatus::LostToFollowUp
					);
					ensure!(!allocated || subject.arm.is_some(), "a randomised subject has no arm");
					ensure!(
						subject.arm.is_none()
							|| allocated || subject.status == SubjectStatus::Withdrawn,
						"an unrandomised subject has an arm"
					);
					ensure!(
						subject.status.is_enrolled() == subject.slot.is_some(),
						"a subject has a slot without enrolment, or none with it"
					);
					if let Some(slot) = subject.slot {
						slots.push(slot);
					}
					ensure!(
						subject.status.is_enrolled() == subject.enrolled_at.is_some()
							&& subject.status.is_enrolled() == (subject.consents > 0),
						"a subject's enrolment and consents disagree with its state"
					);
					let history: Vec<_> =
						ConsentHistory::<T>::iter_prefix((id, pseudonym)).collect();
					ensure!(
						history.len() == subject.consents as usize,
						"a subject's consent count differs from its history"
					);
					let last = subject
						.consents
						.checked_sub(1)
						.and_then(|last| ConsentHistory::<T>::get((id, pseudonym), last));
					ensure!(
						last.map_or(0, |c| c.version) == subject.consent_version
							&& subject.consent_version <= info.version,
						"a subject's consent version is not its last consent's"
					);
					ensure!(
						Captures::<T>::iter_prefix((id, pseudonym)).count()
							== subject.captures as usize,
						"a subject's capture count differs from its captures"
					);
					captures = captures.saturating_add(subject.captures);
					events = events.saturating_add(subject.adverse_events);
					if subject.status.is_enrolled() {
						ensure!(
							EnrolledPatients::<T>::contains_key(id, subject.nullifier),
							"an enrolled subject's nullifier is not among the study's"
						);
						nullifiers.push(subject.nullifier);
					}
				}
				slots.sort_unstable();
				nullifiers.sort_unstable();
				ensure!(
					nullifiers.windows(2).all(|w| w[0] != w[1]),
					"two enrolled subjects share a nullifier"
				);
				ensure!(
					EnrolledPatients::<T>::iter_prefix(id).count() == flow.enrolled as usize,
					"a study's enrolled patients differ from its enrolments"
				);
				ensure!(
					slots.len() == flow.enrolled as usize
						&& slots.iter().enumerate().all(|(i, slot)| *slot as usize == i),
					"allocation slots are not 0 to the enrolments, each once"
				);
				ensure!(captures == info.captures, "a study's capture count is wrong");
				ensure!(events == info.adverse_events, "a study's adverse-event count is wrong");
				let stored: Vec<_> = AdverseEvents::<T>::iter_prefix(id).collect();
				ensure!(
					stored.len() == info.adverse_events as usize
						&& stored.iter().all(|(e, _)| *e < info.adverse_events),
					"a study's adverse events are not 0 to its count"
				);
				let late = stored.iter().filter(|(_, e)| e.late).count();
				ensure!(
					late == info.late_adverse_events as usize,
					"a study's late adverse events are miscounted"
				);
				ensure!(
					stored.iter().all(|(_, e)| e.late == (e.reported_at > e.due)),
					"an adverse event's late flag is wrong"
				);
				ensure!(
					!Results::<T>::contains_key(id) || info.lock.is_some(),
					"a study has results without a lock"
				);
			}
			for (registry_id, id) in StudyByRegistryId::<T>::iter() {
				ensure!(
					Studies::<T>::get(id).is_some_and(|s| s.registry_id == registry_id),
					"a registry identifier indexes another study"
				);
			}
			for (id, _) in EnrolledPatients::<T>::iter_keys() {
				ensure!(Studies::<T>::contains_key(id), "an enrolled patient has no study");
			}
			for id in ConsortFlows::<T>::iter_keys().chain(Results::<T>::iter_keys()) {
				ensure!(Studies::<T>::contains_key(id), "a flow or result belongs to no study");
			}
			Ok(())
		}
	}
}

/// Whether some item appears more than once.
fn has_repeats<I: Ord>(items: &[I]) -> bool {
	let mut sorted: Vec<&I> = items.iter().collect();
	sorted.sort();
	sorted.windows(2).any(|w| w[0] == w[1])
}

sp_api::decl_runtime_apis! {
	/// Queries of clinical trials, for the node's `trials_*` methods and wallets. Everything
	/// they return is in state already: ids, hashes, counts and pseudonyms, no patient account.
	pub trait TrialsApi<Study, ConsortFlow, StudyResults> where
		Study: codec::Codec,
		ConsortFlow: codec::Codec,
		StudyResults: codec::Codec,
	{
		/// A study's registration and its state now.
		fn study(study: StudyId) -> Option<Study>;
		/// A study's protocol versions in order, the registration's first.
		fn protocol_history(study: StudyId) -> Vec<ProtocolVersion>;
		/// A subject of a study, by pseudonym.
		fn subject(study: StudyId, pseudonym: Pseudonym) -> Option<Subject>;
		/// A subject's consents in order: each protocol version agreed to, its consent form
		/// and when.
		fn consent_history(study: StudyId, pseudonym: Pseudonym) -> Vec<ConsentRecord>;
		/// A study's CONSORT participant flow.
		fn consort_flow(study: StudyId) -> Option<ConsortFlow>;
		/// A study's reported results and their comparison with the registered outcomes.
		fn results(study: StudyId) -> Option<StudyResults>;
	}
}
