//! Conversations: list, retrieve, search, create, update, reply, manage, tags, contacts, convert.

use futures::Stream;
use serde_json::{Value, json};

use intercom_core::ids::Id;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{
    Assignee, ContactIdentifier, Conversation, ConversationUpdate, ConvertToTicket, Deleted,
    Message, Page, Reply, Tag, Ticket,
};
use crate::search::{SearchQuery, SearchRequest};

fn customer_json(who: &ContactIdentifier) -> Value {
    match who {
        ContactIdentifier::Id(v) => json!({"intercom_user_id": v}),
        ContactIdentifier::ExternalId(v) => json!({"user_id": v}),
        ContactIdentifier::Email(v) => json!({"email": v}),
    }
}

impl Client {
    /// `GET /conversations?per_page=&starting_after=`: one page, newest first.
    pub async fn list_conversations(
        &self,
        per_page: Option<u32>,
        starting_after: Option<&str>,
    ) -> Result<Page<Conversation>> {
        let call = Call::get(&["conversations"])
            .query_opt("per_page", per_page)
            .query_opt("starting_after", starting_after);
        self.fetch_page(call, "conversations").await
    }

    /// All conversations (cursor pagination), at most `cap` items.
    pub fn list_conversations_stream(
        &self,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Conversation>> + Send + 'static {
        self.cursor_list_stream(&["conversations"], "conversations", per_page, cap)
    }

