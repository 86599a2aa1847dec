//! Contacts: CRUD, search, lookups, merge, archive, notes, tags, companies, segments.

use futures::Stream;
use serde_json::json;

use intercom_core::ids::Id;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{Company, Contact, ContactInput, ContactStatus, Note, Page, Segment, Tag};
use crate::search::{SearchQuery, SearchRequest};

impl Client {
    /// `GET /contacts?per_page=&starting_after=`: one page.
    pub async fn list_contacts(
        &self,
        per_page: Option<u32>,
        starting_after: Option<&str>,
    ) -> Result<Page<Contact>> {
        let call = Call::get(&["contacts"])
            .query_opt("per_page", per_page)
            .query_opt("starting_after", starting_after);
        self.fetch_page(call, "data").await
    }

    /// All contacts (cursor pagination), at most `cap` items.
    pub fn list_contacts_stream(
        &self,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Contact>> + Send + 'static {
        self.cursor_list_stream(&["contacts"], "data", per_page, cap)
    }

    /// `GET /contacts/{id}`.
    pub async fn get_contact(&self, contact_id: &Id) -> Result<Contact> {
        self.call(Call::get(&["contacts", contact_id.as_str()]).resource("contact", contact_id))
            .await
    }

    /// `POST /contacts`. Never retried after the request may have reached Intercom.
    pub async fn create_contact(&self, contact: &ContactInput) -> Result<Contact> {
        self.call(Call::post(&["contacts"]).body(contact)).await
    }

    /// `PUT /contacts/{id}`.
    pub async fn update_contact(&self, contact_id: &Id, update: &ContactInput) -> Result<Contact> {
        self.call(
            Call::put(&["contacts", contact_id.as_str()])
                .body(update)
                .resource("contact", contact_id),
        )
        .await
    }

    /// `DELETE /contacts/{id}`.
    pub async fn delete_contact(&self, contact_id: &Id) -> Result<ContactStatus> {
        self.call(Call::delete(&["contacts", contact_id.as_str()]).resource("contact", contact_id))
            .await
    }

    /// `POST /contacts/search`: one page (query validated first; sort allowed).
    pub async fn search_contacts(&self, request: &SearchRequest) -> Result<Page<Contact>> {
        let call = Call::post(&["contacts", "search"])
            .body(request.to_body()?)
            .idempotent();
        self.fetch_page(call, "data").await
    }

    /// Every contact matching `query`, at most `cap` items.
    pub fn search_contacts_stream(
        &self,
        query: SearchQuery,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Contact>> + Send + 'static {
        self.search_stream(&["contacts", "search"], "data", query, per_page, cap)
    }

    /// The contact with this email (search `email = …`), or `None`. The first match wins.
    pub async fn find_contact_by_email(&self, email: &str) -> Result<Option<Contact>> {
        let request = SearchRequest::new(SearchQuery::field("email").eq(email)).per_page(1);
        Ok(self
            .search_contacts(&request)
            .await?
            .items
            .into_iter()
            .next())
    }

    /// The contact with this external id (search `external_id = …`), or `None`.
    pub async fn find_contact_by_external_id(&self, external_id: &str) -> Result<Option<Contact>> {
        let request =
            SearchRequest::new(SearchQuery::field("external_id").eq(external_id)).per_page(1);
        Ok(self
            .search_contacts(&request)
            .await?
            .items
            .into_iter()
            .next())
    }

    /// `POST /contacts/merge {from, into}`: merges a lead into a user; returns the user.
    pub async fn merge_contacts(&self, from_id: &Id, into_id: &Id) -> Result<Contact> {
        self.call(
            Call::post(&["contacts", "merge"])
                .body(json!({"from": from_id, "into": into_id}))
                .resource("contact", &format!("{from_id} or {into_id}")),
        )
        .await
    }

    /// `POST /contacts/{id}/archive`. Safe to repeat.
    pub async fn archive_contact(&self, contact_id: &Id) -> Result<ContactStatus> {
        self.call(
            Call::post(&["contacts", contact_id.as_str(), "archive"])
                .idempotent()
                .resource("contact", contact_id),
        )
        .await
    }

    /// `POST /contacts/{id}/unarchive`. Safe to repeat.
    pub async fn unarchive_contact(&self, contact_id: &Id) -> Result<ContactStatus> {
        self.call(
            Call::post(&["contacts", contact_id.as_str(), "unarchive"])
                .idempotent()
                .resource("contact", contact_id),
        )
        .await
    }

