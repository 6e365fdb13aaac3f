//! The runtime's own transaction extensions: who may sign, and nonces for accounts that are
//! registering themselves.

use crate::{AccountId, Nonce, Registry, Runtime, RuntimeCall, RuntimeOrigin};
use codec::{Decode, DecodeWithMemTracking, Encode};
use frame_support::{dispatch::DispatchInfo, pallet_prelude::TransactionSource};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, PostDispatchInfoOf, TransactionExtension,
		ValidateResult,
	},
	transaction_validity::{InvalidTransaction, TransactionValidityError, ValidTransaction},
	DispatchResult, Weight,
};

/// `InvalidTransaction::Custom` code: the signer is neither an active organization member, a
/// registered patient nor a council member. Register as a patient or ask an admin to add you.
pub const SIGNER_NOT_PERMITTED: u8 = 1;
/// `InvalidTransaction::Custom` code: this block's patient registrations are used up; retry in
/// the next block.
pub const REGISTRATIONS_EXHAUSTED: u8 = 2;

fn is_self_registration(call: &RuntimeCall) -> bool {
	matches!(call, RuntimeCall::Registry(pallet_registry::Call::register_patient { .. }))
}

/// Admits signed transactions only from the consortium's participants.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo, Debug, Default)]
pub struct CheckPermissioned;

impl TransactionExtension<RuntimeCall> for CheckPermissioned {
	const IDENTIFIER: &'static str = "CheckPermissioned";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, _: &RuntimeCall) -> Weight {
		// Its lookups run in every extrinsic that `carechain benchmark overhead` measures, so
		// they are inside the measured `ExtrinsicBaseWeight`.
		Weight::zero()
	}

	fn validate(
		&self,
		origin: RuntimeOrigin,
		call: &RuntimeCall,
		_info: &DispatchInfoOf<RuntimeCall>,
		_len: usize,
		_self_implicit: (),
		_inherited_implication: &impl sp_runtime::traits::Implication,
		_source: TransactionSource,
	) -> ValidateResult<(), RuntimeCall> {
		let Some(who) = origin.as_system_origin_signer() else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		if Registry::is_known_signer(who)
			|| pallet_collective::Pallet::<Runtime, crate::CouncilCollective>::is_member(who)
		{
			return Ok((ValidTransaction::default(), (), origin));
		}
		if is_self_registration(call) {
			if !Registry::registration_open() {
				return Err(InvalidTransaction::Custom(REGISTRATIONS_EXHAUSTED).into());
			}
			return Ok((ValidTransaction::default(), (), origin));
		}
		Err(InvalidTransaction::Custom(SIGNER_NOT_PERMITTED).into())
	}

	fn prepare(
		self,
		_val: (),
		_origin: &RuntimeOrigin,
		_call: &RuntimeCall,
		_info: &DispatchInfoOf<RuntimeCall>,
		_len: usize,
	) -> Result<(), TransactionValidityError> {
		Ok(())
	}
}

type SystemCheckNonce = frame_system::CheckNonce<Runtime>;

/// `frame_system::CheckNonce`, except that an account the chain has never seen may send its
/// first transaction when that transaction registers it as a patient. The registration gives
/// the account its provider reference; `frame_system::CheckNonce` alone would refuse it for
/// having none. Encoded and identified exactly like `CheckNonce`, so wallets sign it unchanged.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo, Debug)]
pub struct CheckNonce(#[codec(compact)] pub Nonce);

/// What [`CheckNonce`] carries from validation to preparation.
#[derive(Debug)]
pub enum NonceVal {
	/// The usual check.
	System(<SystemCheckNonce as TransactionExtension<RuntimeCall>>::Val),
	/// The first transaction of an unknown account registering itself.
	Registration(AccountId),
}

/// What [`CheckNonce`] carries to post-dispatch.
#[derive(Debug)]
pub enum NoncePre {
	/// The usual check.
	System(<SystemCheckNonce as TransactionExtension<RuntimeCall>>::Pre),
	/// A registration's nonce was bumped.
	Registration,
}

impl CheckNonce {
	/// The signer and its stored nonce, when this is a registration by an account with no
	/// provider. The call is looked at first, so other transactions read no extra storage.
	fn unprovided_registrant(
		origin: &RuntimeOrigin,
		call: &RuntimeCall,
	) -> Option<(AccountId, Nonce)> {
		if !is_self_registration(call) {
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
		let Some((who, account_nonce)) = Self::unprovided_registrant(&origin, call) else {
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
			// An unknown account's first transaction must be its registration.
			return Err(InvalidTransaction::Future.into());
		}
		let validity = ValidTransaction {
			provides: alloc::vec![(who.clone(), self.0).encode()],
			..Default::default()
		};
		Ok((validity, NonceVal::Registration(who), origin))
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
			NonceVal::Registration(who) => {
				if frame_system::Account::<Runtime>::get(&who).nonce != self.0 {
					return Err(InvalidTransaction::Stale.into());
				}
				frame_system::Account::<Runtime>::mutate(&who, |a| {
					a.nonce = a.nonce.saturating_add(1)
				});
				Ok(NoncePre::Registration)
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
			NoncePre::Registration => Ok(Weight::zero()),
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
