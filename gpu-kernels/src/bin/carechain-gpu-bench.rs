//! Throughput of batch ed25519 verification and blake2b-256 hashing, GPU against CPU (all
//! cores), for batch sizes from 1 to 1,048,576: a table on stdout, `bench.json` and
//! `throughput.png` in the output folder, and the crossover batch sizes. The ed25519 kernel is
//! measured with each field representation the adapter runs (`--arithmetic`, default all of
//! l13, l16, w32 and r26), and the fastest is named.
//!
//! ```text
//! cargo run --release -p carechain-gpu --features bench --bin carechain-gpu-bench -- \
//!     [--max-batch N] [--budget-secs S] [--out DIR] [--arithmetic l13,l16,w32,r26] \
//!     [--differential N] [--no-sweep] [--hardware-only]
//! ```
//!
//! `--hardware-only` refuses a software adapter such as lavapipe (scripts/gpu-check.sh passes
//! it, so a machine whose GPU driver is missing fails instead of measuring the CPU).
//!
//! `--differential N` first checks N triples of `carechain_gpu::differential` (random and
//! adversarial: the generator of `tests/differential.rs`) on the GPU with each representation
//! against `sp_core` verdict by verdict, prints every difference (the first 20 in full) and
//! records the counts in `bench.json`; the process exits with an error when there is one.
//! `--no-sweep` skips the throughput sweep.
//!
//! A measurement whose predecessor took more than a quarter of the budget is skipped (4x the
//! batch, about 4x the time), so a slow adapter such as lavapipe stops early.

// A measuring tool: counts and rates are small and checked by eye.
#![allow(clippy::arithmetic_side_effects)]

use carechain_gpu::{AdapterPolicy, Arithmetic, Backend, Ed25519Item, GpuContext, Mode, Verifier};
use plotters::prelude::*;
use sp_core::{ed25519, Pair};
use std::{
	path::PathBuf,
	time::{Duration, Instant},
};

struct Options {
	max_batch: usize,
	differential: usize,
	sweep: bool,
	hardware_only: bool,
	arithmetic: Vec<Arithmetic>,
	budget: Duration,
	out: PathBuf,
}

fn options() -> Result<Options, String> {
	let mut options = Options {
		max_batch: 1 << 20,
		differential: 0,
		sweep: true,
		hardware_only: false,
		arithmetic: Arithmetic::ALL.to_vec(),
		budget: Duration::from_secs(20),
		out: PathBuf::from("target/carechain-gpu-bench"),
	};
	let mut args = std::env::args().skip(1);
	while let Some(flag) = args.next() {
		let mut value = || args.next().ok_or(format!("{flag} needs a value"));
		match flag.as_str() {
			"--max-batch" => {
				options.max_batch = value()?.parse().map_err(|e| format!("--max-batch: {e}"))?
			}
			"--budget-secs" => {
				let secs: f64 = value()?.parse().map_err(|e| format!("--budget-secs: {e}"))?;
				options.budget = Duration::from_secs_f64(secs);
			}
			"--out" => options.out = PathBuf::from(value()?),
			"--differential" => {
				options.differential =
					value()?.parse().map_err(|e| format!("--differential: {e}"))?
			}
			"--no-sweep" => options.sweep = false,
			"--hardware-only" => options.hardware_only = true,
			"--arithmetic" => {
				options.arithmetic = value()?
					.split(',')
					.map(str::parse)
					.collect::<Result<_, _>>()
					.map_err(|e| format!("--arithmetic: {e}"))?
			}
			other => return Err(format!("unknown flag {other}; see the doc comment at the top")),
		}
	}
	Ok(options)
}

/// One measured point.
#[derive(Clone)]
struct Point {
	kernel: &'static str,
	backend: String,
	batch: usize,
	seconds: f64,
	per_second: f64,
	bytes_per_second: f64,
}

/// Measures `run` at every batch size, stopping once the next size would exceed the budget.
fn sweep(
	kernel: &'static str,
	backend: &str,
	sizes: &[usize],
	budget: Duration,
	bytes_per_item: usize,
	mut run: impl FnMut(usize) -> Backend,
) -> Vec<Point> {
	let mut points = Vec::new();
	for &batch in sizes {
		if points.last().is_some_and(|p: &Point| p.seconds * 4.0 > budget.as_secs_f64()) {
			eprintln!("{kernel} {backend}: skipping batches from {batch} (over the time budget)");
			break;
		}
		let started = Instant::now();
		let ran_on = run(batch);
		let seconds = started.elapsed().as_secs_f64();
		let expected = if backend.starts_with("gpu") { Backend::Gpu } else { Backend::Cpu };
		assert_eq!(ran_on, expected, "{kernel} {backend} ran on {ran_on:?}");
		let per_second = batch as f64 / seconds;
		points.push(Point {
			kernel,
			backend: backend.to_owned(),
			batch,
			seconds,
			per_second,
			bytes_per_second: per_second * bytes_per_item as f64,
		});
	}
	points
}