    /// `GET /contacts/{id}/notes?page=&per_page=`: one page of notes, newest first.
    pub async fn list_contact_notes(
        &self,
        contact_id: &Id,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Page<Note>> {
        let call = Call::get(&["contacts", contact_id.as_str(), "notes"])
            .query_opt("page", page)
            .query_opt("per_page", per_page)
            .resource("contact", contact_id);
        self.fetch_page(call, "data").await
    }

    /// `POST /contacts/{id}/notes {body, admin_id}`. Never retried after the request may have
    /// reached Intercom.
    pub async fn create_contact_note(
        &self,
        contact_id: &Id,
        body: &str,
        admin_id: Option<&Id>,
    ) -> Result<Note> {
        let mut payload = json!({"body": body});
        if let Some(a) = admin_id {
            payload["admin_id"] = json!(a);
        }
        self.call(
            Call::post(&["contacts", contact_id.as_str(), "notes"])
                .body(payload)
                .resource("contact", contact_id),
        )
        .await
    }

    /// `GET /contacts/{id}/tags`.
    pub async fn list_contact_tags(&self, contact_id: &Id) -> Result<Page<Tag>> {
        let call =
            Call::get(&["contacts", contact_id.as_str(), "tags"]).resource("contact", contact_id);
        self.fetch_list(call, "data").await
    }

    /// `POST /contacts/{id}/tags {id}`. Safe to repeat.
    pub async fn tag_contact(&self, contact_id: &Id, tag_id: &Id) -> Result<Tag> {
        self.call(
            Call::post(&["contacts", contact_id.as_str(), "tags"])
                .body(json!({"id": tag_id}))
                .idempotent()
                .resource("contact", contact_id),
        )
        .await
    }

    /// `DELETE /contacts/{id}/tags/{tag_id}`.
    pub async fn untag_contact(&self, contact_id: &Id, tag_id: &Id) -> Result<Tag> {
        self.call(
            Call::delete(&["contacts", contact_id.as_str(), "tags", tag_id.as_str()])
                .resource("contact or tag", &format!("{contact_id}/{tag_id}")),
        )
        .await
    }

    /// `GET /contacts/{id}/companies`: first page (`pages_link` style; see `next_url`).
    pub async fn list_contact_companies(&self, contact_id: &Id) -> Result<Page<Company>> {
        let call = Call::get(&["contacts", contact_id.as_str(), "companies"])
            .resource("contact", contact_id);
        self.fetch_page(call, "companies").await
    }

    /// All companies of a contact, following `pages.next` links, at most `cap` items.
    pub fn list_contact_companies_stream(
        &self,
        contact_id: &Id,
        cap: usize,
    ) -> impl Stream<Item = Result<Company>> + Send + 'static {
        let first = Call::get(&["contacts", contact_id.as_str(), "companies"])
            .resource("contact", contact_id);
        self.link_stream(first, "companies", cap)
    }

    /// `POST /contacts/{id}/companies {id}`: attaches a contact to a company (Intercom id).
    /// Safe to repeat.
    pub async fn attach_contact_to_company(
        &self,
        contact_id: &Id,
        company_id: &Id,
    ) -> Result<Company> {
        self.call(
            Call::post(&["contacts", contact_id.as_str(), "companies"])
                .body(json!({"id": company_id}))
                .idempotent()
                .resource("contact or company", &format!("{contact_id}/{company_id}")),
        )
        .await
    }

    /// `DELETE /contacts/{id}/companies/{company_id}`.
    pub async fn detach_contact_from_company(
        &self,
        contact_id: &Id,
        company_id: &Id,
    ) -> Result<Company> {
        self.call(
            Call::delete(&[
                "contacts",
                contact_id.as_str(),
                "companies",
                company_id.as_str(),
            ])
            .resource("contact or company", &format!("{contact_id}/{company_id}")),
        )
        .await
    }

    /// `GET /contacts/{id}/segments`.
    pub async fn list_contact_segments(&self, contact_id: &Id) -> Result<Page<Segment>> {
        let call = Call::get(&["contacts", contact_id.as_str(), "segments"])
            .resource("contact", contact_id);
        self.fetch_list(call, "data").await
    }
}
