//! The runtime's own transaction extensions: who may sign and how much, and nonces for
//! accounts that are registering themselves.
//!
//! The chain is feeless, so these checks are what rations it. Each refusal is an
//! `InvalidTransaction::Custom` code (JSON-RPC error 1010 with the code in its data); the codes
//! are stable, new ones are added after the last:
//!
//! | code | constant | meaning, and what the sender can do |
//! | --- | --- | --- |
//! | 1 | [`SIGNER_NOT_PERMITTED`] | unknown signer: register as a patient, or ask an admin |
//! | 2 | [`REGISTRATIONS_EXHAUSTED`] | the block's registrations are used up: retry next block |
//! | 3 | [`REGISTRATION_REFUSED`] | `register_patient` would fail: fix its arguments |
//! | 4 | [`ALLOWANCE_SPENT`] | allowance spent, or the nonce beyond it: retry blocks later |
//! | 5 | [`TRANSACTION_TOO_LARGE`] | a patient's transaction over 16 KiB: send smaller calls |
//! | 6 | [`REMARK_NOT_EMPTY`] | a remark with bytes, anywhere in the call: send an empty remark |
//! | 7 | [`RAW_STORAGE_OUTSIDE_MOTION`] | `set_storage` and the like outside a Root motion |
//! | 8 | [`RUNTIME_IDENTITY_PROTECTED`] | a code upgrade, or a raw write to `:code`: upgrade the node |
//!
//! Codes 6 and 7 keep free bytes out of block bodies (the privacy rule: no text a user could
//! fill with a clinical fact). They are checked on every extrinsic, signed, general or bare, in
//! the pool, in blocks built here and in blocks imported from other validators, and through
//! every call that holds a call ([`free_bytes`]).

use crate::{AccountId, Nonce, Registry, Runtime, RuntimeCall, RuntimeOrigin};
use codec::{Decode, DecodeWithMemTracking, Encode};
use frame_support::{
	dispatch::{DispatchClass, DispatchInfo},
	pallet_prelude::TransactionSource,
};
use pallet_registry::RateLimit;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, PostDispatchInfoOf, TransactionExtension,
		ValidateResult,
	},
	transaction_validity::{
		InvalidTransaction, TransactionValidity, TransactionValidityError, ValidTransaction,
	},
	DispatchResult, Weight,
};

/// `InvalidTransaction::Custom` code: the signer is neither an active organization member, a
/// registered patient nor a council member, nor a trial subject's account sending one of the
/// subject's own calls. Register as a patient or ask an admin to add you.
pub const SIGNER_NOT_PERMITTED: u8 = 1;
/// `InvalidTransaction::Custom` code: this block's patient registrations are used up; retry in
/// the next block.
pub const REGISTRATIONS_EXHAUSTED: u8 = 2;
/// `InvalidTransaction::Custom` code: the `register_patient` call would fail (the signer is
/// already a patient, the key is zero, or a guardian is the signer, unregistered, repeated or
/// one too many); the registry's error names which. Fix the call and sign again.
pub const REGISTRATION_REFUSED: u8 = 3;
/// `InvalidTransaction::Custom` code: the signer has used its transaction allowance (a member's
/// or a patient's `RateLimit`), or the nonce is further ahead of the account's next one than
/// the allowance lets into blocks; it grows back every block, so retry a few blocks later.
pub const ALLOWANCE_SPENT: u8 = 4;
/// `InvalidTransaction::Custom` code: a patient's transaction is longer than
/// [`MAX_PATIENT_TRANSACTION_LEN`]; patients' calls carry hashes, keys and ids, never bulk.
pub const TRANSACTION_TOO_LARGE: u8 = 5;
/// `InvalidTransaction::Custom` code: the call is or holds a `System::remark` or
/// `remark_with_event` with bytes in it. A block body is public to every validator and
/// permanent, so no call may carry bytes its signer chooses freely; send an empty remark.
pub const REMARK_NOT_EMPTY: u8 = 6;
/// `InvalidTransaction::Custom` code: the call is or holds one of `System`'s raw storage and code
/// calls (`set_storage`, `kill_storage`, `kill_prefix`, `set_code`, `set_code_without_checks`,
/// `apply_authorized_upgrade`) other than directly inside `Registry::dispatch_as_root` directly
/// inside a council motion (`Council::propose` or `execute`) signed by a council member. Anywhere
/// else they can only fail (they need Root), yet their bytes would stay in the block body.
pub const RAW_STORAGE_OUTSIDE_MOTION: u8 = 7;
/// `InvalidTransaction::Custom` code: the council's motion for Root holds a code upgrade
/// (`set_code`, `set_code_without_checks`, `apply_authorized_upgrade`) or a raw storage call
/// that would write, kill or wipe `:code`. The runtime is compiled into the node, so no code
/// in storage is ever run: `:code` holds the runtime's identity, which clients name runtimes
/// by, and only the node writes it (at genesis and after each spec version change). Upgrade
/// the runtime by upgrading the node.
pub const RUNTIME_IDENTITY_PROTECTED: u8 = 8;

/// The longest transaction a patient who is not a member may sign: anyone can become a
/// patient, so a patient must not fill blocks with a few large transactions.
pub const MAX_PATIENT_TRANSACTION_LEN: usize = 16 * 1024;

/// The longest chain of nested calls [`free_bytes`] walks: the depth to which extrinsics are
/// decoded, so no decoded call goes deeper.
const MAX_CALL_CHAIN: u32 = frame_support::MAX_EXTRINSIC_DEPTH;

/// Where a call sits: what holds it, as far as [`free_bytes`] needs to know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holder {
	/// Nothing: the extrinsic's own call.
	Extrinsic,
	/// A council motion (`Council::propose` or `execute`).
	Motion,
	/// `Registry::dispatch_as_root`, directly inside a council motion.
	RootInMotion,
	/// Any other call that holds calls.
	Other,
}

