//! Decoding what comes from outside the process, bounded in size and in depth before anything
//! recurses: extrinsics (RPC, gossip, the pool), blocks (proposals, sync) and the inputs of the
//! runtime API methods that carry them ([`check_runtime_input`], which the executor applies to
//! every call, whoever makes it).
//!
//! SCALE decodes a call that nests calls (`Council.execute` holds a boxed call) by recursion, and
//! so do encoding, weighing and dropping it: a call nested 100,000 deep, 300 KB of bytes,
//! would overflow any thread's stack. Derived `Decode` and `Box` call [`codec::Input::descend_ref`]
//! at each level, so an input that counts levels stops the decoding at the limit Substrate
//! applies to calls, [`MAX_CALL_DEPTH`], with an error that names it. The runtime's own
//! re-decoding (`frame_executive`, after `sp-api` decoded the argument without a limit) applies
//! the same limit, so a call accepted here is accepted there.

use carechain_runtime::{Block, UncheckedExtrinsic};
use codec::{Decode, Input};
use sp_core::H256;
use sp_runtime::transaction_validity::TransactionSource;

/// How deep calls may nest: Substrate's limit for extrinsics, which the runtime applies too.
pub const MAX_CALL_DEPTH: u32 = frame_support::MAX_EXTRINSIC_DEPTH;

/// A block's extrinsics are one level below the block (its body is a `Vec`), so a block may be
/// one level deeper than the extrinsics it carries.
const MAX_BLOCK_DEPTH: u32 = MAX_CALL_DEPTH + 1;

/// Room for a block's header and the length prefix of its body beyond the runtime's limit on
/// the length of its extrinsics. This chain's headers carry no digest logs; 64 KiB is generous.
const HEADER_BYTES: usize = 64 << 10;

/// The most bytes of one extrinsic: the runtime's limit on a block's length, since a longer
/// extrinsic fits in no block.
pub fn max_extrinsic_bytes() -> usize {
	use frame_support::dispatch::DispatchClass;
	let length = carechain_runtime::RuntimeBlockLength::get();
	let classes = [DispatchClass::Normal, DispatchClass::Operational, DispatchClass::Mandatory];
	let most = classes.iter().map(|class| *length.max.get(*class)).max().unwrap_or_default();
	usize::try_from(most).unwrap_or(usize::MAX)
}

/// The most bytes of one encoded block: its extrinsics' limit and a header.
pub fn max_block_bytes() -> usize {
	max_extrinsic_bytes().saturating_add(HEADER_BYTES)
}

/// Why bytes from outside were refused. Each is the sender's fault: retrying the same bytes
/// gets the same answer.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
	/// Longer than anything the chain accepts; nothing was decoded.
	#[error("the {what} is {len} bytes, above the limit of {max} bytes: send less")]
	TooLarge {
		/// What was being decoded.
		what: &'static str,
		/// Its length.
		len: usize,
		/// The limit.
		max: usize,
	},
	/// A call nests calls deeper than [`MAX_CALL_DEPTH`]; decoding stopped there.
	#[error(
		"the {what} has a call nested deeper than {MAX_CALL_DEPTH} levels, which this chain \
		 refuses: nest calls at most {MAX_CALL_DEPTH} deep"
	)]
	TooDeep {
		/// What was being decoded.
		what: &'static str,
	},
	/// Not the SCALE encoding of what was expected.
	#[error("the {what} does not decode: {error}")]
	Malformed {
		/// What was being decoded.
		what: &'static str,
		/// The codec's complaint.
		error: codec::Error,
	},
	/// Bytes were left over after it.
	#[error("the {what} has {extra} bytes after its end")]
	Trailing {
		/// What was being decoded.
		what: &'static str,
		/// How many bytes were left.
		extra: usize,
	},
}

/// An encoded extrinsic, as RPC, gossip and the pool receive it.
pub fn extrinsic(bytes: &[u8]) -> Result<UncheckedExtrinsic, DecodeError> {
	bounded("extrinsic", bytes, max_extrinsic_bytes(), MAX_CALL_DEPTH, Whole::Yes)
}

/// An encoded block, as proposals and sync responses carry it.
pub fn block(bytes: &[u8]) -> Result<Block, DecodeError> {
	bounded("block", bytes, max_block_bytes(), MAX_BLOCK_DEPTH, Whole::Yes)
}

