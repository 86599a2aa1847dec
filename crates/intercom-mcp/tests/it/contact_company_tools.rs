//! Contact and company tools against the sandbox: every result is compared
//! with the sandbox read back through the API, and every write is read back.

use crate::common;

use common::{Harness, id_of};
use serde_json::{Value, json};

async fn a_user_with_email(h: &Harness) -> Value {
    let found = h
        .post(
            "/contacts/search",
            json!({"query": {"field": "role", "operator": "=", "value": "user"}, "pagination": {"per_page": 50}}),
        )
        .await;
    found["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"].as_str().is_some_and(|e| !e.is_empty()))
        .cloned()
        .expect("a user with an email")
}

async fn a_company(h: &Harness) -> Value {
    let list = h.post("/companies/list", json!({})).await;
    list["data"][0].clone()
}

#[tokio::test]
async fn headline_find_customer_by_email() {
    let h = Harness::start().await;
    let user = a_user_with_email(&h).await;
    let email = user["email"].as_str().unwrap();
    // One call, with the address typed in another case.
    let out = h
        .ok("find_contact", json!({"email": email.to_uppercase()}))
        .await;
    assert_eq!(out["id"], user["id"]);
    assert_eq!(out["email"], user["email"]);
    assert_eq!(out["name"], user["name"]);
    let tag_count = user["tags"]["data"].as_array().map_or(0, Vec::len);
    assert_eq!(out["tags"].as_array().map_or(0, Vec::len), tag_count);

    let err = h
        .err("find_contact", json!({"email": "nobody@nowhere.invalid"}))
        .await;
    assert!(err.contains("no contact matches"), "{err}");
    let err = h.err("find_contact", json!({})).await;
    assert!(err.contains("email"), "{err}");
}

