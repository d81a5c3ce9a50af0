//! The `quiver` command: parse flags, load settings, run the server until Ctrl-C or SIGTERM
//! (SIGHUP reloads API keys and TLS certificates); `quiver keys generate` prints a new API key.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quiver::auth::generate::{GenerateOptions, generate};
use quiver::server::SettingsSource;
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
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// API key tools.
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Print a new random key (256 bits from the OS) once, with the config entry that stores
    /// only its SHA-256.
    Generate {
        /// The key's name, shown in logs and GET /auth/keys.
        #[arg(long)]
        name: Option<String>,
        /// manage, read-write or read-only.
        #[arg(long, default_value = "read-only")]
        access: String,
        /// Collections (names or prefix-* patterns), comma-separated.
        #[arg(long, value_delimiter = ',')]
        collections: Vec<String>,
        /// Validity from now, like 30d, 12h or 90m.
        #[arg(long)]
        expires_in: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Keys {
        action:
            KeysCommand::Generate {
                name,
                access,
                collections,
                expires_in,
            },
    }) = cli.command
    {
        let options = GenerateOptions {
            name,
            access: Some(access),
            collections,
            expires_in,
        };
        return match generate(&options, chrono::Utc::now()) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("quiver: {e}");
                ExitCode::from(2)
            }
        };
    }
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
        let source = SettingsSource::config(cli.config_path.clone());
        let server = match Server::start_with_source(&settings, source).await {
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
        if let Some(warning) =
            quiver::server::clear_text_key_warning(server.auth().enabled(), &settings.service)
        {
            tracing::warn!("{warning}");
        }
        run_until_shutdown(&server).await;
        println!("Quiver shutting down");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// Waits for Ctrl-C or SIGTERM, reloading keys and TLS certificates on every SIGHUP meanwhile.
async fn run_until_shutdown(server: &Server) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut hup) = signal(SignalKind::hangup()) {
            let stop = shutdown_signal();
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    _ = hup.recv() => { let _ = server.reload(); }
                }
            }
        }
    }
    shutdown_signal().await;
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