    /// `GET /conversations/{id}`: with its parts (HTML bodies).
    pub async fn get_conversation(&self, conversation_id: &Id) -> Result<Conversation> {
        self.call(
            Call::get(&["conversations", conversation_id.as_str()])
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `GET /conversations/{id}?display_as=plaintext`: parts with plain-text bodies.
    pub async fn get_conversation_plaintext(&self, conversation_id: &Id) -> Result<Conversation> {
        self.call(
            Call::get(&["conversations", conversation_id.as_str()])
                .query("display_as", "plaintext")
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `POST /conversations/search`: one page of results (query validated first).
    pub async fn search_conversations(
        &self,
        request: &SearchRequest,
    ) -> Result<Page<Conversation>> {
        let call = Call::post(&["conversations", "search"])
            .body(request.to_body()?)
            .idempotent();
        self.fetch_page(call, "conversations").await
    }

    /// Every conversation matching `query` (cursor in the body), at most `cap` items.
    pub fn search_conversations_stream(
        &self,
        query: SearchQuery,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Conversation>> + Send + 'static {
        self.search_stream(
            &["conversations", "search"],
            "conversations",
            query,
            per_page,
            cap,
        )
    }

    /// `POST /conversations`: a contact (user or lead, by Intercom id) starts a conversation. Returns the message (with
    /// `conversation_id`). Never retried after the request may have reached Intercom.
    pub async fn create_conversation(
        &self,
        contact_id: &Id,
        body: &str,
        subject: Option<&str>,
    ) -> Result<Message> {
        let mut payload = json!({"from": {"type": "contact", "id": contact_id}, "body": body});
        if let Some(s) = subject {
            payload["subject"] = json!(s);
        }
        self.call(Call::post(&["conversations"]).body(payload))
            .await
    }

    /// `PUT /conversations/{id}`: title, read flag, custom attributes, company.
    pub async fn update_conversation(
        &self,
        conversation_id: &Id,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        self.call(
            Call::put(&["conversations", conversation_id.as_str()])
                .body(update)
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `DELETE /conversations/{id}`.
    pub async fn delete_conversation(&self, conversation_id: &Id) -> Result<Deleted> {
        self.call(
            Call::delete(&["conversations", conversation_id.as_str()])
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `POST /conversations/{id}/reply`: comment or note, as admin or contact.
    pub async fn reply_to_conversation(
        &self,
        conversation_id: &Id,
        reply: &Reply,
    ) -> Result<Conversation> {
        self.call(
            Call::post(&["conversations", conversation_id.as_str(), "reply"])
                .body(reply.to_json())
                .resource("conversation", conversation_id),
        )
        .await
    }

    async fn manage_conversation(&self, conversation_id: &Id, body: Value) -> Result<Conversation> {
        self.call(
            Call::post(&["conversations", conversation_id.as_str(), "parts"])
                .body(body)
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `POST /conversations/{id}/parts` `close`, with an optional closing message.
    pub async fn close_conversation(
        &self,
        conversation_id: &Id,
        admin_id: &Id,
        body: Option<&str>,
    ) -> Result<Conversation> {
        let mut payload = json!({"message_type": "close", "type": "admin", "admin_id": admin_id});
        if let Some(b) = body {
            payload["body"] = json!(b);
        }
        self.manage_conversation(conversation_id, payload).await
    }

    /// `POST /conversations/{id}/parts` `open` (reopens or unsnoozes).
    pub async fn open_conversation(
        &self,
        conversation_id: &Id,
        admin_id: &Id,
    ) -> Result<Conversation> {
        self.manage_conversation(
            conversation_id,
            json!({"message_type": "open", "admin_id": admin_id}),
        )
        .await
    }

    /// `POST /conversations/{id}/parts` `snoozed` until a Unix time.
    pub async fn snooze_conversation(
        &self,
        conversation_id: &Id,
        admin_id: &Id,
        snoozed_until: i64,
    ) -> Result<Conversation> {
        self.manage_conversation(
            conversation_id,
            json!({"message_type": "snoozed", "admin_id": admin_id, "snoozed_until": snoozed_until}),
        )
        .await
    }

    /// `POST /conversations/{id}/parts` `assignment` to an admin or team.
    pub async fn assign_conversation(
        &self,
        conversation_id: &Id,
        admin_id: &Id,
        assignee: &Assignee,
        body: Option<&str>,
    ) -> Result<Conversation> {
        let (kind, id) = match assignee {
            Assignee::Admin(id) => ("admin", id),
            Assignee::Team(id) => ("team", id),
        };
        let mut payload = json!({
            "message_type": "assignment", "type": kind, "admin_id": admin_id, "assignee_id": id
        });
        if let Some(b) = body {
            payload["body"] = json!(b);
        }
        self.manage_conversation(conversation_id, payload).await
    }

    /// Unassigns the admin (assignment to admin `0`).
    pub async fn unassign_conversation(
        &self,
        conversation_id: &Id,
        admin_id: &Id,
    ) -> Result<Conversation> {
        self.assign_conversation(
            conversation_id,
            admin_id,
            &Assignee::Admin(Id::from_number(0)),
            None,
        )
        .await
    }

    /// `POST /conversations/{id}/tags {id, admin_id}`. Safe to repeat.
    pub async fn tag_conversation(
        &self,
        conversation_id: &Id,
        tag_id: &Id,
        admin_id: &Id,
    ) -> Result<Tag> {
        self.call(
            Call::post(&["conversations", conversation_id.as_str(), "tags"])
                .body(json!({"id": tag_id, "admin_id": admin_id}))
                .idempotent()
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `DELETE /conversations/{id}/tags/{tag_id} {admin_id}`.
    pub async fn untag_conversation(
        &self,
        conversation_id: &Id,
        tag_id: &Id,
        admin_id: &Id,
    ) -> Result<Tag> {
        self.call(
            Call::delete(&[
                "conversations",
                conversation_id.as_str(),
                "tags",
                tag_id.as_str(),
            ])
            .body(json!({"admin_id": admin_id}))
            .resource(
                "conversation or tag",
                &format!("{conversation_id}/{tag_id}"),
            ),
        )
        .await
    }

    /// `POST /conversations/{id}/customers`: adds a contact as participant. Safe to repeat.
    pub async fn attach_contact_to_conversation(
        &self,
        conversation_id: &Id,
        admin_id: &Id,
        contact: &ContactIdentifier,
    ) -> Result<Conversation> {
        self.call(
            Call::post(&["conversations", conversation_id.as_str(), "customers"])
                .body(json!({"admin_id": admin_id, "customer": customer_json(contact)}))
                .idempotent()
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// `DELETE /conversations/{id}/customers/{contact_id} {admin_id}`.
    pub async fn detach_contact_from_conversation(
        &self,
        conversation_id: &Id,
        contact_id: &Id,
        admin_id: &Id,
    ) -> Result<Conversation> {
        self.call(
            Call::delete(&[
                "conversations",
                conversation_id.as_str(),
                "customers",
                contact_id.as_str(),
            ])
            .body(json!({"admin_id": admin_id}))
            .resource(
                "conversation or contact",
                &format!("{conversation_id}/{contact_id}"),
            ),
        )
        .await
    }

    /// `POST /conversations/{id}/convert`: turns the conversation into a ticket.
    pub async fn convert_conversation_to_ticket(
        &self,
        conversation_id: &Id,
        ticket_type_id: &Id,
        request: &ConvertToTicket,
    ) -> Result<Ticket> {
        let mut body = serde_json::to_value(request).unwrap_or_else(|_| json!({}));
        body["ticket_type_id"] = json!(ticket_type_id);
        self.call(
            Call::post(&["conversations", conversation_id.as_str(), "convert"])
                .body(body)
                .resource("conversation", conversation_id),
        )
        .await
    }

    /// Streams a search endpoint, carrying the cursor in the body.
    pub(crate) fn search_stream<T>(
        &self,
        segments: &[&str],
        key: &'static str,
        query: SearchQuery,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        let segs: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        let validated = query.validate();
        let make = move |cursor: Option<&str>| {
            let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
            let mut request = SearchRequest::new(query.clone());
            request.per_page = per_page;
            request.starting_after = cursor.map(str::to_owned);
            // Validated once below; to_body cannot fail afterwards.
            let body = request.to_body().unwrap_or(Value::Null);
            Call::post(&refs).body(body).idempotent()
        };
        let first = make(None);
        let inner = self.paged_stream(
            first,
            key,
            Box::new(move |page: &Page<T>| page.next_cursor.as_deref().map(|c| make(Some(c)))),
            cap,
        );
        async_stream::try_stream! {
            validated?;
            futures::pin_mut!(inner);
            while let Some(item) = futures::StreamExt::next(&mut inner).await {
                yield item?;
            }
        }
    }
}
