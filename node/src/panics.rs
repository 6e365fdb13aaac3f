//! The node's panic hook. The native executor catches the runtime's panics on calls it refuses
//! (a bad `state_call` argument, an invalid extrinsic in a block), so anyone who can send such
//! a call can make the node panic as often as it likes: the default hook would print each one,
//! with a backtrace under `RUST_BACKTRACE=1`, thousands of lines a minute. For a panic inside
//! a runtime call ([`in_runtime`]), this hook logs the first at each place in the code once per
//! interval, with its message (cut short) and no backtrace, and counts the rest, which the next
//! line of that place reports. Any other panic is the node's own bug: the default hook prints
//! it in full, backtrace included, however many runtime panics came before.

use parking_lot::Mutex;
use std::{
	cell::Cell,
	collections::HashMap,
	time::{Duration, Instant},
};

thread_local! {
	/// Whether this thread is inside a runtime call.
	static IN_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, a call into the runtime, so that its panics go to the rate-limited log.
pub fn in_runtime<R>(f: impl FnOnce() -> R) -> R {
	/// Puts the flag back when `f` returns or unwinds.
	struct Restore(bool);
	impl Drop for Restore {
		fn drop(&mut self) {
			IN_RUNTIME.with(|flag| flag.set(self.0));
		}
	}
	let _restore = Restore(IN_RUNTIME.with(|flag| flag.replace(true)));
	f()
}

/// Whether this thread is inside a runtime call.
fn is_in_runtime() -> bool {
	IN_RUNTIME.with(Cell::get)
}

/// The longest message logged; a panic's message may carry what a caller sent.
const MAX_MESSAGE: usize = 256;

/// Places remembered; the code has a bounded number of them, this is a safety net.
const MAX_PLACES: usize = 1024;

/// What the hook remembers of one place that panicked.
struct Place {
	/// When its last line was logged.
	logged: Instant,
	/// Panics there since, not logged.
	suppressed: u64,
}

/// Decides which panics are logged: the first at each place per interval.
pub struct PanicLog {
	interval: Duration,
	places: Mutex<HashMap<String, Place>>,
}

impl PanicLog {
	/// A log that lets one panic per place through every `interval`.
	pub fn new(interval: Duration) -> Self {
		Self { interval, places: Mutex::new(HashMap::new()) }
	}

	/// Whether a panic at `place` at `now` is logged; if it is, how many at that place were
	/// not since the last one that was.
	pub fn admit(&self, place: &str, now: Instant) -> Option<u64> {
		let mut places = self.places.lock();
		if places.len() >= MAX_PLACES && !places.contains_key(place) {
			let interval = self.interval;
			places.retain(|_, p| now.saturating_duration_since(p.logged) < interval);
			if places.len() >= MAX_PLACES {
				return None;
			}
		}
		match places.get_mut(place) {
			Some(seen) if now.saturating_duration_since(seen.logged) < self.interval => {
				seen.suppressed = seen.suppressed.saturating_add(1);
				None
			}
			Some(seen) => {
				let suppressed = std::mem::take(&mut seen.suppressed);
				seen.logged = now;
				Some(suppressed)
			}
			None => {
				places.insert(place.to_owned(), Place { logged: now, suppressed: 0 });
				Some(0)
			}
		}
	}
}

/// Replaces the default panic hook with one that logs a runtime call's panics through
/// `tracing`, once per place per `interval`, without backtraces, and leaves every other panic
/// to the default hook.
pub fn install(interval: Duration) {
	let log = PanicLog::new(interval);
	let default = std::panic::take_hook();
	std::panic::set_hook(Box::new(move |info| {
		if !is_in_runtime() {
			return default(info);
		}
		let place = info.location().map_or_else(
			|| "an unknown place".to_owned(),
			|l| format!("{}:{}", l.file(), l.line()),
		);
		let Some(suppressed) = log.admit(&place, Instant::now()) else { return };
		let payload = info.payload();
		let message = payload
			.downcast_ref::<&str>()
			.copied()
			.or_else(|| payload.downcast_ref::<String>().map(String::as_str))
			.unwrap_or("(no message)");
		let message = match message.char_indices().nth(MAX_MESSAGE) {
			Some((cut, _)) => format!("{}…", &message[..cut]),
			None => message.to_owned(),
		};
		let thread = std::thread::current();
		let thread = thread.name().unwrap_or("unnamed");
		let more = match suppressed {
			0 => String::new(),
			n => format!(" ({n} more there since the last report, not logged)"),
		};
		tracing::warn!(
			target: "panic",
			"thread '{thread}' panicked at {place}: {message}{more}; logged once per {interval:?} per place, without backtrace"
		);
	}));
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_a_runtime_call_is_in_the_runtime_even_when_it_panics() {
		assert!(!is_in_runtime());
		assert!(in_runtime(is_in_runtime));
		// Nested calls keep the flag until the outer one ends.
		in_runtime(|| {
			in_runtime(|| ());
			assert!(is_in_runtime());
		});
		assert!(!is_in_runtime());
		// A runtime call that panics (the executor catches it) leaves the thread outside, so
		// the node's own panics on this thread later are printed in full.
		let caught = std::panic::catch_unwind(|| in_runtime(|| panic!("refused call")));
		assert!(caught.is_err());
		assert!(!is_in_runtime());
		// Another thread is not inside because this one is.
		in_runtime(|| assert!(!std::thread::spawn(is_in_runtime).join().unwrap()));
	}

	#[test]
	fn one_panic_per_place_per_interval_is_logged_and_the_rest_counted() {
		let log = PanicLog::new(Duration::from_secs(60));
		let start = Instant::now();
		assert_eq!(log.admit("runtime/src/lib.rs:10", start), Some(0));
		for i in 1..=13_000u64 {
			let now = start + Duration::from_millis(i * 4);
			assert_eq!(log.admit("runtime/src/lib.rs:10", now), None);
		}
		// Another place is not held back by the first.
		assert_eq!(log.admit("node/src/pool.rs:5", start + Duration::from_secs(1)), Some(0));
		// At the interval, the count of those not logged.
		assert_eq!(
			log.admit("runtime/src/lib.rs:10", start + Duration::from_secs(60)),
			Some(13_000)
		);
		assert_eq!(log.admit("runtime/src/lib.rs:10", start + Duration::from_secs(61)), None);
	}

	#[test]
	fn places_are_bounded() {
		let log = PanicLog::new(Duration::from_secs(60));
		let start = Instant::now();
		for i in 0..MAX_PLACES {
			assert_eq!(log.admit(&format!("p{i}"), start), Some(0));
		}
		assert_eq!(log.admit("one more", start), None);
		// Once the others are older than the interval they make room.
		assert_eq!(log.admit("one more", start + Duration::from_secs(60)), Some(0));
		assert!(log.places.lock().len() <= MAX_PLACES);
	}
}
