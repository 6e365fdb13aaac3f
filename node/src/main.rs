//! `carechain`: the Carechain node.

use carechain_node::panics;

/// jemalloc rather than glibc's malloc: the node frees on one thread what another allocated
/// (a block's state changes are built on one and dropped on another while the next is built),
/// and glibc serialises those frees on its arena lock (issue 19: `node/BENCHMARKS.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use carechain_node::{
	chain_spec::ChainSpec,
	client::Client,
	consensus::{self, Role},
	db::ChainDb,
	keys,
	pool::{Pool, PoolLimits},
	rpc,
	service::Node,
	signatures::BatchVerifier,
};
use clap::{Parser, Subcommand};
use sp_core::{crypto::Pair as _, crypto::Ss58Codec, ed25519, sr25519};
use std::{
	net::{Ipv4Addr, SocketAddr},
	path::{Path, PathBuf},
	sync::Arc,
	time::Duration,
};

/// The Carechain node.
#[derive(Parser, Debug)]
#[command(name = "carechain", version, about)]
struct Cli {
	#[command(subcommand)]
	command: Option<Command>,
	#[command(flatten)]
	run: RunArgs,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
	/// Run a single-validator development chain: the `dev` spec, Alice as validator, and a
	/// temporary base path unless --base-path is given.
	#[arg(long)]
	dev: bool,
	/// Where the node keeps its database and consensus log.
	#[arg(long, short = 'd')]
	base_path: Option<PathBuf>,
	/// `dev`, `local`, or the path of a chain spec JSON file.
	#[arg(long)]
	chain: Option<String>,
	/// The JSON-RPC port (HTTP and WebSocket) on 127.0.0.1.
	#[arg(long, default_value_t = 9944)]
	rpc_port: u16,
	/// Listen for RPC on all interfaces, not only 127.0.0.1.
	#[arg(long)]
	rpc_external: bool,
	/// Authenticate RPC callers: `on` answers anonymous callers only what is public by design
	/// (versions, metadata, headers, health, sign-in, submitting signed transactions), raw state
	/// and blocks only to members of active organizations, and a patient's data only to the
	/// patient, a guardian or a grantee; `off` answers everyone everything. On by default with
	/// --rpc-external, off on loopback.
	#[arg(long, value_name = "on|off")]
	rpc_auth: Option<Switch>,
	/// Seconds a session token lives; `auth_renew` gives a fresh one.
	#[arg(long, default_value_t = 900)]
	rpc_session_ttl_secs: u64,
	/// Days the node keeps its accounting of the patient-linked reads it answered to grantees
	/// (`consent_nodeDisclosures`); the default is HIPAA's six years.
	#[arg(long, default_value_t = 2192)]
	disclosure_retention_days: u64,
	/// The most bytes of that accounting within retention; past it such reads are refused
	/// (4004) rather than answered unaccounted.
	#[arg(long, default_value_t = 1 << 30)]
	disclosure_log_max_bytes: u64,
	/// The most bytes of one grantee's entries in that accounting; past it that grantee's
	/// reads are refused (4005).
	#[arg(long, default_value_t = 1 << 26)]
	disclosure_log_max_bytes_per_accessor: u64,
	/// Browser origins allowed to call RPC: `all`, or a comma-separated list.
	#[arg(long)]
	rpc_cors: Option<String>,
	/// The most RPC connections open at once.
	#[arg(long, default_value_t = 100)]
	rpc_max_connections: u32,
	/// The most RPC connections open at once from one address (one /64 for IPv6); a quarter of
	/// --rpc-max-connections (at least 1) when unset.
	#[arg(long)]
	rpc_max_connections_per_ip: Option<u32>,
	/// The port of the FHIR R4 REST interface (`/fhir`: consents, audit events, the record
	/// index, claims) and the GS1 EPCIS 2.0 query interface (`/epcis`: supply-chain events), on
	/// the RPC's interface, with bearer session tokens from RPC's sign-in. Off unless given,
	/// except with --dev, which serves them 11 above the RPC port (9955 beside 9944) when that
	/// port is free.
	#[arg(long)]
	fhir_port: Option<u16>,
	/// Do not serve the FHIR and EPCIS interfaces, even with --dev.
	#[arg(long)]
	no_fhir: bool,
	/// The built portal (`portal/dist`, from `node portal/build.mjs`) to serve at /portal/ on
	/// the RPC port. With --dev, `portal/dist` under the working directory when it exists.
	#[arg(long)]
	portal_dir: Option<PathBuf>,
	/// The Prometheus metrics port on 127.0.0.1.
	#[arg(long, default_value_t = 9615)]
	prometheus_port: u16,
	/// Do not serve Prometheus metrics.
	#[arg(long)]
	no_prometheus: bool,
	/// Where batch signature checks run: auto, gpu or cpu.
	#[arg(long, default_value = "auto")]
	gpu: carechain_gpu::Mode,
	/// The field arithmetic of the GPU's ed25519 kernel: l13 or l16 (core WGSL), or w32 or r26
	/// (the adapter's 64-bit integers). Unset, r26 where the adapter has 64-bit integers, else
	/// l13; set it to what `carechain-gpu-bench` measures fastest on this machine's GPU.
	#[arg(long)]
	gpu_arithmetic: Option<carechain_gpu::Arithmetic>,
	/// Validate with the consensus key in `<base path>/chains/<chain id>/validator.key`
	/// (written by `carechain key insert`). Without it (or --validator-key, or --dev) the node
	/// is a full node: it follows the chain and serves RPC, and never votes.
	#[arg(long)]
	validator: bool,
	/// Validate with this consensus key given as a secret URI, for development keys such as
	/// //Bob; --dev uses //Alice. Real validators use --validator and a key file.
	#[arg(long, conflicts_with = "validator")]
	validator_key: Option<String>,
	/// The consensus peer-to-peer listen address.
	#[arg(long, default_value = "/ip4/127.0.0.1/tcp/30333")]
	listen_addr: String,
	/// Consensus peers to keep connected to, beside the chain spec's boot nodes, as multiaddrs
	/// with the peer's id (`/ip4/10.0.0.2/tcp/30333/p2p/12D3KooW…`: the node logs its own at
	/// start, and `carechain key inspect` prints a validator key's). Peers accept only the
	/// peers they list, so each side lists the other.
	#[arg(long)]
	peer: Vec<String>,
	/// A full node's peer-to-peer identity as a 0x-prefixed 32-byte seed; by default one is
	/// created in `<base path>/chains/<chain id>/network/secret_ed25519`. Validators use their
	/// consensus key.
	#[arg(long)]
	node_key: Option<String>,
	/// Test only: propose faulty blocks, to check that the other validators ignore them.
	#[arg(long, hide = true)]
	unsafe_faulty_proposals: Option<consensus::Fault>,
	/// Milliseconds between blocks; the chain spec's value when not given.
	#[arg(long)]
	block_time_ms: Option<u64>,
	/// States to keep: `archive` for all, or the number of newest blocks whose state stays
	/// readable (blocks themselves are always kept).
	#[arg(long, default_value = "256")]
	state_pruning: String,
	/// Bytes of trie nodes and values kept in memory across blocks (Substrate's option of the
	/// same name): more spares reads of the chain database, less keeps the node smaller.
	#[arg(long, default_value_t = carechain_node::client::DEFAULT_TRIE_CACHE_BYTES)]
	trie_cache_size: usize,
	/// Threads that run the runtime's checks of submitted transactions, in parallel (the
	/// machine's cores when unset, at least 1): fewer leave more of the machine to building
	/// and importing blocks while a flood of submissions is checked.
	#[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
	pool_check_threads: Option<u16>,
	/// The node's name in logs and to peers.
	#[arg(long)]
	name: Option<String>,
	#[command(flatten)]
	vault: VaultStoreArgs,
	/// The largest blob the vault accepts, in bytes.
	#[arg(long, default_value_t = 16 << 20)]
	vault_max_blob_bytes: usize,
	/// Seconds a vault challenge stays valid.
	#[arg(long, default_value_t = 120)]
	vault_challenge_ttl_secs: u64,
}

