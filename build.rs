//! Compiles `proto/*.proto` into the gRPC server code and a descriptor set
//! (for reflection), using the protoc binary vendored from crates.io so a
//! machine with only the Rust toolchain builds the crate.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/qdrant.proto",
    "proto/collections_service.proto",
    "proto/points_service.proto",
    "proto/snapshots_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; prost-build reads PROTOC.
    unsafe { std::env::set_var("PROTOC", protoc) };
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .build_client(false)
        .file_descriptor_set_path(out.join("qdrant_descriptor.bin"))
        .compile_protos(PROTOS, &["proto"])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
