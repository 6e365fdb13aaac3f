//! Native execution of the runtime: `sp-state-machine` calls this executor, which runs the
//! runtime's `api::dispatch` with the externalities set.

use codec::Encode;
use sp_core::traits::{CallContext, CodeExecutor, ReadRuntimeVersion, RuntimeCode};
use sp_externalities::Externalities;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
		// The runtime panics on a block it must reject (a wrong state root, an invalid
		// extrinsic in an imported block): that is an error of the call, not of the node.
		let result = catch_unwind(AssertUnwindSafe(|| {
			sp_externalities::set_and_run_with_externalities(ext, || {
				carechain_runtime::api::dispatch(method, data)
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
