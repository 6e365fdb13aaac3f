//! # carechain-gpu
//!
//! Batch ed25519 verification and batch blake2b-256 hashing in WGSL compute shaders, with
//! exactly the verdicts and digests of the CPU (`sp_core::ed25519`, `blake2b_simd`), which is
//! also the fallback.
//!
//! [`Verifier`] owns the wgpu context, built once. In [`Mode::Auto`] it uses a hardware
//! adapter for batches at or above the crossover size and the CPU (all cores) otherwise, and
//! when no hardware adapter exists it says so once in the log and uses the CPU. [`Mode::Gpu`]
//! uses any adapter, a software one such as Mesa's lavapipe included, for every batch, and fails
//! if there is none. [`Mode::Cpu`] never touches the GPU.
//!
//! The shaders live in `src/shaders/*.wgsl` and are composed at compile time: 64-bit words as
//! `vec2<u32>` (`u64.wgsl`), the BLAKE2b rounds, field arithmetic modulo 2^255 - 19 in one of
//! four representations ([`Arithmetic`]: 13-bit limbs, 16-bit limbs, or with the adapter's
//! 64-bit integers 32-bit or 25.5-bit limbs), the edwards25519 group, SHA-512 and scalars
//! modulo l. [`differential`] makes random and adversarial triples for checks against sp-core.

// The lint guards on-chain arithmetic in the pallets; here sizes come from in-memory batches
// and are checked against the adapter's limits before any buffer is made.
#![allow(clippy::arithmetic_side_effects)]

mod base_table;
pub mod cpu;
pub mod differential;
mod gpu;

pub use gpu::{
	dispatch_grid, invocation_index, AdapterPolicy, Arithmetic, GpuContext, DEFAULT_GPU_TIMEOUT,
};

/// The longest message [`Verifier::verify_ed25519`] accepts, in bytes. Substrate signs the
/// payload itself only up to 256 bytes (longer payloads are signed as their blake2-256), so
/// 2 KiB covers every transaction with room to spare.
pub const MAX_MESSAGE_LEN: usize = 2048;

/// Batch sizes at or above which [`Mode::Auto`] sends ed25519 work to a hardware GPU. The
/// benchmark (`carechain-gpu-bench`) measures the crossover; see BENCHMARKS.md.
pub const DEFAULT_ED25519_CROSSOVER: usize = 1024;

/// Batch sizes at or above which [`Mode::Auto`] sends blake2b work to a hardware GPU.
pub const DEFAULT_BLAKE2B_CROSSOVER: usize = 4096;

/// One (message, public key, signature) triple.
#[derive(Clone, Copy, Debug)]
pub struct Ed25519Item<'a> {
	/// The signed message.
	pub message: &'a [u8],
	/// The ed25519 public key (the encoding of A).
	pub public: &'a [u8; 32],
	/// The signature: the encoding of R, then S.
	pub signature: &'a [u8; 64],
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// No adapter fits the policy.
	#[error(
		"no GPU adapter found (software adapters allowed: {software_allowed}); install Mesa's \
		 lavapipe (Debian: mesa-vulkan-drivers libvulkan1) or use --gpu cpu"
	)]
	NoAdapter {
		/// Whether a software adapter would have been accepted.
		software_allowed: bool,
	},
	/// The device lacks a feature that a field representation needs.
	#[error("{adapter} cannot run the ed25519 kernel with {arithmetic}: it lacks {missing}")]
	ArithmeticUnsupported {
		/// The representation's name.
		arithmetic: &'static str,
		/// The adapter's name.
		adapter: String,
		/// The missing features.
		missing: String,
	},
	/// The device could not be created.
	#[error("GPU device error: {0}")]
	Device(String),
	/// The device was lost or reported an error; it is not used again.
	#[error("the GPU device is unusable: {reason}")]
	DeviceLost {
		/// What wgpu reported.
		reason: String,
	},
	/// A batch ran past the context's timeout; the device is not used again.
	#[error("a GPU batch ran for more than {after:?}; raise it with GpuContext::with_timeout if the device is just slow")]
	Timeout {
		/// The timeout.
		after: std::time::Duration,
	},
	/// A message is longer than [`MAX_MESSAGE_LEN`].
	#[error("message {index} is {len} bytes; ed25519 batches take messages of at most {max} bytes (sign the blake2-256 of longer payloads, as Substrate does)")]
	MessageTooLong {
		/// Its position in the batch.
		index: usize,
		/// Its length.
		len: usize,
		/// The limit.
		max: usize,
	},
	/// A blob is larger than one GPU storage binding.
	#[error("message {index} is {len} bytes; this adapter hashes at most {max} bytes per message")]
	MessageTooLarge {
		/// Its position in the batch.
		index: usize,
		/// Its length.
		len: usize,
		/// The adapter's limit.
		max: usize,
	},
	/// `expected` has a different length than the messages.
	#[error("{messages} messages but {expected} expected digests")]
	LengthMismatch {
		/// Number of messages.
		messages: usize,
		/// Number of expected digests.
		expected: usize,
	},
}

