//! Requests stay inside the 2.16 spec: `monthly_spend` is a whole number, conversation
//! attributes come from `GET /conversations/attributes`, and `tag_conversation` checks every
//! name before it creates a tag. Each is read back from the sandbox.

use serde_json::{Value, json};

use crate::common::{Harness, id_of, text};

#[tokio::test]
async fn monthly_spend_must_be_a_whole_number() {
    let h = Harness::start().await;
    let refused = h
        .client
        .call(
            "upsert_company",
            json!({"company_id": "spend-1", "name": "Spend", "monthly_spend": 155.98}),
        )
        .await;
    let said = match refused {
        Err(e) => format!("{e:#}"),
        Ok(result) => {
            assert_eq!(result.is_error, Some(true), "{}", text(&result));
            text(&result)
        }
    };
    assert!(said.contains("whole number"), "{said}");
    assert!(said.contains("155") && said.contains("156"), "{said}");
    // Nothing was created by the refused call.
    let found = h
        .api
        .send_json(
            intercom_api::Method::GET,
            "/companies",
            &[("company_id", "spend-1")],
            None,
        )
        .await;
    if let Ok(found) = &found {
        assert_ne!(found["type"], "company", "{found}");
    }

    let made = h
        .ok(
            "upsert_company",
            json!({"company_id": "spend-1", "name": "Spend", "monthly_spend": 155}),
        )
        .await;
    let stored = h.get(&format!("/companies/{}", id_of(&made["id"]))).await;
    assert_eq!(stored["monthly_spend"], 155);
    // A negative amount is refused too.
    let said = match h
        .client
        .call(
            "upsert_company",
            json!({"company_id": "spend-1", "monthly_spend": -3}),
        )
        .await
    {
        Err(e) => format!("{e:#}"),
        Ok(result) => text(&result),
    };
    assert!(said.contains("between 0 and 2147483647"), "{said}");
}

#[tokio::test]
async fn conversation_attributes_come_from_their_own_endpoint() {
    let h = Harness::start().await;
    // The sandbox answers like Intercom: model=conversation is refused on /data_attributes.
    let refused = h
        .api
        .send_json(
            intercom_api::Method::GET,
            "/data_attributes",
            &[("model", "conversation")],
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(422));

    let listed = h
        .ok("list_data_attributes", json!({"model": "conversation"}))
        .await;
    let attrs = listed["data_attributes"].as_array().unwrap();
    let api = h.get("/conversations/attributes").await;
    assert_eq!(attrs.len(), api["data"].as_array().unwrap().len());
    let issue = attrs
        .iter()
        .find(|a| a["name"] == "custom_attributes.issue_type")
        .expect("issue_type is listed");
    assert_eq!(issue["model"], "conversation");
    assert_eq!(issue["data_type"], "list");
    // Its options are the values the seeded conversations actually carry.
    let options: Vec<&str> = issue["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let conversations = h.get("/conversations").await;
    for c in conversations["conversations"].as_array().unwrap() {
        if let Some(v) = c["custom_attributes"]["issue_type"].as_str() {
            assert!(options.contains(&v), "{v} not in {options:?}");
        }
    }

    // Without a model, all three kinds are listed.
    let all = h.ok("list_data_attributes", json!({})).await;
    let models: std::collections::BTreeSet<&str> = all["data_attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["model"].as_str())
        .collect();
    assert_eq!(
        models,
        ["company", "contact", "conversation"].into_iter().collect()
    );
}

#[tokio::test]
async fn tag_conversation_checks_names_to_remove_before_creating_a_tag() {
    let h = Harness::start().await;
    let conversation = &h.get("/conversations").await["conversations"][0];
    let id = id_of(&conversation["id"]);
    let err = h
        .err(
            "tag_conversation",
            json!({
                "id": id,
                "add": ["made-by-mistake"],
                "remove": ["no-such-tag-anywhere"],
                "create_missing_tags": true
            }),
        )
        .await;
    assert!(err.contains("no-such-tag-anywhere"), "{err}");
    let tags = h.get("/tags").await;
    assert!(
        !tags["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "made-by-mistake"),
        "an unknown name to remove changes nothing: no tag was created"
    );
}