#[tokio::test]
async fn search_contacts_matches_the_api() {
    let h = Harness::start().await;
    let user = a_user_with_email(&h).await;
    let domain = user["email"]
        .as_str()
        .unwrap()
        .split('@')
        .nth(1)
        .unwrap()
        .to_string();
    let out = h
        .ok(
            "search_contacts",
            json!({"email_domain": domain, "role": "user", "limit": 150}),
        )
        .await;
    let expected = h
        .post(
            "/contacts/search",
            json!({"query": {"operator": "AND", "value": [
                {"field": "email_domain", "operator": "=", "value": domain},
                {"field": "role", "operator": "=", "value": "user"}
            ]}, "pagination": {"per_page": 150}}),
        )
        .await;
    assert_eq!(out["total_count"], expected["total_count"]);
    let mut got: Vec<String> = out["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    let mut want: Vec<String> = expected["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(got.contains(&id_of(&user["id"])));

    // Paging: two pages of one give two different contacts.
    let first = h.ok("search_contacts", json!({"limit": 1})).await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more than one contact");
    let second = h
        .ok("search_contacts", json!({"limit": 1, "cursor": cursor}))
        .await;
    assert_ne!(first["contacts"][0]["id"], second["contacts"][0]["id"]);

    let err = h
        .err(
            "search_contacts",
            json!({"query": {"field": "name", "operator": "~", "value": 5}}),
        )
        .await;
    assert!(err.contains("name"), "{err}");
}

#[tokio::test]
async fn create_update_note_and_tag_read_back() {
    let h = Harness::start().await;
    let created = h
        .ok(
            "create_contact",
            json!({"email": "ada@example.org", "name": "Ada Lovelace"}),
        )
        .await;
    let id = id_of(&created["id"]);
    let stored = h.get(&format!("/contacts/{id}")).await;
    assert_eq!(stored["email"], "ada@example.org");
    assert_eq!(stored["role"], "user");

    h.ok(
        "update_contact",
        json!({"id": format!("contact_{id}"), "name": "Ada King", "phone": "+44 20 7946 0000"}),
    )
    .await;
    let stored = h.get(&format!("/contacts/{id}")).await;
    assert_eq!(stored["name"], "Ada King");
    assert_eq!(stored["phone"], "+44 20 7946 0000");
    assert_eq!(stored["email"], "ada@example.org", "untouched fields stay");
    let err = h.err("update_contact", json!({"id": id})).await;
    assert!(err.contains("nothing to update"), "{err}");

    let note = h
        .ok(
            "add_contact_note",
            json!({"id": id, "body": "Asked about <b>invoices</b>"}),
        )
        .await;
    let notes = h.get(&format!("/contacts/{id}/notes")).await;
    assert_eq!(notes["data"][0]["id"], note["id"]);
    assert!(
        notes["data"][0]["body"]
            .as_str()
            .unwrap()
            .contains("invoices")
    );

    let tags = h.get("/tags").await;
    let tag = tags["data"][0]["name"].as_str().unwrap().to_string();
    h.ok("tag_contact", json!({"id": id, "add": [tag.clone()]}))
        .await;
    let on_contact = h.get(&format!("/contacts/{id}/tags")).await;
    assert!(
        on_contact["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == tag.as_str())
    );
    // An unknown tag is refused before anything is written.
    let err = h
        .err(
            "tag_contact",
            json!({"id": id, "add": ["no-such-tag-xyz"], "remove": [tag.clone()]}),
        )
        .await;
    assert!(err.contains("no-such-tag-xyz"), "{err}");
    let still = h.get(&format!("/contacts/{id}/tags")).await;
    assert_eq!(still["data"].as_array().unwrap().len(), 1);
    h.ok("tag_contact", json!({"id": id, "remove": [tag]}))
        .await;
    let after = h.get(&format!("/contacts/{id}/tags")).await;
    assert!(after["data"].as_array().unwrap().is_empty());

    // Archive, then unarchive.
    h.ok("archive_contact", json!({"id": id})).await;
    let found = h
        .post(
            "/contacts/search",
            json!({"query": {"field": "id", "operator": "=", "value": id}}),
        )
        .await;
    assert_eq!(found["total_count"], 0, "archived contacts leave searches");
    h.ok("archive_contact", json!({"id": id, "unarchive": true}))
        .await;
    let found = h
        .post(
            "/contacts/search",
            json!({"query": {"field": "id", "operator": "=", "value": id}}),
        )
        .await;
    assert_eq!(found["total_count"], 1);
}

#[tokio::test]
async fn merge_a_lead_into_a_user() {
    let h = Harness::start().await;
    let user = h
        .ok(
            "create_contact",
            json!({"email": "grace@example.org", "name": "Grace"}),
        )
        .await;
    let lead = h
        .ok(
            "create_contact",
            json!({"role": "lead", "email": "grace@example.org", "phone": "+1 555 0100"}),
        )
        .await;
    let err = h
        .err(
            "merge_contacts",
            json!({"from": user["id"], "into": lead["id"]}),
        )
        .await;
    assert!(err.contains("lead"), "{err}");
    let merged = h
        .ok(
            "merge_contacts",
            json!({"from": lead["id"], "into": user["id"]}),
        )
        .await;
    assert_eq!(merged["id"], user["id"]);
    let stored = h.get(&format!("/contacts/{}", id_of(&user["id"]))).await;
    assert_eq!(
        stored["phone"], "+1 555 0100",
        "the lead's phone moved over"
    );
    let gone = h
        .api
        .send_json(
            intercom_api::Method::GET,
            &format!("/contacts/{}", id_of(&lead["id"])),
            &[],
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(410));
}

#[tokio::test]
async fn companies_list_get_upsert_and_membership() {
    let h = Harness::start().await;
    let api_list = h.post("/companies/list", json!({"per_page": 5})).await;
    let out = h.ok("list_companies", json!({"per_page": 5})).await;
    assert_eq!(out["total_count"], api_list["total_count"]);
    assert_eq!(out["companies"][0]["id"], api_list["data"][0]["id"]);

    let company = a_company(&h).await;
    let cid = company["company_id"].as_str().unwrap().to_string();
    let by_cid = h.ok("list_companies", json!({"company_id": cid})).await;
    assert_eq!(by_cid["companies"][0]["id"], company["id"]);
    let none = h
        .ok("list_companies", json!({"name": "No Such Company Ltd"}))
        .await;
    assert_eq!(none["companies"].as_array().unwrap().len(), 0);

    for key in [
        company["id"].clone(),
        json!(cid.clone()),
        company["name"].clone(),
    ] {
        let got = h.ok("get_company", json!({"id": key})).await;
        assert_eq!(got["id"], company["id"], "looked up by {key}");
    }

    // Upsert: create, then update the same company_id.
    let created = h
        .ok(
            "upsert_company",
            json!({"company_id": "acme-42", "name": "Acme", "plan": "pro", "size": 40}),
        )
        .await;
    let again = h
        .ok(
            "upsert_company",
            json!({"company_id": "acme-42", "size": 45}),
        )
        .await;
    assert_eq!(created["id"], again["id"], "same company, not a second one");
    let stored = h
        .get(&format!("/companies/{}", id_of(&created["id"])))
        .await;
    assert_eq!(stored["size"], 45);
    assert_eq!(stored["name"], "Acme");

    // Attach a contact, list the company's contacts, then detach.
    let user = a_user_with_email(&h).await;
    h.ok(
        "attach_contact_to_company",
        json!({"contact_id": user["id"], "company": "acme-42"}),
    )
    .await;
    let theirs = h
        .get(&format!("/contacts/{}/companies", id_of(&user["id"])))
        .await;
    assert!(
        theirs["companies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == created["id"])
    );
    let members = h
        .ok("list_company_contacts", json!({"id": "acme-42"}))
        .await;
    assert!(
        members["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == user["id"])
    );
    h.ok(
        "attach_contact_to_company",
        json!({"contact_id": user["id"], "company": created["id"], "detach": true}),
    )
    .await;
    let theirs = h
        .get(&format!("/contacts/{}/companies", id_of(&user["id"])))
        .await;
    assert!(
        !theirs["companies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == created["id"])
    );
}
