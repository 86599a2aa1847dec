//! Admins, teams, tags, companies, contacts, notes, segments and data attributes.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::Sizes;
use super::random::{DAY, Gen, HOUR, IdSequence, object, paragraph, slug};
use super::vocab;

pub struct Admin {
    pub id: String,
    pub name: String,
    pub email: String,
    job_title: &'static str,
    role: (&'static str, &'static str),
    pub away: bool,
    away_reassign: bool,
    pub team_idx: Vec<usize>,
    avatar: Option<String>,
}

pub struct Team {
    pub id: String,
    pub name: &'static str,
    pub admin_idx: Vec<usize>,
    assignment_limit: Option<i64>,
    distribution_method: &'static str,
}

pub struct Tag {
    pub id: String,
    pub name: &'static str,
}

/// The people who work in the workspace, and the tags they use.
pub struct Directory {
    pub admins: Vec<Admin>,
    pub teams: Vec<Team>,
    pub tags: Vec<Tag>,
    /// The workflow bot ("Operator") that routes conversations.
    pub bot_id: String,
    pub bot_email: String,
}

impl Directory {
    pub fn admin_json(&self, index: usize) -> Value {
        let admin = &self.admins[index];
        let team_ids: Vec<i64> = admin
            .team_idx
            .iter()
            .map(|&t| numeric(&self.teams[t].id))
            .collect();
        json!({
            "type": "admin",
            "id": admin.id,
            "name": admin.name,
            "email": admin.email,
            "job_title": admin.job_title,
            "away_mode_enabled": admin.away,
            "away_mode_reassign": admin.away_reassign,
            "away_status_reason_id": null,
            "has_inbox_seat": true,
            "team_ids": team_ids,
            "avatar": admin.avatar,
            "team_priority_level": {
                "primary_team_ids": team_ids,
                "secondary_team_ids": [],
            },
            "role": { "type": "role", "id": admin.role.0, "name": admin.role.1 },
        })
    }

    pub fn admins_json(&self) -> Vec<Value> {
        (0..self.admins.len())
            .map(|index| self.admin_json(index))
            .collect()
    }

    pub fn teams_json(&self) -> Vec<Value> {
        self.teams
            .iter()
            .map(|team| {
                let admin_ids: Vec<i64> = team
                    .admin_idx
                    .iter()
                    .map(|&a| numeric(&self.admins[a].id))
                    .collect();
                json!({
                    "type": "team",
                    "id": team.id,
                    "name": team.name,
                    "admin_ids": admin_ids,
                    "admin_priority_level": {
                        "primary_admin_ids": admin_ids,
                        "secondary_admin_ids": [],
                    },
                    "assignment_limit": team.assignment_limit,
                    "distribution_method": team.distribution_method,
                })
            })
            .collect()
    }

    pub fn tags_json(&self) -> Vec<Value> {
        self.tags
            .iter()
            .map(|tag| json!({"type": "tag", "id": tag.id, "name": tag.name}))
            .collect()
    }

    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|tag| tag.name == name)
    }

    pub fn team_index(&self, name: &str) -> usize {
        self.teams
            .iter()
            .position(|team| team.name == name)
            .unwrap_or(0)
    }

    /// `{type:"admin", id, name, email}`: the author shape of parts and sources.
    pub fn admin_author(&self, index: usize) -> Value {
        let admin = &self.admins[index];
        json!({"type": "admin", "id": admin.id, "name": admin.name, "email": admin.email})
    }
}

pub fn numeric(id: &str) -> i64 {
    id.parse().unwrap_or(0)
}

/// Keeps email addresses unique, as Intercom requires for users.
#[derive(Default)]
struct EmailBook {
    taken: HashSet<String>,
}

impl EmailBook {
    fn unique(&mut self, local: &str, domain: &str) -> String {
        let local: String = local
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect::<String>()
            .to_ascii_lowercase();
        let mut candidate = format!("{local}@{domain}");
        let mut suffix = 2;
        while !self.taken.insert(candidate.clone()) {
            candidate = format!("{local}{suffix}@{domain}");
            suffix += 1;
        }
        candidate
    }
}

fn person_name(rng: &mut Gen) -> (&'static str, &'static str) {
    (rng.text(vocab::FIRST_NAMES), rng.text(vocab::LAST_NAMES))
}