/// A setting that is on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Switch {
	/// On.
	On,
	/// Off.
	Off,
}

/// Where the record vault keeps blobs: `<base path>/chains/<id>/vault` unless an
/// S3-compatible store is named. S3 credentials come from AWS_ACCESS_KEY_ID and
/// AWS_SECRET_ACCESS_KEY.
#[derive(clap::Args, Debug, Clone)]
struct VaultStoreArgs {
	/// The S3-compatible service to keep vault blobs in, for example http://127.0.0.1:9000.
	#[arg(long, requires = "vault_s3_bucket")]
	vault_s3_endpoint: Option<String>,
	/// The bucket for vault blobs; AWS S3 itself when no endpoint is given.
	#[arg(long)]
	vault_s3_bucket: Option<String>,
	/// The bucket's region.
	#[arg(long, default_value = "us-east-1")]
	vault_s3_region: String,
}

impl VaultStoreArgs {
	fn open(&self, local: PathBuf) -> eyre::Result<Arc<dyn carechain_vault::BlobStore>> {
		Ok(match &self.vault_s3_bucket {
			Some(bucket) => {
				Arc::new(carechain_vault::S3Store::new(&carechain_vault::S3Settings {
					endpoint: self.vault_s3_endpoint.clone(),
					bucket: bucket.clone(),
					region: self.vault_s3_region.clone(),
					access_key_id: None,
					secret_access_key: None,
				})?)
			}
			None => Arc::new(carechain_vault::LocalStore::open(local)?),
		})
	}
}

#[derive(Subcommand, Debug)]
enum Command {
	/// Print a chain spec as JSON, with its raw genesis storage.
	BuildSpec {
		/// `dev`, `local`, or a spec file.
		#[arg(long, default_value = "dev")]
		chain: String,
		/// Write the spec of a new consortium from its description (founding organizations,
		/// their admins and validator keys, the council, boot nodes) in this JSON file.
		#[arg(long, conflicts_with = "chain")]
		consortium: Option<PathBuf>,
		/// Accepted for Substrate compatibility: specs are always raw.
		#[arg(long)]
		raw: bool,
	},
	/// Generate or inspect keys.
	#[command(subcommand)]
	Key(KeyCommand),
	/// Measure weights: run a pallet's frame-benchmarking v2 benchmarks on the native runtime
	/// (built with the `runtime-benchmarks` feature) and write its `weights.rs`.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(BenchmarkCommand),
	/// Operate the record vault.
	#[command(subcommand)]
	Vault(VaultCommand),
	/// Search a stopped node's chain and files for facts that must never be there: every
	/// state entry at the head, every block, every kept block's events and every file under
	/// the chain's folder. Exits with status 2 when anything is found.
	PrivacyScan {
		/// The base path.
		#[arg(long, short = 'd')]
		base_path: PathBuf,
		/// `dev`, `local`, or a spec file.
		#[arg(long, default_value = "dev")]
		chain: String,
		/// Text that must not be found (a marker, an ICD-10 or CPT code, an NDC), or
		/// `hex:0x…` for bytes; searched as bytes and as hex. Repeat for more.
		#[arg(long = "needle")]
		needles: Vec<String>,
		/// Two needles that must not be found together in one state entry, extrinsic or
		/// event, as `<left>=<right>` (a patient's `hex:0x<account>` and a drug's GTIN).
		#[arg(long = "link")]
		links: Vec<String>,
	},
	/// Manage RPC sessions.
	#[command(subcommand)]
	Auth(AuthCommand),
	/// Drug provenance: record supply-chain events from other systems.
	#[command(subcommand)]
	Provenance(ProvenanceCommand),
	/// Delete a chain's database and consensus log.
	PurgeChain {
		/// The base path.
		#[arg(long, short = 'd')]
		base_path: PathBuf,
		/// `dev`, `local`, or a spec file.
		#[arg(long, default_value = "dev")]
		chain: String,
		/// Do not ask for confirmation.
		#[arg(short = 'y')]
		yes: bool,
	},
}

