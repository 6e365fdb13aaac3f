//! The wgpu context and the two kernels' host code.

use crate::{Ed25519Item, Error};
use std::{borrow::Cow, sync::OnceLock};
use wgpu::util::DeviceExt;

/// Invocations per workgroup in every kernel (`@workgroup_size(64)`).
const WORKGROUP_SIZE: u32 = 64;
/// The most workgroups in one dimension of a dispatch.
const MAX_GROUPS_PER_DIMENSION: u32 = 65_535;
/// BLAKE2b's block: messages are laid out at block boundaries, zero-padded to whole blocks.
const BLAKE2B_BLOCK: usize = 128;

const BLAKE2B_SOURCE: &str = concat!(
	include_str!("shaders/u64.wgsl"),
	include_str!("shaders/blake2b_compress.wgsl"),
	include_str!("shaders/blake2b256.wgsl"),
);

/// The ed25519 kernel and the probes over one field representation (`shaders/field25519_<r>*`
/// and `shaders/ed25519_consts_<r>.wgsl`): `$tail` is the entry points' file.
macro_rules! ed25519_source {
	($r:literal, $tail:literal) => {
		concat!(
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
	/// 8 limbs of 32 bits with 64-bit products: 64 products. Needs `SHADER_INT64`.
	Words32,
}

impl Arithmetic {
	/// Every representation, in the order the benchmark reports them.
	pub const ALL: [Arithmetic; 3] =
		[Arithmetic::Limbs13, Arithmetic::Limbs16, Arithmetic::Words32];

	/// Its name in benchmark tables and on the command line.
	pub fn name(self) -> &'static str {
		match self {
			Arithmetic::Limbs13 => "13-bit limbs",
			Arithmetic::Limbs16 => "16-bit limbs",
			Arithmetic::Words32 => "32-bit limbs, int64",
		}
	}

	/// The wgpu features the representation needs.
	pub fn features(self) -> wgpu::Features {
		match self {
			Arithmetic::Limbs13 | Arithmetic::Limbs16 => wgpu::Features::empty(),
			Arithmetic::Words32 => wgpu::Features::SHADER_INT64,
		}
	}

	/// The representation a context uses unless told otherwise: 32-bit limbs where the device
	/// has 64-bit integers, else 16-bit limbs. Chosen by measurement (BENCHMARKS.md, lavapipe,
	/// the only adapter measured so far): 32-bit limbs verify 2.7 times as fast as 16-bit limbs,
	/// which verify 1.3 times as fast as 13-bit limbs.
	pub fn preferred(features: wgpu::Features) -> Arithmetic {
		if features.contains(Arithmetic::Words32.features()) {
			Arithmetic::Words32
		} else {
			Arithmetic::Limbs16
		}
	}

	fn verify_source(self) -> &'static str {
		match self {
			Arithmetic::Limbs13 => ed25519_source!("l13", "shaders/ed25519_verify.wgsl"),
			Arithmetic::Limbs16 => ed25519_source!("l16", "shaders/ed25519_verify.wgsl"),
			Arithmetic::Words32 => ed25519_source!("w32", "shaders/ed25519_verify.wgsl"),
		}
	}

	fn probe_source(self) -> &'static str {
		match self {
			Arithmetic::Limbs13 => ed25519_source!("l13", "shaders/probe.wgsl"),
			Arithmetic::Limbs16 => ed25519_source!("l16", "shaders/probe.wgsl"),
			Arithmetic::Words32 => ed25519_source!("w32", "shaders/probe.wgsl"),
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
			other => Err(format!("unknown field arithmetic {other:?}; use l13, l16 or w32")),
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
		Self::with_entry(device, label, source, "main")
	}

	fn with_entry(device: &wgpu::Device, label: &str, source: &str, entry: &str) -> Self {
		let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
			label: Some(label),
			source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(source)),
		});
		let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
			label: Some(label),
			layout: None,
			module: &module,
			entry_point: Some(entry),
			compilation_options: Default::default(),
			cache: None,
		});
		let layout = pipeline.get_bind_group_layout(0);
		Self { pipeline, layout }
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
	// Compiled on first use: a software adapter takes a while to compile the ed25519 kernel.
	blake2b: OnceLock<Kernel>,
	ed25519: OnceLock<Kernel>,
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
		Self {
			device,
			queue,
			info,
			max_binding,
			arithmetic,
			blake2b: OnceLock::new(),
			ed25519: OnceLock::new(),
		}
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
		Ok(Self { arithmetic, ed25519: OnceLock::new(), ..self })
	}

	/// Whether the device has what `arithmetic` needs.
	pub fn supports(&self, arithmetic: Arithmetic) -> bool {
		self.device.features().contains(arithmetic.features())
	}

	/// The field representation of the ed25519 kernel.
	pub fn arithmetic(&self) -> Arithmetic {
		self.arithmetic
	}

	fn ed25519_kernel(&self) -> &Kernel {
		self.ed25519.get_or_init(|| {
			Kernel::new(&self.device, "ed25519_verify", self.arithmetic.verify_source())
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
		let kernel = Kernel::with_entry(&self.device, entry, self.arithmetic.probe_source(), entry);
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
				let mut entries: Vec<wgpu::BindGroupEntry> = bound
					.iter()
					.enumerate()
					.map(|(i, b)| wgpu::BindGroupEntry {
						binding: i as u32,
						resource: b.as_entire_binding(),
					})
					.collect();
				entries.push(wgpu::BindGroupEntry {
					binding: bound.len() as u32,
					resource: uniform.as_entire_binding(),
				});
				self.device.create_bind_group(&wgpu::BindGroupDescriptor {
					label: Some(label),
					layout: &kernel.layout,
					entries: &entries,
				})
			})
			.collect();

		let groups = count.div_ceil(WORKGROUP_SIZE).max(1);
		let x = groups.min(MAX_GROUPS_PER_DIMENSION);
		let y = groups.div_ceil(x);
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
		self.queue.submit([encoder.finish()]);

		let slice = readback.slice(..);
		let (sender, receiver) = std::sync::mpsc::channel();
		slice.map_async(wgpu::MapMode::Read, move |result| {
			let _ = sender.send(result);
		});
		self.device
			.poll(wgpu::PollType::wait_indefinitely())
			.map_err(|e| Error::Device(e.to_string()))?;
		receiver
			.recv()
			.map_err(|e| Error::Device(e.to_string()))?
			.map_err(|e| Error::Device(e.to_string()))?;
		let view = slice.get_mapped_range().map_err(|e| Error::Device(e.to_string()))?;
		let words: Vec<u32> = bytemuck::cast_slice(&view)[..out_words].to_vec();
		drop(view);
		readback.unmap();
		Ok(words)
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
		let mut verdicts = Vec::with_capacity(items.len());
		let padded = |m: &[u8]| m.len().div_ceil(4) * 4;
		for (start, end) in self.chunks(items.iter().map(|i| padded(i.message)), 96) {
			let chunk = &items[start..end];
			let mut keys = Vec::with_capacity(chunk.len() * 8);
			let mut signatures = Vec::with_capacity(chunk.len() * 16);
			let mut descriptors = Vec::with_capacity(chunk.len() * 2);
			let mut data = Vec::new();
			for item in chunk {
				keys.extend(item.public.chunks_exact(4).map(le_word));
				signatures.extend(item.signature.chunks_exact(4).map(le_word));
				descriptors.extend([data.len() as u32, item.message.len() as u32]);
				push_le_words(&mut data, item.message);
			}
			let keys = self.storage("ed25519 keys", &keys);
			let signatures = self.storage("ed25519 signatures", &signatures);
			let descriptors = self.storage("ed25519 messages", &descriptors);
			let data = self.storage("ed25519 data", &data);
			let count = chunk.len() as u32;
			let words = self.run(
				self.ed25519_kernel(),
				"ed25519_verify",
				&[&keys, &signatures, &descriptors, &data],
				0,
				chunk.len(),
				&[[count, 0, 0, 0]],
				count,
			)?;
			verdicts.extend(words.iter().map(|w| *w == 1));
		}
		Ok(verdicts)
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
