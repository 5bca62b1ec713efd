//! The real server for a benchmark: the app factory on a real socket, one worker, in its
//! own thread, with an administrator (`bench`) signed in and the state prepared first.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer};
use server::{AppState, Db, configure};

const PASSWORD: &str = "bench password 2026";

/// Starts the server on the database at `url` once `prepare` has run on its state; its
/// address and the administrator's session.
pub fn serve<F, Fut>(url: String, prepare: F) -> (String, String)
where
    F: FnOnce(Arc<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let addr = format!("127.0.0.1:{port}");
    let listen = addr.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let state = AppState::new(Db::connect(&url).await.expect("db"));
            let now = chrono::Utc::now();
            server::auth::create_user(&state.db.conn, "bench", PASSWORD, "administrator", now).await.expect("user");
            let (session, _) = server::auth::login(&state.db.conn, "bench", PASSWORD, now).await.expect("sign in");
            prepare(state.clone()).await;
            ready_tx.send(session).expect("ready");
            HttpServer::new(move || App::new().configure(configure(state.clone())))
                .workers(1)
                .bind(&listen)
                .expect("bind")
                .run()
                .await
                .expect("run");
        })
    });
    let session = ready_rx.recv_timeout(Duration::from_secs(300)).expect("the server prepared");
    (addr, session)
}
