//! Throwaway PostgreSQL and Redis servers for `ticketeer demo`, so the demo runs
//! on a machine that only has the server packages installed.
//!
//! [`postgres`] and [`redis`] prefer, in order: a URL the user gave, a server
//! already listening on the default local port, and finally a fresh server in a
//! temporary directory on a free port. A fresh server is owned by the returned
//! [`LocalService`], which stops it and deletes its directory on
//! [`LocalService::stop`] or, failing that, on drop. A process killed with
//! SIGKILL cannot clean up: its server keeps running until stopped by hand.

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::{DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL};

/// The ports of config.rs's default URLs ([`DEFAULT_DATABASE_URL`],
/// [`DEFAULT_REDIS_URL`]), where a server already running is used.
const DEFAULT_POSTGRES_PORT: u16 = 5432;
const DEFAULT_REDIS_PORT: u16 = 6379;
/// How long a fresh server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a probe of a default port may take: a local server answers at once.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

const INSTALL_POSTGRES: &str = "install PostgreSQL's server (`apt-get install postgresql`), \
     or pass the URL of a running server";
const INSTALL_REDIS: &str = "install Redis (`apt-get install redis-server`), \
     or pass the URL of a running server";

/// A server started by this module. Stops the server and removes its directory
/// when stopped or dropped.
pub struct LocalService {
    name: &'static str,
    url: String,
    process: Option<Process>,
    /// Removed after the server is stopped (fields are dropped after `Drop::drop`).
    dir: Option<TempDir>,
}

enum Process {
    /// Started with `pg_ctl`, which daemonizes; stopped with `pg_ctl stop`.
    Postgres { pg_ctl: PathBuf, data_dir: PathBuf, runner: Runner },
    /// A child process of ours.
    Redis { child: tokio::process::Child },
}

impl LocalService {
    /// The URL clients connect with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server, waits for it to exit and removes its directory.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(process) = self.process.take() {
            match process {
                Process::Postgres { pg_ctl, data_dir, runner } => {
                    let output = tokio::process::Command::from(pg_ctl_stop(&runner, &pg_ctl, &data_dir))
                        .output()
                        .await
                        .context("running pg_ctl stop")?;
                    check_output("pg_ctl stop", &output)?;
                }
                Process::Redis { mut child } => {
                    // The server keeps nothing worth saving (`--save ""`), so a
                    // kill is as good as a shutdown and never hangs.
                    child.kill().await.context("stopping redis-server")?;
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_owned();
            dir.close().with_context(|| format!("removing {}", path.display()))?;
        }
        tracing::info!(service = self.name, "stopped throwaway server");
        Ok(())
    }
}

impl Drop for LocalService {
    fn drop(&mut self) {
        match self.process.take() {
            // Blocking, but only for the moment a fast shutdown of an idle
            // server takes, and only when `stop` was not called.
            Some(Process::Postgres { pg_ctl, data_dir, runner }) => {
                let mut command = pg_ctl_stop(&runner, &pg_ctl, &data_dir);
                if let Err(error) = command.output() {
                    tracing::warn!(%error, "could not stop throwaway PostgreSQL");
                }
            }
            Some(Process::Redis { mut child }) => {
                if let Err(error) = child.start_kill() {
                    tracing::warn!(%error, "could not stop throwaway Redis");
                }
            }
            None => {}
        }
    }
}

impl std::fmt::Debug for LocalService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalService")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("dir", &self.dir.as_ref().map(TempDir::path))
            .finish_non_exhaustive()
    }
}

/// A PostgreSQL URL for the demo: `preferred_url` if given, else a server on
/// 127.0.0.1:5432 if one accepts connections, else a fresh throwaway server.
pub async fn postgres(preferred_url: Option<&str>) -> anyhow::Result<(String, Option<LocalService>)> {
    if let Some(url) = preferred_url {
        return Ok((url.to_owned(), None));
    }
    if accepts_tcp(DEFAULT_POSTGRES_PORT).await {
        tracing::info!("using the PostgreSQL server on 127.0.0.1:5432");
        return Ok((DEFAULT_DATABASE_URL.to_owned(), None));
    }
    let service = start_postgres().await?;
    Ok((service.url.clone(), Some(service)))
}

