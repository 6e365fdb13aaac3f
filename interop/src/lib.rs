//! Carechain's chain types in the exchange formats hospitals' and supply chains' systems speak:
//! FHIR R4 JSON and GS1 EPCIS 2.0 JSON-LD.
//!
//! Every function here is pure: chain types in, JSON out (and an EPCIS document in, provenance
//! calls out), nothing read from a node. The node's FHIR and EPCIS REST interfaces
//! (`node/src/fhir_rest/`, `node/src/epcis_rest/`) read the chain, check who may see what, and
//! call these. Each FHIR mapping's tests check its output against the R4 model
//! ([`carechain_fhir`]), so what the node serves is FHIR a client's parser accepts; the EPCIS
//! export is checked against the standard's JSON schema by client-js's tests.
//!
//! Nothing clinical is on chain, so nothing clinical comes out: a record is served as a
//! `DocumentReference` whose content is an attachment pointing to the vault (by content address
//! and hash), never the payload.

pub mod calendar;
pub mod epcis;
pub mod fhir;

/// A FHIR `instant` (RFC 3339, UTC, milliseconds) of a moment in milliseconds since the Unix
/// epoch. Moments past the end of year 9999, which RFC 3339 cannot write, are written as its
/// last millisecond.
pub fn instant(ms: u64) -> String {
	const LAST: u64 = 253_402_300_799_999;
	calendar::format_millis(ms.min(LAST) as i64)
}