pub fn directory(rng: &mut Gen, app_id: &str, sizes: &Sizes) -> Directory {
    let mut emails = EmailBook::default();
    let mut admin_ids = IdSequence::starting_at(rng.between(5_000_000, 7_000_000));
    let mut admins = Vec::with_capacity(sizes.admins);
    for index in 0..sizes.admins {
        let (first, last) = person_name(rng);
        let email = emails.unique(&format!("{first}.{last}"), vocab::WORKSPACE_DOMAIN);
        let role = match index {
            0 => ("1", "Owner"),
            1 | 2 => ("2", "Admin"),
            _ => ("3", "Support Agent"),
        };
        let job_title = if index == 0 {
            "Head of Support"
        } else {
            rng.text(vocab::JOB_TITLES)
        };
        // The first admins are always present so the demo has people to assign to.
        let away = index >= 2 && rng.chance(0.18);
        let id = admin_ids.take(rng, 40).to_string();
        let avatar = rng
            .chance(0.7)
            .then(|| format!("https://static.lumen-analytics.io/avatars/{id}.png"));
        admins.push(Admin {
            id,
            name: format!("{first} {last}"),
            email,
            job_title,
            role,
            away,
            away_reassign: away && rng.chance(0.5),
            team_idx: Vec::new(),
            avatar,
        });
    }

    let mut team_ids = IdSequence::starting_at(rng.between(800_000, 900_000));
    let mut teams: Vec<Team> = vocab::TEAM_NAMES
        .iter()
        .map(|name| Team {
            id: team_ids.take(rng, 9).to_string(),
            name,
            admin_idx: Vec::new(),
            assignment_limit: if rng.chance(0.5) {
                Some(rng.between(5, 25))
            } else {
                None
            },
            distribution_method: if rng.chance(0.6) {
                "round_robin"
            } else {
                "balanced"
            },
        })
        .collect();
    // Every team gets at least one admin; most admins sit in one or two teams.
    for (index, admin) in admins.iter_mut().enumerate() {
        let home = index % teams.len();
        admin.team_idx.push(home);
        if rng.chance(0.35) {
            let second = rng.index(teams.len());
            if second != home {
                admin.team_idx.push(second);
            }
        }
        admin.team_idx.sort_unstable();
        for &team in &admin.team_idx {
            teams[team].admin_idx.push(index);
        }
    }

    let mut tag_ids = IdSequence::starting_at(rng.between(3_000_000, 4_000_000));
    let tags = vocab::TAG_NAMES
        .iter()
        .map(|name| Tag {
            id: tag_ids.take(rng, 30).to_string(),
            name,
        })
        .collect();

    Directory {
        admins,
        teams,
        tags,
        bot_id: admin_ids.take(rng, 5).to_string(),
        bot_email: format!("operator+{app_id}@intercom.io"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Lead,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Lead => "lead",
        }
    }
}

pub struct CompanyInfo {
    pub id: String,
    pub plan_index: usize,
    pub created_at: i64,
    pub contact_count: i64,
}

pub struct ContactInfo {
    pub id: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: String,
    pub role: Role,
    pub plan_index: usize,
    pub tag_names: Vec<&'static str>,
    pub created_at: i64,
    pub signed_up_at: Option<i64>,
    pub last_seen_at: i64,
}

/// Companies, contacts and notes, with the facts later generators need kept typed beside the JSON.
pub struct Customers {
    pub companies: Vec<Value>,
    pub contacts: Vec<Value>,
    pub contact_info: Vec<ContactInfo>,
    pub notes: Vec<Value>,
}

fn tag_basic(tag: &Tag) -> Value {
    json!({"type": "tag", "id": tag.id, "name": tag.name})
}