#[cfg(feature = "runtime-benchmarks")]
#[derive(Subcommand, Debug)]
enum BenchmarkCommand {
	/// Benchmark one pallet's calls.
	Pallet {
		/// The pallet, as the runtime names it (pallet_records).
		#[arg(long)]
		pallet: String,
		/// Values per component between its lowest and highest.
		#[arg(long, default_value_t = 20)]
		steps: u32,
		/// Runs per set of component values.
		#[arg(long, default_value_t = 10)]
		repeat: u32,
		/// Where to write weights.rs; printed only when not given.
		#[arg(long)]
		output: Option<PathBuf>,
	},
	/// Measure the cost of a block and of one extrinsic beyond its call.
	Overhead {
		/// Signed no-op extrinsics per measured block.
		#[arg(long, default_value_t = 2_000)]
		extrinsics: usize,
		/// Blocks measured.
		#[arg(long, default_value_t = 10)]
		repeat: usize,
		/// Where to write the runtime's overhead weights; printed only when not given.
		#[arg(long)]
		output: Option<PathBuf>,
	},
	/// Measure the cost of a storage read and write on parity-db.
	Storage {
		/// Random keys in the measured state, beside the dev genesis.
		#[arg(long, default_value_t = 200_000)]
		keys: usize,
		/// Keys per committed write batch.
		#[arg(long, default_value_t = 2_000)]
		batch: usize,
		/// Where to write the runtime's database weights; printed only when not given.
		#[arg(long)]
		output: Option<PathBuf>,
	},
}

#[derive(Subcommand, Debug)]
enum AuthCommand {
	/// End every RPC session of an account on the node of this base path, on every
	/// connection: the running node applies it within a second (or at its next start), and a
	/// restart keeps it. The account may sign in again while the chain knows it: remove it
	/// from its organization to keep it out.
	RevokeAccount {
		/// The node's base path.
		#[arg(long, short = 'd')]
		base_path: PathBuf,
		/// `dev`, `local`, or a spec file: names the chain folder.
		#[arg(long, default_value = "dev")]
		chain: String,
		/// The account, as SS58 or 0x-hex.
		account: String,
	},
}

#[derive(Subcommand, Debug)]
enum ProvenanceCommand {
	/// Record an EPCIS 2.0 JSON-LD document (from an ERP) as the signer's provenance calls on a
	/// running node: commissioning, packing, unpacking, shipping and receiving events. The
	/// whole document is checked first; if any event cannot be represented on chain, every
	/// reason is printed and nothing is submitted (exit status 2).
	Import {
		/// The EPCIS 2.0 document (JSON-LD).
		file: PathBuf,
		/// The signer: a member of the organization whose events these are, as an ed25519
		/// secret URI; read from the environment variable CARECHAIN_KEY when not given, to keep
		/// it out of the shell's history.
		#[arg(long, value_name = "SURI")]
		key: Option<String>,
		/// The running node's RPC.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		rpc_url: String,
		/// Check and print the calls without submitting them.
		#[arg(long)]
		dry_run: bool,
		/// Start at this event, or this call of it (`4`, `4.2`; counted from 1), after an import
		/// stopped on a refused call.
		#[arg(long, default_value = "1")]
		from: carechain_node::provenance_import::Start,
	},
}

#[derive(Subcommand, Debug)]
enum VaultCommand {
	/// Hash every stored blob (on the GPU when there is one) and compare the blobs with the
	/// chain of a running node: reports missing, corrupted and orphaned blobs. Exits with 2
	/// when it finds any.
	Audit {
		/// The running node's RPC.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		rpc_url: String,
		/// The node's base path (its vault is `<base path>/chains/<id>/vault`).
		#[arg(long, short = 'd', required_unless_present = "vault_s3_bucket")]
		base_path: Option<PathBuf>,
		/// `dev`, `local`, or a spec file: names the chain folder under the base path.
		#[arg(long, default_value = "dev")]
		chain: String,
		#[command(flatten)]
		store: VaultStoreArgs,
		/// Where hashing runs: auto, gpu or cpu.
		#[arg(long, default_value = "auto")]
		gpu: carechain_gpu::Mode,
		/// Bytes read before a batch is hashed.
		#[arg(long, default_value_t = 256 << 20)]
		batch_bytes: usize,
		/// Also write the report as JSON to this file.
		#[arg(long)]
		json: Option<PathBuf>,
		/// Sign in to a node that authenticates RPC (`--rpc-auth on`) as this ed25519 account, a
		/// member of an active organization, given as a secret URI; read from the environment
		/// variable CARECHAIN_SIGN_IN_AS when not given, to keep it out of the shell's history.
		#[arg(long, value_name = "SURI")]
		sign_in_as: Option<String>,
	},
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
	/// A new random key.
	Generate {
		/// ed25519 or sr25519.
		#[arg(long, default_value = "ed25519")]
		scheme: String,
	},
	/// The public key and address of a secret URI or seed.
	Inspect {
		/// A secret URI (//Alice, a mnemonic, or 0x-prefixed seed).
		uri: String,
		/// ed25519 or sr25519.
		#[arg(long, default_value = "ed25519")]
		scheme: String,
	},
	/// Store a validator's ed25519 consensus key in `<base path>/chains/<chain id>/validator.key`
	/// for `carechain --validator`.
	Insert {
		/// The base path.
		#[arg(long, short = 'd')]
		base_path: PathBuf,
		/// `dev`, `local`, or a spec file: names the chain folder.
		#[arg(long, default_value = "local")]
		chain: String,
		/// The key as a secret URI or 0x-prefixed seed; read from standard input when not
		/// given, so that it stays out of the shell's history.
		#[arg(long)]
		suri: Option<String>,
	},
	/// The proof that the council's `registry.add_validator` call needs: the validator key's
	/// signature of the organization that will run it.
	ValidatorProof {
		/// The organization id.
		#[arg(long)]
		org: u32,
		/// The base path holding the validator key.
		#[arg(long, short = 'd')]
		base_path: PathBuf,
		/// `dev`, `local`, or a spec file: names the chain folder.
		#[arg(long, default_value = "local")]
		chain: String,
	},
}

