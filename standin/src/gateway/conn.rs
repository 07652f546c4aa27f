//! One websocket connection: HELLO, then reading ops from the client and
//! writing whatever the hub queues for it, until either side closes.

use super::hub::Outbound;
use super::session;
use crate::state::App;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::SinkExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;

pub async fn upgrade(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run(app, socket))
}

/// Per-connection state the op handlers update.
pub struct Conn {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<Outbound>,
    pub session_id: Option<String>,
}

async fn run(app: App, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = app.state.lock().hub.next_conn_id();
    let mut conn = Conn { id, tx, session_id: None };
    let hello = json!({"op": 10, "d": {"heartbeat_interval": app.config.heartbeat_interval_ms}});
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<Value>(text.as_str()) {
                        Ok(v) => session::handle_op(&app, &mut conn, v),
                        Err(_) => { let _ = conn.tx.send(Outbound::Close(4002, "Error while decoding payload.".into())); }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    let _ = conn.tx.send(Outbound::Close(4002, "Error while decoding payload.".into()));
                }
                Some(Ok(Message::Close(frame))) => {
                    // Echo the close frame and flush it before dropping the
                    // socket, or twilight sees an unclean close.
                    let code = frame.as_ref().map(|f| f.code);
                    let _ = socket.send(Message::Close(frame)).await;
                    let _ = socket.flush().await;
                    if matches!(code, Some(1000) | Some(1001)) {
                        // Discord ends the session on a normal close.
                        if let Some(sid) = &conn.session_id {
                            app.state.lock().hub.sessions.remove(sid);
                        }
                    }
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            out = rx.recv() => match out {
                Some(Outbound::Text(t)) => {
                    if socket.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(code, reason)) => {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    // Give the client a moment to answer the close.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while let Some(Ok(m)) = socket.recv().await {
                            if matches!(m, Message::Close(_)) { break; }
                        }
                    }).await;
                    break;
                }
                Some(Outbound::Drop) | None => break,
            },
        }
    }
    if let Some(sid) = &conn.session_id {
        app.state.lock().hub.detach(sid, conn.id);
    }
    // Dropping the socket here without a close frame is what `Drop` means.
}
