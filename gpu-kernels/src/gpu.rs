//! The wgpu context and the two kernels' host code.

use crate::{base_table::BASE_NIELS, Ed25519Item, Error};
use rayon::prelude::*;
use std::{
	borrow::Cow,
	num::NonZeroU64,
	sync::{Arc, Mutex, OnceLock},
	time::Duration,
};
use wgpu::util::DeviceExt;

/// Invocations per workgroup in every kernel: the shaders' `WORKGROUP_SIZE` override
/// (`shaders/dispatch.wgsl`) is set from this value when a pipeline is made.
const WORKGROUP_SIZE: u32 = 64;
/// The most workgroups in one dimension of a dispatch.
const MAX_GROUPS_PER_DIMENSION: u32 = 65_535;
/// How long a batch may run on the device before the context gives up on it, marks itself
/// failed and the batch goes to the CPU ([`GpuContext::with_timeout`] changes it).
pub const DEFAULT_GPU_TIMEOUT: Duration = Duration::from_secs(120);

/// The workgroup grid (x, y) for `count` invocations: rows of at most 65,535 workgroups, as
/// many rows as needed. `shaders/dispatch.wgsl` numbers invocations row by row.
pub fn dispatch_grid(count: u32) -> (u32, u32) {
	let groups = count.div_ceil(WORKGROUP_SIZE).max(1);
	let x = groups.min(MAX_GROUPS_PER_DIMENSION);
	(x, groups.div_ceil(x))
}

/// The index `shaders/dispatch.wgsl` gives the invocation `local` of workgroup (x, y) in a grid
/// `width` workgroups wide: the host's copy of the shader's arithmetic, for tests.
pub fn invocation_index(x: u32, y: u32, width: u32, local: u32) -> u64 {
	(u64::from(y) * u64::from(width) + u64::from(x)) * u64::from(WORKGROUP_SIZE) + u64::from(local)
}
/// BLAKE2b's block: messages are laid out at block boundaries, zero-padded to whole blocks.
const BLAKE2B_BLOCK: usize = 128;

const BLAKE2B_SOURCE: &str = concat!(
	include_str!("shaders/dispatch.wgsl"),
	include_str!("shaders/u64.wgsl"),
	include_str!("shaders/blake2b_compress.wgsl"),
	include_str!("shaders/blake2b256.wgsl"),
);

/// The ed25519 kernel and the probes over one field representation (`shaders/field25519_<r>*`
/// and `shaders/ed25519_consts_<r>.wgsl`): `$tail` is the entry points' file.
macro_rules! ed25519_source {
	($r:literal, $tail:literal) => {
		concat!(
			include_str!("shaders/dispatch.wgsl"),
			include_str!("shaders/u64.wgsl"),
			include_str!(concat!("shaders/field25519_", $r, ".wgsl")),
			include_str!(concat!("shaders/field25519_", $r, "_ops.wgsl")),
			include_str!("shaders/field25519.wgsl"),
			include_str!("shaders/edwards.wgsl"),
			include_str!(concat!("shaders/ed25519_consts_", $r, ".wgsl")),
			include_str!("shaders/sha512_compress.wgsl"),
			include_str!("shaders/sha512.wgsl"),
			include_str!("shaders/scalar25519.wgsl"),
			include_str!($tail),
		)
	};
}

/// How the ed25519 kernel represents elements of GF(2^255 - 19). Core WGSL has only 32-bit
/// integers and no high multiply, so the representations trade limb count against the cost of
/// each limb product; which is fastest depends on the adapter (`carechain-gpu-bench` measures
/// each, see BENCHMARKS.md). Every one gives the same verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arithmetic {
	/// 20 limbs of 13 bits with deferred carries (the ZPrize 2023 WebGPU MSM entries' choice):
	/// 400 products per multiplication, no carry until the end. Core WGSL, every adapter.
	Limbs13,
	/// 16 limbs of 16 bits, each product split into halves: 256 products. Core WGSL.
	Limbs16,
	/// 8 limbs of 32 bits with 64-bit products: 64 products, each split into halves. Needs
	/// `SHADER_INT64`.
	Words32,
	/// 10 limbs of 26 and 25 bits (radix 2^25.5, ref10's) with 64-bit products: 100 products
	/// that accumulate without splitting; additions in 32 bits. Needs `SHADER_INT64`.
	Limbs26,
}

impl Arithmetic {
	/// Every representation, in the order the benchmark reports them.
	pub const ALL: [Arithmetic; 4] =
		[Arithmetic::Limbs13, Arithmetic::Limbs16, Arithmetic::Words32, Arithmetic::Limbs26];

