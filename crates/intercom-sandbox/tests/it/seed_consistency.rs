//! The seeded workspace agrees with itself: statistics match parts, references resolve,
//! states are coherent, and recent days always hold conversations.

use std::collections::{HashMap, HashSet};

use chrono::TimeZone;
use intercom_sandbox::seed::{Scale, SeedData, generate};
use serde_json::Value;

const NOW: i64 = 1_764_151_234;
const DAY: i64 = 86_400;

fn small() -> &'static SeedData {
    static DATA: std::sync::OnceLock<SeedData> = std::sync::OnceLock::new();
    DATA.get_or_init(|| generate(Scale::Small, 42, NOW))
}

fn str_of<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} missing in {value}"))
}

fn int_of(value: &Value, pointer: &str) -> i64 {
    value
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{pointer} missing in {value}"))
}

fn ids(items: &[Value]) -> HashSet<String> {
    items
        .iter()
        .map(|item| str_of(item, "/id").to_string())
        .collect()
}

fn parts(conversation: &Value) -> &Vec<Value> {
    conversation["conversation_parts"]["conversation_parts"]
        .as_array()
        .expect("parts array")
}

fn is_contact_author(part: &Value) -> bool {
    matches!(str_of(part, "/author/type"), "user" | "lead" | "contact")
}

#[test]
fn statistics_agree_with_parts() {
    let data = small();
    let mut checked_reopens = 0;
    let mut admin_reopens = 0;
    let mut checked_replies = 0;
    for conversation in &data.conversations {
        let id = str_of(conversation, "/id");
        let parts = parts(conversation);
        let stats = &conversation["statistics"];
        assert_eq!(
            int_of(stats, "/count_conversation_parts") as usize,
            parts.len(),
            "{id}"
        );
        assert_eq!(
            int_of(conversation, "/conversation_parts/total_count") as usize,
            parts.len(),
            "{id}"
        );

        let contact_started = is_contact_author(&conversation["source"]);
        let first_contact = if contact_started {
            Some(int_of(conversation, "/created_at"))
        } else {
            parts
                .iter()
                .find(|p| p["part_type"] == "comment" && is_contact_author(p))
                .map(|p| int_of(p, "/created_at"))
        };
        assert_eq!(
            stats["first_contact_reply_at"].as_i64(),
            first_contact,
            "{id}"
        );

        let admin_comments: Vec<i64> = parts
            .iter()
            .filter(|p| p["part_type"] == "comment" && p["author"]["type"] == "admin")
            .map(|p| int_of(p, "/created_at"))
            .filter(|at| first_contact.is_some_and(|first| *at >= first))
            .collect();
        assert_eq!(
            stats["first_admin_reply_at"].as_i64(),
            admin_comments.first().copied(),
            "{id}"
        );
        assert_eq!(
            stats["last_admin_reply_at"].as_i64(),
            admin_comments.last().copied(),
            "{id}"
        );
        if let (Some(first), Some(reply)) = (first_contact, admin_comments.first()) {
            assert_eq!(int_of(stats, "/time_to_admin_reply"), reply - first, "{id}");
            checked_replies += 1;
        }

        let closes: Vec<&Value> = parts.iter().filter(|p| p["part_type"] == "close").collect();
        assert_eq!(
            stats["first_close_at"].as_i64(),
            closes.first().map(|p| int_of(p, "/created_at")),
            "{id}"
        );
        assert_eq!(
            stats["last_close_at"].as_i64(),
            closes.last().map(|p| int_of(p, "/created_at")),
            "{id}"
        );
        if let Some(last) = closes.last() {
            assert_eq!(
                str_of(stats, "/last_closed_by_id"),
                str_of(last, "/author/id"),
                "{id}"
            );
        }

        let mut reopens = 0;
        let mut previous = "open";
        for part in parts {
            let state = str_of(part, "/state");
            if previous == "closed" && state == "open" {
                reopens += 1;
            }
            previous = state;
        }
        assert_eq!(int_of(stats, "/count_reopens"), reopens, "{id}");
        checked_reopens += reopens;
        for (index, part) in parts.iter().enumerate() {
            if part["part_type"] == "open" {
                assert!(
                    index > 0 && parts[index - 1]["state"] == "closed",
                    "{id}: open follows a close"
                );
                admin_reopens += 1;
            }
        }

        let assignments = parts
            .iter()
            .filter(|p| p["part_type"] == "assignment")
            .count();
        assert_eq!(
            int_of(stats, "/count_assignments") as usize,
            assignments,
            "{id}"
        );
    }
    assert!(
        checked_replies > 1_000,
        "most conversations have an admin reply, got {checked_replies}"
    );
    assert!(
        admin_reopens > 5,
        "teammates reopen some conversations: {admin_reopens}"
    );
    assert!(
        checked_reopens > 10,
        "some conversations were reopened, got {checked_reopens}"
    );
}

