pub mod bench;
pub mod emit;
pub mod idmap;
pub mod migrate;