/// Refuses a call that carries bytes its sender chooses freely, anywhere in it: a non-empty
/// remark ([`REMARK_NOT_EMPTY`]), or a raw storage or code call of `System`'s
/// ([`RAW_STORAGE_OUTSIDE_MOTION`]) other than the council's own: directly in
/// `Registry::dispatch_as_root` directly in a council motion, signed by a council member
/// (`councillor` is asked only then), and even there no code upgrade and no write of `:code`
/// ([`RUNTIME_IDENTITY_PROTECTED`]); nor a bare `apply_authorized_upgrade` (`bare` set).
///
/// Every call that holds a call holds exactly one, so the walk follows one chain, iteratively,
/// and refuses a chain longer than [`MAX_CALL_CHAIN`] (`InvalidTransaction::Call`, never to
/// pass), which a decoded extrinsic never reaches.
pub fn free_bytes(
	call: &RuntimeCall,
	bare: bool,
	councillor: impl FnOnce() -> bool,
) -> Result<(), TransactionValidityError> {
	use frame_system::Call as SystemCall;
	let mut current = call;
	let mut holder = Holder::Extrinsic;
	for _ in 0..=MAX_CALL_CHAIN {
		let (next, next_holder) = match current {
			RuntimeCall::System(
				SystemCall::remark { remark } | SystemCall::remark_with_event { remark },
			) if !remark.is_empty() => return Err(InvalidTransaction::Custom(REMARK_NOT_EMPTY).into()),
			// No upgrade reaches `:code`, even one the council authorized.
			RuntimeCall::System(SystemCall::apply_authorized_upgrade { .. })
				if bare && holder == Holder::Extrinsic =>
			{
				return Err(InvalidTransaction::Custom(RUNTIME_IDENTITY_PROTECTED).into())
			}
			RuntimeCall::System(
				SystemCall::set_storage { .. }
				| SystemCall::kill_storage { .. }
				| SystemCall::kill_prefix { .. }
				| SystemCall::set_code { .. }
				| SystemCall::set_code_without_checks { .. }
				| SystemCall::apply_authorized_upgrade { .. },
			) => {
				let governance = !bare && holder == Holder::RootInMotion && councillor();
				return if !governance {
					Err(InvalidTransaction::Custom(RAW_STORAGE_OUTSIDE_MOTION).into())
				} else if touches_code(current) {
					Err(InvalidTransaction::Custom(RUNTIME_IDENTITY_PROTECTED).into())
				} else {
					Ok(())
				};
			}
			RuntimeCall::Council(
				pallet_collective::Call::propose { proposal, .. }
				| pallet_collective::Call::execute { proposal, .. },
			) => (&**proposal, Holder::Motion),
			RuntimeCall::Registry(pallet_registry::Call::dispatch_as_root { call }) => {
				let root =
					if holder == Holder::Motion { Holder::RootInMotion } else { Holder::Other };
				(&**call, root)
			}
			_ => return Ok(()),
		};
		current = next;
		holder = next_holder;
	}
	Err(InvalidTransaction::Call.into())
}

/// Whether a raw storage or code call of `System`'s would change `:code`: an upgrade, or a
/// write or kill of the key, or of a prefix it is under.
fn touches_code(call: &RuntimeCall) -> bool {
	use frame_system::Call as SystemCall;
	let code = sp_core::storage::well_known_keys::CODE;
	match call {
		RuntimeCall::System(SystemCall::set_storage { items }) => {
			items.iter().any(|(key, _)| key.as_slice() == code)
		}
		RuntimeCall::System(SystemCall::kill_storage { keys }) => {
			keys.iter().any(|key| key.as_slice() == code)
		}
		RuntimeCall::System(SystemCall::kill_prefix { prefix, .. }) => code.starts_with(prefix),
		RuntimeCall::System(
			SystemCall::set_code { .. }
			| SystemCall::set_code_without_checks { .. }
			| SystemCall::apply_authorized_upgrade { .. },
		) => true,
		_ => false,
	}
}

/// The arguments of a `register_patient` call.
fn registration(call: &RuntimeCall) -> Option<(&pallet_registry::EncryptionKey, &[AccountId])> {
	match call {
		RuntimeCall::Registry(pallet_registry::Call::register_patient {
			encryption_key,
			guardians,
		}) => Some((encryption_key, guardians)),
		_ => None,
	}
}

fn is_self_registration(call: &RuntimeCall) -> bool {
	registration(call).is_some()
}

/// The study and pseudonym of a trial subject's own call: `enrol`, `reconsent` or `withdraw`.
fn subject_call(call: &RuntimeCall) -> Option<(pallet_trials::StudyId, &pallet_trials::Pseudonym)> {
	use pallet_trials::Call as TrialsCall;
	match call {
		RuntimeCall::Trials(
			TrialsCall::enrol { study, pseudonym, .. }
			| TrialsCall::reconsent { study, pseudonym, .. }
			| TrialsCall::withdraw { study, pseudonym },
		) => Some((*study, pseudonym)),
		_ => None,
	}
}

/// Whether `who` sends `call` as the subject account of the trial subject the call acts for,
/// while the subject stands where the call can succeed (one read, of that subject). A patient
/// acts in a study from an account of its own that appears nowhere else on chain (see
/// `pallet_trials`, "Pseudonyms"); this is the only thing such an account may sign.
fn is_subject_signer(who: &AccountId, call: &RuntimeCall) -> bool {
	let enrolment = matches!(call, RuntimeCall::Trials(pallet_trials::Call::enrol { .. }));
	subject_call(call).is_some_and(|(study, pseudonym)| {
		crate::Trials::is_subject_account(who, study, pseudonym, enrolment)
	})
}

/// Council business: bounded by the council's own size and motions, never rationed.
fn is_council_call(call: &RuntimeCall) -> bool {
	matches!(call, RuntimeCall::Council(_) | RuntimeCall::CouncilMembership(_))
}

fn is_councillor(who: &AccountId) -> bool {
	pallet_collective::Pallet::<Runtime, crate::CouncilCollective>::is_member(who)
}

/// Whether `who` may sign `call` of `len` bytes, and under which allowance: `Ok(None)` for a
/// council member's council business or operational call, which is not rationed; everyone
/// else's calls are, council and operational calls included (they would fail at dispatch,
/// but must not ride into blocks for free). Registrations are not asked here.
fn allowance_of(
	who: &AccountId,
	call: &RuntimeCall,
	info: &DispatchInfoOf<RuntimeCall>,
	len: usize,
) -> Result<Option<RateLimit>, TransactionValidityError> {
	// The council's member list is read only where it decides something: an ordinary member's
	// ordinary call, the hot path, never reads it.
	let councillor = || is_councillor(who);
	let limit = match Registry::standing(who) {
		Some(pallet_registry::Standing::Patient)
			if len > MAX_PATIENT_TRANSACTION_LEN && !councillor() =>
		{
			return Err(InvalidTransaction::Custom(TRANSACTION_TOO_LARGE).into())
		}
		Some(standing) => Registry::rate_limit(standing),
		None if councillor() => Registry::rate_limit(pallet_registry::Standing::Member),
		// A trial subject's account, for the subject's own calls: rationed like a patient.
		None if is_subject_signer(who, call) => {
			if len > MAX_PATIENT_TRANSACTION_LEN {
				return Err(InvalidTransaction::Custom(TRANSACTION_TOO_LARGE).into());
			}
			Registry::rate_limit(pallet_registry::Standing::Patient)
		}
		None => return Err(InvalidTransaction::Custom(SIGNER_NOT_PERMITTED).into()),
	};
	if (info.class == DispatchClass::Operational || is_council_call(call)) && councillor() {
		return Ok(None);
	}
	Ok(Some(limit))
}

/// The code a registration refused by the registry gets.
fn registration_refused(error: sp_runtime::DispatchError) -> TransactionValidityError {
	let exhausted: sp_runtime::DispatchError =
		pallet_registry::Error::<Runtime>::TooManyRegistrationsInBlock.into();
	let code = if error == exhausted { REGISTRATIONS_EXHAUSTED } else { REGISTRATION_REFUSED };
	InvalidTransaction::Custom(code).into()
}

