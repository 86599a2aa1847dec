//! Contacts as other objects refer to them, their tags, and their companies.

use serde_json::{Value, json};

use crate::store::{State as Store, id_of};

/// `{type, data:[{type, id, url}], url, total_count, has_more}` as contacts embed relations.
pub fn addressable_list(contact_id: &str, relation: &str, kind: &str, ids: &[String]) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .take(10)
        .map(|id| json!({"type": kind, "id": id, "url": format!("/{relation}/{id}")}))
        .collect();
    json!({
        "type": "list",
        "data": data,
        "url": format!("/contacts/{contact_id}/{relation}"),
        "total_count": ids.len(),
        "has_more": ids.len() > 10,
    })
}

pub fn relation_ids(contact: &Value, relation: &str) -> Vec<String> {
    contact[relation]["data"]
        .as_array()
        .map(|items| items.iter().map(id_of).collect())
        .unwrap_or_default()
}

pub fn set_relation(contact: &mut Value, relation: &str, kind: &str, ids: &[String]) {
    let id = id_of(contact);
    let mut list = addressable_list(&id, relation, kind, ids);
    // Contacts embed every tag id (Intercom caps the embedded list at 10 only for display).
    if relation == "tags" {
        list["data"] = json!(
            ids.iter()
                .map(|t| json!({"type": "tag", "id": t, "url": format!("/tags/{t}")}))
                .collect::<Vec<_>>()
        );
    }
    contact[relation] = list;
}

pub fn add_contact_tag(contact: &mut Value, tag_id: &str) {
    let mut ids = relation_ids(contact, "tags");
    if !ids.iter().any(|t| t == tag_id) {
        ids.push(tag_id.to_string());
    }
    set_relation(contact, "tags", "tag", &ids);
}

pub fn remove_contact_tag(contact: &mut Value, tag_id: &str) {
    let ids: Vec<String> = relation_ids(contact, "tags")
        .into_iter()
        .filter(|t| t != tag_id)
        .collect();
    set_relation(contact, "tags", "tag", &ids);
}

/// `{type:"contact", id, external_id}`.
pub fn reference(contact: &Value) -> Value {
    json!({"type": "contact", "id": contact["id"], "external_id": contact.get("external_id").cloned().unwrap_or(Value::Null)})
}

/// Recomputes a company's `user_count` from the contacts attached to it.
pub fn refresh_user_count(state: &mut Store, company_id: &str) {
    let count = state
        .contacts
        .values()
        .filter(|c| {
            relation_ids(c, "companies")
                .iter()
                .any(|id| id == company_id)
        })
        .count();
    if let Some(company) = state.companies.get_mut(company_id) {
        company["user_count"] = json!(count);
    }
}

/// Contacts attached to a company.
pub fn contacts_of_company<'a>(state: &'a Store, company_id: &str) -> Vec<(u64, &'a Value)> {
    state
        .contacts
        .iter()
        .filter(|(_, c)| {
            relation_ids(c, "companies")
                .iter()
                .any(|id| id == company_id)
        })
        .collect()
}

/// `{type:"tag", id, name}` as Intercom returns from the tag endpoints.
pub fn tag_basic(tag: &Value) -> Value {
    json!({"type": "tag", "id": tag["id"], "name": tag["name"]})
}