#[test]
fn conversation_state_fields_are_coherent() {
    let data = small();
    let mut by_state: HashMap<String, usize> = HashMap::new();
    let mut rated = 0;
    let mut remarks = 0;
    for conversation in &data.conversations {
        let id = str_of(conversation, "/id");
        let state = str_of(conversation, "/state");
        *by_state.entry(state.to_string()).or_default() += 1;
        let parts = parts(conversation);
        let created_at = int_of(conversation, "/created_at");
        let last_state = parts.last().map_or("open", |p| str_of(p, "/state"));
        assert_eq!(state, last_state, "{id}: state follows the last part");
        assert_eq!(
            conversation["open"].as_bool(),
            Some(state != "closed"),
            "{id}"
        );

        let mut at = created_at;
        for part in parts {
            let part_at = int_of(part, "/created_at");
            assert!(
                part_at >= at && part_at <= NOW,
                "{id}: parts are in order and not in the future"
            );
            at = part_at;
        }
        assert!(int_of(conversation, "/updated_at") >= at, "{id}");

        match state {
            "snoozed" => assert!(int_of(conversation, "/snoozed_until") > NOW, "{id}"),
            _ => assert!(conversation["snoozed_until"].is_null(), "{id}"),
        }
        if let Some(waiting) = conversation["waiting_since"].as_i64() {
            assert_eq!(state, "open", "{id}: only open conversations wait");
            let last_comment = parts.iter().rev().find(|p| p["part_type"] == "comment");
            let last_is_contact = last_comment.is_none_or(is_contact_author);
            assert!(
                last_is_contact,
                "{id}: waiting means the customer spoke last"
            );
            assert!(waiting <= at.max(created_at), "{id}");
        }
        if let Some(rating) = conversation["conversation_rating"].as_object() {
            assert_eq!(state, "closed", "{id}: only closed conversations are rated");
            let score = rating["rating"].as_i64().unwrap();
            assert!((1..=5).contains(&score), "{id}");
            assert!(
                rating["created_at"].as_i64().unwrap()
                    >= int_of(conversation, "/statistics/last_close_at")
            );
            rated += 1;
            if rating["remark"].as_str().is_some_and(|r| !r.is_empty()) {
                remarks += 1;
            }
        }
        assert!(
            ["none", "low", "medium", "high", "urgent"]
                .contains(&str_of(conversation, "/priority")),
            "{id}"
        );
    }
    for state in ["open", "closed", "snoozed"] {
        assert!(
            by_state.get(state).copied().unwrap_or(0) > 0,
            "no {state} conversations: {by_state:?}"
        );
    }
    let closed_share = by_state["closed"] as f64 / data.conversations.len() as f64;
    assert!(
        closed_share > 0.6,
        "most conversations over 90 days are closed: {by_state:?}"
    );
    assert!(
        rated > 100 && remarks > 20,
        "ratings {rated}, remarks {remarks}"
    );
}