/// Admits signed transactions only from the consortium's participants, and rations them:
///
/// - `register_patient`, from anyone: checked exactly as the call checks it (a registration
///   that would fail is refused with [`REGISTRATION_REFUSED`]), and one of the block's
///   `MaxPatientRegistrationsPerBlock` slots is spent in `prepare`, so every registration a
///   block holds counts and none fails ([`REGISTRATIONS_EXHAUSTED`] when they are used up).
/// - anything else, from a member of an active organization, a patient or a council member:
///   one transaction of the signer's allowance (`MemberRateLimit`, or `PatientRateLimit` for a
///   patient who is not a member) is spent in `prepare`; [`ALLOWANCE_SPENT`] when none is
///   left. Council business and operational calls are not rationed.
/// - a trial subject's own call (`Trials::enrol`, `reconsent`, `withdraw`) from the subject
///   account the site recorded for it ([`pallet_trials::Pallet::is_subject_account`]), which
///   is registered nowhere: rationed as a patient's.
/// - anything else: [`SIGNER_NOT_PERMITTED`].
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo, Debug, Default)]
pub struct CheckPermissioned;

/// What [`CheckPermissioned`] spends in `prepare`.
#[derive(Debug)]
pub enum Rationed {
	/// Nothing: unsigned, council business, or an operational call.
	Nothing,
	/// A registration slot, for this registrant.
	Registration(AccountId),
	/// One transaction of this signer's allowance.
	Allowance(AccountId, RateLimit),
}

impl TransactionExtension<RuntimeCall> for CheckPermissioned {
	const IDENTIFIER: &'static str = "CheckPermissioned";
	type Implicit = ();
	type Val = Rationed;
	type Pre = ();

