//! Tickets, ticket types and ticket states.

use futures::Stream;
use serde_json::json;

use intercom_core::ids::Id;

use crate::error::{Error, Result};
use crate::http::{Call, Client};
use crate::models::{
    Deleted, Page, Reply, Tag, Ticket, TicketCreate, TicketPart, TicketState, TicketType,
    TicketUpdate,
};
use crate::search::{SearchQuery, SearchRequest};

impl Client {
    /// `POST /tickets` for a ticket of type `ticket_type_id`. Never retried after the
    /// request may have reached Intercom. A ticket without a contact, or with a contact that
    /// names no id, external id or email, is refused before anything is sent.
    pub async fn create_ticket(
        &self,
        ticket_type_id: &Id,
        ticket: &TicketCreate,
    ) -> Result<Ticket> {
        if ticket.contacts.is_empty() {
            return Err(Error::InvalidRequest(
                "a ticket needs at least one contact (id, external_id or email)".into(),
            ));
        }
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        if ticket
            .contacts
            .iter()
            .any(|c| c.id.is_none() && blank(&c.external_id) && blank(&c.email))
        {
            return Err(Error::InvalidRequest(
                "each ticket contact needs an id, external_id or email".into(),
            ));
        }
        let mut body = serde_json::to_value(ticket).unwrap_or_else(|_| json!({}));
        body["ticket_type_id"] = json!(ticket_type_id);
        self.call(Call::post(&["tickets"]).body(body)).await
    }

    /// `GET /tickets/{id}`.
    pub async fn get_ticket(&self, ticket_id: &Id) -> Result<Ticket> {
        self.call(Call::get(&["tickets", ticket_id.as_str()]).resource("ticket", ticket_id))
            .await
    }

    /// `PUT /tickets/{id}`: state, attributes, assignment, open/snooze, sharing.
    pub async fn update_ticket(&self, ticket_id: &Id, update: &TicketUpdate) -> Result<Ticket> {
        self.call(
            Call::put(&["tickets", ticket_id.as_str()])
                .body(update)
                .resource("ticket", ticket_id),
        )
        .await
    }

    /// `DELETE /tickets/{id}`.
    pub async fn delete_ticket(&self, ticket_id: &Id) -> Result<Deleted> {
        self.call(Call::delete(&["tickets", ticket_id.as_str()]).resource("ticket", ticket_id))
            .await
    }

    /// `POST /tickets/{id}/reply`: comment or note, as admin or contact.
    pub async fn reply_to_ticket(&self, ticket_id: &Id, reply: &Reply) -> Result<TicketPart> {
        self.call(
            Call::post(&["tickets", ticket_id.as_str(), "reply"])
                .body(reply.to_json())
                .resource("ticket", ticket_id),
        )
        .await
    }

    /// `POST /tickets/{id}/tags {id, admin_id}`. Safe to repeat.
    pub async fn tag_ticket(&self, ticket_id: &Id, tag_id: &Id, admin_id: &Id) -> Result<Tag> {
        self.call(
            Call::post(&["tickets", ticket_id.as_str(), "tags"])
                .body(json!({"id": tag_id, "admin_id": admin_id}))
                .idempotent()
                .resource("ticket", ticket_id),
        )
        .await
    }

    /// `DELETE /tickets/{id}/tags/{tag_id} {admin_id}`.
    pub async fn untag_ticket(&self, ticket_id: &Id, tag_id: &Id, admin_id: &Id) -> Result<Tag> {
        self.call(
            Call::delete(&["tickets", ticket_id.as_str(), "tags", tag_id.as_str()])
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
    pub async fn get_ticket_type(&self, ticket_type_id: &Id) -> Result<TicketType> {
        self.call(
            Call::get(&["ticket_types", ticket_type_id.as_str()])
                .resource("ticket type", ticket_type_id),
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