#[test]
fn conversation_references_resolve() {
    let data = small();
    let admins = ids(&data.admins);
    let teams = ids(&data.teams);
    let contacts = ids(&data.contacts);
    let tickets = ids(&data.tickets);
    let tag_names: HashMap<&str, &str> = data
        .tags
        .iter()
        .map(|t| (str_of(t, "/id"), str_of(t, "/name")))
        .collect();
    let mut part_ids = HashSet::new();
    let mut conversation_ids = HashSet::new();
    for conversation in &data.conversations {
        let id = str_of(conversation, "/id");
        assert!(
            conversation_ids.insert(id.to_string()),
            "duplicate conversation id {id}"
        );
        let admin = int_of(conversation, "/admin_assignee_id");
        assert!(
            admin == 0 || admins.contains(&admin.to_string()),
            "{id}: admin {admin}"
        );
        let team = int_of(conversation, "/team_assignee_id");
        assert!(
            team == 0 || teams.contains(&team.to_string()),
            "{id}: team {team}"
        );
        let people = conversation["contacts"]["contacts"].as_array().unwrap();
        assert!(!people.is_empty(), "{id}");
        for contact in people {
            assert!(contacts.contains(str_of(contact, "/id")), "{id}");
        }
        for tag in conversation["tags"]["tags"].as_array().unwrap() {
            assert_eq!(
                tag_names.get(str_of(tag, "/id")),
                Some(&str_of(tag, "/name")),
                "{id}"
            );
            assert!(admins.contains(str_of(tag, "/applied_by/id")), "{id}");
        }
        for teammate in conversation["teammates"]["teammates"].as_array().unwrap() {
            assert!(admins.contains(str_of(teammate, "/id")), "{id}");
        }
        for link in conversation["linked_objects"]["data"].as_array().unwrap() {
            assert_eq!(link["type"], "ticket");
            assert!(tickets.contains(str_of(link, "/id")), "{id}");
        }
        let contact_id = str_of(&people[0], "/id");
        for part in parts(conversation) {
            assert!(
                part_ids.insert(str_of(part, "/id").to_string()),
                "duplicate part id"
            );
            match str_of(part, "/author/type") {
                "admin" => assert!(admins.contains(str_of(part, "/author/id")), "{id}"),
                "user" | "lead" => assert_eq!(str_of(part, "/author/id"), contact_id, "{id}"),
                "bot" => {}
                other => panic!("{id}: unexpected author type {other}"),
            }
            if let Some(target) = part["assigned_to"].as_object() {
                let target_id = target["id"].as_str().unwrap();
                match target["type"].as_str().unwrap() {
                    "admin" => assert!(admins.contains(target_id)),
                    "team" => assert!(teams.contains(target_id)),
                    other => panic!("unexpected assignee type {other}"),
                }
            }
        }
    }
    for ticket in &data.tickets {
        assert!(
            !conversation_ids.contains(str_of(ticket, "/id")),
            "ticket ids share the conversation id space"
        );
        for part in ticket["ticket_parts"]["ticket_parts"].as_array().unwrap() {
            assert!(
                part_ids.insert(str_of(part, "/id").to_string()),
                "duplicate ticket part id"
            );
        }
    }
}

