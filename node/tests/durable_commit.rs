//! A commit to the chain database is durable when it returns: a process killed with SIGKILL
//! the moment after any commit returned reopens with that commit in place.
//!
//! The test runs itself as a child process that commits large transactions (as a busy block
//! would be) and says after each one that it returned; the parent kills it with SIGKILL the
//! moment it reads that line, reopens the database, and looks for the commit.

// Test set-up arithmetic works on small known values.
#![allow(clippy::arithmetic_side_effects)]

use carechain_node::db::{columns, meta, ChainDb};
use codec::Encode;
use sp_core::H256;
use sp_database::{Database, Transaction};
use std::{
	io::{BufRead, BufReader, Write},
	process::{Command, Stdio},
};

/// The child's database folder, when this process is the child.
const CHILD: &str = "CARECHAIN_DURABLE_COMMIT_CHILD";

/// Trie-node-sized values a commit writes: about 2 MiB, a large block's state changes.
const VALUES: u32 = 4_000;

/// The child: commits block after block and reports each one the moment its commit returns.
fn child(path: &str) {
	let db = ChainDb::open(std::path::Path::new(path)).expect("the database opens");
	let mut out = std::io::stdout().lock();
	for number in 1u32.. {
		let mut transaction = Transaction::<H256>::new();
		for i in 0..VALUES {
			let key = sp_io::hashing::blake2_256(&(number, i).encode());
			transaction.set_from_vec(columns::STATE, &key, vec![number as u8; 512]);
		}
		transaction.set_from_vec(columns::META, meta::FINALIZED, (number, H256::zero()).encode());
		db.commit(transaction).expect("the commit goes through");
		writeln!(out, "committed {number}").unwrap();
		out.flush().unwrap();
	}
}

#[test]
fn a_returned_commit_survives_kill_9() {
	if let Ok(path) = std::env::var(CHILD) {
		child(&path);
		return;
	}
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("db");
	let me = std::env::current_exe().unwrap();
	// The test's name in the harness: its module path without the crate's name.
	let name = match module_path!().split_once("::") {
		Some((_, module)) => format!("{module}::a_returned_commit_survives_kill_9"),
		None => "a_returned_commit_survives_kill_9".to_owned(),
	};
	for trial in 0..10u32 {
		let mut child = Command::new(&me)
			.args(["--exact", &name, "--nocapture", "--test-threads=1"])
			.env(CHILD, &path)
			.stdout(Stdio::piped())
			.stderr(Stdio::null())
			.spawn()
			.unwrap();
		let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
		// Kill after the first to the fourth commit of this run.
		let kill_after = 1 + trial % 4;
		let mut last = None;
		for line in lines.by_ref() {
			let line = line.unwrap();
			// The test harness may print its own words before the first report on its line.
			if let Some((_, number)) = line.split_once("committed ") {
				last = Some(number.parse::<u32>().unwrap());
				if last == Some(kill_after) {
					child.kill().unwrap();
					break;
				}
			}
		}
		child.wait().unwrap();
		let last = last.expect("the child committed");

		let db = ChainDb::open(&path).unwrap();
		let finalized = db.finalized().unwrap().map(|(number, _)| number);
		assert!(
			finalized >= Some(last),
			"trial {trial}: commit #{last} returned before the kill, the reopened database has \
			 {finalized:?}"
		);
		// Every value of that commit is there too: the commit is atomic.
		let key = sp_io::hashing::blake2_256(&(last, VALUES - 1).encode());
		assert_eq!(db.get(columns::STATE, &key), Some(vec![last as u8; 512]), "trial {trial}");
		drop(db);
		std::fs::remove_dir_all(&path).unwrap();
	}
}

/// Commits faster than the tables take them: enacting waits whenever more than a few logs wait
/// to be cleaned, so cleaning must go on beside it (a node whose enacting and cleaning took
/// turns on one thread hung here). Everything committed is there after a reopen.
#[test]
fn a_burst_of_commits_neither_hangs_nor_loses_one() {
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("db");
	let (done, finished) = std::sync::mpsc::channel();
	let writer_path = path.clone();
	std::thread::spawn(move || {
		let db = ChainDb::open(&writer_path).unwrap();
		for number in 1u32..=64 {
			let mut transaction = Transaction::<H256>::new();
			for i in 0..200u32 {
				let key = sp_io::hashing::blake2_256(&(number, i).encode());
				transaction.set_from_vec(columns::STATE, &key, vec![number as u8; 256]);
			}
			transaction.set_from_vec(
				columns::META,
				meta::FINALIZED,
				(number, H256::zero()).encode(),
			);
			db.commit(transaction).unwrap();
		}
		drop(db);
		done.send(()).unwrap();
	});
	finished
		.recv_timeout(std::time::Duration::from_secs(300))
		.expect("64 commits and a close within 300 s");
	let db = ChainDb::open(&path).unwrap();
	assert_eq!(db.finalized().unwrap(), Some((64, H256::zero())));
}
