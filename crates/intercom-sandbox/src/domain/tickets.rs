//! Ticket creation and the rules a ticket type imposes (attributes, allowed states), shared
//! by `POST /tickets` and converting a conversation.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::errors::{ApiError, ApiResult};
use crate::store::{IdKind, State as Store, id_of};

/// What a new ticket is made of (from `POST /tickets` or a conversation conversion).
pub struct TicketDraft {
    pub ticket_type: Value,
    pub state_id: Option<String>,
    pub attributes: Map<String, Value>,
    pub contact_ids: Vec<String>,
    pub admin_assignee_id: i64,
    pub team_assignee_id: i64,
    pub linked_conversation: Option<String>,
    pub created_at: i64,
}

/// States a ticket type allows (all workspace states when the type does not list them).
pub fn allowed_states(state: &Store, ticket_type: &Value) -> Vec<Value> {
    let type_id = id_of(ticket_type);
    let from_type = state
        .ticket_types
        .get(&type_id)
        .and_then(|t| t["ticket_states"]["data"].as_array())
        .cloned();
    from_type.unwrap_or_else(|| state.ticket_states.values().cloned().collect())
}

/// The state `state_id` names, when the ticket type allows it.
pub fn allowed_state(state: &Store, ticket_type: &Value, state_id: &str) -> ApiResult<Value> {
    allowed_states(state, ticket_type)
        .into_iter()
        .find(|s| id_of(s) == state_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "ticket_state_id_invalid",
                "Ticket state id is not valid or is not associated with the ticket type",
            )
        })
}

pub fn compact_state(s: &Value) -> Value {
    json!({
        "type": "ticket_state",
        "id": s["id"],
        "category": s["category"],
        "internal_label": s["internal_label"],
        "external_label": s["external_label"],
    })
}

/// The ticket type as embedded in tickets (without its `ticket_states`).
pub fn embedded_type(ticket_type: &Value) -> Value {
    let mut t = ticket_type.clone();
    if let Some(o) = t.as_object_mut() {
        o.remove("ticket_states");
    }
    t
}

pub fn type_attributes(ticket_type: &Value) -> Vec<Value> {
    ticket_type["ticket_type_attributes"]["ticket_type_attributes"]
        .as_array()
        .or_else(|| ticket_type["ticket_type_attributes"]["data"].as_array())
        .cloned()
        .unwrap_or_default()
}

/// Checks ticket attributes against the type's declared attributes.
pub fn check_attributes(
    ticket_type: &Value,
    attributes: &Map<String, Value>,
    creating: bool,
) -> ApiResult<()> {
    let declared = type_attributes(ticket_type);
    for (name, value) in attributes {
        let Some(attribute) = declared.iter().find(|a| a["name"].as_str() == Some(name)) else {
            return Err(ApiError::invalid(
                "ticket_attributes",
                format!("'{name}' is not an attribute of this ticket type"),
            ));
        };
        let data_type = attribute["data_type"].as_str().unwrap_or("string");
        let ok = value.is_null()
            || match data_type {
                "integer" => value.is_i64() || value.is_u64(),
                "decimal" => value.is_number(),
                "boolean" => value.is_boolean(),
                "datetime" => value.is_i64() || value.is_string(),
                "files" => value.is_array(),
                "list" => {
                    value.as_str().is_none_or(|v| {
                        attribute["input_options"]["list_options"]
                            .as_array()
                            .is_none_or(|opts| opts.iter().any(|o| o["label"].as_str() == Some(v)))
                    }) && value.is_string()
                }
                _ => value.is_string(),
            };
        if !ok {
            return Err(ApiError::invalid(
                "ticket_attributes",
                format!("'{name}' must be a valid {data_type} value"),
            ));
        }
    }
    if creating {
        for attribute in &declared {
            let name = attribute["name"].as_str().unwrap_or_default();
            if attribute["required_to_create"] == true
                && attributes.get(name).is_none_or(Value::is_null)
            {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "parameter_not_found",
                    format!("ticket attribute '{name}' is required to create this ticket type"),
                )
                .with_field("ticket_attributes"));
            }
        }
    }
    Ok(())
}

/// Validates and stores a new ticket; returns it.
pub fn insert_ticket(state: &mut Store, draft: TicketDraft) -> ApiResult<Value> {
    check_attributes(
        &draft.ticket_type,
        &draft.attributes,
        draft.linked_conversation.is_none(),
    )?;
    let states = allowed_states(state, &draft.ticket_type);
    let initial = match &draft.state_id {
        Some(id) => allowed_state(state, &draft.ticket_type, id)?,
        None => states
            .iter()
            .find(|s| s["category"] == "submitted")
            .or(states.first())
            .cloned()
            .unwrap_or_else(|| json!({"id": "0", "category": "submitted", "internal_label": "Submitted", "external_label": "Submitted"})),
    };
    let id = state.numeric_id(IdKind::Ticket);
    let number = state.numeric_id(IdKind::TicketNumber);
    let contacts: Vec<Value> = draft
        .contact_ids
        .iter()
        .filter_map(|c| state.contacts.get(c))
        .map(super::contacts::reference)
        .collect();
    let linked: Vec<Value> = draft
        .linked_conversation
        .iter()
        .map(|c| json!({"type": "conversation", "id": c, "category": null}))
        .collect();
    let category = draft.ticket_type["category"].clone();
    let mut attributes = draft.attributes;
    for key in ["_default_title_", "_default_description_"] {
        attributes.entry(key).or_insert(Value::Null);
    }
    let ticket = json!({
        "type": "ticket",
        "id": id,
        "ticket_id": number,
        "category": category,
        "ticket_attributes": attributes,
        "ticket_state": compact_state(&initial),
        "ticket_type": embedded_type(&draft.ticket_type),
        "contacts": {"type": "contact.list", "contacts": contacts},
        "admin_assignee_id": draft.admin_assignee_id,
        "team_assignee_id": draft.team_assignee_id,
        "created_at": draft.created_at,
        "updated_at": draft.created_at,
        "open": initial["category"] != "resolved",
        "linked_objects": {"type": "list", "data": linked.clone(), "total_count": linked.len(), "has_more": false},
        "ticket_parts": {"type": "ticket_part.list", "ticket_parts": [], "total_count": 0},
        "is_shared": category == "Customer",
        "previous_ticket_state_id": null,
    });
    state.tickets.insert(id.clone(), ticket.clone());
    if let Some(conversation_id) = &draft.linked_conversation {
        super::conversations::link_ticket(state, conversation_id, &ticket, draft.created_at);
    }
    Ok(ticket)
}