	fn weight(&self, call: &RuntimeCall) -> Weight {
		use frame_support::traits::Get as _;
		use pallet_registry::WeightInfo as _;
		// The signer's lookups and its allowance's read and write run in every extrinsic that
		// `carechain benchmark overhead` measures, so they are inside the measured
		// `ExtrinsicBaseWeight`. A registration is checked once more here, as the call checks
		// it: charged as the call's own benchmark.
		match registration(call) {
			Some((_, guardians)) => {
				let max = <Runtime as pallet_registry::Config>::MaxGuardians::get();
				<Runtime as pallet_registry::Config>::WeightInfo::register_patient(
					(guardians.len() as u32).min(max),
				)
			}
			// An unknown signer of a subject call costs three reads the measured base (a
			// member's) does not hold: the patient entry and the council's list that miss, and
			// the subject; charged whoever signs, as the call alone does not say.
			None if subject_call(call).is_some() => {
				<Runtime as frame_system::Config>::DbWeight::get().reads(3)
			}
			None => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: RuntimeOrigin,
		call: &RuntimeCall,
		info: &DispatchInfoOf<RuntimeCall>,
		len: usize,
		_self_implicit: (),
		_inherited_implication: &impl sp_runtime::traits::Implication,
		_source: TransactionSource,
	) -> ValidateResult<Rationed, RuntimeCall> {
		// Before anything else, and whoever signs (or nobody, for a general transaction): the
		// pool, the block builder and block import all come through here.
		free_bytes(call, false, || origin.as_system_origin_signer().is_some_and(is_councillor))?;
		let Some(who) = origin.as_system_origin_signer() else {
			return Ok((ValidTransaction::default(), Rationed::Nothing, origin));
		};
		if let Some((encryption_key, guardians)) = registration(call) {
			if !Registry::registration_open() {
				return Err(InvalidTransaction::Custom(REGISTRATIONS_EXHAUSTED).into());
			}
			Registry::check_registration(who, encryption_key, guardians)
				.map_err(registration_refused)?;
			return Ok((ValidTransaction::default(), Rationed::Registration(who.clone()), origin));
		}
		let Some(limit) = allowance_of(who, call, info, len)? else {
			return Ok((ValidTransaction::default(), Rationed::Nothing, origin));
		};
		if Registry::allowance_left(who, limit) == 0 {
			return Err(InvalidTransaction::Custom(ALLOWANCE_SPENT).into());
		}
		Ok((ValidTransaction::default(), Rationed::Allowance(who.clone(), limit), origin))
	}

	/// A bare extrinsic (an inherent, or an unsigned call `ValidateUnsigned` admits) in the
	/// pool: no bytes of its sender's choosing either.
	fn bare_validate(
		call: &RuntimeCall,
		_info: &DispatchInfoOf<RuntimeCall>,
		_len: usize,
	) -> TransactionValidity {
		free_bytes(call, true, || false)?;
		Ok(ValidTransaction::default())
	}

	/// A bare extrinsic in a block, built here or imported: the runtime admits bare calls of
	/// pallets without `ValidateUnsigned` into blocks (they fail at dispatch, for want of an
	/// origin), so a validator could otherwise carry bytes in one.
	fn bare_validate_and_prepare(
		call: &RuntimeCall,
		_info: &DispatchInfoOf<RuntimeCall>,
		_len: usize,
	) -> Result<(), TransactionValidityError> {
		free_bytes(call, true, || false)
	}

	fn prepare(
		self,
		val: Rationed,
		_origin: &RuntimeOrigin,
		call: &RuntimeCall,
		_info: &DispatchInfoOf<RuntimeCall>,
		_len: usize,
	) -> Result<(), TransactionValidityError> {
		match val {
			Rationed::Nothing => Ok(()),
			// Checked again on this block's state: what passed the pool may fail now, and a
			// registration that would fail must not reach the block at all.
			Rationed::Registration(who) => {
				let (encryption_key, guardians) =
					registration(call).ok_or(InvalidTransaction::Call)?;
				Registry::reserve_registration(&who, encryption_key, guardians)
					.map_err(registration_refused)
			}
			Rationed::Allowance(who, limit) => Registry::spend_allowance(&who, limit)
				.map_err(|_| InvalidTransaction::Custom(ALLOWANCE_SPENT).into()),
		}
	}
}

type SystemCheckNonce = frame_system::CheckNonce<Runtime>;

/// `frame_system::CheckNonce`, except that an account the chain has never seen may send its
/// first transaction when that transaction registers it as a patient (the registration gives
/// the account its provider reference; `frame_system::CheckNonce` alone would refuse it for
/// having none), and a trial subject's account, which never gets a provider, sends the
/// subject's own calls, one at a time. Encoded and identified exactly like `CheckNonce`, so
/// wallets sign it unchanged.
///
/// The nonce of such an account is bumped (creating its `System::Account` entry) only in
/// `prepare`, after [`CheckPermissioned`] has checked on the same state that the registration
/// will succeed: a registration that would fail is refused before this runs, so it leaves no
/// account behind. A subject call is admitted only while the subject stands where it can
/// succeed, yet it may still fail at dispatch (the study locked, the target reached); its
/// nonce and allowance entries then stay, as any signer's do.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo, Debug)]
pub struct CheckNonce(#[codec(compact)] pub Nonce);

/// What [`CheckNonce`] carries from validation to preparation.
#[derive(Debug)]
pub enum NonceVal {
	/// The usual check.
	System(<SystemCheckNonce as TransactionExtension<RuntimeCall>>::Val),
	/// A transaction of an account without a provider: a registration, or a trial subject's
	/// own call from its subject account.
	Unprovided(AccountId),
}

/// What [`CheckNonce`] carries to post-dispatch.
#[derive(Debug)]
pub enum NoncePre {
	/// The usual check.
	System(<SystemCheckNonce as TransactionExtension<RuntimeCall>>::Pre),
	/// An unprovided account's nonce was bumped.
	Unprovided,
}

impl CheckNonce {
	/// Refuses a transaction that waits behind more of the signer's transactions than its
	/// allowance lets into blocks: such a transaction could not be included before the
	/// allowance grows, so the pool would only hold it. This bounds each signer's share of the
	/// pool by its allowance (128 for a patient), however many nonces it signs ahead.
	fn ensure_within_allowance(
		origin: &RuntimeOrigin,
		nonce: Nonce,
		call: &RuntimeCall,
		info: &DispatchInfoOf<RuntimeCall>,
		len: usize,
	) -> Result<(), TransactionValidityError> {
		let Some(who) = origin.as_system_origin_signer() else { return Ok(()) };
		if is_self_registration(call) {
			return Ok(());
		}
		let ahead = nonce.saturating_sub(frame_system::Account::<Runtime>::get(who).nonce);
		if ahead == 0 {
			// The next transaction: `CheckPermissioned` has checked the allowance already.
			return Ok(());
		}
		if let Some(limit) = allowance_of(who, call, info, len)? {
			if ahead >= Registry::allowance_left(who, limit) {
				return Err(InvalidTransaction::Custom(ALLOWANCE_SPENT).into());
			}
		}
		Ok(())
	}

	/// The signer and its stored nonce, when this is a registration, or a trial subject's own
	/// call, by an account with no provider ([`CheckPermissioned`] has checked that it is the
	/// subject's account). The call is looked at first, so other transactions read no extra
	/// storage.
	fn unprovided_signer(origin: &RuntimeOrigin, call: &RuntimeCall) -> Option<(AccountId, Nonce)> {
		if !is_self_registration(call) && subject_call(call).is_none() {
			return None;
		}
		let who = origin.as_system_origin_signer()?;
		let account = frame_system::Account::<Runtime>::get(who);
		(account.providers == 0 && account.sufficients == 0).then(|| (who.clone(), account.nonce))
	}
}

impl TransactionExtension<RuntimeCall> for CheckNonce {
	const IDENTIFIER: &'static str = "CheckNonce";
	type Implicit = ();
	type Val = NonceVal;
	type Pre = NoncePre;

	fn weight(&self, call: &RuntimeCall) -> Weight {
		SystemCheckNonce::from(self.0).weight(call)
	}

	fn validate(
		&self,
		origin: RuntimeOrigin,
		call: &RuntimeCall,
		info: &DispatchInfoOf<RuntimeCall>,
		len: usize,
		self_implicit: (),
		inherited_implication: &impl sp_runtime::traits::Implication,
		source: TransactionSource,
	) -> ValidateResult<NonceVal, RuntimeCall> {
		let Some((who, account_nonce)) = Self::unprovided_signer(&origin, call) else {
			Self::ensure_within_allowance(&origin, self.0, call, info, len)?;
			let (validity, val, origin) = SystemCheckNonce::from(self.0).validate(
				origin,
				call,
				info,
				len,
				self_implicit,
				inherited_implication,
				source,
			)?;
			return Ok((validity, NonceVal::System(val), origin));
		};
		if self.0 < account_nonce {
			return Err(InvalidTransaction::Stale.into());
		}
		if self.0 > account_nonce {
			// An account without a provider sends one transaction at a time.
			return Err(InvalidTransaction::Future.into());
		}
		let validity = ValidTransaction {
			provides: alloc::vec![(who.clone(), self.0).encode()],
			..Default::default()
		};
		Ok((validity, NonceVal::Unprovided(who), origin))
	}

	fn prepare(
		self,
		val: NonceVal,
		origin: &RuntimeOrigin,
		call: &RuntimeCall,
		info: &DispatchInfoOf<RuntimeCall>,
		len: usize,
	) -> Result<NoncePre, TransactionValidityError> {
		match val {
			NonceVal::System(val) => SystemCheckNonce::from(self.0)
				.prepare(val, origin, call, info, len)
				.map(NoncePre::System),
			NonceVal::Unprovided(who) => {
				if frame_system::Account::<Runtime>::get(&who).nonce != self.0 {
					return Err(InvalidTransaction::Stale.into());
				}
				frame_system::Account::<Runtime>::mutate(&who, |a| {
					a.nonce = a.nonce.saturating_add(1)
				});
				Ok(NoncePre::Unprovided)
			}
		}
	}

	fn post_dispatch_details(
		pre: NoncePre,
		info: &DispatchInfo,
		post_info: &PostDispatchInfoOf<RuntimeCall>,
		len: usize,
		result: &DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		match pre {
			NoncePre::System(pre) => {
				SystemCheckNonce::post_dispatch_details(pre, info, post_info, len, result)
			}
			NoncePre::Unprovided => Ok(Weight::zero()),
		}
	}
}

/// The weights of frame-system's transaction extensions: zero, because every extension runs in
/// the extrinsics that `carechain benchmark overhead` measures, so their cost is inside the
/// measured `ExtrinsicBaseWeight` already (the default figures would charge it twice, on
/// another machine's RocksDB).
pub struct ExtensionsInBaseWeight;

impl frame_system::ExtensionsWeightInfo for ExtensionsInBaseWeight {
	fn check_genesis() -> Weight {
		Weight::zero()
	}
	fn check_mortality_mortal_transaction() -> Weight {
		Weight::zero()
	}
	fn check_mortality_immortal_transaction() -> Weight {
		Weight::zero()
	}
	fn check_non_zero_sender() -> Weight {
		Weight::zero()
	}
	fn check_nonce() -> Weight {
		Weight::zero()
	}
	fn check_spec_version() -> Weight {
		Weight::zero()
	}
	fn check_tx_version() -> Weight {
		Weight::zero()
	}
	fn check_weight() -> Weight {
		Weight::zero()
	}
	fn weight_reclaim() -> Weight {
		Weight::zero()
	}
}

#[cfg(test)]
mod tests {
	//! Attacks on the rationing of a feeless chain, through the runtime's whole extension
	//! pipeline, each transaction in a storage layer that is dropped when it is refused (as the
	//! block builder does).

	use super::*;
	use crate::{genesis, System, TxExtension};
	use frame_support::{dispatch::GetDispatchInfo, traits::Hooks};
	use sp_keyring::Ed25519Keyring;
	use sp_runtime::{generic::Era, traits::DispatchTransaction, BuildStorage};

	fn extension(nonce: Nonce) -> TxExtension {
		(
			frame_system::CheckNonZeroSender::new(),
			CheckPermissioned,
			frame_system::CheckSpecVersion::new(),
			frame_system::CheckTxVersion::new(),
			frame_system::CheckGenesis::new(),
			frame_system::CheckEra::from(Era::Immortal),
			CheckNonce(nonce),
			frame_system::CheckWeight::new(),
		)
	}

	fn signed(who: &AccountId) -> RuntimeOrigin {
		frame_system::RawOrigin::Signed(who.clone()).into()
	}

	/// What the pool's `validate_transaction` would answer.
	fn validate(who: &AccountId, nonce: Nonce, call: &RuntimeCall) -> Result<(), u8> {
		let info = call.get_dispatch_info();
		extension(nonce)
			.validate_only(signed(who), call, &info, 100, TransactionSource::External, 0)
			.map(|_| ())
			.map_err(custom)
	}

	/// Applies the transaction as a block builder does: validate, prepare, dispatch,
	/// post-dispatch, everything dropped if it is refused.
	fn apply(who: &AccountId, nonce: Nonce, call: RuntimeCall) -> Result<(), u8> {
		let info = call.get_dispatch_info();
		sp_io::storage::start_transaction();
		match extension(nonce).dispatch_transaction(signed(who), call, &info, 100, 0) {
			Ok(result) => {
				sp_io::storage::commit_transaction();
				assert!(result.is_ok(), "a transaction the extensions admit succeeds: {result:?}");
				Ok(())
			}
			Err(refused) => {
				sp_io::storage::rollback_transaction();
				Err(custom(refused))
			}
		}
	}

	fn custom(error: TransactionValidityError) -> u8 {
		match error {
			TransactionValidityError::Invalid(InvalidTransaction::Custom(code)) => code,
			other => panic!("expected a custom refusal, got {other:?}"),
		}
	}

	fn register(key: [u8; 32], guardians: Vec<AccountId>) -> RuntimeCall {
		RuntimeCall::Registry(pallet_registry::Call::register_patient {
			encryption_key: key,
			guardians,
		})
	}

	fn remark() -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::remark { remark: vec![] })
	}