/// A Redis URL for the demo: `preferred_url` if given, else a server on
/// 127.0.0.1:6379 if one accepts connections, else a fresh throwaway server.
pub async fn redis(preferred_url: Option<&str>) -> anyhow::Result<(String, Option<LocalService>)> {
    if let Some(url) = preferred_url {
        return Ok((url.to_owned(), None));
    }
    if accepts_tcp(DEFAULT_REDIS_PORT).await {
        tracing::info!("using the Redis server on 127.0.0.1:6379");
        return Ok((DEFAULT_REDIS_URL.to_owned(), None));
    }
    let service = start_redis().await?;
    Ok((service.url.clone(), Some(service)))
}

/// Starts a fresh PostgreSQL server (user `postgres`, trust authentication, no
/// durability) on a free port of 127.0.0.1.
pub async fn start_postgres() -> anyhow::Result<LocalService> {
    let bin = find_postgres_bin()?;
    let runner = Runner::for_postgres()?;

    let dir = tempfile::Builder::new()
        .prefix("ticketeer-postgres-")
        .tempdir()
        .context("creating a temporary directory for PostgreSQL")?;
    runner.hand_over(dir.path())?;
    let data_dir = dir.path().join("data");
    let log_file = dir.path().join("postgres.log");
    let port = free_port()?;

    let initdb = runner
        .command(
            &bin.join("initdb"),
            [
                OsStr::new("-D"),
                data_dir.as_os_str(),
                OsStr::new("-U"),
                OsStr::new("postgres"),
                OsStr::new("--auth=trust"),
                OsStr::new("--encoding=UTF8"),
                OsStr::new("--locale=C"),
                OsStr::new("--no-sync"),
            ],
        )
        .current_dir(dir.path())
        .output();
    let output = initdb.await.context("running initdb")?;
    check_output("initdb", &output)?;

    // From here on, dropping `service` stops whatever did start.
    let mut service = LocalService {
        name: "postgres",
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        process: Some(Process::Postgres {
            pg_ctl: bin.join("pg_ctl"),
            data_dir: data_dir.clone(),
            runner: runner.clone(),
        }),
        dir: None,
    };
    // pg_ctl hands `-o` to a shell, hence the quotes around the socket directory.
    // Durability is switched off: the data is thrown away anyway.
    let server_options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        shell_quote(dir.path().as_os_str())
    );
    let start = runner
        .command(
            &bin.join("pg_ctl"),
            [
                OsStr::new("start"),
                OsStr::new("-D"),
                data_dir.as_os_str(),
                OsStr::new("-l"),
                log_file.as_os_str(),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new(&START_TIMEOUT.as_secs().to_string()),
                OsStr::new("-o"),
                OsStr::new(&server_options),
            ],
        )
        .current_dir(dir.path())
        .output();
    let started = start.await.context("running pg_ctl start").and_then(|output| check_output("pg_ctl start", &output));
    if let Err(error) = started {
        let log = log_tail(&log_file);
        service.dir = Some(dir);
        return Err(error.context(format!("PostgreSQL did not start; its log ends with:\n{log}")));
    }
    service.dir = Some(dir);
    wait_for_tcp(port).await.context("PostgreSQL started but does not accept TCP connections")?;
    tracing::info!(port, "started throwaway PostgreSQL");
    Ok(service)
}

/// Starts a fresh Redis server (no persistence) on a free port of 127.0.0.1.
pub async fn start_redis() -> anyhow::Result<LocalService> {
    let redis_server = find_executable("redis-server", &["/usr/bin", "/usr/sbin", "/usr/local/bin"])
        .with_context(|| format!("redis-server was not found on PATH: {INSTALL_REDIS}"))?;
    let dir = tempfile::Builder::new()
        .prefix("ticketeer-redis-")
        .tempdir()
        .context("creating a temporary directory for Redis")?;
    let log_file = dir.path().join("redis.log");
    let port = free_port()?;

    let child = tokio::process::Command::new(&redis_server)
        .arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir.path())
        .arg("--logfile")
        .arg(&log_file)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", redis_server.display()))?;
    let mut service = LocalService {
        name: "redis",
        url: format!("redis://127.0.0.1:{port}"),
        process: Some(Process::Redis { child }),
        dir: Some(dir),
    };

    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        if answers_ping(port).await {
            break;
        }
        if let Some(Process::Redis { child }) = &mut service.process {
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "redis-server exited ({status}) before accepting connections; its log ends with:\n{}",
                    log_tail(&log_file)
                );
            }
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "redis-server did not answer PING within {} s; its log ends with:\n{}",
                START_TIMEOUT.as_secs(),
                log_tail(&log_file)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::info!(port, "started throwaway Redis");
    Ok(service)
}

