//! Storage migrations of the claims pallet.

pub mod v1;
pub mod v2;
