//! FHIR R4 validation of a payload before it is sealed: [`carechain_fhir`], which checks it
//! against the `fhir` crate's R4 model (element definitions and typed resources) and the
//! primitive formats and JSON rules that model does not carry.

pub use carechain_fhir::{indexed_type, validate, FhirError, MAX_NESTING};
