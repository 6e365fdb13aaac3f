//! Carechain's chain types in the exchange formats hospitals' systems speak: FHIR R4 JSON.
//!
//! Every function here is pure: chain types in, JSON out, nothing read from a node. The node's
//! FHIR REST interface (`node/src/fhir_rest/`) reads the chain, checks who may see what, and
//! calls these. Each mapping's tests check its output against the R4 model
//! ([`carechain_fhir`]), so what the node serves is FHIR a client's parser accepts.
//!
//! Nothing clinical is on chain, so nothing clinical comes out: a record is served as a
//! `DocumentReference` whose content is an attachment pointing to the vault (by content address
//! and hash), never the payload.

pub mod fhir;

/// A FHIR `instant` (RFC 3339, UTC, milliseconds) of a moment in milliseconds since the Unix
/// epoch. Moments past the end of year 9999, which RFC 3339 cannot write, are written as its
/// last millisecond.
pub fn instant(ms: u64) -> String {
	const LAST: u64 = 253_402_300_799_999;
	let since_epoch = std::time::Duration::from_millis(ms.min(LAST));
	let at = std::time::UNIX_EPOCH.checked_add(since_epoch).unwrap_or(std::time::UNIX_EPOCH);
	humantime::format_rfc3339_millis(at).to_string()
}
