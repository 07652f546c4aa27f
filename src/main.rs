//! The `ticketeer` binary: everything is in the library; see `cli.rs`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    ticketeer::cli::main().await
}