	fn fresh(n: u32) -> AccountId {
		let mut bytes = [0xAB; 32];
		bytes[..4].copy_from_slice(&n.to_le_bytes());
		bytes.into()
	}

	fn start_block(n: crate::BlockNumber) {
		System::initialize(&n, &Default::default(), &Default::default());
		Registry::on_initialize(n);
	}

	fn test(body: impl FnOnce()) {
		let storage = genesis::development().build_storage().expect("the dev genesis builds");
		sp_io::TestExternalities::new(storage).execute_with(|| {
			start_block(1);
			body();
		});
	}

	fn accounts() -> usize {
		frame_system::Account::<Runtime>::iter_keys().count()
	}

	type Quota = <Runtime as pallet_registry::Config>::MaxPatientRegistrationsPerBlock;

	/// Hole 4: failing registrations used to pass while the quota was open, fill blocks for
	/// free and leave an account entry each. Now they are refused before dispatch and leave
	/// nothing, and the registrations that do reach a block spend the quota.
	#[test]
	fn a_flood_of_registrations_spends_the_quota_and_failures_leave_no_account() {
		use frame_support::traits::Get;
		test(|| {
			let before = accounts();
			for n in 0..50 {
				// A zero key: `register_patient` would refuse it.
				assert_eq!(
					apply(&fresh(n), 0, register([0; 32], vec![])),
					Err(REGISTRATION_REFUSED)
				);
			}
			assert_eq!(accounts(), before, "failed registrations leave no System::Account entry");
			assert_eq!(pallet_registry::RegistrationsInBlock::<Runtime>::get(), 0);

			let quota: u32 = Quota::get();
			for n in 100..100 + quota {
				assert_eq!(apply(&fresh(n), 0, register([5; 32], vec![])), Ok(()));
			}
			assert_eq!(pallet_registry::RegistrationsInBlock::<Runtime>::get(), quota);
			let late = fresh(100 + quota);
			assert_eq!(
				validate(&late, 0, &register([5; 32], vec![])),
				Err(REGISTRATIONS_EXHAUSTED)
			);
			assert_eq!(apply(&late, 0, register([5; 32], vec![])), Err(REGISTRATIONS_EXHAUSTED));
			assert_eq!(accounts(), before + quota as usize, "one entry per registered patient");
			assert!(!frame_system::Account::<Runtime>::contains_key(&late));

			start_block(2);
			assert_eq!(apply(&late, 0, register([5; 32], vec![])), Ok(()));
		});
	}

	/// Hole 4: each way `register_patient` fails is refused when the pool validates it.
	#[test]
	fn a_registration_that_would_fail_is_refused_at_validation() {
		test(|| {
			let eve = Ed25519Keyring::Eve.to_account_id();
			let bob = Ed25519Keyring::Bob.to_account_id();
			let newcomer = fresh(1);
			let refused = [
				(eve.clone(), register([5; 32], vec![])),
				(bob.clone(), register([5; 32], vec![bob.clone()])),
				(newcomer.clone(), register([0; 32], vec![])),
				(newcomer.clone(), register([5; 32], vec![newcomer.clone()])),
				(newcomer.clone(), register([5; 32], vec![fresh(2)])),
				(newcomer.clone(), register([5; 32], vec![eve.clone(), eve.clone()])),
				(newcomer.clone(), register([5; 32], vec![eve.clone(); 5])),
			];
			for (who, call) in refused {
				assert_eq!(validate(&who, 0, &call), Err(REGISTRATION_REFUSED), "{call:?}");
			}
			assert_eq!(validate(&newcomer, 0, &register([5; 32], vec![eve, bob])), Ok(()));
		});
	}

	/// A registration the pool admitted but that would fail by the time a block holds it (its
	/// guardian was removed meanwhile) is refused in `prepare` and leaves nothing.
	#[test]
	fn a_registration_that_fails_after_validation_is_refused_in_prepare() {
		test(|| {
			let bob = Ed25519Keyring::Bob.to_account_id();
			let newcomer = fresh(1);
			let call = register([5; 32], vec![bob.clone()]);
			assert_eq!(validate(&newcomer, 0, &call), Ok(()));
			let remove = RuntimeCall::Registry(pallet_registry::Call::remove_member { who: bob });
			assert_eq!(apply(&Ed25519Keyring::Alice.to_account_id(), 0, remove), Ok(()));
			assert_eq!(apply(&newcomer, 0, call), Err(REGISTRATION_REFUSED));
			assert!(!frame_system::Account::<Runtime>::contains_key(&newcomer));
		});
	}