	/// Its name in benchmark tables and on the command line.
	pub fn name(self) -> &'static str {
		match self {
			Arithmetic::Limbs13 => "13-bit limbs",
			Arithmetic::Limbs16 => "16-bit limbs",
			Arithmetic::Words32 => "32-bit limbs, int64",
			Arithmetic::Limbs26 => "25.5-bit limbs, int64",
		}
	}

	/// The wgpu features the representation needs.
	pub fn features(self) -> wgpu::Features {
		match self {
			Arithmetic::Limbs13 | Arithmetic::Limbs16 => wgpu::Features::empty(),
			Arithmetic::Words32 | Arithmetic::Limbs26 => wgpu::Features::SHADER_INT64,
		}
	}

	/// The representation a context uses unless told otherwise: 25.5-bit limbs where the device
	/// has 64-bit integers, else 13-bit limbs. Chosen by measurement (BENCHMARKS.md, lavapipe,
	/// the only adapter measured so far, with the kernel of issue 25): 25.5-bit limbs verify
	/// 1.2 to 1.4 times as fast as 32-bit limbs; 13-bit limbs are close to 16-bit limbs, ahead
	/// in most runs (1.03 to 1.08 times).
	pub fn preferred(features: wgpu::Features) -> Arithmetic {
		if features.contains(Arithmetic::Limbs26.features()) {
			Arithmetic::Limbs26
		} else {
			Arithmetic::Limbs13
		}
	}

	/// Limb `i`'s first bit and width.
	fn limb(self, i: usize) -> (usize, u32) {
		match self {
			Arithmetic::Limbs13 => (13 * i, 13),
			Arithmetic::Limbs16 => (16 * i, 16),
			Arithmetic::Words32 => (32 * i, 32),
			// 26, 25, 26, ... bits.
			Arithmetic::Limbs26 => (i * 51 / 2 + i % 2, 26 - (i % 2) as u32),
		}
	}

	/// Limbs per field element.
	fn limb_count(self) -> usize {
		match self {
			Arithmetic::Limbs13 => 20,
			Arithmetic::Limbs16 => 16,
			Arithmetic::Words32 => 8,
			Arithmetic::Limbs26 => 10,
		}
	}

	/// A canonical field element (eight little-endian words, below 2^255) in this
	/// representation's limbs.
	fn to_limbs(self, words: &[u32; 8]) -> impl Iterator<Item = u32> + '_ {
		(0..self.limb_count()).map(move |i| {
			let (bit, bits) = self.limb(i);
			let (word, shift) = (bit / 32, bit % 32);
			let pair =
				u64::from(words[word]) | (u64::from(*words.get(word + 1).unwrap_or(&0)) << 32);
			((pair >> shift) & ((1u64 << bits) - 1)) as u32
		})
	}

	/// The base point's table ([`BASE_NIELS`]) in this representation, as the kernel's
	/// `base_table` binding reads it.
	fn base_table(self) -> Vec<u32> {
		BASE_NIELS.iter().flatten().flat_map(|fe| self.to_limbs(fe)).collect()
	}

	fn verify_source(self) -> &'static str {
		match self {
			Arithmetic::Limbs13 => ed25519_source!("l13", "shaders/ed25519_verify.wgsl"),
			Arithmetic::Limbs16 => ed25519_source!("l16", "shaders/ed25519_verify.wgsl"),
			Arithmetic::Words32 => ed25519_source!("w32", "shaders/ed25519_verify.wgsl"),
			Arithmetic::Limbs26 => ed25519_source!("r26", "shaders/ed25519_verify.wgsl"),
		}
	}

	fn probe_source(self) -> &'static str {
		match self {
			Arithmetic::Limbs13 => ed25519_source!("l13", "shaders/probe.wgsl"),
			Arithmetic::Limbs16 => ed25519_source!("l16", "shaders/probe.wgsl"),
			Arithmetic::Words32 => ed25519_source!("w32", "shaders/probe.wgsl"),
			Arithmetic::Limbs26 => ed25519_source!("r26", "shaders/probe.wgsl"),
		}
	}
}

impl std::str::FromStr for Arithmetic {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		match s {
			"l13" | "limbs13" => Ok(Arithmetic::Limbs13),
			"l16" | "limbs16" => Ok(Arithmetic::Limbs16),
			"w32" | "int64" => Ok(Arithmetic::Words32),
			"r26" | "limbs26" => Ok(Arithmetic::Limbs26),
			other => Err(format!("unknown field arithmetic {other:?}; use l13, l16, w32 or r26")),
		}
	}
}

/// One compiled kernel.
struct Kernel {
	pipeline: wgpu::ComputePipeline,
	layout: wgpu::BindGroupLayout,
}

impl Kernel {
	fn new(device: &wgpu::Device, label: &str, source: &str) -> Self {
		Self::with_entry(device, label, source, "main", None)
	}

