//! Starting and stopping a sandbox. The accept loop is our own (hyper, HTTP/1.1 keep-alive)
//! so a faulted request can close its connection without any response.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::app::{App, Clock, SandboxConfig, SeedSource};
use crate::middleware::DropConnection;
use crate::seed::{self, SeedData};

/// A running sandbox. Dropping it stops the server and its background tasks.
pub struct Sandbox {
    addr: SocketAddr,
    token: String,
    app: Arc<App>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for ConnectionDropped {}

impl Sandbox {
    /// Generates the seeded workspace for `config.scale`/`config.seed` and starts serving.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let clock = Clock::new(config.now);
        let now = clock.now();
        let (scale, seed) = (config.scale, config.seed);
        let data = tokio::task::spawn_blocking(move || seed::generate(scale, seed, now))
            .await
            .context("generating the seeded workspace failed")?;
        let source = SeedSource::Generated { scale, seed, now };
        Self::serve(config, data, source, clock).await
    }

    /// Starts serving a workspace built from `data` (tests with hand-made data use this).
    pub async fn start_with_data(config: SandboxConfig, data: SeedData) -> anyhow::Result<Sandbox> {
        let clock = Clock::new(config.now);
        let source = SeedSource::Fixed(Box::new(data.clone()));
        Self::serve(config, data, source, clock).await
    }

    async fn serve(
        config: SandboxConfig,
        data: SeedData,
        source: SeedSource,
        clock: Clock,
    ) -> anyhow::Result<Sandbox> {
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App::new(&config, data, source, clock));
        let router = crate::routes::router(app.clone());
        let mut tasks = vec![tokio::spawn(accept_loop(listener, router))];
        if config.activity_per_min > 0.0 {
            tasks.push(tokio::spawn(crate::activity::run(
                app.clone(),
                config.activity_per_min,
                config.seed,
            )));
        }
        Ok(Sandbox {
            addr,
            token: config.token,
            app,
            tasks,
        })
    }

    /// `http://host:port`, with no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers the OAuth app people sign in through (for a server that knows its
    /// callback URL only once it runs).
    pub fn configure_oauth(&self, oauth: crate::oauth::OAuthApp) {
        self.app.oauth.configure(oauth);
    }

    /// The bearer token the sandbox accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Unix time on the sandbox's workspace clock.
    pub fn now(&self) -> i64 {
        self.app.now()
    }

    /// Starts sending signed webhook notifications to `url`, for a sandbox started without a
    /// webhook subscriber. Returns false (and changes nothing) when one is already set.
    pub fn send_webhooks_to(&self, url: String, secret: String) -> bool {
        let app_id = self.app.state.read().app_id.clone();
        self.app
            .webhooks
            .set(crate::webhooks::WebhookDispatcher::new(
                url,
                secret,
                app_id,
                Duration::from_secs(60),
            ))
            .is_ok()
    }

    /// The webhook subscriber's delivery counters (`None` without a subscriber).
    pub fn webhook_stats(&self) -> Option<crate::webhooks::WebhookStats> {
        self.app.webhooks.get().map(|w| w.stats())
    }

    /// Stops serving; open connections are closed.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(listener: TcpListener, router: axum::Router) {
    // Connections live in this set: aborting the loop drops it, closing them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let router = router.clone();
                        async move {
                            let response = router
                                .oneshot(req.map(Body::new))
                                .await
                                .unwrap_or_else(|never| match never {});
                            if response.extensions().get::<DropConnection>().is_some() {
                                // An error from the service makes hyper close the connection unanswered.
                                return Err(ConnectionDropped);
                            }
                            Ok(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
