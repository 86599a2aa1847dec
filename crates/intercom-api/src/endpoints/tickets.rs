//! Tickets, ticket types and ticket states.

use futures::Stream;
use serde_json::json;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{
    Deleted, Page, Reply, Tag, Ticket, TicketCreate, TicketPart, TicketState, TicketType,
    TicketUpdate,
};
use crate::search::{SearchQuery, SearchRequest};

impl Client {
    /// `POST /tickets`. Never retried after the request may have reached Intercom.
    pub async fn create_ticket(&self, ticket: &TicketCreate) -> Result<Ticket> {
        self.call(Call::post(&["tickets"]).body(ticket)).await
    }

    /// `GET /tickets/{id}`.
    pub async fn get_ticket(&self, ticket_id: &str) -> Result<Ticket> {
        self.call(Call::get(&["tickets", ticket_id]).resource("ticket", ticket_id))
            .await
    }

    /// `PUT /tickets/{id}`: state, attributes, assignment, open/snooze, sharing.
    pub async fn update_ticket(&self, ticket_id: &str, update: &TicketUpdate) -> Result<Ticket> {
        self.call(
            Call::put(&["tickets", ticket_id])
                .body(update)
                .resource("ticket", ticket_id),
        )
        .await
    }

    /// `DELETE /tickets/{id}`.
    pub async fn delete_ticket(&self, ticket_id: &str) -> Result<Deleted> {
        self.call(Call::delete(&["tickets", ticket_id]).resource("ticket", ticket_id))
            .await
    }

    /// `POST /tickets/{id}/reply`: comment or note, as admin or contact.
    pub async fn reply_to_ticket(&self, ticket_id: &str, reply: &Reply) -> Result<TicketPart> {
        self.call(
            Call::post(&["tickets", ticket_id, "reply"])
                .body(reply.to_json())
                .resource("ticket", ticket_id),
        )
        .await
    }

    /// `POST /tickets/{id}/tags {id, admin_id}`. Safe to repeat.
    pub async fn tag_ticket(&self, ticket_id: &str, tag_id: &str, admin_id: &str) -> Result<Tag> {
        self.call(
            Call::post(&["tickets", ticket_id, "tags"])
                .body(json!({"id": tag_id, "admin_id": admin_id}))
                .idempotent()
                .resource("ticket", ticket_id),
        )
        .await
    }

    /// `DELETE /tickets/{id}/tags/{tag_id} {admin_id}`.
    pub async fn untag_ticket(&self, ticket_id: &str, tag_id: &str, admin_id: &str) -> Result<Tag> {
        self.call(
            Call::delete(&["tickets", ticket_id, "tags", tag_id])
                .body(json!({"admin_id": admin_id}))
                .resource("ticket or tag", &format!("{ticket_id}/{tag_id}")),
        )
        .await
    }

    /// `POST /tickets/search`: one page (query validated first).
    pub async fn search_tickets(&self, request: &SearchRequest) -> Result<Page<Ticket>> {
        let call = Call::post(&["tickets", "search"])
            .body(request.to_body()?)
            .idempotent();
        self.fetch_page(call, "tickets").await
    }

    /// Every ticket matching `query`, at most `cap` items.
    pub fn search_tickets_stream(
        &self,
        query: SearchQuery,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Ticket>> + Send + 'static {
        self.search_stream(&["tickets", "search"], "tickets", query, per_page, cap)
    }

    /// One page of all tickets, newest activity first. Intercom has no ticket list endpoint, so
    /// this is `POST /tickets/search` for `created_at > 0`.
    pub async fn list_tickets(
        &self,
        per_page: Option<u32>,
        starting_after: Option<&str>,
    ) -> Result<Page<Ticket>> {
        let mut request = SearchRequest::new(all_tickets());
        request.per_page = per_page;
        request.starting_after = starting_after.map(str::to_owned);
        self.search_tickets(&request).await
    }

    /// All tickets (see [`Client::list_tickets`]), at most `cap` items.
    pub fn list_tickets_stream(
        &self,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Ticket>> + Send + 'static {
        self.search_tickets_stream(all_tickets(), per_page, cap)
    }

    /// `GET /ticket_types`.
    pub async fn list_ticket_types(&self) -> Result<Page<TicketType>> {
        self.fetch_list(Call::get(&["ticket_types"]), "data").await
    }

    /// `GET /ticket_types/{id}`.
    pub async fn get_ticket_type(&self, ticket_type_id: &str) -> Result<TicketType> {
        self.call(
            Call::get(&["ticket_types", ticket_type_id]).resource("ticket type", ticket_type_id),
        )
        .await
    }

    /// `GET /ticket_states`: the workspace's states with their categories.
    pub async fn list_ticket_states(&self) -> Result<Page<TicketState>> {
        self.fetch_list(Call::get(&["ticket_states"]), "data").await
    }
}

/// A query every ticket matches.
fn all_tickets() -> SearchQuery {
    SearchQuery::field("created_at").gt(0)
}