	/// Compiles `entry` of `source`, with `layout` when given, else the layout naga infers.
	fn with_entry(
		device: &wgpu::Device,
		label: &str,
		source: &str,
		entry: &str,
		layout: Option<wgpu::BindGroupLayout>,
	) -> Self {
		let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
			label: Some(label),
			source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(source)),
		});
		let pipeline_layout = layout.as_ref().map(|layout| {
			device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
				label: Some(label),
				bind_group_layouts: &[Some(layout)],
				immediate_size: 0,
			})
		});
		let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
			label: Some(label),
			layout: pipeline_layout.as_ref(),
			module: &module,
			entry_point: Some(entry),
			compilation_options: wgpu::PipelineCompilationOptions {
				constants: &[("WORKGROUP_SIZE", f64::from(WORKGROUP_SIZE))],
				..Default::default()
			},
			cache: None,
		});
		let layout = layout.unwrap_or_else(|| pipeline.get_bind_group_layout(0));
		Self { pipeline, layout }
	}
}

/// A storage or uniform binding of the ed25519 kernel, at least `min_bytes` long.
fn layout_entry(
	binding: u32,
	ty: wgpu::BufferBindingType,
	min_bytes: u64,
) -> wgpu::BindGroupLayoutEntry {
	wgpu::BindGroupLayoutEntry {
		binding,
		visibility: wgpu::ShaderStages::COMPUTE,
		ty: wgpu::BindingType::Buffer {
			ty,
			has_dynamic_offset: false,
			min_binding_size: NonZeroU64::new(min_bytes),
		},
		count: None,
	}
}

/// The ed25519 kernel's bindings: keys, signatures, message descriptors, message data,
/// verdicts, the uniform count and the base point's table (`shaders/ed25519_verify.wgsl`).
fn ed25519_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
	let read = wgpu::BufferBindingType::Storage { read_only: true };
	let write = wgpu::BufferBindingType::Storage { read_only: false };
	device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
		label: Some("ed25519_verify"),
		entries: &[
			layout_entry(0, read, 32),
			layout_entry(1, read, 64),
			layout_entry(2, read, 8),
			layout_entry(3, read, 4),
			layout_entry(4, write, 4),
			layout_entry(5, wgpu::BufferBindingType::Uniform, 16),
			layout_entry(6, read, 4),
		],
	})
}

/// The ed25519 kernel and its base point's table, uploaded once.
struct Ed25519Kernel {
	kernel: Kernel,
	base_table: wgpu::Buffer,
}

/// The ed25519 kernel's buffers and bind group, kept from batch to batch and made larger (to
/// the next power of two) only when a batch does not fit; and the host's packing space.
struct Ed25519Buffers {
	items: usize,
	data_words: usize,
	keys: wgpu::Buffer,
	signatures: wgpu::Buffer,
	messages: wgpu::Buffer,
	data: wgpu::Buffer,
	verdicts: wgpu::Buffer,
	readback: wgpu::Buffer,
	params: wgpu::Buffer,
	bind_group: wgpu::BindGroup,
	packed: Packed,
}

/// One chunk of a batch laid out as the kernel reads it.
#[derive(Default)]
struct Packed {
	keys: Vec<u32>,
	signatures: Vec<u32>,
	messages: Vec<u32>,
	data: Vec<u32>,
}

impl Packed {
	/// Lays `items` out on every core: keys, signatures, (offset, length) descriptors, and the
	/// messages as little-endian words, each starting at a word boundary.
	fn pack(&mut self, items: &[Ed25519Item<'_>]) {
		let n = items.len();
		self.keys.resize(n * 8, 0);
		self.signatures.resize(n * 16, 0);
		self.messages.resize(n * 2, 0);
		let mut offset = 0usize;
		for (descriptor, item) in self.messages.chunks_exact_mut(2).zip(items) {
			descriptor[0] = offset as u32;
			descriptor[1] = item.message.len() as u32;
			offset += item.message.len().div_ceil(4);
		}
		self.data.clear();
		self.data.resize(offset, 0);
		self.keys
			.par_chunks_mut(8)
			.zip(self.signatures.par_chunks_mut(16))
			.zip(items.par_iter())
			.for_each(|((key, signature), item)| {
				copy_le_words(key, item.public);
				copy_le_words(signature, item.signature);
			});
		let mut rest = self.data.as_mut_slice();
		let mut slots = Vec::with_capacity(n);
		for item in items {
			let (slot, tail) =
				std::mem::take(&mut rest).split_at_mut(item.message.len().div_ceil(4));
			slots.push(slot);
			rest = tail;
		}
		slots.into_par_iter().zip(items.par_iter()).for_each(|(slot, item)| {
			copy_le_words(slot, item.message);
		});
	}
}

/// Little-endian words of `bytes` into `words`, the last one zero-padded.
fn copy_le_words(words: &mut [u32], bytes: &[u8]) {
	for (word, piece) in words.iter_mut().zip(bytes.chunks(4)) {
		let mut le = [0u8; 4];
		le[..piece.len()].copy_from_slice(piece);
		*word = u32::from_le_bytes(le);
	}
}

/// Why the device can no longer be used, once it cannot: recorded by wgpu's callbacks (device
/// lost, uncaptured errors) and by a batch that timed out.
#[derive(Default)]
struct Health {
	failure: Mutex<Option<String>>,
}

impl Health {
	fn fail(&self, reason: String) {
		let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
		if failure.is_none() {
			log::error!("GPU device unusable, batches go to the CPU from now on: {reason}");
			*failure = Some(reason);
		}
	}