fn provenance_import(
	file: &std::path::Path,
	key: Option<String>,
	rpc_url: &str,
	dry_run: bool,
	from: carechain_node::provenance_import::Start,
) -> eyre::Result<()> {
	use carechain_node::provenance_import::{self as import, PlanError};
	let Some(uri) = key.or_else(|| std::env::var("CARECHAIN_KEY").ok()) else {
		eyre::bail!("--key: give the signer's secret URI, or set CARECHAIN_KEY");
	};
	let signer =
		keys::pair(&zeroize::Zeroizing::new(uri)).map_err(|e| eyre::eyre!("--key: {e}"))?;
	let document = import::read_document(file)?;
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
	runtime.block_on(async {
		let client = import::connect(rpc_url, &signer).await?;
		let planned = match import::plan(&client, &signer, &document).await {
			Ok(planned) => planned,
			Err(PlanError::Other(e)) => return Err(e),
			Err(PlanError::Refused(lines)) => {
				for line in &lines {
					eprintln!("{line}");
				}
				eprintln!("{} refused: nothing was submitted", lines.len());
				std::process::exit(2);
			}
		};
		let name = |p: &carechain_node::rpc::provenance::PlannedEvent| match &p.event_id {
			Some(id) => format!("event {} ({id})", p.event),
			None => format!("event {}", p.event),
		};
		// Nothing is signed before every call of the plan is checked.
		let planned = planned
			.into_iter()
			.map(|p| import::checked(&p).map(|calls| (p, calls)))
			.collect::<eyre::Result<Vec<_>>>()?;
		if dry_run {
			for (p, calls) in &planned {
				for (_, description) in calls {
					println!("{}: {description}", name(p));
				}
			}
			return Ok(());
		}
		let mut progress = |p: &carechain_node::rpc::provenance::PlannedEvent,
		                    blocks: &[sp_core::H256]| {
			let last = blocks.last().map(|b| format!(", finalized in {b:?}")).unwrap_or_default();
			println!("{}: recorded{last}", name(p));
		};
		let recorded = import::submit(&client, &signer, &planned, from, &mut progress).await?;
		println!("{recorded} events recorded");
		Ok(())
	})
}