	/// Hole 4: a signer past its allowance is refused with `ALLOWANCE_SPENT`, at validation
	/// and in a block, and allowed again once the allowance grows back.
	#[test]
	fn a_signer_past_its_allowance_is_refused_until_it_refills() {
		test(|| {
			let eve = Ed25519Keyring::Eve.to_account_id();
			let limit = crate::PatientRateLimit::get();
			for nonce in 0..limit.burst {
				assert_eq!(apply(&eve, nonce, remark()), Ok(()));
			}
			let next = limit.burst;
			assert_eq!(validate(&eve, next, &remark()), Err(ALLOWANCE_SPENT));
			assert_eq!(apply(&eve, next, remark()), Err(ALLOWANCE_SPENT));
			assert_eq!(System::account_nonce(&eve), next, "the refused one left no trace");

			start_block(2);
			for nonce in next..next + limit.per_block {
				assert_eq!(apply(&eve, nonce, remark()), Ok(()));
			}
			assert_eq!(apply(&eve, next + limit.per_block, remark()), Err(ALLOWANCE_SPENT));
		});
	}

	/// Hole 4: a signer cannot park more transactions in the pool than its allowance lets into
	/// blocks: a nonce that far ahead is refused at validation.
	#[test]
	fn nonces_beyond_the_allowance_are_refused_at_validation() {
		test(|| {
			let eve = Ed25519Keyring::Eve.to_account_id();
			let limit = crate::PatientRateLimit::get();
			assert_eq!(validate(&eve, limit.burst - 1, &remark()), Ok(()));
			assert_eq!(validate(&eve, limit.burst, &remark()), Err(ALLOWANCE_SPENT));
			assert_eq!(validate(&eve, 60_000, &remark()), Err(ALLOWANCE_SPENT));
			// A member's window is its larger allowance.
			let bob = Ed25519Keyring::Bob.to_account_id();
			assert_eq!(validate(&bob, limit.burst, &remark()), Ok(()));
			let member = crate::MemberRateLimit::get();
			assert_eq!(validate(&bob, member.burst - 1, &remark()), Ok(()));
			assert_eq!(validate(&bob, member.burst, &remark()), Err(ALLOWANCE_SPENT));
		});
	}

	/// A member's allowance is the large one, sized for the hot path, and its own.
	#[test]
	fn members_have_the_member_allowance() {
		test(|| {
			let bob = Ed25519Keyring::Bob.to_account_id();
			let limit = crate::MemberRateLimit::get();
			assert!(limit.burst > 40_000, "carechain-bench's 40,000 from one account fit");
			assert_eq!(Registry::allowance_left(&bob, limit), limit.burst);
			assert_eq!(apply(&bob, 0, remark()), Ok(()));
			assert_eq!(Registry::allowance_left(&bob, limit), limit.burst - 1);
			let charlie = Ed25519Keyring::Charlie.to_account_id();
			assert_eq!(Registry::allowance_left(&charlie, limit), limit.burst);
		});
	}