fn company(
    rng: &mut Gen,
    app_id: &str,
    directory: &Directory,
    names_taken: &mut HashSet<String>,
    external_id: usize,
) -> (Value, CompanyInfo, String) {
    let now = rng.now;
    let (name, industry) = loop {
        let prefix = rng.pick(vocab::COMPANY_PREFIXES);
        let (suffix, industry) = rng.pick(vocab::COMPANY_SUFFIXES);
        let mut name = format!("{prefix} {suffix}");
        if names_taken.contains(&name) {
            name = format!(
                "{name} {}",
                ["Group", "Co", "Inc", "Ltd", "GmbH", "SA"][rng.index(6)]
            );
        }
        if names_taken.len() > 1500 && names_taken.contains(&name) {
            name = format!("{name} {external_id}");
        }
        if names_taken.insert(name.clone()) {
            break (name, *industry);
        }
    };
    let domain = format!("{}.com", slug(&name).replace('-', ""));
    let plan_index = rng.weighted(&[35, 35, 20, 10]);
    let (plan_name, low, high) = vocab::PLANS[plan_index];
    let created_at = now - rng.between(120, 1_100) * DAY - rng.between(0, DAY);
    let id = rng.object_id(created_at);
    let mut tags = Vec::new();
    if plan_index == 3 && rng.chance(0.6) {
        tags.extend(directory.tag("vip").map(tag_basic));
    }
    if rng.chance(0.1) {
        tags.extend(directory.tag("churn-risk").map(tag_basic));
    }
    let size = match plan_index {
        0 => rng.between(2, 40),
        1 => rng.between(20, 200),
        2 => rng.between(100, 1_000),
        _ => rng.between(1_000, 20_000),
    };
    let region = ["EMEA", "North America", "APAC", "LATAM"][rng.index(4)];
    let account_manager = directory.admins[rng.index(directory.admins.len())]
        .name
        .clone();
    let health = ["green", "green", "amber", "red"][rng.index(4)];
    let json = json!({
        "type": "company",
        "company_id": format!("cmp_{:05}", external_id + 1),
        "id": id,
        "app_id": app_id,
        "name": name,
        "remote_created_at": created_at,
        "created_at": created_at,
        "updated_at": now - rng.between(0, 20 * DAY),
        "last_request_at": now - rng.between(0, 14 * DAY),
        "monthly_spend": rng.between(low as i64, high as i64),
        "session_count": rng.between(10, 5_000),
        "user_count": 0,
        "size": size,
        "website": format!("https://www.{domain}"),
        "industry": industry,
        "plan": { "type": "plan", "id": (269_310 + plan_index).to_string(), "name": plan_name },
        "custom_attributes": {
            "region": region,
            "account_manager": account_manager,
            // The spec types company custom attributes as strings, so these are all text.
            "contract": if rng.chance(0.6) { "annual" } else { "monthly" },
            "renewal_quarter": renewal_quarter(now + rng.between(5, 360) * DAY),
            "health": health,
        },
        "tags": { "type": "tag.list", "tags": tags },
        "segments": { "type": "segment.list", "segments": [] },
    });
    let info = CompanyInfo {
        id,
        plan_index,
        created_at,
        contact_count: 0,
    };
    (json, info, domain)
}

/// Some users also use the mobile apps, which fills the `ios_*`/`android_*` fields.
fn add_mobile_app(rng: &mut Gen, contact: &mut Value, role: Role, last_seen_at: i64) {
    if role != Role::User {
        return;
    }
    let seen = last_seen_at - rng.between(0, 3 * DAY);
    if rng.chance(0.15) {
        let (device, os_version) = *rng.pick(&[
            ("iPhone 15", "18.1"),
            ("iPhone 13", "17.6.1"),
            ("iPad Air", "18.0"),
        ]);
        contact["ios_app_name"] = json!("Lumen");
        contact["ios_app_version"] = json!("4.13.0");
        contact["ios_device"] = json!(device);
        contact["ios_os_version"] = json!(os_version);
        contact["ios_sdk_version"] = json!("17.2.0");
        contact["ios_last_seen_at"] = json!(seen);
    } else if rng.chance(0.1) {
        let (device, os_version) = *rng.pick(&[
            ("Pixel 8", "15"),
            ("Galaxy S23", "14"),
            ("OnePlus 12", "14"),
        ]);
        contact["android_app_name"] = json!("Lumen");
        contact["android_app_version"] = json!("4.13.0");
        contact["android_device"] = json!(device);
        contact["android_os_version"] = json!(os_version);
        contact["android_sdk_version"] = json!("34");
        contact["android_last_seen_at"] = json!(seen);
    }
}

/// "2026-Q3" for a Unix time.
fn renewal_quarter(at: i64) -> String {
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
    format!("{}-Q{}", date.year(), date.month0() / 3 + 1)
}

