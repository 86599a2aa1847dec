//! The same seed gives the same workspace; scales give the promised sizes.

use intercom_sandbox::seed::{Scale, SeedData, generate};

const NOW: i64 = 1_764_151_234;

fn as_json(data: &SeedData) -> String {
    let everything = serde_json::json!({
        "app_id": data.app_id,
        "workspace_name": data.workspace_name,
        "time_zone": data.time_zone,
        "admins": data.admins,
        "teams": data.teams,
        "tags": data.tags,
        "segments": data.segments,
        "data_attributes": data.data_attributes,
        "companies": data.companies,
        "contacts": data.contacts,
        "notes": data.notes,
        "conversations": data.conversations,
        "ticket_types": data.ticket_types,
        "ticket_states": data.ticket_states,
        "tickets": data.tickets,
        "articles": data.articles,
        "help_centers": data.help_centers,
    });
    serde_json::to_string(&everything).unwrap()
}

#[test]
fn same_seed_same_workspace() {
    for scale in [Scale::Tiny, Scale::Small] {
        let first = as_json(&generate(scale, 99, NOW));
        let second = as_json(&generate(scale, 99, NOW));
        assert!(first == second, "{scale}: generation is not deterministic");
    }
}

#[test]
fn different_seed_different_workspace() {
    let first = generate(Scale::Tiny, 1, NOW);
    let second = generate(Scale::Tiny, 2, NOW);
    assert_ne!(first.app_id, second.app_id);
    assert_ne!(first.conversations, second.conversations);
    assert_ne!(first.contacts, second.contacts);
}

#[test]
fn times_follow_now() {
    let earlier = generate(Scale::Tiny, 5, NOW - 30 * 86_400);
    let newest = earlier
        .conversations
        .iter()
        .filter_map(|c| c["created_at"].as_i64())
        .max()
        .unwrap();
    assert!(
        newest <= NOW - 30 * 86_400,
        "nothing is created after the given now"
    );
    assert!(
        newest > NOW - 31 * 86_400,
        "the given day has conversations"
    );
}

#[test]
fn tiny_and_small_sizes() {
    let tiny = generate(Scale::Tiny, 8, NOW);
    assert_eq!(tiny.admins.len(), 6);
    assert_eq!(tiny.contacts.len(), 30);
    assert_eq!(tiny.conversations.len(), 60);
    assert_eq!(tiny.tickets.len(), 15);
    assert!(tiny.tags.len() >= 15 && tiny.teams.len() >= 5);
    assert!(!tiny.companies.is_empty() && !tiny.notes.is_empty() && !tiny.articles.is_empty());
    assert!(
        !tiny.segments.is_empty()
            && !tiny.data_attributes.is_empty()
            && !tiny.help_centers.is_empty()
    );
    assert!(tiny.ticket_types.len() >= 3 && tiny.ticket_states.len() >= 4);

    let small = generate(Scale::Small, 8, NOW);
    assert_eq!(small.admins.len(), 12);
    assert_eq!(small.contacts.len(), 500);
    assert_eq!(small.conversations.len(), 2_000);
    assert!(small.companies.len() >= 50 && small.tickets.len() >= 100);
    assert_eq!(small.workspace_name, "Lumen Analytics");
}

#[test]
fn medium_size() {
    let medium = generate(Scale::Medium, 8, NOW);
    assert_eq!(medium.conversations.len(), 10_000);
    assert!(medium.contacts.len() >= 5_000);
}

/// The heaviest seed (about 25 s in a debug build, alongside the other tests).
#[test]
fn large_size() {
    let large = generate(Scale::Large, 8, NOW);
    assert!(large.conversations.len() >= 100_000);
    assert!(large.contacts.len() >= 50_000);
}

#[test]
fn scale_names_parse() {
    assert_eq!("tiny".parse::<Scale>(), Ok(Scale::Tiny));
    assert_eq!("Small".parse::<Scale>(), Ok(Scale::Small));
    assert_eq!("medium".parse::<Scale>(), Ok(Scale::Medium));
    assert_eq!("large".parse::<Scale>(), Ok(Scale::Large));
    let error = "huge".parse::<Scale>().unwrap_err();
    assert!(
        error.contains("huge") && error.contains("tiny, small, medium, large"),
        "{error}"
    );
    assert_eq!(Scale::default(), Scale::Small);
}
