//! The `quiver` command: parse flags, load settings, run the server until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use quiver::{Server, Settings};

/// An embedded, Qdrant-compatible vector server.
#[derive(Parser, Debug)]
#[command(name = "quiver", version, about)]
struct Cli {
    /// A config file applied after config/config.yaml, config/{RUN_MODE}.yaml and
    /// config/local.yaml, and before QDRANT__… environment variables.
    #[arg(long)]
    config_path: Option<PathBuf>,
    /// Keep everything in memory (same as storage.storage_path: ":memory:").
    #[arg(long)]
    in_memory: bool,
    /// Accepted for compatibility with Qdrant's command line; Quiver sends no telemetry.
    #[arg(long)]
    disable_telemetry: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config_path.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("quiver: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.in_memory {
        settings.storage.storage_path = PathBuf::from(":memory:");
    }
    let filter = tracing_subscriber::EnvFilter::try_new(settings.log_level.to_lowercase())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("quiver: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match Server::start(&settings).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("quiver: cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let storage = if settings.is_in_memory() {
            "in memory (nothing is written to disk)".to_string()
        } else {
            format!("{}", settings.storage.storage_path.display())
        };
        println!(
            "Quiver {} serving Qdrant REST API on {} ; storage: {storage}",
            env!("CARGO_PKG_VERSION"),
            server.rest_url()
        );
        match server.grpc_url() {
            Some(url) => println!("Quiver serving Qdrant gRPC API on {url}"),
            None => println!("Quiver serves no gRPC API (service.grpc_port is null)"),
        }
        shutdown_signal().await;
        println!("Quiver shutting down");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