pub fn customers(rng: &mut Gen, app_id: &str, sizes: &Sizes, directory: &Directory) -> Customers {
    let now = rng.now;
    let mut names_taken = HashSet::new();
    let mut companies = Vec::with_capacity(sizes.companies);
    let mut company_info = Vec::with_capacity(sizes.companies);
    let mut domains = Vec::with_capacity(sizes.companies);
    for index in 0..sizes.companies {
        let (json, info, domain) = company(rng, app_id, directory, &mut names_taken, index);
        companies.push(json);
        company_info.push(info);
        domains.push(domain);
    }

    let mut emails = EmailBook::default();
    let mut note_ids = IdSequence::starting_at(rng.between(10_000_000, 20_000_000));
    let mut contacts = Vec::with_capacity(sizes.contacts);
    let mut contact_info = Vec::with_capacity(sizes.contacts);
    let mut notes = Vec::new();
    let mut user_number = rng.between(1_000, 9_000);
    for _ in 0..sizes.contacts {
        let role = if rng.chance(0.8) {
            Role::User
        } else {
            Role::Lead
        };
        let company = (role == Role::User && !company_info.is_empty() && rng.chance(0.75))
            .then(|| rng.index(company_info.len()));
        let (first, last) = person_name(rng);
        let named = role == Role::User || rng.chance(0.7);
        let name = named.then(|| format!("{first} {last}"));
        let domain = match company {
            Some(c) => domains[c].clone(),
            None => rng.pick(vocab::PERSONAL_DOMAINS).to_string(),
        };
        let email = emails.unique(&format!("{first}.{last}"), &domain);
        let earliest = company.map_or(now - 900 * DAY, |c| company_info[c].created_at + DAY);
        // A fifth of people joined within the last 90 days, so "new signups" have data.
        let created_at = if rng.chance(0.2) {
            now - rng.between(0, 90 * DAY)
        } else {
            rng.between(earliest, now - 91 * DAY)
                .max(earliest.min(now - 91 * DAY))
        };
        let id = rng.object_id(created_at);
        let external_id = (role == Role::User).then(|| {
            user_number += rng.between(1, 7);
            format!("usr_{user_number}")
        });
        let signed_up_at = (role == Role::User).then_some(created_at);
        let last_seen_at = (now - rng.between(0, 45 * DAY)).max(created_at);
        let plan_index = company
            .map(|c| company_info[c].plan_index)
            .unwrap_or_else(|| rng.weighted(&[60, 30, 10, 0]));
        if let Some(c) = company {
            company_info[c].contact_count += 1;
        }

        let mut tag_names: Vec<&'static str> = Vec::new();
        if plan_index == 3 && rng.chance(0.5) {
            tag_names.push("vip");
        }
        if rng.chance(0.08) {
            tag_names.push("churn-risk");
        }
        if now - created_at < 30 * DAY {
            tag_names.push("onboarding");
        }
        if rng.chance(0.05) {
            tag_names.push("positive-feedback");
        }

        let mut note_refs = Vec::new();
        if rng.chance(0.2) {
            for _ in 0..rng.between(1, 3) {
                let note_id = note_ids.take(rng, 50).to_string();
                let author = rng.index(directory.admins.len());
                let note_created = rng.between(created_at, now);
                notes.push(json!({
                    "type": "note",
                    "id": note_id,
                    "created_at": note_created,
                    "contact": { "type": "contact", "id": id },
                    "author": directory.admin_json(author),
                    "body": paragraph(rng.text(vocab::CONTACT_NOTES)),
                }));
                note_refs.push(
                    json!({"type": "note", "id": note_id, "url": format!("/notes/{note_id}")}),
                );
            }
        }

        let location = *rng.pick(vocab::LOCATIONS);
        let (browser, browser_version, os) = *rng.pick(vocab::BROWSERS);
        let phone = rng
            .chance(0.5)
            .then(|| format!("{}{}", location.5, rng.between(1_000_000, 9_999_999)));
        let owner_id = rng.chance(0.3).then(|| {
            directory.admins[rng.index(directory.admins.len())]
                .id
                .clone()
        });
        let tag_refs: Vec<Value> = tag_names
            .iter()
            .filter_map(|name| directory.tag(name))
            .map(|tag| json!({"type": "tag", "id": tag.id, "url": format!("/tags/{}", tag.id)}))
            .collect();
        let company_refs: Vec<Value> = company
            .map(|c| {
                let company_id = &company_info[c].id;
                vec![json!({"id": company_id, "type": "company", "url": format!("/companies/{company_id}")})]
            })
            .unwrap_or_default();
        let tier = match plan_index {
            0 => "self-serve",
            3 => "enterprise",
            _ => "mid-market",
        };
        let custom_attributes = json!({
            "plan": vocab::PLANS[plan_index].0,
            "tier": tier,
            "signup_source": rng.pick(vocab::SIGNUP_SOURCES),
            "seats_used": rng.between(1, 60),
            "onboarding_complete": now - created_at > 14 * DAY || rng.chance(0.3),
        });
        let list = |items: Vec<Value>, what: &str| {
            let total = items.len();
            json!({
                "type": "list",
                "data": items,
                "url": format!("/contacts/{id}/{what}"),
                "total_count": total,
                "has_more": false,
            })
        };
        // `object` keeps the exact capacity: 75 fields per contact, 50,000 contacts at large scale.
        let mut json = object([
            ("type", json!("contact")),
            ("id", json!(id)),
            ("workspace_id", json!(app_id)),
            ("external_id", json!(external_id)),
            ("role", json!(role.as_str())),
            ("email", json!(email)),
            ("email_domain", json!(domain)),
            ("phone", json!(phone)),
            ("name", json!(name)),
            ("avatar", json!({ "type": "avatar", "image_url": null })),
            ("owner_id", json!(owner_id)),
            ("social_profiles", json!({ "type": "list", "data": [] })),
            ("has_hard_bounced", json!(rng.chance(0.01))),
            ("marked_email_as_spam", json!(false)),
            ("unsubscribed_from_emails", json!(rng.chance(0.06))),
            ("created_at", json!(created_at)),
            ("updated_at", json!(last_seen_at)),
            ("signed_up_at", json!(signed_up_at)),
            ("last_seen_at", json!(last_seen_at)),
            ("last_replied_at", Value::Null),
            ("last_contacted_at", Value::Null),
            (
                "last_email_opened_at",
                json!(rng.chance(0.5).then(|| rng.between(created_at, now))),
            ),
            ("last_email_clicked_at", Value::Null),
            ("language_override", Value::Null),
            ("browser", json!(browser)),
            ("browser_version", json!(browser_version)),
            ("browser_language", json!("en-US")),
            ("os", json!(os)),
            (
                "location",
                json!({
                    "type": "location",
                    "country": location.0,
                    "region": location.3,
                    "city": location.4,
                    "country_code": location.1,
                    "continent_code": location.2,
                }),
            ),
            ("android_app_name", Value::Null),
            ("android_app_version", Value::Null),
            ("android_device", Value::Null),
            ("android_os_version", Value::Null),
            ("android_sdk_version", Value::Null),
            ("android_last_seen_at", Value::Null),
            ("ios_app_name", Value::Null),
            ("ios_app_version", Value::Null),
            ("ios_device", Value::Null),
            ("ios_os_version", Value::Null),
            ("ios_sdk_version", Value::Null),
            ("ios_last_seen_at", Value::Null),
            ("custom_attributes", custom_attributes),
            ("tags", list(tag_refs, "tags")),
            ("notes", list(note_refs, "notes")),
            ("companies", list(company_refs, "companies")),
            ("utm_campaign", Value::Null),
            ("utm_content", Value::Null),
            ("utm_medium", Value::Null),
            ("utm_source", Value::Null),
            ("utm_term", Value::Null),
            ("referrer", Value::Null),
            ("enabled_push_messaging", Value::Null),
        ]);
        add_mobile_app(rng, &mut json, role, last_seen_at);
        contacts.push(json);
        contact_info.push(ContactInfo {
            id,
            external_id,
            name,
            email,
            role,
            plan_index,
            tag_names,
            created_at,
            signed_up_at,
            last_seen_at,
        });
    }
    for (json, info) in companies.iter_mut().zip(&company_info) {
        json["user_count"] = json!(info.contact_count);
    }
    Customers {
        companies,
        contacts,
        contact_info,
        notes,
    }
}

