//! Storage migrations of the provenance pallet.

pub mod v1;
