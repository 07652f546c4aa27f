//! Runs the Discord stand-in as a process: `discord-standin --port 8090
//! [--token T] [--shards N] [--no-route-limits] [--demo]`. Prints the base
//! URL on the first line of stdout so scripts can pick it up.

use discord_standin::{seed_demo, Config, StandIn};

fn usage() -> ! {
    eprintln!(
        "usage: discord-standin [--port N] [--token T] [--app-id N] [--shards N] \
         [--max-concurrency N] [--global-limit N] [--no-route-limits] [--heartbeat-ms N] [--demo]"
    );
    std::process::exit(2)
}

fn value<T: std::str::FromStr>(args: &mut impl Iterator<Item = String>) -> T {
    args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut config = Config::default();
    let mut port: u16 = 0;
    let mut demo = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = value(&mut args),
            "--token" => config.bot_token = value(&mut args),
            "--app-id" => config.application_id = value(&mut args),
            "--shards" => config.shards = value(&mut args),
            "--max-concurrency" => config.max_concurrency = value(&mut args),
            "--global-limit" => config.global_rate_limit = value(&mut args),
            "--heartbeat-ms" => config.heartbeat_interval_ms = value(&mut args),
            "--no-route-limits" => config.route_limits = false,
            "--demo" => demo = true,
            _ => usage(),
        }
    }
    config.bind.set_port(port);
    let standin = StandIn::start(config).await?;
    println!("{}", standin.base_url());
    if demo {
        let world = seed_demo(&standin.control()).await?;
        println!("{world:#?}");
    }
    tokio::signal::ctrl_c().await?;
    standin.shutdown().await;
    Ok(())
}