/// When a contact last wrote to the workspace and when the workspace last wrote to them.
#[derive(Clone, Copy, Default)]
pub struct Activity {
    pub last_replied_at: Option<i64>,
    pub last_contacted_at: Option<i64>,
}

/// Copies conversation activity onto contacts so `last_replied_at`/`last_contacted_at` agree
/// with the conversations.
pub fn apply_activity(customers: &mut Customers, activity: &[Activity]) {
    for ((json, info), seen) in customers
        .contacts
        .iter_mut()
        .zip(&mut customers.contact_info)
        .zip(activity)
    {
        if let Some(at) = seen.last_replied_at {
            json["last_replied_at"] = json!(at);
            info.last_seen_at = info.last_seen_at.max(at);
        }
        if let Some(at) = seen.last_contacted_at {
            json["last_contacted_at"] = json!(at);
        }
        let updated = info.last_seen_at.max(seen.last_contacted_at.unwrap_or(0));
        json["last_seen_at"] = json!(info.last_seen_at);
        json["updated_at"] = json!(updated);
    }
}

pub fn segments(rng: &mut Gen, customers: &Customers) -> Vec<Value> {
    let now = rng.now;
    type Rule = fn(&ContactInfo, i64) -> bool;
    let rules: [(&str, &str, Rule); 6] = [
        ("Active users (30 days)", "user", |c, now| {
            c.role == Role::User && now - c.last_seen_at <= 30 * DAY
        }),
        ("New signups (7 days)", "user", |c, now| {
            c.signed_up_at.is_some_and(|at| now - at <= 7 * DAY)
        }),
        ("All leads", "contact", |c, _| c.role == Role::Lead),
        ("Enterprise customers", "user", |c, _| {
            c.role == Role::User && c.plan_index == 3
        }),
        ("Churn risk", "user", |c, _| {
            c.tag_names.contains(&"churn-risk")
        }),
        ("VIP", "user", |c, _| c.tag_names.contains(&"vip")),
    ];
    rules
        .iter()
        .map(|(name, person_type, rule)| {
            let created_at = now - rng.between(200, 900) * DAY;
            let count = customers
                .contact_info
                .iter()
                .filter(|c| rule(c, now))
                .count();
            json!({
                "type": "segment",
                "id": rng.object_id(created_at),
                "name": name,
                "created_at": created_at,
                "updated_at": now - rng.between(1, 48) * HOUR,
                "person_type": person_type,
                "count": count,
            })
        })
        .collect()
}