fn main() {
	if let Err(error) = real_main() {
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}

fn real_main() -> eyre::Result<()> {
	let cli = Cli::parse();
	match cli.command {
		Some(Command::BuildSpec { chain, consortium, raw: _ }) => {
			let spec = match consortium {
				Some(path) => ChainSpec::from_consortium_file(&path),
				None => ChainSpec::load(&chain),
			}
			.map_err(eyre::Report::msg)?;
			println!("{}", serde_json::to_string_pretty(&spec.to_json())?);
			Ok(())
		}
		Some(Command::Key(command)) => key(command),
		Some(Command::Provenance(ProvenanceCommand::Import {
			file,
			key,
			rpc_url,
			dry_run,
			from,
		})) => provenance_import(&file, key, &rpc_url, dry_run, from),
		Some(Command::Auth(AuthCommand::RevokeAccount { base_path, chain, account })) => {
			let account = rpc::auth::parse_account(&account).ok_or_else(|| {
				eyre::eyre!("{account:?} is not an SS58 address or 0x-hex account")
			})?;
			let path = chain_dir(&base_path, &chain)?.join("rpc").join("revocations");
			let request = rpc::auth::request_account_end(&path, &account)?;
			// A running node takes the request within a second and removes it.
			for _ in 0..30 {
				if !request.exists() {
					println!("every session of {account} ended");
					return Ok(());
				}
				std::thread::sleep(Duration::from_millis(100));
			}
			println!(
				"every session of {account} ends when the node takes {} (within a second of its next start if it is not running)",
				request.display()
			);
			Ok(())
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Command::Benchmark(BenchmarkCommand::Overhead { extrinsics, repeat, output })) => {
			let dir = tempfile::tempdir()?;
			let cost = carechain_node::benchmark::overhead(dir.path(), extrinsics, repeat)
				.map_err(eyre::Report::msg)?;
			println!(
				"empty block {} ns, extrinsic base {} ns (blocks of {})",
				cost.block_ns, cost.extrinsic_ns, cost.extrinsics
			);
			if let Some(path) = output {
				let command = format!(
					"carechain benchmark overhead --extrinsics {extrinsics} --repeat {repeat} --output {}",
					path.display()
				);
				carechain_node::benchmark::write_overhead_weights(&cost, &command, &path)?;
				println!("wrote {}", path.display());
			}
			Ok(())
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Command::Benchmark(BenchmarkCommand::Storage { keys, batch, output })) => {
			let dir = tempfile::tempdir()?;
			let cost = carechain_node::benchmark::storage(dir.path(), keys, batch)
				.map_err(eyre::Report::msg)?;
			println!(
				"{} keys: read {} ns, write {} ns per key in batches of {}",
				cost.keys, cost.read_ns, cost.write_ns, cost.batch
			);
			if let Some(path) = output {
				let command = format!(
					"carechain benchmark storage --keys {keys} --batch {batch} --output {}",
					path.display()
				);
				carechain_node::benchmark::write_db_weights(&cost, &command, &path)?;
				println!("wrote {}", path.display());
			}
			Ok(())
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Command::Benchmark(BenchmarkCommand::Pallet { pallet, steps, repeat, output })) => {
			use carechain_node::benchmark;
			let settings = benchmark::Settings { pallet: pallet.clone(), steps, repeat };
			let fitted = benchmark::run(ChainSpec::development().genesis, &settings)
				.map_err(eyre::Report::msg)?;
			for f in &fitted {
				println!(
					"{:<24} base {:>10.1} µs, slopes {:?} ps, reads {:?}, writes {:?}, {} samples",
					f.name,
					f.base as f64 / 1e6,
					f.components.iter().zip(&f.slopes).collect::<Vec<_>>(),
					f.reads,
					f.writes,
					f.samples,
				);
			}
			if let Some(path) = output {
				let command = format!(
					"carechain benchmark pallet --pallet {pallet} --steps {steps} --repeat {repeat} --output {}",
					path.display()
				);
				benchmark::write_weights(&fitted, &pallet, &command, &path)?;
				println!("wrote {}", path.display());
			}
			Ok(())
		}
		Some(Command::PurgeChain { base_path, chain, yes }) => {
			let folder = chain_dir(&base_path, &chain)?;
			if !yes {
				eprintln!("Add -y to delete {}", folder.display());
				return Ok(());
			}
			match std::fs::remove_dir_all(&folder) {
				Ok(()) => println!("{} removed", folder.display()),
				Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
					println!("{} does not exist", folder.display())
				}
				Err(e) => return Err(e.into()),
			}
			Ok(())
		}
		Some(Command::PrivacyScan { base_path, chain, needles, links }) => {
			let spec = ChainSpec::load(&chain).map_err(eyre::Report::msg)?;
			let folder = spec.dir(&base_path);
			let needles = carechain_node::privacy_scan::Needles {
				needles: needles
					.iter()
					.map(|n| carechain_node::privacy_scan::Needle::parse(n))
					.collect::<Result<_, _>>()
					.map_err(eyre::Report::msg)?,
				links: links
					.iter()
					.map(|l| carechain_node::privacy_scan::Link::parse(l))
					.collect::<Result<_, _>>()
					.map_err(eyre::Report::msg)?,
			};
			eyre::ensure!(
				!needles.needles.is_empty() || !needles.links.is_empty(),
				"give at least one --needle or --link to search for"
			);
			let db_path = folder.join("db");
			eyre::ensure!(
				db_path.is_dir(),
				"{} holds no database: give the --base-path (and --chain) the node ran with",
				db_path.display()
			);
			let db = ChainDb::open(&db_path)?;
			let client = Client::open(db, &spec.genesis)?;
			let report = carechain_node::privacy_scan::scan(&client, &folder, &needles)
				.map_err(eyre::Report::msg)?;
			print!("{report}");
			if !report.hits.is_empty() {
				std::process::exit(2);
			}
			Ok(())
		}
		Some(Command::Vault(VaultCommand::Audit {
			rpc_url,
			base_path,
			chain,
			store,
			gpu,
			batch_bytes,
			json,
			sign_in_as,
		})) => {
			let local = chain_dir(&base_path.unwrap_or_default(), &chain)?.join("vault");
			let signer = match sign_in_as.or_else(|| std::env::var("CARECHAIN_SIGN_IN_AS").ok()) {
				Some(uri) => Some(
					keys::pair(&zeroize::Zeroizing::new(uri))
						.map_err(|e| eyre::eyre!("--sign-in-as: {e}"))?,
				),
				None => None,
			};
			let verifier =
				carechain_gpu::Verifier::new(gpu).map_err(|e| eyre::eyre!("--gpu {gpu:?}: {e}"))?;
			let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
			let clean = runtime.block_on(async {
				let store = store.open(local)?;
				let settings =
					carechain_vault::audit::AuditSettings { batch_bytes, ..Default::default() };
				let (index, report) = carechain_node::vault_audit::run(
					&rpc_url,
					signer.as_ref(),
					store.as_ref(),
					&verifier,
					settings,
				)
				.await?;
				print!(
					"{}",
					carechain_node::vault_audit::summary(&store.describe(), &index, &report)
				);
				if let Some(path) = json {
					let text = serde_json::to_string_pretty(
						&carechain_node::vault_audit::to_json(&index, &report),
					)?;
					std::fs::write(&path, text)?;
				}
				Ok::<_, eyre::Report>(report.is_clean())
			})?;
			if !clean {
				std::process::exit(2);
			}
			Ok(())
		}
		None => run(cli.run),
	}
}

/// The folder of the chain named `chain` (`dev`, `local` or a spec file) under a base path.
fn chain_dir(base_path: &std::path::Path, chain: &str) -> eyre::Result<PathBuf> {
	Ok(ChainSpec::load(chain).map_err(eyre::Report::msg)?.dir(base_path))
}

