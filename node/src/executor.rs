//! Native execution of the runtime: `sp-state-machine` calls this executor, which runs the
//! runtime's `api::dispatch` with the externalities set.
//!
//! The runtime runs on the caller's stack. Every input that carries an extrinsic or a block is
//! checked first ([`crate::decode::check_runtime_input`]): `api::dispatch` decodes it with no
//! depth limit, and a call nested 1,024 deep would overflow the stack and abort the process.
//! Calls nested up to the limit still recurse in the runtime (decoding, weighing, dispatching,
//! dropping), so every thread that calls the runtime has a stack of [`RUNTIME_STACK_BYTES`].

use codec::Encode;
use sp_core::traits::{CallContext, CodeExecutor, ReadRuntimeVersion, RuntimeCode};
use sp_externalities::Externalities;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The stack of a thread that calls the runtime. Building, importing and validating a call
/// nested [`crate::decode::MAX_CALL_DEPTH`] deep takes about 950 KiB of stack in a debug build
/// (measured with the `stack_probe` test in `node/tests/nested_calls.rs`), half of a spawned
/// thread's default 2 MiB before RPC, consensus or the pool add their own frames below the
/// runtime; 8 MiB, a main thread's, leaves eight times the need. It costs address space, not
/// memory: pages are touched only as deep as a call goes.
pub const RUNTIME_STACK_BYTES: usize = 8 << 20;

/// Calls the runtime compiled into this binary.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeExecutor;

impl ReadRuntimeVersion for NativeExecutor {
	fn read_runtime_version(
		&self,
		_code: &[u8],
		_ext: &mut dyn Externalities,
	) -> Result<Vec<u8>, String> {
		Ok(carechain_runtime::VERSION.encode())
	}
}

impl CodeExecutor for NativeExecutor {
	type Error = String;

	fn call(
		&self,
		ext: &mut dyn Externalities,
		_runtime_code: &RuntimeCode,
		method: &str,
		data: &[u8],
		_context: CallContext,
	) -> (Result<Vec<u8>, String>, bool) {
		if let Err(error) = crate::decode::check_runtime_input(method, data) {
			return (Err(error.to_string()), true);
		}
		// The runtime panics on a block it must reject (a wrong state root, an invalid
		// extrinsic in an imported block): that is an error of the call, not of the node.
		let result = catch_unwind(AssertUnwindSafe(|| {
			crate::panics::in_runtime(|| {
				sp_externalities::set_and_run_with_externalities(ext, || {
					carechain_runtime::api::dispatch(method, data)
				})
			})
		}));
		let result = match result {
			Ok(Some(output)) => Ok(output),
			Ok(None) => Err(format!("the runtime has no API method {method}")),
			Err(panic) => Err(panic_message(&panic)),
		};
		(result, true)
	}
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
	if let Some(message) = panic.downcast_ref::<&str>() {
		(*message).to_owned()
	} else if let Some(message) = panic.downcast_ref::<String>() {
		message.clone()
	} else {
		"the runtime panicked".to_owned()
	}
}
