//! The HTTP surface: Intercom's routes (one module per resource family) and `/_sandbox` controls.

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::app::SharedApp;
use crate::errors::ApiError;

pub mod articles;
pub mod common;
pub mod companies;
pub mod contacts;
pub mod control;
pub mod conversations;
pub mod oauth;
pub mod tickets;
pub mod workspace;

async fn unknown_route() -> ApiError {
    ApiError::resource_not_found()
}

/// Every route, wrapped in the Intercom middleware (auth, version, limits, faults, stats).
pub fn router(app: SharedApp) -> Router {
    use workspace as ws;
    Router::new()
        .route("/me", get(ws::me))
        .route("/admins", get(ws::list_admins))
        .route("/admins/{admin_id}", get(ws::get_admin))
        .route("/admins/{admin_id}/away", put(ws::set_away))
        .route("/teams", get(ws::list_teams))
        .route("/teams/{team_id}", get(ws::get_team))
        .route("/tags", get(ws::list_tags).post(ws::create_tag))
        .route("/tags/{tag_id}", get(ws::get_tag).delete(ws::delete_tag))
        .route("/segments", get(ws::list_segments))
        .route("/segments/{segment_id}", get(ws::get_segment))
        .route("/data_attributes", get(ws::list_data_attributes))
        .route(
            "/conversations/attributes",
            get(ws::list_conversation_attributes),
        )
        .route("/ticket_types", get(ws::list_ticket_types))
        .route("/ticket_types/{ticket_type_id}", get(ws::get_ticket_type))
        .route("/ticket_states", get(ws::list_ticket_states))
        .route("/help_center/help_centers", get(ws::list_help_centers))
        .route(
            "/help_center/help_centers/{help_center_id}",
            get(ws::get_help_center),
        )
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/search", post(contacts::search))
        .route("/contacts/merge", post(contacts::merge))
        .route(
            "/contacts/find_by_external_id/{external_id}",
            get(contacts::find_by_external_id),
        )
        .route(
            "/contacts/{contact_id}",
            get(contacts::get)
                .put(contacts::update)
                .delete(contacts::delete),
        )
        .route(
            "/contacts/{contact_id}/segments",
            get(contacts::list_segments),
        )
        .route("/contacts/{contact_id}/archive", post(contacts::archive))
        .route(
            "/contacts/{contact_id}/unarchive",
            post(contacts::unarchive),
        )
        .route(
            "/contacts/{contact_id}/notes",
            get(contacts::list_notes).post(contacts::create_note),
        )
        .route("/notes/{note_id}", get(contacts::get_note))
        .route(
            "/contacts/{contact_id}/tags",
            get(contacts::list_tags).post(contacts::attach_tag),
        )
        .route(
            "/contacts/{contact_id}/tags/{tag_id}",
            delete(contacts::detach_tag),
        )
        .route(
            "/contacts/{contact_id}/companies",
            get(contacts::list_companies).post(contacts::attach_company),
        )
        .route(
            "/contacts/{contact_id}/companies/{company_id}",
            delete(contacts::detach_company),
        )
        .route(
            "/companies",
            get(companies::retrieve).post(companies::upsert),
        )
        .route("/companies/list", post(companies::list))
        .route("/companies/scroll", get(companies::scroll))
        .route(
            "/companies/{company_id}",
            get(companies::get)
                .put(companies::update)
                .delete(companies::delete),
        )
        .route("/companies/{company_id}/contacts", get(companies::contacts))
        .route("/companies/{company_id}/segments", get(companies::segments))
        .route("/companies/{company_id}/notes", get(companies::notes))
        .route(
            "/conversations",
            get(conversations::list).post(conversations::create),
        )
        .route("/conversations/search", post(conversations::search))
        .route(
            "/conversations/{conversation_id}",
            get(conversations::get)
                .put(conversations::update)
                .delete(conversations::delete),
        )
        .route(
            "/conversations/{conversation_id}/reply",
            post(conversations::reply),
        )
        .route(
            "/conversations/{conversation_id}/parts",
            post(conversations::manage),
        )
        .route(
            "/conversations/{conversation_id}/tags",
            post(conversations::attach_tag),
        )
        .route(
            "/conversations/{conversation_id}/tags/{tag_id}",
            delete(conversations::detach_tag),
        )
        .route(
            "/conversations/{conversation_id}/customers",
            post(conversations::attach_contact),
        )
        .route(
            "/conversations/{conversation_id}/customers/{contact_id}",
            delete(conversations::detach_contact),
        )
        .route(
            "/conversations/{conversation_id}/convert",
            post(conversations::convert),
        )
        .route("/tickets", post(tickets::create))
        .route("/tickets/search", post(tickets::search))
        .route(
            "/tickets/{ticket_id}",
            get(tickets::get)
                .put(tickets::update)
                .delete(tickets::delete),
        )
        .route("/tickets/{ticket_id}/reply", post(tickets::reply))
        .route("/tickets/{ticket_id}/tags", post(tickets::attach_tag))
        .route(
            "/tickets/{ticket_id}/tags/{tag_id}",
            delete(tickets::detach_tag),
        )
        .route("/articles", get(articles::list).post(articles::create))
        .route("/articles/search", get(articles::search))
        .route(
            "/articles/{article_id}",
            get(articles::get)
                .put(articles::update)
                .delete(articles::delete),
        )
        .route("/_sandbox/stats", get(control::stats))
        .route("/_sandbox/reset", post(control::reset))
        .route(
            "/_sandbox/faults",
            get(control::get_faults).post(control::set_faults),
        )
        .fallback(unknown_route)
        // Intercom answers a known path with an unsupported method like an unknown route.
        .method_not_allowed_fallback(unknown_route)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::middleware::intercom_layer,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::input::MAX_BODY_BYTES,
        ))
        .with_state(app.clone())
        // Sign-in happens before there is a token: outside the API middleware.
        .merge(oauth::router(app))
}