/// The smallest batch at which the GPU series `gpu` of `kernel` is at least as fast as the CPU.
fn crossover(points: &[Point], kernel: &str, gpu: &str) -> Option<usize> {
	let rate = |backend: &str, batch: usize| {
		points
			.iter()
			.find(|p| p.kernel == kernel && p.backend == backend && p.batch == batch)
			.map(|p| p.per_second)
	};
	points
		.iter()
		.filter(|p| p.kernel == kernel && p.backend == gpu)
		.find(|p| rate("cpu", p.batch).is_some_and(|cpu| p.per_second >= cpu))
		.map(|p| p.batch)
}

/// The GPU series of the ed25519 kernel with one field representation.
fn ed25519_series(arithmetic: Arithmetic) -> String {
	format!("gpu, {}", arithmetic.name())
}

fn plot(points: &[Point], adapter: &str, path: &std::path::Path) -> Result<(), String> {
	let root = BitMapBackend::new(path, (1100, 700)).into_drawing_area();
	root.fill(&WHITE).map_err(|e| e.to_string())?;
	let max_batch = points.iter().map(|p| p.batch).max().unwrap_or(1) as f64;
	let max_rate = points.iter().map(|p| p.per_second).fold(1.0, f64::max) * 2.0;
	let min_rate =
		points.iter().map(|p| p.per_second).fold(max_rate / 4.0, f64::min).max(1e-3) / 2.0;
	let mut chart = ChartBuilder::on(&root)
		.caption(format!("carechain-gpu throughput on {adapter}"), ("sans-serif", 22))
		.margin(20)
		.x_label_area_size(50)
		.y_label_area_size(80)
		.build_cartesian_2d(
			(1f64..max_batch.max(2.0)).log_scale(),
			(min_rate..max_rate).log_scale(),
		)
		.map_err(|e| e.to_string())?;
	chart
		.configure_mesh()
		.x_desc("batch size")
		.y_desc("operations per second")
		.draw()
		.map_err(|e| e.to_string())?;
	let series = [
		("ed25519", ed25519_series(Arithmetic::Limbs13), RED),
		("ed25519", ed25519_series(Arithmetic::Limbs16), GREEN),
		("ed25519", ed25519_series(Arithmetic::Words32), BLACK),
		("ed25519", ed25519_series(Arithmetic::Limbs26), RGBColor(255, 140, 0)),
		("ed25519", "cpu".to_owned(), BLUE),
		("blake2b-256 1 KiB", "gpu".to_owned(), MAGENTA),
		("blake2b-256 1 KiB", "cpu".to_owned(), CYAN),
	];
	for (kernel, backend, color) in series {
		let data: Vec<(f64, f64)> = points
			.iter()
			.filter(|p| p.kernel == kernel && p.backend == backend)
			.map(|p| (p.batch as f64, p.per_second))
			.collect();
		if data.is_empty() {
			continue;
		}
		chart
			.draw_series(LineSeries::new(data.clone(), color.stroke_width(2)))
			.map_err(|e| e.to_string())?
			.label(format!("{kernel} {backend}"))
			.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
		chart
			.draw_series(data.into_iter().map(|p| Circle::new(p, 3, color.filled())))
			.map_err(|e| e.to_string())?;
	}
	chart
		.configure_series_labels()
		.background_style(WHITE.mix(0.8))
		.border_style(BLACK)
		.draw()
		.map_err(|e| e.to_string())?;
	root.present().map_err(|e| e.to_string())
}