/// Checks the input of a runtime API method that carries an extrinsic or a block, before the
/// runtime decodes it: `sp-api`'s generated `dispatch` decodes arguments with no depth limit.
/// The methods are those of `runtime/src/apis.rs` whose arguments hold an extrinsic or a block;
/// the others take flat values (accounts, ids, headers) and pass unchecked.
pub fn check_runtime_input(method: &str, data: &[u8]) -> Result<(), DecodeError> {
	match method {
		"Core_execute_block" => block(data).map(drop),
		// A block, then the inherent data, which the runtime checks.
		"BlockBuilder_check_inherents" => {
			bounded::<Block>("block", data, usize::MAX, MAX_BLOCK_DEPTH, Whole::No).map(drop)
		}
		"BlockBuilder_apply_extrinsic" => extrinsic(data).map(drop),
		"TaggedTransactionQueue_validate_transaction" => {
			bounded::<(TransactionSource, UncheckedExtrinsic, H256)>(
				"extrinsic",
				data,
				max_extrinsic_bytes().saturating_add(64),
				MAX_CALL_DEPTH,
				Whole::Yes,
			)
			.map(drop)
		}
		// An extrinsic or a call, then the length the caller says it has.
		"TransactionPaymentApi_query_info" | "TransactionPaymentApi_query_fee_details" => {
			bounded::<(UncheckedExtrinsic, u32)>(
				"extrinsic",
				data,
				max_extrinsic_bytes().saturating_add(4),
				MAX_CALL_DEPTH,
				Whole::Yes,
			)
			.map(drop)
		}
		"TransactionPaymentCallApi_query_call_info"
		| "TransactionPaymentCallApi_query_call_fee_details" => {
			bounded::<(carechain_runtime::RuntimeCall, u32)>(
				"call",
				data,
				max_extrinsic_bytes().saturating_add(4),
				MAX_CALL_DEPTH,
				Whole::Yes,
			)
			.map(drop)
		}
		_ => Ok(()),
	}
}

/// Whether the value must take all the bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Whole {
	Yes,
	No,
}

fn bounded<T: Decode>(
	what: &'static str,
	bytes: &[u8],
	max_bytes: usize,
	max_depth: u32,
	whole: Whole,
) -> Result<T, DecodeError> {
	// `max_bytes` bounds the value, `bytes` may be longer when it need not be whole.
	let len = if whole == Whole::Yes { bytes.len() } else { 0 };
	if len > max_bytes {
		return Err(DecodeError::TooLarge { what, len, max: max_bytes });
	}
	let mut input = DepthLimited { bytes, depth: 0, max_depth, too_deep: false };
	match T::decode(&mut input) {
		Ok(value) if whole == Whole::No || input.bytes.is_empty() => Ok(value),
		Ok(_) => Err(DecodeError::Trailing { what, extra: input.bytes.len() }),
		Err(_) if input.too_deep => Err(DecodeError::TooDeep { what }),
		Err(error) => Err(DecodeError::Malformed { what, error }),
	}
}

/// Bytes that refuse to be descended into more than `max_depth` levels, and remember it, so
/// that the error can say so. The count is `codec::DepthTrackingInput`'s, which the runtime uses.
struct DepthLimited<'a> {
	bytes: &'a [u8],
	depth: u32,
	max_depth: u32,
	too_deep: bool,
}

impl Input for DepthLimited<'_> {
	fn remaining_len(&mut self) -> Result<Option<usize>, codec::Error> {
		Ok(Some(self.bytes.len()))
	}

	fn read(&mut self, into: &mut [u8]) -> Result<(), codec::Error> {
		self.bytes.read(into)
	}

	fn read_byte(&mut self) -> Result<u8, codec::Error> {
		self.bytes.read_byte()
	}

	fn descend_ref(&mut self) -> Result<(), codec::Error> {
		self.depth = self.depth.saturating_add(1);
		if self.depth > self.max_depth {
			self.too_deep = true;
			return Err("call nested too deep".into());
		}
		Ok(())
	}

	fn ascend_ref(&mut self) {
		self.depth = self.depth.saturating_sub(1);
	}
}