/// How PostgreSQL's tools are run. They refuse to run as root, so as root they
/// run as the `postgres` user, in a directory handed over to that user.
#[derive(Clone, Debug)]
enum Runner {
    Direct,
    AsPostgres { uid: u32, gid: u32, runuser: Option<PathBuf> },
}

impl Runner {
    fn for_postgres() -> anyhow::Result<Self> {
        if !running_as_root() {
            return Ok(Self::Direct);
        }
        let (uid, gid) = user_ids("postgres")?.context(
            "running as root, where initdb refuses to run, and there is no `postgres` user \
             to run it as: create one (`useradd --system postgres`) or run as another user",
        )?;
        let runuser = find_executable("runuser", &["/usr/sbin", "/sbin", "/usr/bin"]);
        Ok(Self::AsPostgres { uid, gid, runuser })
    }

    /// Gives `dir` to the user the tools run as.
    fn hand_over(&self, dir: &Path) -> anyhow::Result<()> {
        if let Self::AsPostgres { uid, gid, .. } = self {
            std::os::unix::fs::chown(dir, Some(*uid), Some(*gid))
                .with_context(|| format!("giving {} to the postgres user", dir.display()))?;
        }
        Ok(())
    }

    /// The command running `program` with `args` as the right user.
    fn command<'a>(&self, program: &Path, args: impl IntoIterator<Item = &'a OsStr>) -> tokio::process::Command {
        self.std_command(program, args).into()
    }

    /// The same as a std command, which `Drop` can run without a runtime.
    fn std_command<'a>(&self, program: &Path, args: impl IntoIterator<Item = &'a OsStr>) -> std::process::Command {
        let mut command = match self {
            Self::Direct => {
                let mut command = std::process::Command::new(program);
                command.args(args);
                command
            }
            Self::AsPostgres { runuser: Some(runuser), .. } => {
                let mut command = std::process::Command::new(runuser);
                command.args(["-u", "postgres", "--"]).arg(program).args(args);
                command
            }
            Self::AsPostgres { runuser: None, .. } => {
                let mut line = shell_quote(program.as_os_str());
                for arg in args {
                    line.push(' ');
                    line.push_str(&shell_quote(arg));
                }
                let mut command = std::process::Command::new("su");
                command.args(["-s", "/bin/sh", "postgres", "-c"]).arg(line);
                command
            }
        };
        command.stdin(Stdio::null());
        command
    }
}

fn pg_ctl_stop(runner: &Runner, pg_ctl: &Path, data_dir: &Path) -> std::process::Command {
    let mut command = runner.std_command(
        pg_ctl,
        [
            OsStr::new("stop"),
            OsStr::new("-D"),
            data_dir.as_os_str(),
            OsStr::new("-m"),
            OsStr::new("fast"),
            OsStr::new("-w"),
        ],
    );
    // The data directory's parent is readable by the server's user, unlike
    // wherever the caller happens to be.
    if let Some(parent) = data_dir.parent() {
        command.current_dir(parent);
    }
    command
}

/// Single-quotes `arg` for `sh`.
fn shell_quote(arg: &OsStr) -> String {
    format!("'{}'", arg.to_string_lossy().replace('\'', r"'\''"))
}

fn check_output(what: &str, output: &Output) -> anyhow::Result<()> {
    if output.status.success() {
        return Ok(());
    }
    bail!(
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim(),
        String::from_utf8_lossy(&output.stdout).trim()
    )
}

/// The last lines of a server's log, for error messages.
fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(20)..].join("\n")
        }
        Err(error) => format!("(could not read {}: {error})", path.display()),
    }
}