/// Differences against sp-core per representation, over `count` cases of the differential
/// generator, made and checked on the CPU in chunks while the GPU verifies them.
fn differential(gpus: &[(Arithmetic, Verifier)], count: usize) -> (Vec<(Arithmetic, usize)>, f64) {
	const SEED: u64 = 25;
	const CHUNK: usize = 1 << 18;
	let started = Instant::now();
	let mut differences: Vec<(Arithmetic, usize)> = gpus.iter().map(|(a, _)| (*a, 0)).collect();
	let mut start = 0;
	while start < count {
		let n = CHUNK.min(count - start);
		let cases = carechain_gpu::differential::cases(SEED, start as u64, n);
		let items: Vec<Ed25519Item> = cases.iter().map(|c| c.item()).collect();
		let expected = carechain_gpu::cpu::verify_ed25519_each(&items);
		for ((arithmetic, verifier), (_, differing)) in gpus.iter().zip(&mut differences) {
			let (verdicts, backend) = verifier.verify_ed25519(&items).expect("verifies");
			assert_eq!(backend, Backend::Gpu, "{} fell back to the CPU", arithmetic.name());
			for (i, (got, want)) in verdicts.iter().zip(&expected).enumerate() {
				if got != want {
					*differing += 1;
					if *differing <= 20 {
						eprintln!(
							"DIFFERENCE {}: case {} ({}): GPU {got}, sp-core {want}: {:02x?}",
							arithmetic.name(),
							start + i,
							cases[i].kind,
							cases[i].item()
						);
					}
				}
			}
		}
		start += n;
		eprintln!("differential: {start} of {count} checked in {:.1?}", started.elapsed());
	}
	(differences, started.elapsed().as_secs_f64())
}