	fn failure(&self) -> Option<String> {
		self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
	}
}

/// Which adapters a context may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdapterPolicy {
	/// Only hardware adapters (discrete, integrated or virtual GPUs).
	HardwareOnly,
	/// A hardware adapter if there is one, else a software one such as Mesa's lavapipe.
	AllowSoftware,
}

/// The wgpu device, its queue and the compiled kernels: built once, used for every batch.
pub struct GpuContext {
	device: wgpu::Device,
	queue: wgpu::Queue,
	info: wgpu::AdapterInfo,
	max_binding: u64,
	arithmetic: Arithmetic,
	timeout: Duration,
	health: Arc<Health>,
	// Compiled on first use: a software adapter takes a while to compile the ed25519 kernel.
	blake2b: OnceLock<Kernel>,
	ed25519: OnceLock<Ed25519Kernel>,
	ed25519_buffers: Mutex<Option<Ed25519Buffers>>,
}

impl GpuContext {
	/// Picks an adapter under `policy`, preferring discrete over integrated over virtual GPUs
	/// and hardware over software, and compiles the kernels.
	pub fn new(policy: AdapterPolicy) -> Result<Self, Error> {
		let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
			backends: wgpu::Backends::PRIMARY,
			..wgpu::InstanceDescriptor::new_without_display_handle()
		});
		let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY));
		let rank = |t: wgpu::DeviceType| match t {
			wgpu::DeviceType::DiscreteGpu => 0,
			wgpu::DeviceType::IntegratedGpu => 1,
			wgpu::DeviceType::VirtualGpu => 2,
			wgpu::DeviceType::Other => 3,
			wgpu::DeviceType::Cpu => 4,
		};
		let adapter = adapters
			.into_iter()
			.filter(|a| {
				policy == AdapterPolicy::AllowSoftware
					|| a.get_info().device_type != wgpu::DeviceType::Cpu
			})
			.min_by_key(|a| rank(a.get_info().device_type))
			.ok_or(Error::NoAdapter { software_allowed: policy == AdapterPolicy::AllowSoftware })?;
		let limits = adapter.limits();
		// What the field representations may use, where the adapter has it.
		let features = Arithmetic::ALL
			.iter()
			.fold(wgpu::Features::empty(), |all, a| all | a.features())
			.intersection(adapter.features());
		let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
			label: Some("carechain-gpu"),
			required_features: features,
			required_limits: limits.clone(),
			experimental_features: Default::default(),
			memory_hints: wgpu::MemoryHints::Performance,
			trace: Default::default(),
		}))
		.map_err(|e| Error::Device(e.to_string()))?;
		Ok(Self::from_device(device, queue, adapter.get_info(), &limits))
	}

	/// Builds the context on a device the caller already has, with the ed25519 kernel over
	/// [`Arithmetic::preferred`] for the device's features.
	pub fn from_device(
		device: wgpu::Device,
		queue: wgpu::Queue,
		info: wgpu::AdapterInfo,
		limits: &wgpu::Limits,
	) -> Self {
		let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
		let arithmetic = Arithmetic::preferred(device.features());
		let health = Arc::new(Health::default());
		// Errors wgpu does not return to a call would otherwise panic in its default handler;
		// here they make the device unusable, and the batch and its successors go to the CPU.
		let on_error = Arc::clone(&health);
		device.on_uncaptured_error(Arc::new(move |e| on_error.fail(format!("wgpu error: {e}"))));
		let on_lost = Arc::clone(&health);
		device.set_device_lost_callback(move |reason, message| {
			on_lost.fail(format!("device lost ({reason:?}): {message}"))
		});
		Self {
			device,
			queue,
			info,
			max_binding,
			arithmetic,
			timeout: DEFAULT_GPU_TIMEOUT,
			health,
			blake2b: OnceLock::new(),
			ed25519: OnceLock::new(),
			ed25519_buffers: Mutex::new(None),
		}
	}

	/// The same context with `timeout` as the longest a batch may run on the device.
	pub fn with_timeout(self, timeout: Duration) -> Self {
		Self { timeout, ..self }
	}

	/// Why the device can no longer be used (lost, a wgpu error, a batch past the timeout), if
	/// it cannot; then every batch runs on the CPU.
	pub fn failure(&self) -> Option<String> {
		self.health.failure()
	}

	/// The same context with at most `bytes` of messages and keys per dispatch, so that tests
	/// cross the chunk boundaries of a batch without gigabytes of data.
	#[doc(hidden)]
	pub fn with_max_binding_for_testing(self, bytes: u64) -> Self {
		Self { max_binding: bytes.min(self.max_binding), ..self }
	}

	/// Destroys the device, as a driver reset or an unplugged GPU would lose it: for tests of
	/// the CPU fallback.
	#[doc(hidden)]
	pub fn lose_device_for_testing(&self) {
		self.device.destroy();
	}

	fn blake2b_kernel(&self) -> &Kernel {
		self.blake2b.get_or_init(|| Kernel::new(&self.device, "blake2b256", BLAKE2B_SOURCE))
	}

	/// The same context with the ed25519 kernel over `arithmetic`, or an error when the device
	/// lacks a feature it needs.
	pub fn with_arithmetic(self, arithmetic: Arithmetic) -> Result<Self, Error> {
		if !self.supports(arithmetic) {
			return Err(Error::ArithmeticUnsupported {
				arithmetic: arithmetic.name(),
				adapter: self.adapter_name(),
				missing: format!("{:?}", arithmetic.features() - self.device.features()),
			});
		}
		Ok(Self { arithmetic, ed25519: OnceLock::new(), ed25519_buffers: Mutex::new(None), ..self })
	}

	/// Whether the device has what `arithmetic` needs.
	pub fn supports(&self, arithmetic: Arithmetic) -> bool {
		self.device.features().contains(arithmetic.features())
	}

	/// The field representation of the ed25519 kernel.
	pub fn arithmetic(&self) -> Arithmetic {
		self.arithmetic
	}

	fn ed25519_kernel(&self) -> &Ed25519Kernel {
		self.ed25519.get_or_init(|| {
			let kernel = Kernel::with_entry(
				&self.device,
				"ed25519_verify",
				self.arithmetic.verify_source(),
				"main",
				Some(ed25519_layout(&self.device)),
			);
			// Written through the queue: a buffer mapped at creation panics in wgpu when the
			// device is already lost, and the caller must get an error instead.
			let words = self.arithmetic.base_table();
			let base_table = self.device.create_buffer(&wgpu::BufferDescriptor {
				label: Some("ed25519 base table"),
				size: (words.len() * 4) as u64,
				usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
				mapped_at_creation: false,
			});
			self.queue.write_buffer(&base_table, 0, bytemuck::cast_slice(&words));
			Ed25519Kernel { kernel, base_table }
		})
	}

	/// Compiles both kernels now rather than on first use.
	pub fn warm_up(&self) {
		self.blake2b_kernel();
		self.ed25519_kernel();
	}

	/// Runs one of the probe entry points (`probe_field`, `probe_decompress`) of
	/// `shaders/probe.wgsl`, which exercise one building block of the ed25519 kernel each, so
	/// that tests can check the blocks one by one against the CPU.
	pub fn probe(
		&self,
		entry: &str,
		input: &[u32],
		output_words: usize,
		count: u32,
	) -> Result<Vec<u32>, Error> {
		self.check()?;
		let kernel =
			Kernel::with_entry(&self.device, entry, self.arithmetic.probe_source(), entry, None);
		let input = self.storage("probe input", input);
		self.run(&kernel, entry, &[&input], 0, output_words, &[[count, 0, 0, 0]], count)
	}

	/// The adapter's name and backend, for logs and benchmark tables.
	pub fn adapter_name(&self) -> String {
		format!("{} ({:?}, {:?})", self.info.name, self.info.backend, self.info.device_type)
	}

	/// Whether the adapter is a software rasterizer such as lavapipe.
	pub fn is_software(&self) -> bool {
		self.info.device_type == wgpu::DeviceType::Cpu
	}

	fn storage(&self, label: &str, words: &[u32]) -> wgpu::Buffer {
		// A binding may not be empty; one padding word keeps empty batches valid.
		let contents: &[u32] = if words.is_empty() { &[0] } else { words };
		self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
			label: Some(label),
			contents: bytemuck::cast_slice(contents),
			usage: wgpu::BufferUsages::STORAGE,
		})
	}

	/// Runs `kernel` over `count` invocations, once per entry of `passes` (each pass's uniform
	/// parameters), in one submission. Bindings, in order: `inputs`, then a read-write state
	/// buffer of `state_words` when it is not zero, then `out_words` of output, then the
	/// uniform. Returns the output.
	fn run(
		&self,
		kernel: &Kernel,
		label: &str,
		inputs: &[&wgpu::Buffer],
		state_words: usize,
		out_words: usize,
		passes: &[[u32; 4]],
		count: u32,
	) -> Result<Vec<u32>, Error> {
		let out_size = (out_words.max(1) * 4) as u64;
		let out = self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("out"),
			size: out_size,
			usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
			mapped_at_creation: false,
		});
		let readback = self.device.create_buffer(&wgpu::BufferDescriptor {
			label: Some("readback"),
			size: out_size,
			usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
			mapped_at_creation: false,
		});
		let state = (state_words > 0).then(|| {
			self.device.create_buffer(&wgpu::BufferDescriptor {
				label: Some("state"),
				size: (state_words * 4) as u64,
				usage: wgpu::BufferUsages::STORAGE,
				mapped_at_creation: false,
			})
		});
		let mut bound: Vec<&wgpu::Buffer> = inputs.to_vec();
		bound.extend(state.as_ref());
		bound.push(&out);
		let bind_groups: Vec<wgpu::BindGroup> = passes
			.iter()
			.map(|params| {
				let uniform = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
					label: Some("params"),
					contents: bytemuck::cast_slice(params),
					usage: wgpu::BufferUsages::UNIFORM,
				});
				let entries = bind_entries(bound.iter().copied().chain([&uniform]));
				self.device.create_bind_group(&wgpu::BindGroupDescriptor {
					label: Some(label),
					layout: &kernel.layout,
					entries: &entries,
				})
			})
			.collect();

		self.check()?;
		let (x, y) = dispatch_grid(count);
		let mut encoder = self
			.device
			.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
		{
			let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
				label: Some(label),
				timestamp_writes: None,
			});
			pass.set_pipeline(&kernel.pipeline);
			for bind_group in &bind_groups {
				pass.set_bind_group(0, bind_group, &[]);
				pass.dispatch_workgroups(x, y, 1);
			}
		}
		encoder.copy_buffer_to_buffer(&out, 0, &readback, 0, out_size);
		self.read_back(encoder, &readback, out_size, out_words)
	}

	/// Submits `encoder`, whose last command copies the output into `readback`, waits for it
	/// at most the context's timeout, and returns the first `words` of `readback`. A device
	/// that is lost, reports an error or passes the timeout is marked failed and not used
	/// again: the caller's batch goes to the CPU.
	fn read_back(
		&self,
		encoder: wgpu::CommandEncoder,
		readback: &wgpu::Buffer,
		bytes: u64,
		words: usize,
	) -> Result<Vec<u32>, Error> {
		self.check()?;
		let submission = self.queue.submit([encoder.finish()]);
		let slice = readback.slice(..bytes);
		let (sender, receiver) = std::sync::mpsc::channel();
		slice.map_async(wgpu::MapMode::Read, move |result| {
			let _ = sender.send(result);
		});
		let waited = self.device.poll(wgpu::PollType::Wait {
			submission_index: Some(submission),
			timeout: Some(self.timeout),
		});
		if let Err(e) = waited {
			let timed_out = matches!(e, wgpu::PollError::Timeout);
			self.health.fail(format!("waiting for a batch: {e}"));
			return Err(if timed_out {
				Error::Timeout { after: self.timeout }
			} else {
				Error::DeviceLost { reason: e.to_string() }
			});
		}
		self.check()?;
		let mapped = receiver.try_recv();
		match mapped {
			Ok(Ok(())) => {}
			Ok(Err(e)) => {
				self.health.fail(format!("mapping the results: {e}"));
				return Err(Error::DeviceLost { reason: e.to_string() });
			}
			Err(e) => {
				self.health.fail(format!("the results were not mapped after the wait: {e}"));
				return Err(Error::DeviceLost { reason: e.to_string() });
			}
		}
		let view = slice.get_mapped_range().map_err(|e| {
			self.health.fail(format!("reading the results: {e}"));
			Error::DeviceLost { reason: e.to_string() }
		})?;
		let out: Vec<u32> = bytemuck::cast_slice(&view)[..words].to_vec();
		drop(view);
		readback.unmap();
		Ok(out)
	}

	/// An error when the device can no longer be used. Polls first: wgpu reports a lost
	/// device to its callback while it maintains the device, not when the loss happens.
	fn check(&self) -> Result<(), Error> {
		if let Err(e) = self.device.poll(wgpu::PollType::Poll) {
			self.health.fail(format!("polling the device: {e}"));
		}
		match self.health.failure() {
			Some(reason) => Err(Error::DeviceLost { reason }),
			None => Ok(()),
		}
	}

	/// Splits a batch into chunks whose laid-out data fits one storage binding.
	fn chunks(&self, sizes: impl Iterator<Item = usize>, overhead: usize) -> Vec<(usize, usize)> {
		let limit = usize::try_from(self.max_binding).unwrap_or(usize::MAX);
		let mut chunks = Vec::new();
		let (mut start, mut used, mut end) = (0, 0usize, 0);
		for size in sizes {
			let size = size.saturating_add(overhead);
			if end > start && used.saturating_add(size) > limit {
				chunks.push((start, end));
				start = end;
				used = 0;
			}
			used = used.saturating_add(size);
			end += 1;
		}
		if end > start {
			chunks.push((start, end));
		}
		chunks
	}

	/// Runs the blake2b kernel over `messages`, chunk by chunk; `expected` switches it to its
	/// verify form. Calls `each` with every chunk's first index and output words.
	fn blake2b_run(
		&self,
		messages: &[&[u8]],
		expected: Option<&[[u8; 32]]>,
		mut each: impl FnMut(usize, Vec<u32>),
	) -> Result<(), Error> {
		// Before any buffer is made: wgpu panics on a buffer mapped at creation (the inputs')
		// once the device is lost, and the caller must get an error to fall back on instead.
		self.check()?;
		let block_len = |m: &[u8]| blake2b_blocks(m) * BLAKE2B_BLOCK;
		for (index, m) in messages.iter().enumerate() {
			if block_len(m) as u64 > self.max_binding || u32::try_from(m.len()).is_err() {
				return Err(Error::MessageTooLarge {
					index,
					len: m.len(),
					max: self.max_binding.min(u32::MAX as u64) as usize,
				});
			}
		}
		for (start, end) in self.chunks(messages.iter().map(|m| block_len(m)), 0) {
			let chunk = &messages[start..end];
			let mut words = Vec::with_capacity(chunk.iter().map(|m| block_len(m) / 4).sum());
			let mut descriptors = Vec::with_capacity(chunk.len() * 2);
			for m in chunk {
				let offset = words.len();
				descriptors.extend([offset as u32, m.len() as u32]);
				push_le_words(&mut words, m);
				words.resize(offset + block_len(m) / 4, 0);
			}
			let data = self.storage("blake2b data", &words);
			let descriptors = self.storage("blake2b messages", &descriptors);
			let wanted: Vec<u32> = expected
				.map(|e| {
					e[start..end].iter().flat_map(|d| d.chunks_exact(4).map(le_word)).collect()
				})
				.unwrap_or_default();
			let wanted = self.storage("blake2b expected", &wanted);
			let count = chunk.len() as u32;
			let verify = u32::from(expected.is_some());
			let out_words = if expected.is_some() { chunk.len() } else { chunk.len() * 8 };
			each(
				start,
				self.run(
					self.blake2b_kernel(),
					"blake2b256",
					&[&data, &descriptors, &wanted],
					chunk.len() * 16,
					out_words,
					&blake2b_passes(chunk, count, verify),
					count,
				)?,
			);
		}
		Ok(())
	}

	/// blake2b-256 of each message.
	pub(crate) fn blake2b_digests(&self, messages: &[&[u8]]) -> Result<Vec<[u8; 32]>, Error> {
		let mut digests = Vec::with_capacity(messages.len());
		self.blake2b_run(messages, None, |_, words| {
			digests.extend(words.chunks_exact(8).map(|w| {
				let mut digest = [0u8; 32];
				digest.copy_from_slice(bytemuck::cast_slice(w));
				digest
			}))
		})?;
		Ok(digests)
	}

	/// The indices of the messages whose blake2b-256 differs from `expected`, ascending.
	pub(crate) fn blake2b_differing(
		&self,
		messages: &[&[u8]],
		expected: &[[u8; 32]],
	) -> Result<Vec<usize>, Error> {
		let mut differing = Vec::new();
		self.blake2b_run(messages, Some(expected), |start, flags| {
			differing
				.extend(flags.iter().enumerate().filter(|(_, f)| **f != 0).map(|(i, _)| start + i))
		})?;
		Ok(differing)
	}

	/// One verdict per triple.
	pub(crate) fn ed25519(&self, items: &[Ed25519Item<'_>]) -> Result<Vec<bool>, Error> {
		self.check()?;
		let kernel = self.ed25519_kernel();
		let mut verdicts = Vec::with_capacity(items.len());
		let padded = |m: &[u8]| m.len().div_ceil(4) * 4;
		let mut buffers = self.ed25519_buffers.lock().unwrap_or_else(|e| e.into_inner());
		for (start, end) in self.chunks(items.iter().map(|i| padded(i.message)), 96) {
			let chunk = &items[start..end];
			let data_words = chunk.iter().map(|i| i.message.len().div_ceil(4)).sum::<usize>();
			let fits = buffers
				.as_ref()
				.is_some_and(|b| b.items >= chunk.len() && b.data_words >= data_words);
			if !fits {
				let packed = buffers.take().map(|b| b.packed).unwrap_or_default();
				*buffers = Some(self.ed25519_buffers(kernel, chunk.len(), data_words, packed));
			}
			let b = buffers.as_mut().expect("made above when missing or too small");
			b.packed.pack(chunk);
			let count = chunk.len() as u32;
			for (buffer, words) in [
				(&b.keys, &b.packed.keys),
				(&b.signatures, &b.packed.signatures),
				(&b.messages, &b.packed.messages),
				(&b.data, &b.packed.data),
			] {
				if !words.is_empty() {
					self.queue.write_buffer(buffer, 0, bytemuck::cast_slice(words));
				}
			}
			self.queue.write_buffer(&b.params, 0, bytemuck::cast_slice(&[count, 0, 0, 0]));
			let (x, y) = dispatch_grid(count);
			let mut encoder = self
				.device
				.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("ed25519") });
			{
				let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
					label: Some("ed25519_verify"),
					timestamp_writes: None,
				});
				pass.set_pipeline(&kernel.kernel.pipeline);
				pass.set_bind_group(0, &b.bind_group, &[]);
				pass.dispatch_workgroups(x, y, 1);
			}
			let bytes = u64::from(count) * 4;
			encoder.copy_buffer_to_buffer(&b.verdicts, 0, &b.readback, 0, bytes);
			let words = self.read_back(encoder, &b.readback, bytes, chunk.len())?;
			verdicts.extend(words.iter().map(|w| *w == 1));
		}
		Ok(verdicts)
	}

	/// Buffers for chunks of up to `items` triples and `data_words` words of messages, each
	/// rounded up to a power of two so that a growing load reallocates rarely.
	fn ed25519_buffers(
		&self,
		kernel: &Ed25519Kernel,
		items: usize,
		data_words: usize,
		packed: Packed,
	) -> Ed25519Buffers {
		// Rounded up, but no binding past the device's limit (a signature takes 64 bytes).
		let max_items = usize::try_from(self.max_binding / 64).unwrap_or(usize::MAX);
		let items = items.max(1).next_power_of_two().min(max_items.max(items));
		let data_words = data_words.max(1).next_power_of_two();
		let limit = usize::try_from(self.max_binding / 4).unwrap_or(usize::MAX);
		let data_words = data_words.min(limit.max(1));
		let buffer = |label: &str, words: usize, usage: wgpu::BufferUsages| {
			self.device.create_buffer(&wgpu::BufferDescriptor {
				label: Some(label),
				size: (words * 4) as u64,
				usage,
				mapped_at_creation: false,
			})
		};
		let input = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
		let keys = buffer("ed25519 keys", items * 8, input);
		let signatures = buffer("ed25519 signatures", items * 16, input);
		let messages = buffer("ed25519 messages", items * 2, input);
		let data = buffer("ed25519 data", data_words, input);
		let verdicts = buffer(
			"ed25519 verdicts",
			items,
			wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
		);
		let readback = buffer(
			"ed25519 readback",
			items,
			wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
		);
		let params =
			buffer("ed25519 params", 4, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST);
		let bound = [&keys, &signatures, &messages, &data, &verdicts, &params, &kernel.base_table];
		let entries = bind_entries(bound);
		let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
			label: Some("ed25519_verify"),
			layout: &kernel.kernel.layout,
			entries: &entries,
		});
		Ed25519Buffers {
			items,
			data_words,
			keys,
			signatures,
			messages,
			data,
			verdicts,
			readback,
			params,
			bind_group,
			packed,
		}
	}
}

