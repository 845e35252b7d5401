//! Operations: health, readiness through a connection we can cut, and the
//! refusal to serve with a role that ignores row-level security.

use crate::helpers::{app_options, prepare_database, serve_state, web_config};
use reqwest::StatusCode;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[sqlx::test(migrations = false)]
async fn a_superuser_or_bypassrls_pool_refuses_to_serve(owner: PgPool) {
    prepare_database(&owner).await;
    let superuser = owner.connect_options().as_ref().clone();
    let err = almanac::serve::prepare(superuser, web_config())
        .await
        .expect_err("must refuse");
    assert!(err.to_string().contains("superuser"), "{err}");

    let role = format!("bypass_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(&format!(
        "CREATE ROLE {role} LOGIN NOSUPERUSER BYPASSRLS PASSWORD 'x'"
    ))
    .execute(&owner)
    .await
    .expect("role");
    let options = app_options(&owner).username(&role).password("x");
    let err = almanac::serve::prepare(options, web_config())
        .await
        .expect_err("must refuse");
    sqlx::raw_sql(&format!("DROP ROLE {role}"))
        .execute(&owner)
        .await
        .expect("drop");
    assert!(err.to_string().contains("BYPASSRLS"), "{err}");
}

/// A TCP proxy to PostgreSQL that the test can cut and restore.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: (String, u16)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound); // refused while cut
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[sqlx::test(migrations = false)]
async fn readyz_follows_the_database_and_recovers(owner: PgPool) {
    prepare_database(&owner).await;
    let direct = app_options(&owner);
    let proxy = Proxy::start((direct.get_host().to_owned(), direct.get_port())).await;
    let state = almanac::serve::prepare(
        direct.clone().host("127.0.0.1").port(proxy.port),
        web_config(),
    )
    .await
    .expect("state");
    let app = serve_state(owner.clone(), state).await;
    let b = app.browser();
    assert_eq!(b.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(b.get("/readyz").await.status(), StatusCode::OK);

    proxy.cut();
    assert_eq!(
        b.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        b.get("/healthz").await.status(),
        StatusCode::OK,
        "the process still runs"
    );

    proxy.restore();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..40 {
        status = b.get("/readyz").await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "ready again without a restart");
}