/// Where batches run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
	/// A hardware GPU for batches at or above the crossover, else the CPU.
	Auto,
	/// Any GPU adapter, software included, for every batch.
	Gpu,
	/// The CPU only.
	Cpu,
}

impl std::str::FromStr for Mode {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		match s {
			"auto" => Ok(Mode::Auto),
			"gpu" => Ok(Mode::Gpu),
			"cpu" => Ok(Mode::Cpu),
			other => Err(format!("unknown GPU mode {other:?}; use auto, gpu or cpu")),
		}
	}
}

/// Where a batch ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
	/// On the GPU.
	Gpu,
	/// On the CPU.
	Cpu,
}

/// Batch verification and hashing on the GPU or the CPU, with identical results.
pub struct Verifier {
	mode: Mode,
	gpu: Option<GpuContext>,
	ed25519_crossover: usize,
	blake2b_crossover: usize,
}

impl Verifier {
	/// Builds the verifier: in `Auto`, with a hardware adapter if there is one; in `Gpu`, with
	/// any adapter or an error; in `Cpu`, without a GPU.
	pub fn new(mode: Mode) -> Result<Self, Error> {
		let gpu = match mode {
			Mode::Cpu => None,
			Mode::Gpu => Some(GpuContext::new(AdapterPolicy::AllowSoftware)?),
			Mode::Auto => match GpuContext::new(AdapterPolicy::HardwareOnly) {
				Ok(context) => Some(context),
				Err(e) => {
					log::warn!("{e}; verifying and hashing on the CPU");
					None
				}
			},
		};
		if let Some(context) = &gpu {
			log::info!(
				"GPU adapter: {}; ed25519 field arithmetic: {}",
				context.adapter_name(),
				context.arithmetic().name()
			);
		}
		Ok(Self {
			mode,
			gpu,
			ed25519_crossover: DEFAULT_ED25519_CROSSOVER,
			blake2b_crossover: DEFAULT_BLAKE2B_CROSSOVER,
		})
	}

	/// Builds the verifier on a context the caller made.
	pub fn with_context(context: GpuContext, mode: Mode) -> Self {
		Self {
			mode,
			gpu: Some(context),
			ed25519_crossover: DEFAULT_ED25519_CROSSOVER,
			blake2b_crossover: DEFAULT_BLAKE2B_CROSSOVER,
		}
	}

	/// The same verifier with the GPU's ed25519 kernel over `arithmetic` instead of
	/// [`Arithmetic::preferred`], or an error naming what the adapter lacks. Without a GPU
	/// (`Mode::Cpu`, or `Auto` with no hardware adapter) there is nothing to change.
	pub fn with_arithmetic(mut self, arithmetic: Arithmetic) -> Result<Self, Error> {
		self.gpu = self.gpu.map(|gpu| gpu.with_arithmetic(arithmetic)).transpose()?;
		if self.gpu.is_some() {
			log::info!("ed25519 field arithmetic: {} (chosen)", arithmetic.name());
		}
		Ok(self)
	}

	/// Sets the batch sizes at or above which `Auto` uses the GPU.
	pub fn with_crossovers(mut self, ed25519: usize, blake2b: usize) -> Self {
		self.ed25519_crossover = ed25519;
		self.blake2b_crossover = blake2b;
		self
	}

