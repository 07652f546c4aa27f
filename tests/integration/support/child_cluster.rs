//! A gateway cluster as a process of its own (`ticketeer gateway`, the
//! binary cargo built for this test run), for tests that kill it the way a
//! node is lost: `kill -9`, no shutdown, nothing saved on the way out.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{eventually, TestApp};

pub struct ChildCluster {
    child: Child,
    shards: Vec<u64>,
    /// Where it serves `/metrics`.
    ops_port: u16,
    /// Its last log lines (stderr), read as they come so it never blocks.
    logs: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
    /// The tasks reading its stdout and stderr; each ends at the pipe's end.
    readers: Vec<tokio::task::JoinHandle<()>>,
}

/// Log lines of a child kept for the test to read.
const KEPT_LINES: usize = 500;

impl TestApp {
    /// Starts cluster `index` of `options.clusters` as a `ticketeer gateway`
    /// process with this test's configuration, and waits until its shards
    /// are connected. Its logs go to the test's output with `TEST_LOG` set.
    pub async fn start_child_cluster(&self, index: u16) -> ChildCluster {
        self.start_child_cluster_with_shards_connected(index, None).await
    }

    /// The same, waiting until `connected` of its shards (all, with `None`)
    /// are connected.
    pub async fn start_child_cluster_with_shards_connected(
        &self,
        index: u16,
        connected: Option<usize>,
    ) -> ChildCluster {
        self.spawn_child_cluster(index, connected, false).await
    }

    /// Cluster `index` told its place by the environment (`TICKETEER_CLUSTER`,
    /// `TICKETEER_CLUSTERS`, as `infra/` sets them) instead of flags.
    pub async fn start_child_cluster_from_env(&self, index: u16) -> ChildCluster {
        self.spawn_child_cluster(index, None, true).await
    }

    async fn spawn_child_cluster(&self, index: u16, connected: Option<usize>, via_env: bool) -> ChildCluster {
        let ops_port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let echo = std::env::var_os("TEST_LOG").is_some();
        let place = if via_env {
            vec![("TICKETEER_CLUSTER", index.to_string()), ("TICKETEER_CLUSTERS", self.options.clusters.to_string())]
        } else {
            Vec::new()
        };
        let flags = if via_env {
            Vec::new()
        } else {
            vec!["--cluster".to_owned(), index.to_string(), "--clusters".to_owned(), self.options.clusters.to_string()]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_ticketeer"))
            .arg("gateway")
            .args(flags)
            .args(["--total-shards", &self.options.shards.to_string()])
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .envs(place)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TICKETEER_LOG_FORMAT", "human")
            .env("TICKETEER_OPS_LISTEN", format!("127.0.0.1:{ops_port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the ticketeer binary starts");
        let logs = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        let mut readers = Vec::new();
        for output in [
            child.stdout.take().map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child.stderr.take().map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            readers.push(tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt as _;
                let mut lines = tokio::io::BufReader::new(output).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if echo {
                        eprintln!("[child] {line}");
                    }
                    let mut kept = logs.lock().unwrap();
                    if kept.len() == KEPT_LINES {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            }));
        }
        let shards = twilight_gateway_bucket(index, self.options.clusters, self.options.shards);
        let mut cluster = ChildCluster { child, shards: shards.clone(), logs, readers, ops_port };
        let control = self.control.clone();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = cluster.child.try_wait() {
                panic!("ticketeer gateway exited at start-up: {status}");
            }
            let live: Vec<u64> = control
                .gateway_sessions()
                .await
                .unwrap_or_default()
                .iter()
                .filter_map(|s| s["shard"].as_u64())
                .collect();
            if shards.iter().filter(|s| live.contains(s)).count() >= connected.unwrap_or(shards.len()) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the child cluster's shards did not connect in 30 s");
            // Poll interval of a wait bounded by `deadline`.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        cluster
    }
}

impl ChildCluster {
    /// SIGKILL, as a lost node or the OOM killer: the process saves nothing.
    /// Returns once the stand-in has seen its shards' sockets drop.
    pub async fn kill(mut self, app: &TestApp) {
        self.child.start_kill().expect("the child cluster can be killed");
        self.child.wait().await.expect("the child cluster is reaped");
        let shards = self.shards;
        eventually("the killed cluster's sessions are disconnected", || async {
            let sessions = app.control.gateway_sessions().await.ok()?;
            let live = sessions.iter().filter_map(|s| s["shard"].as_u64()).any(|s| shards.contains(&s));
            (!live).then_some(())
        })
        .await;
    }

    /// Its `/metrics` page.
    pub async fn metrics(&self) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.ops_port);
        reqwest::get(url).await.expect("the child serves /metrics").text().await.unwrap()
    }

    /// The status of its `/healthz` (200 ready, 503 not).
    pub async fn healthz(&self) -> u16 {
        let url = format!("http://127.0.0.1:{}/healthz", self.ops_port);
        reqwest::get(url).await.expect("the child serves /healthz").status().as_u16()
    }

    /// Its log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().iter().cloned().collect()
    }

    /// Waits (30 s at most) for the process to exit on its own; returns its
    /// status and its last log lines.
    pub async fn exited(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the child cluster exits within 30 s")
            .expect("the child cluster is reaped");
        // The readers have taken the last lines once the pipes have ended.
        for reader in self.readers.drain(..) {
            let read = tokio::time::timeout(Duration::from_secs(10), reader).await;
            read.expect("the child's output ends with it").expect("a reader ends cleanly");
        }
        let lines = self.logs.lock().unwrap().iter().cloned().collect();
        (status, lines)
    }

    /// SIGTERM and wait for a clean exit (sessions saved for a resume).
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let sent = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
            assert!(sent.is_ok_and(|s| s.success()), "SIGTERM is sent to the child cluster");
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the child cluster stops within 30 s of SIGTERM")
            .expect("the child cluster is reaped");
        assert!(status.success(), "the child cluster exits cleanly on SIGTERM: {status}");
    }
}

/// The shards cluster `index` of `clusters` runs (`twilight_gateway::bucket`).
fn twilight_gateway_bucket(index: u16, clusters: u16, total: u32) -> Vec<u64> {
    twilight_gateway::bucket(index, clusters, total).map(|shard| u64::from(shard.number())).collect()
}

impl TestApp {
    /// Waits until every shard has written a session checkpoint (every 2 s),
    /// as any cluster that has run for a few seconds has.
    pub async fn wait_for_session_checkpoint(&self) {
        use deadpool_redis::redis;
        let keys = ticketeer::redis::keys::Keys::new(self.application_id);
        let redis_url = self.env.iter().find(|(k, _)| *k == "REDIS_URL").map(|(_, v)| v.clone()).unwrap();
        let pool = ticketeer::redis::connect(&redis_url).unwrap();
        let total = self.options.shards;
        eventually("every shard has written a session checkpoint", || async {
            let mut conn = pool.get().await.ok()?;
            for shard in 0..total {
                let exists: bool =
                    redis::cmd("EXISTS").arg(keys.shard_session(shard, total)).query_async(&mut conn).await.ok()?;
                exists.then_some(())?;
            }
            Some(())
        })
        .await;
    }
}
