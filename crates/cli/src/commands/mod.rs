pub mod bench;
pub mod emit;
pub mod hash;
pub mod idmap;
pub mod migrate;
pub mod remap;
pub mod status;