fn key(command: KeyCommand) -> eyre::Result<()> {
	let (uri, scheme) = match command {
		KeyCommand::Generate { scheme } => {
			let (_, phrase, _) = ed25519::Pair::generate_with_phrase(None);
			(phrase, scheme)
		}
		KeyCommand::Inspect { uri, scheme } => (uri, scheme),
		KeyCommand::Insert { base_path, chain, suri } => {
			let secret = match suri {
				Some(suri) => zeroize::Zeroizing::new(suri),
				None => {
					let mut line = zeroize::Zeroizing::new(String::new());
					std::io::stdin().read_line(&mut line)?;
					line
				}
			};
			let dir = chain_dir(&base_path, &chain)?;
			let (path, public) =
				keys::insert_validator_key(&dir, &secret).map_err(eyre::Report::msg)?;
			println!("Validator key 0x{} stored in {}", hex::encode(public), path.display());
			return Ok(());
		}
		KeyCommand::ValidatorProof { org, base_path, chain } => {
			let dir = chain_dir(&base_path, &chain)?;
			let seed = keys::read_validator_key(&dir).map_err(eyre::Report::msg)?;
			let pair = ed25519::Pair::from_seed(&seed);
			println!("Organization:      {org}");
			println!("Validator key:     0x{}", hex::encode(pair.public()));
			println!("Proof:             0x{}", hex::encode(keys::validator_proof(&pair, org)));
			return Ok(());
		}
	};
	let (public, address, seed) = match scheme.as_str() {
		"ed25519" => {
			let pair = ed25519::Pair::from_string(&uri, None)
				.map_err(|e| eyre::eyre!("{uri:?} is not a secret URI: {e:?}"))?;
			(
				hex::encode(pair.public()),
				pair.public().to_ss58check(),
				Some((hex::encode(pair.seed()), consensus::peer_id(&pair.seed())?)),
			)
		}
		"sr25519" => {
			let pair = sr25519::Pair::from_string(&uri, None)
				.map_err(|e| eyre::eyre!("{uri:?} is not a secret URI: {e:?}"))?;
			(hex::encode(pair.public()), pair.public().to_ss58check(), None)
		}
		other => eyre::bail!("unknown scheme {other:?}: use ed25519 or sr25519"),
	};
	println!("Secret phrase/URI: {uri}");
	if let Some((seed, _)) = &seed {
		println!("Secret seed:       0x{seed}");
	}
	println!("Public key (hex):  0x{public}");
	println!("SS58 Address:      {address}");
	if let Some((_, peer_id)) = &seed {
		println!("Peer ID:           {peer_id}");
	}
	Ok(())
}