/// Standard and custom data attributes for contacts and companies (`GET /data_attributes`).
pub fn data_attributes(directory: &Directory, now: i64) -> Vec<Value> {
    /// (model, name, full_name, label, description, data_type, api_writable)
    type Standard = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        bool,
    );
    /// (model, name, label, description, data_type, options)
    type Custom = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    );
    const STANDARD: &[Standard] = &[
        (
            "contact",
            "name",
            "name",
            "Name",
            "A person's full name",
            "string",
            true,
        ),
        (
            "contact",
            "email",
            "email",
            "Email",
            "A person's email address",
            "string",
            true,
        ),
        (
            "contact",
            "phone",
            "phone",
            "Phone",
            "A person's phone number",
            "string",
            true,
        ),
        (
            "contact",
            "external_id",
            "external_id",
            "User ID",
            "A number identifying a user",
            "string",
            true,
        ),
        (
            "contact",
            "owner_id",
            "owner_id",
            "Owner",
            "The teammate who owns this person",
            "integer",
            true,
        ),
        (
            "contact",
            "created_at",
            "created_at",
            "First seen",
            "The first time we saw this person",
            "date",
            false,
        ),
        (
            "contact",
            "signed_up_at",
            "signed_up_at",
            "Signed up",
            "When the user signed up",
            "date",
            true,
        ),
        (
            "contact",
            "last_seen_at",
            "last_seen_at",
            "Last seen",
            "The last time this person used your product",
            "date",
            true,
        ),
        (
            "contact",
            "last_replied_at",
            "last_replied_at",
            "Last heard from",
            "The last time this person replied",
            "date",
            false,
        ),
        (
            "contact",
            "last_contacted_at",
            "last_contacted_at",
            "Last contacted",
            "The last time a teammate contacted this person",
            "date",
            false,
        ),
        (
            "contact",
            "unsubscribed_from_emails",
            "unsubscribed_from_emails",
            "Unsubscribed from emails",
            "Whether the person unsubscribed from emails",
            "boolean",
            true,
        ),
        (
            "contact",
            "country",
            "location.country",
            "Country",
            "The country a person is in",
            "string",
            false,
        ),
        (
            "contact",
            "city",
            "location.city",
            "City",
            "The city a person is in",
            "string",
            false,
        ),
        (
            "company",
            "name",
            "name",
            "Company name",
            "The name of a company",
            "string",
            true,
        ),
        (
            "company",
            "company_id",
            "company_id",
            "Company ID",
            "A number identifying a company",
            "string",
            false,
        ),
        (
            "company",
            "last_request_at",
            "last_request_at",
            "Company last seen",
            "The last day anyone from a company visited your site or app",
            "date",
            false,
        ),
        (
            "company",
            "remote_created_at",
            "remote_created_at",
            "Company created at",
            "The day a company was added to Intercom",
            "date",
            true,
        ),
        (
            "company",
            "user_count",
            "user_count",
            "People",
            "The number of people in a company",
            "integer",
            false,
        ),
        (
            "company",
            "session_count",
            "session_count",
            "Company web sessions",
            "All visits from anyone in a company to your product's site or app",
            "integer",
            false,
        ),
        (
            "company",
            "name",
            "plan.name",
            "Plan",
            "A specific plan or level within your product that companies have signed up to",
            "string",
            false,
        ),
        (
            "company",
            "monthly_spend",
            "monthly_spend",
            "Monthly Spend",
            "The monthly revenue you receive from a company",
            "float",
            true,
        ),
        (
            "company",
            "size",
            "size",
            "Company size",
            "The number of people employed in this company",
            "integer",
            true,
        ),
        (
            "company",
            "industry",
            "industry",
            "Company industry",
            "The category or domain this company belongs to",
            "string",
            true,
        ),
        (
            "company",
            "website",
            "website",
            "Company website",
            "The company's website",
            "string",
            true,
        ),
    ];
    const CUSTOM: &[Custom] = &[
        (
            "contact",
            "plan",
            "Plan",
            "The plan the person's account is on",
            "string",
            &["Starter", "Growth", "Pro", "Enterprise"],
        ),
        (
            "contact",
            "tier",
            "Tier",
            "Commercial tier used for routing",
            "string",
            &["self-serve", "mid-market", "enterprise"],
        ),
        (
            "contact",
            "signup_source",
            "Signup source",
            "Where the person came from",
            "string",
            &[],
        ),
        (
            "contact",
            "seats_used",
            "Seats used",
            "Seats in use on the account",
            "integer",
            &[],
        ),
        (
            "contact",
            "onboarding_complete",
            "Onboarding complete",
            "Whether onboarding is finished",
            "boolean",
            &["true", "false"],
        ),
        (
            "company",
            "region",
            "Region",
            "Sales region",
            "string",
            &["EMEA", "North America", "APAC", "LATAM"],
        ),
        (
            "company",
            "account_manager",
            "Account manager",
            "Teammate who manages the account",
            "string",
            &[],
        ),
        (
            "company",
            "contract",
            "Contract",
            "Billing cadence of the contract",
            "string",
            &["annual", "monthly"],
        ),
        (
            "company",
            "renewal_quarter",
            "Renewal quarter",
            "Quarter in which the contract renews, like 2026-Q3",
            "string",
            &[],
        ),
        (
            "company",
            "health",
            "Account health",
            "Customer success health score",
            "string",
            &["green", "amber", "red"],
        ),
    ];
    let mut out: Vec<Value> = STANDARD
        .iter()
        .map(
            |(model, name, full_name, label, description, data_type, api_writable)| {
                json!({
                    "type": "data_attribute",
                    "name": name,
                    "full_name": full_name,
                    "label": label,
                    "description": description,
                    "data_type": data_type,
                    "api_writable": api_writable,
                    "ui_writable": false,
                    "messenger_writable": *model == "contact",
                    "custom": false,
                    "archived": false,
                    "model": model,
                })
            },
        )
        .collect();
    let creator = directory
        .admins
        .first()
        .map(|admin| admin.id.clone())
        .unwrap_or_default();
    for (offset, (model, name, label, description, data_type, options)) in CUSTOM.iter().enumerate()
    {
        let created_at = now - (400 - offset as i64 * 17) * DAY;
        let mut attribute = json!({
            "type": "data_attribute",
            "id": 12_870 + offset as i64,
            "model": model,
            "name": name,
            "full_name": format!("custom_attributes.{name}"),
            "label": label,
            "description": description,
            "data_type": data_type,
            "api_writable": true,
            "messenger_writable": false,
            "ui_writable": true,
            "custom": true,
            "archived": false,
            "created_at": created_at,
            "updated_at": created_at + 3 * DAY,
            "admin_id": creator,
        });
        if !options.is_empty() {
            attribute["options"] = json!(options);
        }
        out.push(attribute);
    }
    out
}
