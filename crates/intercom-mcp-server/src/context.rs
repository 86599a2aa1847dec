//! The server's state that tools, resources and transports share: the catalogue, the
//! workspaces, and the engines attached at start-up. Building the server (which needs
//! the tool registry) and answering MCP requests live in `server.rs`; tools depend only
//! on this module, so the tool modules and the server do not depend on each other.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;
use rmcp::service::RequestContext;

use crate::output::ToolError;
use crate::toolsets::Toolset;
use crate::workspace_context::{Workspace, Workspaces};

/// A tool in the catalogue, with the toolset it belongs to.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub toolset: Toolset,
    pub tool: Tool,
}

pub(crate) struct Shared {
    pub(crate) router: ToolRouter<IntercomServer>,
    catalogue: Vec<CatalogueEntry>,
    workspaces: Arc<Workspaces>,
    token_from_request: bool,
    /// Real time (mirror, webhooks, subscriptions): set by `serve --sync`.
    realtime: std::sync::OnceLock<Arc<crate::live::Realtime>>,
    /// The rules engine, set by `serve --automations FILE`.
    automations: std::sync::OnceLock<Arc<intercom_automations::Engine>>,
    /// Where bulk jobs live: set by the binary, else the mirror's file (see `job_store`).
    job_store: std::sync::OnceLock<Arc<dyn intercom_jobs::bulk::JobStore>>,
    /// `--redact-pii`: mask emails and phones in tool output.
    redact_pii: std::sync::atomic::AtomicBool,
    /// A check of the database the server's state lives in, for `/healthz` (a fleet's).
    store_health: std::sync::OnceLock<StoreHealth>,
    /// `--dynamic-toolsets`: sessions start with the core tools and enable toolsets.
    dynamic: bool,
}

/// What one MCP session has asked for: the toolsets it enabled (dynamic toolsets).
#[derive(Debug, Default)]
pub(crate) struct Session {
    pub(crate) enabled: parking_lot::Mutex<std::collections::BTreeSet<Toolset>>,
}

/// Checks the shared store: `Ok` with where it is (never credentials), or why it is not usable.
pub type StoreHealth =
    Arc<dyn Fn() -> futures::future::BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// The server. Cheap to clone: every session shares one catalogue and one
/// pool of workspaces.
#[derive(Clone)]
pub struct IntercomServer {
    pub(crate) shared: Arc<Shared>,
    /// This session's state; a clone shares it, [`IntercomServer::new_session`] does not.
    pub(crate) session: Arc<Session>,
}

impl std::fmt::Debug for IntercomServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntercomServer")
            .field("tools", &self.shared.catalogue.len())
            .field("token_from_request", &self.shared.token_from_request)
            .finish()
    }
}

impl IntercomServer {
    /// A server over `router`, listing `catalogue` (in order).
    pub(crate) fn from_parts(
        router: ToolRouter<IntercomServer>,
        catalogue: Vec<CatalogueEntry>,
        workspaces: Arc<Workspaces>,
        token_from_request: bool,
        dynamic: bool,
    ) -> Self {
        Self {
            session: Arc::default(),
            shared: Arc::new(Shared {
                router,
                catalogue,
                workspaces,
                token_from_request,
                realtime: std::sync::OnceLock::new(),
                automations: std::sync::OnceLock::new(),
                job_store: std::sync::OnceLock::new(),
                redact_pii: std::sync::atomic::AtomicBool::new(false),
                store_health: std::sync::OnceLock::new(),
                dynamic,
            }),
        }
    }

    /// The same server for a new MCP session: shared catalogue and workspaces, and
    /// no toolset enabled yet.
    pub fn new_session(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            session: Arc::default(),
        }
    }

    /// Whether sessions start with the core tools and enable toolsets (`--dynamic-toolsets`).
    pub fn is_dynamic(&self) -> bool {
        self.shared.dynamic
    }

    /// Every tool this server can run, in listing order (in dynamic mode, more than a
    /// session lists before it enables toolsets).
    pub fn catalogue(&self) -> &[CatalogueEntry] {
        &self.shared.catalogue
    }

    pub fn tools(&self) -> Vec<Tool> {
        self.shared
            .catalogue
            .iter()
            .map(|e| e.tool.clone())
            .collect()
    }

    /// Attach the real-time side (mirror, webhook receiver, resource subscriptions).
    pub fn with_realtime(self, realtime: Arc<crate::live::Realtime>) -> Self {
        let _ = self.shared.realtime.set(realtime);
        self
    }

    /// Let `/healthz` check the database the server's state lives in.
    pub fn with_store_health(self, check: StoreHealth) -> Self {
        let _ = self.shared.store_health.set(check);
        self
    }

    pub fn store_health(&self) -> Option<&StoreHealth> {
        self.shared.store_health.get()
    }

    /// Attach the rules engine (for the `automations` tools).
    pub fn with_automations(self, engine: Arc<intercom_automations::Engine>) -> Self {
        let _ = self.shared.automations.set(engine);
        self
    }

    /// Keep bulk jobs in `store` (the SQLite file of `--store`, or a shared database).
    pub fn with_job_store(self, store: Arc<dyn intercom_jobs::bulk::JobStore>) -> Self {
        let _ = self.shared.job_store.set(store);
        self
    }

    /// Where bulk jobs live: the store given to [`Self::with_job_store`]; without one, the
    /// mirror's SQLite file when the mirror is on, else the default store path.
    pub fn job_store(&self) -> &Arc<dyn intercom_jobs::bulk::JobStore> {
        self.shared.job_store.get_or_init(|| {
            let path = match self.realtime() {
                Some(realtime) => std::path::PathBuf::from(realtime.mirror().location()),
                None => intercom_mirror::default_store_path(),
            };
            Arc::new(intercom_jobs::bulk::SqliteJobStore::at(&path))
        })
    }

    /// The rules engine, when `--automations` is on.
    pub fn automations(&self) -> Option<&Arc<intercom_automations::Engine>> {
        self.shared.automations.get()
    }

    /// Mask emails and phone numbers in every tool result (`--redact-pii`).
    pub fn set_redact_pii(&self, on: bool) {
        self.shared
            .redact_pii
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether tool results are masked (`--redact-pii`).
    pub fn redacts_pii(&self) -> bool {
        self.shared
            .redact_pii
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The real-time side, when the mirror is on.
    pub fn realtime(&self) -> Option<&Arc<crate::live::Realtime>> {
        self.shared.realtime.get()
    }

    pub fn workspaces(&self) -> &Arc<Workspaces> {
        &self.shared.workspaces
    }

    /// The workspace a request works on: its own bearer token with
    /// `--token-from-request`, otherwise the configured one.
    pub async fn workspace_for(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<Arc<Workspace>, ToolError> {
        if self.shared.token_from_request
            && let Some(token) = bearer_token(context)
        {
            return self.shared.workspaces.for_token(&token);
        }
        if self.shared.token_from_request && !self.shared.workspaces.has_default_token() {
            return Err(ToolError::new(
                crate::output::ErrorKind::Auth,
                "this server uses each client's own Intercom token: send it as \
                 `Authorization: Bearer <token>`",
            ));
        }
        self.shared.workspaces.default_workspace().await
    }
}

/// The bearer token of the HTTP request behind this MCP request, if any.
fn bearer_token(context: &RequestContext<RoleServer>) -> Option<String> {
    let parts = context.extensions.get::<http::request::Parts>()?;
    crate::transport::auth::bearer(&parts.headers).map(str::to_string)
}
