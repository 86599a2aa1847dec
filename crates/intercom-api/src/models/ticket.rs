//! Tickets, ticket types and ticket states, plus create/update payloads.

use intercom_core::ids::Id;
use serde_json::{Map, Value};

use super::conversation::open_enum;
use super::model;

open_enum! {
    /// Category of a ticket state.
    pub enum TicketStateCategory {
        /// Submitted.
        Submitted => "submitted",
        /// In progress.
        InProgress => "in_progress",
        /// Waiting on the customer.
        WaitingOnCustomer => "waiting_on_customer",
        /// Resolved.
        Resolved => "resolved",
    }
}

open_enum! {
    /// Category of a ticket type.
    pub enum TicketCategory {
        /// Customer-facing.
        Customer => "Customer",
        /// Back-office.
        BackOffice => "Back-office",
        /// Tracker.
        Tracker => "Tracker",
    }
}

model! {
    /// A ticket state (per workspace).
    pub struct TicketState {
        /// `ticket_state`.
        pub r#type: Option<String>,
        /// State id (use as `ticket_state_id`).
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Category.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub category: Option<TicketStateCategory>,
        /// Label teammates see.
        pub internal_label: Option<String>,
        /// Label contacts see.
        pub external_label: Option<String>,
        /// Archived (state list only).
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
        /// Ticket types using it (state list only).
        pub ticket_types: Option<Value>,
    }
}

model! {
    /// An attribute definition of a ticket type.
    pub struct TicketTypeAttribute {
        /// `ticket_type_attribute`.
        pub r#type: Option<String>,
        /// Id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name (the key in `ticket_attributes`).
        pub name: Option<String>,
        /// Description.
        pub description: Option<String>,
        /// `string`, `list`, `integer`, `decimal`, `boolean`, `datetime`, `files`.
        pub data_type: Option<String>,
        /// Options for list attributes.
        pub input_options: Option<Value>,
        /// Display order.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub order: Option<i64>,
        /// Required when a teammate creates the ticket.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub required_to_create: Option<bool>,
        /// Required when a contact creates the ticket.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub required_to_create_for_contacts: Option<bool>,
        /// Shown on create.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub visible_on_create: Option<bool>,
        /// Visible to contacts.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub visible_to_contacts: Option<bool>,
        /// Built-in attribute (`_default_title_`, `_default_description_`).
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub default: Option<bool>,
        /// Owning ticket type.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub ticket_type_id: Option<i64>,
        /// Workspace id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub workspace_id: Option<String>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Archived.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
    }
}

model! {
    /// `ticket_type_attributes.list`.
    pub struct TicketTypeAttributes {
        /// List type.
        pub r#type: Option<String>,
        /// Attributes.
        #[serde(deserialize_with = "super::de::list")]
        pub ticket_type_attributes: Vec<TicketTypeAttribute>,
    }
}

model! {
    /// A ticket type.
    pub struct TicketType {
        /// `ticket_type`.
        pub r#type: Option<String>,
        /// Id (use as `ticket_type_id`).
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Category.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub category: Option<TicketCategory>,
        /// Name.
        pub name: Option<String>,
        /// Description.
        pub description: Option<String>,
        /// Emoji icon.
        pub icon: Option<String>,
        /// Workspace id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub workspace_id: Option<String>,
        /// Attribute definitions.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub ticket_type_attributes: Option<TicketTypeAttributes>,
        /// States `{type: list, data: [...]}`.
        pub ticket_states: Option<Value>,
        /// Archived.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
    }
}

model! {
    /// One part of a ticket's history (reply, note, state change...).
    pub struct TicketPart {
        /// `ticket_part`.
        pub r#type: Option<String>,
        /// Id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// `comment`, `note`, `ticket_state_updated_by_admin`...
        pub part_type: Option<String>,
        /// HTML body.
        pub body: Option<String>,
        /// Previous state category.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub previous_ticket_state: Option<TicketStateCategory>,
        /// New state category.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub ticket_state: Option<TicketStateCategory>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Assignee set by this part.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub assigned_to: Option<super::Reference>,
        /// Author.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub author: Option<super::Author>,
        /// Attachments.
        #[serde(deserialize_with = "super::de::list")]
        pub attachments: Vec<super::Attachment>,
        /// External id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub external_id: Option<String>,
        /// Redacted.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub redacted: Option<bool>,
        /// Attribute change details.
        pub updated_attribute_data: Option<Value>,
    }
}

