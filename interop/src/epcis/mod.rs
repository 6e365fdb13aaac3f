//! The chain's supply-chain events as GS1 EPCIS 2.0 JSON-LD, and EPCIS 2.0 documents as the
//! chain's provenance calls.
//!
//! - [`export`]: each entry of a unit's or container's history ([`SupplyEvent`]) as an EPCIS
//!   `ObjectEvent` or `AggregationEvent` with its CBV business step, disposition, read point,
//!   business location, source and destination parties, the lot and expiry of a commissioned
//!   unit, and its eventID computed as CBV 2.0's event hash ([`hash`]).
//! - [`import`]: an EPCIS 2.0 document from an ERP as the provenance calls that record its
//!   events, or the reasons, each naming the event and the field, why the chain cannot
//!   represent them.
//!
//! Identifiers are written as GS1 Digital Link URIs (`https://id.gs1.org/01/…/21/…`), which
//! carry whole keys as the chain stores them; EPC URNs are read too ([`ids`]). An organization
//! is named by its GLN where its licence is one (party `…/417/<GLN>`, location `…/414/<GLN>`),
//! and otherwise (an NPI-licensed pharmacy) as `urn:carechain:organization:<id>`.
//!
//! [`SupplyEvent`]: pallet_provenance::SupplyEvent

pub mod export;
pub mod hash;
pub mod ids;
pub mod import;
#[cfg(test)]
mod tests;
pub mod time;

/// The JSON-LD context of EPCIS 2.0.
pub const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The prefix of an organization's identifier when it has no GLN.
pub const ORGANIZATION_URN: &str = "urn:carechain:organization:";

/// A GS1 Global Location Number: 13 ASCII digits, the last a check digit.
pub type Gln = [u8; 13];
