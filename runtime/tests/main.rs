//! The runtime's integration tests, one module per file, in one binary.

mod governance;
mod migrations;
mod native_block;
mod private_dispense;