model! {
    /// `ticket_part.list`.
    pub struct TicketParts {
        /// `ticket_part.list`.
        pub r#type: Option<String>,
        /// Parts.
        #[serde(deserialize_with = "super::de::list")]
        pub ticket_parts: Vec<TicketPart>,
        /// Total.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub total_count: Option<i64>,
    }
}

model! {
    /// `contact.list` of a ticket.
    pub struct TicketContacts {
        /// `contact.list`.
        pub r#type: Option<String>,
        /// Contacts.
        #[serde(deserialize_with = "super::de::list")]
        pub contacts: Vec<super::ContactReference>,
    }
}

model! {
    /// A ticket.
    pub struct Ticket {
        /// `ticket`.
        pub r#type: Option<String>,
        /// Ticket id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Human ticket number.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub ticket_id: Option<String>,
        /// Category.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub category: Option<TicketCategory>,
        /// Attribute values (`_default_title_`, `_default_description_`, custom...).
        #[serde(deserialize_with = "super::de::opt_map")]
        pub ticket_attributes: Option<Map<String, Value>>,
        /// Current state.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub ticket_state: Option<TicketState>,
        /// Ticket type.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub ticket_type: Option<TicketType>,
        /// Contacts.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub contacts: Option<TicketContacts>,
        /// Assigned admin; 0 = unassigned.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub admin_assignee_id: Option<i64>,
        /// Assigned team; 0 = unassigned.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub team_assignee_id: Option<i64>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Open flag.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub open: Option<bool>,
        /// Snoozed until.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub snoozed_until: Option<i64>,
        /// Linked conversations/tickets.
        pub linked_objects: Option<Value>,
        /// History.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub ticket_parts: Option<TicketParts>,
        /// Shared with the contact.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub is_shared: Option<bool>,
        /// Previous state id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub previous_ticket_state_id: Option<String>,
        /// Tags.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub tags: Option<super::TagList>,
    }
}

impl Ticket {
    /// The assigned admin, `None` when unassigned (0 or null).
    pub fn admin_assignee(&self) -> Option<i64> {
        self.admin_assignee_id.filter(|id| *id != 0)
    }

    /// The assigned team, `None` when unassigned (0 or null).
    pub fn team_assignee(&self) -> Option<i64> {
        self.team_assignee_id.filter(|id| *id != 0)
    }

    /// The `_default_title_` attribute.
    pub fn title(&self) -> Option<&str> {
        self.ticket_attributes
            .as_ref()?
            .get("_default_title_")?
            .as_str()
    }
}

model! {
    /// A contact named in a ticket creation: one of `id`, `external_id`, `email`.
    pub struct TicketContactInput {
        /// Intercom id.
        pub id: Option<Id>,
        /// External id.
        pub external_id: Option<String>,
        /// Email.
        pub email: Option<String>,
    }
}

model! {
    /// Initial assignment of a new ticket.
    pub struct TicketAssignment {
        /// Admin id.
        pub admin_assignee_id: Option<Id>,
        /// Team id.
        pub team_assignee_id: Option<Id>,
    }
}

model! {
    /// Body of `POST /tickets`, but for the ticket type, which
    /// [`Client::create_ticket`](crate::Client::create_ticket) takes as an [`Id`] so a
    /// ticket without one cannot be sent.
    pub struct TicketCreate {
        /// Contacts (required, usually one; each names an id, external id or email).
        pub contacts: Vec<TicketContactInput>,
        /// Conversation to link.
        pub conversation_to_link_id: Option<String>,
        /// Company.
        pub company_id: Option<String>,
        /// Backdated creation time.
        pub created_at: Option<i64>,
        /// Attribute values.
        pub ticket_attributes: Option<Map<String, Value>>,
        /// Initial assignment.
        pub assignment: Option<TicketAssignment>,
        /// Do not notify.
        pub skip_notifications: Option<bool>,
    }
}

model! {
    /// Body of `PUT /tickets/{id}`. Set only what you mean to change.
    pub struct TicketUpdate {
        /// Attribute values to change.
        pub ticket_attributes: Option<Map<String, Value>>,
        /// Move to this state.
        pub ticket_state_id: Option<Id>,
        /// Company.
        pub company_id: Option<Id>,
        /// Open or close.
        pub open: Option<bool>,
        /// Share with the contact.
        pub is_shared: Option<bool>,
        /// Snooze until.
        pub snoozed_until: Option<i64>,
        /// Admin performing the change (needed with `assignee_id`).
        pub admin_id: Option<i64>,
        /// Assign to this admin or team id (`"0"` unassigns).
        pub assignee_id: Option<Id>,
        /// Do not notify.
        pub skip_notifications: Option<bool>,
    }
}