#[test]
fn people_and_companies_reference_each_other() {
    let data = small();
    let companies = ids(&data.companies);
    let tags = ids(&data.tags);
    let notes: HashMap<&str, &Value> = data.notes.iter().map(|n| (str_of(n, "/id"), n)).collect();
    let admins = ids(&data.admins);
    let mut members: HashMap<String, i64> = HashMap::new();
    let mut emails = HashSet::new();
    for contact in &data.contacts {
        let id = str_of(contact, "/id");
        let email = str_of(contact, "/email");
        assert!(emails.insert(email.to_string()), "duplicate email {email}");
        assert_eq!(
            email.split('@').nth(1),
            Some(str_of(contact, "/email_domain"))
        );
        for company in contact["companies"]["data"].as_array().unwrap() {
            let company_id = str_of(company, "/id");
            assert!(companies.contains(company_id), "{id}");
            *members.entry(company_id.to_string()).or_default() += 1;
        }
        for tag in contact["tags"]["data"].as_array().unwrap() {
            assert!(tags.contains(str_of(tag, "/id")), "{id}");
        }
        let note_refs = contact["notes"]["data"].as_array().unwrap();
        assert_eq!(
            int_of(contact, "/notes/total_count") as usize,
            note_refs.len()
        );
        for note in note_refs {
            let note = notes.get(str_of(note, "/id")).expect("note exists");
            assert_eq!(str_of(note, "/contact/id"), id);
            assert!(admins.contains(str_of(note, "/author/id")));
        }
        if let Some(owner) = contact["owner_id"].as_str() {
            assert!(admins.contains(owner), "{id}: owner");
        }
        let role = str_of(contact, "/role");
        assert!(role == "user" || role == "lead");
        assert_eq!(contact["external_id"].is_null(), role == "lead", "{id}");
    }
    for company in &data.companies {
        let id = str_of(company, "/id");
        assert_eq!(
            int_of(company, "/user_count"),
            members.get(id).copied().unwrap_or(0),
            "{id}"
        );
    }
    let note_contacts: usize = data
        .contacts
        .iter()
        .map(|c| c["notes"]["data"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        note_contacts,
        data.notes.len(),
        "every note is listed on its contact"
    );

    for admin in &data.admins {
        for team_id in admin["team_ids"].as_array().unwrap() {
            let team = data
                .teams
                .iter()
                .find(|t| str_of(t, "/id").parse::<i64>().ok() == team_id.as_i64())
                .expect("team");
            assert!(
                team["admin_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a.as_i64() == str_of(admin, "/id").parse::<i64>().ok())
            );
        }
    }
    for team in &data.teams {
        assert!(
            !team["admin_ids"].as_array().unwrap().is_empty(),
            "every team has people"
        );
    }
    assert!(
        data.admins.iter().any(|a| a["away_mode_enabled"] == true),
        "someone is away"
    );
    assert!(data.admins.iter().any(|a| a["away_mode_enabled"] == false));
    let leads = data.contacts.iter().filter(|c| c["role"] == "lead").count() as i64;
    let leads_segment = data
        .segments
        .iter()
        .find(|s| s["name"] == "All leads")
        .expect("leads segment");
    assert_eq!(int_of(leads_segment, "/count"), leads);
}

#[test]
fn contact_activity_matches_conversations() {
    let data = small();
    let mut last_reply: HashMap<&str, i64> = HashMap::new();
    for conversation in &data.conversations {
        let contact = str_of(conversation, "/contacts/contacts/0/id");
        let mut times: Vec<i64> = parts(conversation)
            .iter()
            .filter(|p| p["part_type"] == "comment" && is_contact_author(p))
            .map(|p| int_of(p, "/created_at"))
            .collect();
        if is_contact_author(&conversation["source"]) {
            times.push(int_of(conversation, "/created_at"));
        }
        if let Some(latest) = times.into_iter().max() {
            let entry = last_reply.entry(contact).or_insert(latest);
            *entry = (*entry).max(latest);
        }
    }
    for contact in &data.contacts {
        let id = str_of(contact, "/id");
        assert_eq!(
            contact["last_replied_at"].as_i64(),
            last_reply.get(id).copied(),
            "{id}"
        );
        if let Some(replied) = contact["last_replied_at"].as_i64() {
            assert!(int_of(contact, "/last_seen_at") >= replied, "{id}");
            assert!(
                int_of(contact, "/created_at") <= replied,
                "{id}: contact existed before writing"
            );
        }
    }
}

#[test]
fn tickets_are_consistent() {
    let data = small();
    let states: HashMap<&str, &Value> = data
        .ticket_states
        .iter()
        .map(|s| (str_of(s, "/id"), s))
        .collect();
    let types: HashMap<&str, &Value> = data
        .ticket_types
        .iter()
        .map(|t| (str_of(t, "/id"), t))
        .collect();
    let contacts = ids(&data.contacts);
    let admins = ids(&data.admins);
    let conversations: HashMap<&str, &Value> = data
        .conversations
        .iter()
        .map(|c| (str_of(c, "/id"), c))
        .collect();
    let mut categories = HashSet::new();
    let mut state_categories = HashSet::new();
    let mut display_ids = HashSet::new();
    for ticket in &data.tickets {
        let id = str_of(ticket, "/id");
        assert!(display_ids.insert(str_of(ticket, "/ticket_id").to_string()));
        let state_id = str_of(ticket, "/ticket_state/id");
        let state = states
            .get(state_id)
            .unwrap_or_else(|| panic!("{id}: state {state_id} exists"));
        let category = str_of(state, "/category");
        assert_eq!(category, str_of(ticket, "/ticket_state/category"));
        state_categories.insert(category.to_string());
        let ticket_type = types
            .get(str_of(ticket, "/ticket_type/id"))
            .expect("type exists");
        assert_eq!(
            str_of(ticket_type, "/category"),
            str_of(ticket, "/category")
        );
        categories.insert(str_of(ticket, "/category").to_string());
        let allowed: Vec<&str> = ticket_type["ticket_states"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| str_of(s, "/id"))
            .collect();
        assert!(
            allowed.contains(&state_id),
            "{id}: the type allows its state"
        );
        assert_eq!(
            ticket["open"].as_bool(),
            Some(category != "resolved"),
            "{id}"
        );
        for contact in ticket["contacts"]["contacts"].as_array().unwrap() {
            assert!(contacts.contains(str_of(contact, "/id")));
        }
        let admin = int_of(ticket, "/admin_assignee_id");
        assert!(admin == 0 || admins.contains(&admin.to_string()));
        let parts = ticket["ticket_parts"]["ticket_parts"].as_array().unwrap();
        let mut at = int_of(ticket, "/created_at");
        let mut current = "submitted";
        for part in parts {
            assert_eq!(str_of(part, "/previous_ticket_state"), current, "{id}");
            current = str_of(part, "/ticket_state");
            assert!(int_of(part, "/created_at") >= at && int_of(part, "/created_at") <= NOW);
            at = int_of(part, "/created_at");
        }
        assert_eq!(
            current, category,
            "{id}: the last part leaves the ticket in its state"
        );
        for link in ticket["linked_objects"]["data"].as_array().unwrap() {
            let conversation = conversations
                .get(str_of(link, "/id"))
                .expect("linked conversation exists");
            let back = conversation["linked_objects"]["data"].as_array().unwrap();
            assert!(back.iter().any(|l| l["id"] == id), "{id}: link is mutual");
        }
        assert!(
            ticket["ticket_attributes"]["_default_title_"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
    }
    for category in ["Customer", "Back-office", "Tracker"] {
        assert!(categories.contains(category), "missing {category}");
    }
    for category in [
        "submitted",
        "in_progress",
        "waiting_on_customer",
        "resolved",
    ] {
        assert!(state_categories.contains(category), "missing {category}");
    }
}

#[test]
fn recent_days_have_conversations() {
    // "Today" is the workspace's local day; check summer time too (Dublin is UTC+1 then),
    // including a moment just after local midnight.
    let summer_late_evening = 1_751_583_000; // 2025-07-03 22:50 UTC = 23:50 in Dublin
    let summer_after_midnight = summer_late_evening + 20 * 60; // 00:10 in Dublin
    for (scale, now) in [
        (Scale::Tiny, NOW),
        (Scale::Small, NOW),
        (Scale::Tiny, summer_late_evening),
        (Scale::Tiny, summer_after_midnight),
    ] {
        let data = generate(scale, 3, now);
        let zone: chrono_tz::Tz = data.time_zone.parse().expect("a real time zone");
        let today = zone.timestamp_opt(now, 0).unwrap().date_naive();
        for days_ago in 0..=7u64 {
            let day = today - chrono::Days::new(days_ago);
            let start = zone
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .timestamp();
            let next = zone
                .from_local_datetime(&(day + chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .timestamp();
            let end = if days_ago == 0 { now } else { next - 1 };
            let count = data
                .conversations
                .iter()
                .filter(|c| (start..=end).contains(&int_of(c, "/created_at")))
                .count();
            assert!(
                count > 0,
                "{scale} at {now}: no conversations {days_ago} local days ago"
            );
        }
        let newest = data
            .conversations
            .iter()
            .map(|c| int_of(c, "/created_at"))
            .max()
            .unwrap();
        assert!(newest <= now, "nothing starts in the future");
        let oldest = data
            .conversations
            .iter()
            .map(|c| int_of(c, "/created_at"))
            .min()
            .unwrap();
        assert!(
            now - oldest > 60 * DAY && now - oldest <= 91 * DAY,
            "{scale}: history spans about 90 days"
        );
    }
    let data = small();
    let last_week = data
        .conversations
        .iter()
        .filter(|c| NOW - int_of(c, "/created_at") < 7 * DAY)
        .count();
    let share = last_week as f64 / data.conversations.len() as f64;
    assert!(
        share > 0.1 && share < 0.4,
        "a fair share is from the last week: {share}"
    );
}

#[test]
fn part_counts_stay_modest_with_a_few_long_threads() {
    let data = small();
    let lengths: Vec<usize> = data.conversations.iter().map(|c| parts(c).len()).collect();
    let long = lengths.iter().filter(|&&n| n >= 50).count();
    assert!(long >= 5, "long threads for truncation tests: {long}");
    let normal_max = lengths
        .iter()
        .filter(|&&n| n < 50)
        .max()
        .copied()
        .unwrap_or(0);
    assert!(
        normal_max <= 12,
        "ordinary conversations keep to 12 parts, saw {normal_max}"
    );
    let average = lengths.iter().sum::<usize>() as f64 / lengths.len() as f64;
    assert!(
        average > 3.0,
        "conversations have real exchanges: average {average}"
    );
}

#[test]
fn articles_and_help_centers_fit_together() {
    let data = small();
    let centers: Vec<&str> = data
        .help_centers
        .iter()
        .map(|c| str_of(c, "/url"))
        .collect();
    let admins = ids(&data.admins);
    let mut drafts = 0;
    for article in &data.articles {
        assert!(admins.contains(&int_of(article, "/author_id").to_string()));
        match str_of(article, "/state") {
            "published" => {
                let url = str_of(article, "/url");
                assert!(centers.iter().any(|c| url.starts_with(c)), "{url}");
            }
            "draft" => {
                drafts += 1;
                assert!(article["url"].is_null());
            }
            other => panic!("state {other}"),
        }
        assert!(str_of(article, "/body").starts_with("<p>"));
    }
    assert!(drafts > 0 && drafts < data.articles.len());
    assert_eq!(
        data.help_centers
            .iter()
            .filter(|c| c["default"] == true)
            .count(),
        1
    );
}

#[test]
fn tiny_workspaces_cover_every_ticket_category_and_state() {
    for seed in 0..6 {
        let data = generate(Scale::Tiny, seed, NOW);
        let categories: HashSet<&str> = data
            .tickets
            .iter()
            .map(|t| str_of(t, "/category"))
            .collect();
        let states: HashSet<&str> = data
            .tickets
            .iter()
            .map(|t| str_of(t, "/ticket_state/category"))
            .collect();
        assert_eq!(categories.len(), 3, "seed {seed}: {categories:?}");
        assert_eq!(states.len(), 4, "seed {seed}: {states:?}");
        let conversation_states: HashSet<&str> = data
            .conversations
            .iter()
            .map(|c| str_of(c, "/state"))
            .collect();
        assert!(
            conversation_states.contains("open") && conversation_states.contains("closed"),
            "seed {seed}"
        );
    }
}

/// Intercom's `sla_status`: `hit`/`missed` are settled by the first teammate reply
/// (within or after the target); an SLA with no reply yet stays `active`, even past its
/// target, until a teammate replies; a conversation closed without a reply is `cancelled`.
#[test]
fn sla_status_follows_the_first_teammate_reply() {
    let data = small();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for conversation in &data.conversations {
        let Some(sla) = conversation["sla_applied"].as_object() else {
            continue;
        };
        let id = str_of(conversation, "/id");
        let status = sla["sla_status"].as_str().unwrap();
        *seen.entry(status.to_string()).or_default() += 1;
        let replied = conversation["statistics"]["first_admin_reply_at"].as_i64();
        match status {
            "hit" | "missed" => assert!(replied.is_some(), "{id}: {status} without a reply"),
            "active" => {
                assert!(replied.is_none(), "{id}: active after a reply");
                assert_ne!(str_of(conversation, "/state"), "closed", "{id}");
            }
            "cancelled" => assert_eq!(str_of(conversation, "/state"), "closed", "{id}"),
            other => panic!("{id}: unknown sla_status {other}"),
        }
    }
    for status in ["hit", "missed", "active"] {
        assert!(seen.get(status).copied().unwrap_or(0) > 0, "{seen:?}");
    }
}