	/// Hole 12: after genesis, Root is reached only by a unanimous council motion through
	/// `Registry::dispatch_as_root`, e.g. to mint the settlement currency; a member alone cannot.
	#[test]
	fn the_council_mints_through_dispatch_as_root() {
		test(|| {
			let payer = Ed25519Keyring::Charlie.to_account_id();
			let mint = RuntimeCall::Registry(pallet_registry::Call::dispatch_as_root {
				call: Box::new(RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
					who: payer.clone().into(),
					new_free: 42,
				})),
			});
			let charlie = Ed25519Keyring::Charlie.to_account_id();
			let info = mint.get_dispatch_info();
			let alone =
				extension(0).dispatch_transaction(signed(&charlie), mint.clone(), &info, 100, 0);
			assert!(matches!(alone, Ok(Err(_))), "a signed origin is not the council: {alone:?}");
			assert_ne!(crate::Balances::free_balance(&payer), 42);

			// The development council is Alice alone: her motion is unanimous and runs at once.
			let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
			let propose = RuntimeCall::Council(pallet_collective::Call::propose {
				threshold: 1,
				proposal: Box::new(mint),
				length_bound: 1_000,
			});
			assert_eq!(apply(&alice, 0, propose), Ok(()));
			assert_eq!(crate::Balances::free_balance(&payer), 42);
		});
	}

	/// Review finding: a patient's council calls (and other operational calls) were exempt from
	/// the allowance and from the nonce bound, so a self-registered patient could send an
	/// unbounded stream of failing, block-filling transactions for free. Only a council member's
	/// council business goes unrationed; a patient's transactions are also bounded in length.
	#[test]
	fn a_patients_council_calls_are_rationed_and_large_ones_refused() {
		test(|| {
			let eve = Ed25519Keyring::Eve.to_account_id();
			let limit = crate::PatientRateLimit::get();
			let vote = RuntimeCall::Council(pallet_collective::Call::vote {
				proposal: Default::default(),
				index: 0,
				approve: true,
			});
			assert_eq!(validate(&eve, limit.burst, &vote), Err(ALLOWANCE_SPENT));
			let root = RuntimeCall::Registry(pallet_registry::Call::dispatch_as_root {
				call: Box::new(remark()),
			});
			assert_eq!(validate(&eve, limit.burst, &root), Err(ALLOWANCE_SPENT));
			let info = vote.get_dispatch_info();
			let spent = extension(0).dispatch_transaction(signed(&eve), vote, &info, 100, 0);
			assert!(matches!(spent, Ok(Err(_))), "the vote fails at dispatch: {spent:?}");
			assert_eq!(
				Registry::allowance_left(&eve, limit),
				limit.burst - 1,
				"and it spent the patient's allowance"
			);

			// The length is the extension's argument: an empty remark stands for any bulk call
			// (a remark with bytes is refused for its bytes, whatever its length).
			let bulk = remark();
			let info = bulk.get_dispatch_info();
			let refused = extension(0).validate_only(
				signed(&eve),
				&bulk,
				&info,
				MAX_PATIENT_TRANSACTION_LEN + 1,
				TransactionSource::External,
				0,
			);
			assert_eq!(refused.map(|_| ()).map_err(custom), Err(TRANSACTION_TOO_LARGE));
			// A member's large transaction is not refused for its length.
			let bob = Ed25519Keyring::Bob.to_account_id();
			let info = bulk.get_dispatch_info();
			let admitted = extension(0).validate_only(
				signed(&bob),
				&bulk,
				&info,
				MAX_PATIENT_TRANSACTION_LEN + 1,
				TransactionSource::External,
				0,
			);
			assert!(admitted.is_ok(), "{admitted:?}");
		});
	}

	/// Council business spends no allowance; an unknown signer is still refused.
	#[test]
	fn council_business_is_not_rationed_and_strangers_are_refused() {
		test(|| {
			// The development council is Alice's sr25519 account.
			let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
			let propose = RuntimeCall::Council(pallet_collective::Call::propose {
				threshold: 1,
				proposal: Box::new(remark()),
				length_bound: 100,
			});
			assert_eq!(apply(&alice, 0, propose), Ok(()));
			assert!(!pallet_registry::Allowances::<Runtime>::contains_key(&alice));
			assert_eq!(validate(&fresh(9), 0, &remark()), Err(SIGNER_NOT_PERMITTED));
		});
	}

	fn remark_of(bytes: &[u8]) -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::remark { remark: bytes.to_vec() })
	}

	fn remark_with_event(bytes: &[u8]) -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::remark_with_event { remark: bytes.to_vec() })
	}

	fn execute(proposal: RuntimeCall) -> RuntimeCall {
		RuntimeCall::Council(pallet_collective::Call::execute {
			proposal: Box::new(proposal),
			length_bound: 10_000,
		})
	}

	fn propose(proposal: RuntimeCall) -> RuntimeCall {
		RuntimeCall::Council(pallet_collective::Call::propose {
			threshold: 1,
			proposal: Box::new(proposal),
			length_bound: 10_000,
		})
	}

	fn as_root(call: RuntimeCall) -> RuntimeCall {
		RuntimeCall::Registry(pallet_registry::Call::dispatch_as_root { call: Box::new(call) })
	}

	/// A raw storage write of `key` := `value`, as only Root may send it.
	fn set_storage(key: &[u8], value: &[u8]) -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::set_storage {
			items: vec![(key.to_vec(), value.to_vec())],
		})
	}

	/// What the pool answers for a general (unsigned, extension-carrying) transaction.
	fn validate_general(call: &RuntimeCall) -> Result<(), TransactionValidityError> {
		let info = call.get_dispatch_info();
		extension(0)
			.validate_only(RuntimeOrigin::none(), call, &info, 100, TransactionSource::External, 0)
			.map(|_| ())
	}

	/// Applies `call` as a bare extrinsic of a block, as block import does.
	fn apply_bare(call: RuntimeCall) -> sp_runtime::ApplyExtrinsicResult {
		sp_io::storage::start_transaction();
		let applied = crate::Executive::apply_extrinsic(crate::UncheckedExtrinsic::new_bare(call));
		sp_io::storage::rollback_transaction();
		applied
	}

	const PHI: &[u8] = b"HIV+ J.Doe F32.9";

	/// Issue 18: a patient put clinical text in a block body with a remark. Refused at
	/// validation and in a block, with and without an event, and it spends no allowance.
	#[test]
	fn a_patients_remark_with_bytes_is_refused() {
		test(|| {
			let eve = Ed25519Keyring::Eve.to_account_id();
			let limit = crate::PatientRateLimit::get();
			for call in [remark_of(PHI), remark_with_event(PHI), remark_of(&[0])] {
				assert_eq!(validate(&eve, 0, &call), Err(REMARK_NOT_EMPTY), "{call:?}");
				assert_eq!(apply(&eve, 0, call), Err(REMARK_NOT_EMPTY));
			}
			assert_eq!(System::account_nonce(&eve), 0, "nothing of them stayed");
			assert_eq!(Registry::allowance_left(&eve, limit), limit.burst);
			// The empty ones pass, the load generator's call among them.
			assert_eq!(apply(&eve, 0, remark()), Ok(()));
			assert_eq!(apply(&eve, 1, remark_with_event(&[])), Ok(()));
		});
	}

	/// Members and council members are refused too: nobody's block body carries free bytes,
	/// whatever the length (one byte, or the megabytes a member may otherwise send).
	#[test]
	fn a_members_and_a_councillors_remarks_with_bytes_are_refused() {
		test(|| {
			let bob = Ed25519Keyring::Bob.to_account_id();
			let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
			let large = vec![b'x'; 1 << 20];
			for who in [&bob, &alice] {
				assert_eq!(validate(who, 0, &remark_of(PHI)), Err(REMARK_NOT_EMPTY));
				assert_eq!(validate(who, 0, &remark_with_event(PHI)), Err(REMARK_NOT_EMPTY));
				assert_eq!(apply(who, 0, remark_of(&large)), Err(REMARK_NOT_EMPTY));
				assert_eq!(apply(who, 0, remark()), Ok(()));
			}
		});
	}

	/// A remark nested in council motions and in `dispatch_as_root`, at any depth, from the
	/// council itself: refused; the same motions with an empty remark pass and run.
	#[test]
	fn a_remark_with_bytes_nested_in_motions_and_root_calls_is_refused() {
		test(|| {
			let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
			let bob = Ed25519Keyring::Bob.to_account_id();
			let wrappers: [fn(RuntimeCall) -> RuntimeCall; 5] = [
				execute,
				propose,
				as_root,
				|call| propose(as_root(call)),
				|call| (0..8).fold(as_root(execute(call)), |inner, _| execute(inner)),
			];
			for wrap in wrappers {
				for who in [&alice, &bob] {
					for inner in [remark_of(PHI), remark_with_event(PHI)] {
						let call = wrap(inner);
						assert_eq!(validate(who, 0, &call), Err(REMARK_NOT_EMPTY), "{call:?}");
						assert_eq!(apply(who, 0, call), Err(REMARK_NOT_EMPTY));
					}
				}
				assert_eq!(validate(&alice, 0, &wrap(remark())), Ok(()));
			}
			assert_eq!(apply(&alice, 0, propose(as_root(remark()))), Ok(()));
			assert_eq!(apply(&alice, 1, execute(remark())), Ok(()));
		});
	}

	/// Issue 18: a validator could carry bytes in a bare extrinsic of its block: the runtime
	/// lets bare calls of pallets without `ValidateUnsigned` (the council's) into blocks, where
	/// they only fail for want of an origin. A remark with bytes in one fails the block, and a
	/// general transaction (no signer) carrying one is refused by the pool.
	#[test]
	fn a_bare_or_unsigned_remark_with_bytes_is_refused_in_the_pool_and_in_blocks() {
		test(|| {
			for call in [execute(remark_of(PHI)), as_root(remark_with_event(PHI))] {
				assert_eq!(
					apply_bare(call.clone()),
					Err(InvalidTransaction::Custom(REMARK_NOT_EMPTY).into()),
					"{call:?}"
				);
				let info = call.get_dispatch_info();
				assert_eq!(
					TxExtension::bare_validate(&call, &info, 100),
					Err(InvalidTransaction::Custom(REMARK_NOT_EMPTY).into())
				);
				assert_eq!(
					validate_general(&call),
					Err(InvalidTransaction::Custom(REMARK_NOT_EMPTY).into())
				);
			}
			// A top-level bare remark is refused by frame-system's `ValidateUnsigned` already.
			assert!(apply_bare(remark_of(PHI)).is_err());
			// The same bare call without bytes is let in, and fails at dispatch only: the check
			// above is what keeps the bytes out.
			let empty = apply_bare(execute(remark()));
			assert!(matches!(empty, Ok(Err(_))), "{empty:?}");
		});
	}

	/// Raw storage and code calls carry bytes too, and need Root: outside the council's own
	/// motion for Root they can only fail at dispatch, so they are refused before their bytes
	/// reach a block, from anyone, signed or bare.
	#[test]
	fn raw_storage_calls_pass_only_in_a_councillors_motion_for_root() {
		test(|| {
			let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
			let bob = Ed25519Keyring::Bob.to_account_id();
			let eve = Ed25519Keyring::Eve.to_account_id();
			let key = b":carechain:written-by-root";
			let write = || set_storage(key, PHI);
			let raw = [
				write(),
				RuntimeCall::System(frame_system::Call::kill_storage { keys: vec![PHI.to_vec()] }),
				RuntimeCall::System(frame_system::Call::kill_prefix {
					prefix: PHI.to_vec(),
					subkeys: 1,
				}),
				RuntimeCall::System(frame_system::Call::set_code { code: PHI.to_vec() }),
				RuntimeCall::System(frame_system::Call::set_code_without_checks {
					code: PHI.to_vec(),
				}),
				RuntimeCall::System(frame_system::Call::apply_authorized_upgrade {
					code: PHI.to_vec(),
				}),
			];
			for call in raw {
				for who in [&eve, &bob, &alice] {
					assert_eq!(
						validate(who, 0, &call),
						Err(RAW_STORAGE_OUTSIDE_MOTION),
						"{call:?}"
					);
				}
				// A patient or a member proposing it to the council: not a councillor.
				for who in [&eve, &bob] {
					let motion = propose(as_root(call.clone()));
					assert_eq!(validate(who, 0, &motion), Err(RAW_STORAGE_OUTSIDE_MOTION));
				}
			}
			let misplaced = [
				as_root(write()),
				execute(write()),
				propose(write()),
				propose(as_root(as_root(write()))),
				propose(as_root(execute(write()))),
			];
			for call in misplaced {
				assert_eq!(validate(&alice, 0, &call), Err(RAW_STORAGE_OUTSIDE_MOTION), "{call:?}");
				assert_eq!(apply(&alice, 0, call.clone()), Err(RAW_STORAGE_OUTSIDE_MOTION));
				assert_eq!(
					apply_bare(call),
					Err(InvalidTransaction::Custom(RAW_STORAGE_OUTSIDE_MOTION).into())
				);
			}
			// Bare, even in the shape of the council's motion: a bare extrinsic has no signer.
			assert_eq!(
				apply_bare(propose(as_root(write()))),
				Err(InvalidTransaction::Custom(RAW_STORAGE_OUTSIDE_MOTION).into())
			);
			// A bare upgrade nobody authorized: frame-system refuses it first (an authorized
			// one: `not_even_the_council_rewrites_the_runtime_identity`).
			let upgrade = RuntimeCall::System(frame_system::Call::apply_authorized_upgrade {
				code: PHI.to_vec(),
			});
			assert_eq!(apply_bare(upgrade), Err(InvalidTransaction::Call.into()));

			// The council's own motion for Root writes, unanimously (Alice is the council).
			assert_eq!(validate(&alice, 0, &propose(as_root(write()))), Ok(()));
			assert_eq!(apply(&alice, 0, propose(as_root(write()))), Ok(()));
			assert_eq!(sp_io::storage::get(key).as_deref(), Some(PHI));
		});
	}

	/// `:code` holds the runtime's identity, which clients name runtimes by; the runtime runs
	/// from the node binary. Not even the council's own motion for Root may upgrade the code or
	/// write, kill or wipe `:code`, however the key or prefix is put; other keys it may.
	#[test]
	fn not_even_the_council_rewrites_the_runtime_identity() {
		test(|| {
			use frame_system::Call as SystemCall;
			let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
			let code = sp_core::storage::well_known_keys::CODE.to_vec();
			let identity = sp_io::storage::get(&code);
			let other = (b":carechain:other".to_vec(), PHI.to_vec());
			let system = RuntimeCall::System;
			let attacks = [
				system(SystemCall::set_code { code: PHI.to_vec() }),
				system(SystemCall::set_code_without_checks { code: PHI.to_vec() }),
				system(SystemCall::apply_authorized_upgrade { code: PHI.to_vec() }),
				system(SystemCall::set_storage { items: vec![(code.clone(), PHI.to_vec())] }),
				system(SystemCall::set_storage {
					items: vec![other.clone(), (code.clone(), PHI.to_vec())],
				}),
				system(SystemCall::kill_storage { keys: vec![code.clone()] }),
				system(SystemCall::kill_prefix { prefix: b":co".to_vec(), subkeys: 1 }),
				system(SystemCall::kill_prefix { prefix: Vec::new(), subkeys: u32::MAX }),
			];
			for call in attacks {
				let motion = propose(as_root(call.clone()));
				assert_eq!(
					validate(&alice, 0, &motion),
					Err(RUNTIME_IDENTITY_PROTECTED),
					"{call:?}"
				);
				assert_eq!(apply(&alice, 0, motion), Err(RUNTIME_IDENTITY_PROTECTED), "{call:?}");
				assert_eq!(sp_io::storage::get(&code), identity, "{call:?}");
			}
			// Not by the back door either: the council authorizes an upgrade, anyone applies it.
			let authorize = system(SystemCall::authorize_upgrade {
				code_hash: sp_io::hashing::blake2_256(PHI).into(),
			});
			assert_eq!(apply(&alice, 0, propose(as_root(authorize))), Ok(()));
			let upgrade = system(SystemCall::apply_authorized_upgrade { code: PHI.to_vec() });
			assert_eq!(
				apply_bare(upgrade),
				Err(InvalidTransaction::Custom(RUNTIME_IDENTITY_PROTECTED).into())
			);
			assert_eq!(sp_io::storage::get(&code), identity);
			// Keys beside it, and prefixes that do not cover it, stay the council's to write.
			let beside = [
				system(SystemCall::set_storage { items: vec![other.clone()] }),
				system(SystemCall::kill_prefix { prefix: b":code:x".to_vec(), subkeys: 1 }),
				system(SystemCall::kill_storage { keys: vec![b":cod".to_vec()] }),
			];
			for call in beside {
				assert_eq!(
					validate(&alice, 1, &propose(as_root(call.clone()))),
					Ok(()),
					"{call:?}"
				);
			}
		});
	}

	/// The walk follows at most `MAX_CALL_CHAIN` nested calls, which no decoded extrinsic
	/// exceeds, and refuses what goes deeper instead of following it.
	#[test]
	fn the_walk_through_nested_calls_is_bounded() {
		let nest = |leaf: RuntimeCall, depth: u32| (0..depth).fold(leaf, |inner, _| execute(inner));
		let never = || -> bool { panic!("no raw storage call in these") };
		assert_eq!(free_bytes(&nest(remark(), MAX_CALL_CHAIN), false, never), Ok(()));
		assert_eq!(
			free_bytes(&nest(remark_of(PHI), MAX_CALL_CHAIN), false, never),
			Err(InvalidTransaction::Custom(REMARK_NOT_EMPTY).into())
		);
		assert_eq!(
			free_bytes(&nest(remark(), MAX_CALL_CHAIN + 1), false, never),
			Err(InvalidTransaction::Call.into())
		);
	}
}