	/// The GPU context, if any.
	pub fn gpu(&self) -> Option<&GpuContext> {
		self.gpu.as_ref()
	}

	/// Where a batch of `len` items goes: never to a device that failed.
	fn backend_for(&self, len: usize, crossover: usize) -> Backend {
		let usable = self.gpu.as_ref().is_some_and(|gpu| gpu.failure().is_none());
		match self.mode {
			Mode::Gpu if usable => Backend::Gpu,
			Mode::Auto if usable && len >= crossover => Backend::Gpu,
			_ => Backend::Cpu,
		}
	}

	/// `on_gpu`'s result, or on a device failure (lost, a wgpu error, past the timeout) the
	/// CPU's, with the reason in the log: the caller's thread neither panics nor hangs.
	fn or_cpu<T>(
		what: &str,
		len: usize,
		on_gpu: Result<T, Error>,
		on_cpu: impl FnOnce() -> T,
	) -> Result<(T, Backend), Error> {
		match on_gpu {
			Ok(result) => Ok((result, Backend::Gpu)),
			Err(e @ (Error::DeviceLost { .. } | Error::Timeout { .. })) => {
				log::warn!("{what} of {len} items failed on the GPU ({e}); running it on the CPU");
				Ok((on_cpu(), Backend::Cpu))
			}
			Err(e) => Err(e),
		}
	}

	/// One verdict per triple, as `sp_core::ed25519::Pair::verify` gives it, and where the
	/// batch ran.
	pub fn verify_ed25519(&self, items: &[Ed25519Item<'_>]) -> Result<(Vec<bool>, Backend), Error> {
		if let Some((index, item)) =
			items.iter().enumerate().find(|(_, i)| i.message.len() > MAX_MESSAGE_LEN)
		{
			return Err(Error::MessageTooLong {
				index,
				len: item.message.len(),
				max: MAX_MESSAGE_LEN,
			});
		}
		match (self.backend_for(items.len(), self.ed25519_crossover), &self.gpu) {
			(Backend::Gpu, Some(gpu)) => {
				Self::or_cpu("ed25519 batch", items.len(), gpu.ed25519(items), || {
					cpu::verify_ed25519(items)
				})
			}
			_ => Ok((cpu::verify_ed25519(items), Backend::Cpu)),
		}
	}

	/// blake2b-256 of each message, and where the batch ran.
	pub fn blake2b_256(&self, messages: &[&[u8]]) -> Result<(Vec<[u8; 32]>, Backend), Error> {
		match (self.backend_for(messages.len(), self.blake2b_crossover), &self.gpu) {
			(Backend::Gpu, Some(gpu)) => {
				Self::or_cpu("blake2b batch", messages.len(), gpu.blake2b_digests(messages), || {
					cpu::blake2b_256_batch(messages)
				})
			}
			_ => Ok((cpu::blake2b_256_batch(messages), Backend::Cpu)),
		}
	}

	/// The indices of the messages whose blake2b-256 differs from `expected`, ascending.
	pub fn blake2b_256_verify(
		&self,
		messages: &[&[u8]],
		expected: &[[u8; 32]],
	) -> Result<(Vec<usize>, Backend), Error> {
		if messages.len() != expected.len() {
			return Err(Error::LengthMismatch {
				messages: messages.len(),
				expected: expected.len(),
			});
		}
		match (self.backend_for(messages.len(), self.blake2b_crossover), &self.gpu) {
			(Backend::Gpu, Some(gpu)) => Self::or_cpu(
				"blake2b check",
				messages.len(),
				gpu.blake2b_differing(messages, expected),
				|| cpu_differing(messages, expected),
			),
			_ => Ok((cpu_differing(messages, expected), Backend::Cpu)),
		}
	}
}

/// The indices of the messages whose blake2b-256 differs from `expected`, on the CPU.
fn cpu_differing(messages: &[&[u8]], expected: &[[u8; 32]]) -> Vec<usize> {
	cpu::blake2b_256_batch(messages)
		.iter()
		.zip(expected)
		.enumerate()
		.filter(|(_, (d, e))| d != e)
		.map(|(i, _)| i)
		.collect()
}