fn main() -> Result<(), String> {
	let options = options()?;
	let sizes: Vec<usize> = std::iter::successors(Some(1usize), |s| Some(s * 4))
		.take_while(|s| *s <= options.max_batch)
		.collect();

	let gpu = Verifier::new(Mode::Gpu).map_err(|e| e.to_string())?;
	let cpu = Verifier::new(Mode::Cpu).map_err(|e| e.to_string())?;
	let context = gpu.gpu().ok_or("Mode::Gpu has a context")?;
	let adapter = context.adapter_name();
	if options.hardware_only && context.is_software() {
		return Err(format!("{adapter} is a software adapter and --hardware-only was given"));
	}
	let started = Instant::now();
	context.warm_up();
	eprintln!("adapter: {adapter}; kernels compiled in {:.1?}", started.elapsed());
	// One verifier per field representation the adapter runs.
	let mut ed25519_gpus = Vec::new();
	for &arithmetic in &options.arithmetic {
		let context = GpuContext::new(AdapterPolicy::AllowSoftware).map_err(|e| e.to_string())?;
		match context.with_arithmetic(arithmetic) {
			Ok(context) => {
				let started = Instant::now();
				context.warm_up();
				eprintln!("{}: compiled in {:.1?}", arithmetic.name(), started.elapsed());
				ed25519_gpus.push((arithmetic, Verifier::with_context(context, Mode::Gpu)));
			}
			Err(e) => eprintln!("not measured: {e}"),
		}
	}
	let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
	println!("adapter: {adapter}");
	let (differences, differential_seconds) = if options.differential > 0 {
		differential(&ed25519_gpus, options.differential)
	} else {
		(Vec::new(), 0.0)
	};
	for (arithmetic, differing) in &differences {
		println!(
			"differential, {}: {differing} differences from sp-core in {} triples",
			arithmetic.name(),
			options.differential
		);
	}

	// 4096 distinct signed messages of 128 bytes, repeated to fill larger batches: every
	// verification does the same work whether or not its triple repeats.
	let pool: Vec<(Vec<u8>, [u8; 32], [u8; 64])> = (0..4096u32)
		.map(|i| {
			let pair = ed25519::Pair::from_seed(&carechain_gpu::cpu::blake2b_256(&i.to_le_bytes()));
			let message: Vec<u8> =
				(0..128).map(|j| (i as u8).wrapping_mul(31).wrapping_add(j)).collect();
			let signature = pair.sign(&message).0;
			(message, pair.public().0, signature)
		})
		.collect();
	let items: Vec<Ed25519Item> = (0..options.max_batch)
		.map(|i| {
			let (message, public, signature) = &pool[i % pool.len()];
			Ed25519Item { message, public, signature }
		})
		.collect();
	let blobs: Vec<Vec<u8>> = (0..4096u32).map(|i| vec![i as u8; 1024]).collect();
	let blob_refs: Vec<&[u8]> =
		(0..options.max_batch).map(|i| blobs[i % blobs.len()].as_slice()).collect();

	let verify = |verifier: &Verifier, n: usize| {
		let (verdicts, backend) = verifier.verify_ed25519(&items[..n]).expect("verifies");
		assert!(verdicts.iter().all(|v| *v), "every benchmark signature is valid");
		backend
	};
	let hash =
		|verifier: &Verifier, n: usize| verifier.blake2b_256(&blob_refs[..n]).expect("hashes").1;
	// Drivers may compile a pipeline at its first dispatch (lavapipe does): run each kernel
	// once before measuring.
	let started = Instant::now();
	for (_, verifier) in &ed25519_gpus {
		verify(verifier, 1);
	}
	hash(&gpu, 1);
	eprintln!("first dispatches took {:.1?}", started.elapsed());

	let mut points = Vec::new();
	let sizes = if options.sweep { sizes } else { Vec::new() };
	points.extend(sweep("ed25519", "cpu", &sizes, options.budget, 128, |n| verify(&cpu, n)));
	for (arithmetic, verifier) in &ed25519_gpus {
		let series = ed25519_series(*arithmetic);
		points.extend(sweep("ed25519", &series, &sizes, options.budget, 128, |n| {
			verify(verifier, n)
		}));
	}
	points
		.extend(sweep("blake2b-256 1 KiB", "cpu", &sizes, options.budget, 1024, |n| hash(&cpu, n)));
	points
		.extend(sweep("blake2b-256 1 KiB", "gpu", &sizes, options.budget, 1024, |n| hash(&gpu, n)));

	println!("cpu: {cores} cores");
	println!(
		"{:<18} {:<26} {:>9} {:>12} {:>14} {:>10}",
		"kernel", "on", "batch", "seconds", "per second", "GB/s"
	);
	for p in &points {
		println!(
			"{:<18} {:<26} {:>9} {:>12.6} {:>14.0} {:>10.4}",
			p.kernel,
			p.backend,
			p.batch,
			p.seconds,
			p.per_second,
			p.bytes_per_second / 1e9
		);
	}
	// The fastest representation at the largest batch that all of them reached.
	let largest_common = ed25519_gpus
		.iter()
		.filter_map(|(a, _)| {
			let series = ed25519_series(*a);
			points.iter().filter(|p| p.backend == series).map(|p| p.batch).max()
		})
		.min();
	let fastest = ed25519_gpus
		.iter()
		.filter_map(|(a, _)| {
			let series = ed25519_series(*a);
			points
				.iter()
				.find(|p| p.backend == series && Some(p.batch) == largest_common)
				.map(|p| (*a, p.per_second))
		})
		.max_by(|x, y| x.1.total_cmp(&y.1))
		.map(|(a, _)| a);
	let ed_crossovers: Vec<(Arithmetic, Option<usize>)> = ed25519_gpus
		.iter()
		.map(|(a, _)| (*a, crossover(&points, "ed25519", &ed25519_series(*a))))
		.collect();
	let blake_crossover = crossover(&points, "blake2b-256 1 KiB", "gpu");
	for (arithmetic, batch) in &ed_crossovers {
		println!("ed25519 crossover batch, {}: {batch:?}", arithmetic.name());
	}
	if let (Some(fastest), Some(batch)) = (fastest, largest_common) {
		println!("fastest ed25519 field arithmetic at batch {batch}: {}", fastest.name());
	}
	println!("blake2b-256 crossover batch: {blake_crossover:?}");

	std::fs::create_dir_all(&options.out).map_err(|e| e.to_string())?;
	let json = serde_json::json!({
		"adapter": adapter,
		"cpu_cores": cores,
		"ed25519_crossover": ed_crossovers
			.iter()
			.map(|(a, batch)| (a.name().to_string(), serde_json::json!(batch)))
			.collect::<serde_json::Map<_, _>>(),
		"ed25519_fastest_arithmetic": fastest.map(Arithmetic::name),
		"blake2b_crossover": blake_crossover,
		"differential": {
			"triples": options.differential,
			"seconds": differential_seconds,
			"differences": differences
				.iter()
				.map(|(a, n)| (a.name().to_string(), serde_json::json!(n)))
				.collect::<serde_json::Map<_, _>>(),
		},
		"points": points.iter().map(|p| serde_json::json!({
			"kernel": p.kernel,
			"backend": p.backend,
			"batch": p.batch,
			"seconds": p.seconds,
			"per_second": p.per_second,
			"bytes_per_second": p.bytes_per_second,
		})).collect::<Vec<_>>(),
	});
	let json_path = options.out.join("bench.json");
	std::fs::write(&json_path, serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?)
		.map_err(|e| e.to_string())?;
	let png_path = options.out.join("throughput.png");
	plot(&points, &adapter, &png_path)?;
	eprintln!("wrote {} and {}", json_path.display(), png_path.display());
	let total: usize = differences.iter().map(|(_, n)| n).sum();
	if total > 0 {
		return Err(format!("{total} differences from sp-core; see DIFFERENCE lines above"));
	}
	Ok(())
}