/// Blocks each blake2b dispatch compresses per message: with at most 16 iterations of any loop
/// per block, no loop of the kernel runs more than 65535 times in a dispatch (llvmpipe's limit).
const BLAKE2B_BLOCKS_PER_PASS: u32 = 2048;

/// The blocks BLAKE2b compresses for `message`: an empty message still takes one.
fn blake2b_blocks(message: &[u8]) -> usize {
	message.len().div_ceil(BLAKE2B_BLOCK).max(1)
}

/// One uniform per dispatch: enough dispatches for the longest message of the chunk.
fn blake2b_passes(chunk: &[&[u8]], count: u32, verify: u32) -> Vec<[u32; 4]> {
	let longest = chunk.iter().map(|m| blake2b_blocks(m)).max().unwrap_or(1);
	let passes = (longest as u32).div_ceil(BLAKE2B_BLOCKS_PER_PASS);
	(0..passes)
		.map(|p| [count, verify, p * BLAKE2B_BLOCKS_PER_PASS, BLAKE2B_BLOCKS_PER_PASS])
		.collect()
}

/// Appends `bytes` as little-endian words, the last one zero-padded.
fn push_le_words(words: &mut Vec<u32>, bytes: &[u8]) {
	words.extend(bytes.chunks(4).map(|piece| {
		let mut word = [0u8; 4];
		word[..piece.len()].copy_from_slice(piece);
		u32::from_le_bytes(word)
	}));
}

fn le_word(b: &[u8]) -> u32 {
	u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Bind group entries for `buffers`, each bound whole at its position.
fn bind_entries<'a>(
	buffers: impl IntoIterator<Item = &'a wgpu::Buffer>,
) -> Vec<wgpu::BindGroupEntry<'a>> {
	buffers
		.into_iter()
		.enumerate()
		.map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
		.collect()
}