/// The directory holding both `initdb` and `pg_ctl`: PATH first, then Debian's
/// versioned directories, newest version first.
fn find_postgres_bin() -> anyhow::Result<PathBuf> {
    let has_tools = |dir: &Path| is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"));
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default();
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(versioned.into_iter().map(|(_, dir)| dir));
    candidates.into_iter().find(|dir| has_tools(dir)).with_context(|| {
        format!(
            "PostgreSQL's initdb and pg_ctl were not found on PATH or in /usr/lib/postgresql/*/bin: {INSTALL_POSTGRES}"
        )
    })
}

/// `name` on PATH, else in one of `fallback_dirs`.
fn find_executable(name: &str, fallback_dirs: &[&str]) -> Option<PathBuf> {
    let on_path: Vec<PathBuf> =
        std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default();
    on_path
        .into_iter()
        .chain(fallback_dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `/proc/self` belongs to the process's effective user.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of `user` from /etc/passwd, if it exists.
fn user_ids(user: &str) -> anyhow::Result<Option<(u32, u32)>> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    Ok(passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    }))
}

/// A port nobody listens on right now. Another process could take it before
/// the server binds it; for a demo that race is acceptable.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr().context("finding a free port")?.port())
}

async fn accepts_tcp(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    matches!(tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect(address)).await, Ok(Ok(_)))
}

async fn wait_for_tcp(port: u16) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    while !accepts_tcp(port).await {
        if tokio::time::Instant::now() >= deadline {
            bail!("nothing accepts connections on 127.0.0.1:{port}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Whether a Redis server on `port` answers `PING` (inline command syntax).
async fn answers_ping(port: u16) -> bool {
    let ping = async {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).await?;
        Ok::<_, std::io::Error>(&reply == b"+PONG\r\n")
    };
    matches!(tokio::time::timeout(PROBE_TIMEOUT, ping).await, Ok(Ok(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throwaway_redis_answers_ping_and_cleans_up() {
        let service = start_redis().await.expect("start redis-server");
        let port: u16 = service.url().rsplit(':').next().unwrap().parse().unwrap();
        assert!(answers_ping(port).await);
        let dir = service.dir.as_ref().unwrap().path().to_owned();

        service.stop().await.unwrap();
        assert!(!dir.exists(), "{} should be removed", dir.display());
        assert!(!answers_ping(port).await);
    }

    #[tokio::test]
    async fn throwaway_postgres_runs_queries_and_cleans_up() {
        let service = start_postgres().await.expect("start PostgreSQL");
        let dir = service.dir.as_ref().unwrap().path().to_owned();
        let pool = sqlx::PgPool::connect(service.url()).await.unwrap();
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await.unwrap();
        assert_eq!(one, 1);
        pool.close().await;

        let port: u16 = service.url().rsplit(':').next().unwrap().split('/').next().unwrap().parse().unwrap();
        service.stop().await.unwrap();
        assert!(!dir.exists(), "{} should be removed", dir.display());
        assert!(!accepts_tcp(port).await);
    }

    #[tokio::test]
    async fn dropping_a_service_stops_it() {
        let service = start_redis().await.expect("start redis-server");
        let port: u16 = service.url().rsplit(':').next().unwrap().parse().unwrap();
        drop(service);
        // The kill is asynchronous; give the process a moment to go.
        let mut stopped = false;
        for _ in 0..100 {
            if !answers_ping(port).await {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(stopped);
    }

    #[tokio::test]
    async fn a_preferred_url_is_used_as_is() {
        let (url, service) = postgres(Some("postgres://x@db/y")).await.unwrap();
        assert_eq!(url, "postgres://x@db/y");
        assert!(service.is_none());
        let (url, service) = redis(Some("redis://cache:6379")).await.unwrap();
        assert_eq!(url, "redis://cache:6379");
        assert!(service.is_none());
    }

    #[test]
    fn the_probed_ports_are_those_of_the_default_urls() {
        assert!(DEFAULT_DATABASE_URL.contains(&format!("@127.0.0.1:{DEFAULT_POSTGRES_PORT}/")));
        assert!(DEFAULT_REDIS_URL.ends_with(&format!("//127.0.0.1:{DEFAULT_REDIS_PORT}")));
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote(OsStr::new("a b")), "'a b'");
        assert_eq!(shell_quote(OsStr::new("it's")), r"'it'\''s'");
    }
}
