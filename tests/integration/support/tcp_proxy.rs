//! A TCP proxy a test puts between the bot and one of its servers, to cut the
//! connection for a while (every open connection closed, new ones refused)
//! without touching the shared server other tests use, or to count what the
//! bot sends it (every request to PostgreSQL is bytes through here).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    pub addr: SocketAddr,
    cut: Arc<watch::Sender<bool>>,
    /// Bytes clients sent upstream, over every connection.
    sent: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TcpProxy {
    /// Forwards connections made to `addr` to `upstream`.
    pub async fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy binds");
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(false);
        let cut = Arc::new(cut);
        let state = cut.clone();
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if *state.borrow() {
                    // Refused: closed at once, as a server that is down would.
                    drop(client);
                    continue;
                }
                let mut cut = state.subscribe();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    // Upstream counted as it flows, so a test can read the
                    // count while connections stay open.
                    let up = async {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = from_client.read(&mut buf).await?;
                            if n == 0 {
                                return to_server.shutdown().await;
                            }
                            counter.fetch_add(n as u64, Ordering::SeqCst);
                            to_server.write_all(&buf[..n]).await?;
                        }
                    };
                    let down = tokio::io::copy(&mut from_server, &mut to_client);
                    tokio::select! {
                        _ = async { tokio::join!(up, down) } => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        TcpProxy { addr, cut, sent, task }
    }

    /// Bytes sent upstream so far through every connection (requests only:
    /// a client that sends nothing has asked nothing).
    pub fn bytes_sent_upstream(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}