fn run(args: RunArgs) -> eyre::Result<()> {
	// A lone dev validator has no peers to gossip to, and the network says so every round.
	// Malachite's round-by-round steps are for debugging; the node logs each block it commits.
	// A WebSocket message past the size limit is the client's fault and answered as such;
	// soketto would also warn of each one. frame-executive opens an info span for every
	// extrinsic it applies, with the extrinsic in hex, and one for every block it executes, with
	// the whole block formatted: at `info` that formatting was a tenth of block building's time
	// (issue 19's profile), and nothing is ever logged inside those spans.
	let default_filter = if args.dev {
		"info,frame_executive=warn,libp2p=warn,arc_malachitebft_network=off,\
		 arc_malachitebft_core_consensus=warn,soketto=error"
	} else {
		"info,frame_executive=warn,libp2p=warn,arc_malachitebft_core_consensus=warn,\
		 arc_malachitebft_engine=warn,soketto=error"
	};
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| default_filter.into()),
		)
		.init();
	// Refused runtime calls panic, caught, as often as callers send them.
	panics::install(Duration::from_secs(60));
	return_freed_memory();
	let chain =
		args.chain.clone().unwrap_or_else(|| if args.dev { "dev".into() } else { "local".into() });
	let spec = Arc::new(ChainSpec::load(&chain).map_err(eyre::Report::msg)?);
	let temporary = match (&args.base_path, args.dev) {
		(None, true) => Some(tempfile::Builder::new().prefix("carechain").tempdir()?),
		(None, false) => eyre::bail!("give --base-path, or --dev for a temporary chain"),
		_ => None,
	};
	let base = args.base_path.clone().or_else(|| temporary.as_ref().map(|t| t.path().to_owned()));
	let base = spec.dir(&base.expect("one of the two was set above"));
	std::fs::create_dir_all(&base)?;
	let role = match (&args.validator_key, args.validator, args.dev) {
		(Some(uri), _, _) => Role::Validator {
			key: keys::seed(uri).map_err(|e| eyre::eyre!("--validator-key: {e}"))?,
		},
		(None, true, _) => {
			Role::Validator { key: *keys::read_validator_key(&base).map_err(eyre::Report::msg)? }
		}
		(None, false, true) => {
			Role::Validator { key: keys::seed("//Alice").map_err(eyre::Report::msg)? }
		}
		(None, false, false) => Role::Full {
			node_key: match &args.node_key {
				Some(seed) => keys::seed(seed).map_err(|e| eyre::eyre!("--node-key: {e}"))?,
				None => *keys::node_key(&base).map_err(eyre::Report::msg)?,
			},
		},
	};
	let seed = match &role {
		Role::Validator { key } => key,
		Role::Full { node_key } => node_key,
	};
	let peer_id = consensus::peer_id(seed)?;
	let validator_key = match &role {
		Role::Validator { key } => Some(ed25519::Pair::from_seed(key).public().0),
		Role::Full { .. } => None,
	};
	tracing::info!(
		"Local peer id {} ({}), consensus on {}/p2p/{0}",
		peer_id,
		if matches!(role, Role::Validator { .. }) { "validator" } else { "full node" },
		args.listen_addr,
	);

	// Consensus and the blocking tasks it spawns call the runtime on this runtime's threads.
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.thread_stack_size(carechain_node::executor::RUNTIME_STACK_BYTES)
		.enable_all()
		.build()?;
	// RPC runs on threads of its own: a flood of expensive calls then competes with consensus
	// for the CPU through the operating system's scheduler, and cannot occupy every worker of
	// the runtime that finalizes blocks. Its handlers call the runtime too (`state_call`).
	let rpc_runtime = tokio::runtime::Builder::new_multi_thread()
		.thread_name("rpc")
		.thread_stack_size(carechain_node::executor::RUNTIME_STACK_BYTES)
		.worker_threads(
			std::thread::available_parallelism().map_or(2, |n| n.get().div_ceil(2).max(2)),
		)
		.enable_all()
		.build()?;
	let rpc_threads = rpc_runtime.handle().clone();
	let result = runtime.block_on(async move {
		let db = ChainDb::open(&base.join("db"))?;
		let keep = match args.state_pruning.as_str() {
			"archive" => None,
			n => Some(n.parse::<u32>().map_err(|_| {
				eyre::eyre!("--state-pruning {n:?}: give archive or a number of blocks")
			})?),
		};
		let client = Arc::new(
			Client::open(db, &spec.genesis)?
				.keep_states(keep)
				.trie_cache_bytes(args.trie_cache_size),
		);
		let head = client.head();
		tracing::info!(
			"Chain {} ({}), genesis {}, finalized #{} ({})",
			spec.name,
			spec.id,
			carechain_node::service::short(&client.genesis_hash()),
			head.number,
			carechain_node::service::short(&head.hash),
		);
		carechain_node::runtime_identity::log_check(&client);
		let verifier = match carechain_gpu::Verifier::new(args.gpu) {
			Ok(verifier) => verifier,
			Err(error) => eyre::bail!("--gpu {:?}: {error}", args.gpu),
		};
		let verifier = match args.gpu_arithmetic {
			Some(arithmetic) => verifier
				.with_arithmetic(arithmetic)
				.map_err(|error| eyre::eyre!("--gpu-arithmetic: {error}"))?,
			None => verifier,
		};
		let verifier = Arc::new(BatchVerifier::new(verifier));
		tracing::info!("Signature batches verify on {}", verifier.adapter());
		let mut limits = PoolLimits::default();
		if let Some(threads) = args.pool_check_threads {
			limits.check_threads = threads.into();
		}
		let pool = Arc::new(Pool::new(limits));
		let node = Node::new(client, pool, verifier);

		let host = if args.rpc_external { Ipv4Addr::UNSPECIFIED } else { Ipv4Addr::LOCALHOST };
		// A blob travels as hex: twice its size, and the rest of the request.
		let max_message_bytes = u32::try_from(args.vault_max_blob_bytes)
			.ok()
			.and_then(|blob| blob.checked_mul(2)?.checked_add(1 << 20))
			.ok_or_else(|| eyre::eyre!("--vault-max-blob-bytes must be below 2 GiB"))?
			.max(15 << 20);
		let enforce = args.rpc_auth.map_or(args.rpc_external, |s| s == Switch::On);
		if args.rpc_external && !enforce {
			tracing::warn!(
				"RPC listens beyond loopback with --rpc-auth off: anyone who reaches the port reads every patient's data"
			);
		}
		// The token key is kept across restarts, so sign-outs and revocations are too.
		let auth = rpc::auth::Auth::open(
			node.clone(),
			keys::secret_file(&base.join("rpc").join("session.key")).map_err(eyre::Report::msg)?,
			rpc::auth::AuthSettings {
				enforce,
				session_ttl: Duration::from_secs(args.rpc_session_ttl_secs),
				..Default::default()
			},
			&base.join("rpc").join("revocations"),
		)
		.map_err(eyre::Report::msg)?;
		auth.spawn_operator_requests();
		// The portal: the operator's folder (which must hold it), or with --dev the built one
		// in the working directory, if any.
		let portal = match (&args.portal_dir, args.dev) {
			(Some(dir), _) => Some(Arc::new(carechain_node::portal::PortalFiles::load(dir)?)),
			(None, true) if Path::new("portal/dist/index.html").exists() => {
				Some(Arc::new(carechain_node::portal::PortalFiles::load(Path::new("portal/dist"))?))
			}
			_ => None,
		};
		let settings = rpc::RpcSettings {
			max_connections: args.rpc_max_connections,
			max_connections_per_ip: args.rpc_max_connections_per_ip,
			cors: match args.rpc_cors.as_deref() {
				None | Some("all") => None,
				Some(list) => Some(list.split(',').map(|o| o.trim().to_owned()).collect()),
			},
			runtime: Some(rpc_threads.clone()),
			auth: Some(auth.clone()),
			portal: portal.clone(),
			..rpc::RpcSettings::new(SocketAddr::from((host, args.rpc_port)), max_message_bytes)
		};
		let store = args.vault.open(base.join("vault"))?;
		tracing::info!("Record vault in {}", store.describe());
		let vault = carechain_node::vault::Vault::new(
			node.clone(),
			store,
			carechain_node::vault::VaultSettings {
				max_blob_bytes: args.vault_max_blob_bytes,
				challenge_ttl: Duration::from_secs(args.vault_challenge_ttl_secs),
				state_dir: Some(base.join("vault-state")),
				..Default::default()
			},
		)?;
		carechain_node::vault::spawn_eraser(vault.clone());
		let disclosures = Arc::new(rpc::disclosures::DisclosureLog::open_with(
			&base.join("rpc").join("disclosures"),
			rpc::disclosures::DisclosureLimits {
				retention: Duration::from_secs(args.disclosure_retention_days.saturating_mul(86_400)),
				max_bytes: args.disclosure_log_max_bytes,
				max_bytes_per_accessor: args.disclosure_log_max_bytes_per_accessor,
				..Default::default()
			},
		)?);
		// Substrate's unsafe methods are the operator's: served only on loopback, as
		// Substrate's `--rpc-methods auto` does.
		let local_node = rpc::handlers::LocalNode {
			peer_id: peer_id.clone(),
			validator_key,
			operator_methods: !args.rpc_external,
			starting_block: node.client.head().number,
		};
		let handlers = rpc::handlers::Handlers::new(node.clone(), spec.clone())
			.with_disclosures(disclosures)
			.with_local_node(local_node);
		// (port, whether the operator asked for it): an asked-for port that cannot be bound
		// stops the node; --dev's own choice only warns.
		let fhir_port = match (args.fhir_port, args.dev && !args.no_fhir) {
			(Some(port), _) if !args.no_fhir => Some((port, true)),
			(None, true) => args.rpc_port.checked_add(carechain_node::fhir_rest::DEV_PORT_OFFSET).map(|p| (p, false)),
			_ => None,
		};
		let fhir = fhir_port.map(|(port, asked)| {
			let settings = carechain_node::fhir_rest::FhirSettings {
				runtime: Some(rpc_threads.clone()),
				..carechain_node::fhir_rest::FhirSettings::new(SocketAddr::from((host, port)))
			};
			let rest = carechain_node::fhir_rest::FhirRest::new(
				handlers.clone(),
				auth.clone(),
				settings.max_in_flight,
			);
			(settings, rest, asked)
		});
		let module = rpc::module_with_auth(
			handlers,
			Some(carechain_node::vault::VaultRpc(vault)),
			Some(auth),
		)?;
		let (rpc_handle, rpc_address) = rpc::start(&settings, module).await?;
		tracing::info!(
			"JSON-RPC on ws://{rpc_address} and http://{rpc_address}, {}",
			if enforce { "authenticated (--rpc-auth on)" } else { "open to every caller (--rpc-auth off)" }
		);
		match (&portal, args.dev) {
			(Some(_), _) => tracing::info!("Portal on http://{rpc_address}/portal/"),
			(None, true) => tracing::info!(
				"Portal not built: `cd portal && npm ci && node build.mjs`, then restart to serve it on http://{rpc_address}/portal/"
			),
			(None, false) => {}
		}
		if let Some((fhir_settings, rest, asked)) = fhir {
			match carechain_node::fhir_rest::serve(&fhir_settings, rest).await {
				Ok(address) => tracing::info!(
					"FHIR R4 on http://{address}/fhir (metadata: http://{address}/fhir/metadata) and GS1 EPCIS 2.0 on http://{address}/epcis; bearer session tokens from auth_signIn"
				),
				Err(e) if asked => return Err(e),
				Err(e) => tracing::warn!("FHIR interface not served: {e}"),
			}
		}
		if !args.no_prometheus {
			let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.prometheus_port));
			carechain_node::prometheus::serve(address, node.metrics.clone()).await?;
			tracing::info!("Prometheus metrics on http://{address}/metrics");
		}

		let peers = spec.boot_nodes.iter().chain(&args.peer).filter(|p| **p != args.listen_addr);
		let settings = consensus::Settings {
			role,
			listen: args
				.listen_addr
				.parse()
				.map_err(|e| eyre::eyre!("--listen-addr {:?}: {e}", args.listen_addr))?,
			peers: peers
				.map(|p| p.parse().map_err(|e| eyre::eyre!("peer {p:?} is not a multiaddr: {e}")))
				.collect::<Result<_, _>>()?,
			block_time: Duration::from_millis(args.block_time_ms.unwrap_or(spec.block_time_ms)),
			wal_dir: base.join("consensus"),
			moniker: args.name.clone().unwrap_or_else(|| "carechain".into()),
			fault: args.unsafe_faulty_proposals,
		};
		std::fs::create_dir_all(&settings.wal_dir)?;
		let consensus = tokio::spawn(consensus::run(settings, node.clone()));
		tokio::select! {
			result = consensus => {
				result??;
				tracing::warn!("consensus stopped");
			},
			_ = shutdown_signal() => tracing::info!("Shutting down"),
		}
		let _ = rpc_handle.stop();
		drop(temporary);
		Ok::<_, eyre::Report>(())
	});
	// Consensus and pool tasks may still be running; give them a moment, not forever.
	runtime.shutdown_timeout(Duration::from_secs(2));
	rpc_runtime.shutdown_timeout(Duration::from_secs(1));
	result
}

/// Makes glibc hand large freed buffers back to the system. By default it raises its mmap
/// threshold to the largest buffer freed so far (up to 32 MiB) and keeps an arena per thread:
/// after a burst of large RPC bodies, freed or not, the node stayed at hundreds of MiB (60 s of
/// `carechain-garbage`: 248 MiB at most and 220 MiB after, against 122 and 77 with this).
fn return_freed_memory() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	// SAFETY: mallopt only sets allocator parameters; it is called before the node starts
	// any thread of its own that allocates.
	unsafe {
		libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
		libc::mallopt(libc::M_ARENA_MAX, 4);
	}
}

async fn shutdown_signal() {
	use tokio::signal::unix::{signal, SignalKind};
	let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM can be handled");
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = terminate.recv() => {},
	}
}
