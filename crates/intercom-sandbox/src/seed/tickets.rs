//! Ticket types, the workspace's ticket states, and tickets with parts that walk through them.

use serde_json::{Value, json};

use super::conversations::{Cast, ConversationSet};
use super::people::{Customers, Directory, numeric};
use super::random::{DAY, Gen, HOUR, IdSequence, MINUTE, paragraph};

const CATEGORIES: [&str; 4] = [
    "submitted",
    "in_progress",
    "waiting_on_customer",
    "resolved",
];

/// (category, internal label, external label)
const STATES: &[(&str, &str, &str)] = &[
    ("submitted", "Submitted", "Submitted"),
    ("in_progress", "In progress", "In progress"),
    (
        "waiting_on_customer",
        "Waiting on customer",
        "Waiting on you",
    ),
    ("resolved", "Resolved", "Resolved"),
    ("in_progress", "With engineering", "In progress"),
    ("in_progress", "Awaiting refund approval", "In review"),
    ("resolved", "Closed - won't fix", "Closed"),
];

/// A custom attribute of a ticket type: (name, data type, example values).
type AttributeSpec = (&'static str, &'static str, &'static [&'static str]);

struct TypeSpec {
    category: &'static str,
    name: &'static str,
    description: &'static str,
    icon: &'static str,
    /// Indexes into `STATES` beyond the four defaults.
    extra_states: &'static [usize],
    attributes: &'static [AttributeSpec],
    titles: &'static [(&'static str, &'static str)],
}

const TYPES: &[TypeSpec] = &[
    TypeSpec {
        category: "Customer",
        name: "Bug report",
        description: "A problem a customer hit in the product.",
        icon: "🐞",
        extra_states: &[4, 6],
        attributes: &[
            ("Severity", "list", &["Low", "Medium", "High", "Critical"]),
            (
                "Browser",
                "string",
                &["Chrome 131", "Firefox 133", "Safari 18", "Edge 131"],
            ),
        ],
        titles: &[
            (
                "Dashboard charts not loading",
                "Charts stay on a spinner after login.",
            ),
            (
                "CSV export does nothing",
                "Clicking Export to CSV on the revenue report has no effect.",
            ),
            (
                "Filters reset on reload",
                "Saved filters on the funnel report reset after a page reload.",
            ),
            (
                "iOS app crashes on launch",
                "The app closes as soon as a dashboard opens (v4.12.1).",
            ),
        ],
    },
    TypeSpec {
        category: "Customer",
        name: "Refund request",
        description: "A customer asks for money back.",
        icon: "💸",
        extra_states: &[5],
        attributes: &[
            (
                "Refund amount",
                "decimal",
                &["49.00", "199.00", "1250.00", "300.00"],
            ),
            (
                "Invoice number",
                "string",
                &["INV-20931", "INV-21877", "INV-22410", "INV-23005"],
            ),
        ],
        titles: &[
            (
                "Refund duplicate charge",
                "The card was charged twice for the same invoice.",
            ),
            (
                "Refund unused seats",
                "Seats were reduced mid-cycle; customer wants the difference back.",
            ),
            (
                "Refund annual plan remainder",
                "Customer cancelled three months into an annual plan.",
            ),
        ],
    },
    TypeSpec {
        category: "Customer",
        name: "Account access",
        description: "A customer cannot get into their account.",
        icon: "🔐",
        extra_states: &[],
        attributes: &[(
            "Verification method",
            "list",
            &["Email", "Phone call", "ID document"],
        )],
        titles: &[
            (
                "Reset two-factor authentication",
                "Lost phone, cannot pass 2FA.",
            ),
            (
                "Transfer workspace ownership",
                "Previous owner left the company.",
            ),
            (
                "Unlock account after failed logins",
                "Account locked after too many attempts.",
            ),
        ],
    },
    TypeSpec {
        category: "Back-office",
        name: "Billing investigation",
        description: "Finance checks a payment or invoice behind the scenes.",
        icon: "🧾",
        extra_states: &[5],
        attributes: &[(
            "Invoice number",
            "string",
            &["INV-20931", "INV-21877", "INV-22410", "INV-23005"],
        )],
        titles: &[
            (
                "Investigate failed card payment",
                "Renewal payment declined twice.",
            ),
            (
                "Reconcile invoice with purchase order",
                "PO number missing from the invoice.",
            ),
            (
                "Check VAT on invoice",
                "Customer says VAT was charged despite a valid VAT number.",
            ),
        ],
    },
    TypeSpec {
        category: "Back-office",
        name: "Data request",
        description: "Exports and deletions handled by the data team.",
        icon: "📦",
        extra_states: &[],
        attributes: &[(
            "Request type",
            "list",
            &["Export", "Deletion", "Correction"],
        )],
        titles: &[
            (
                "GDPR export for end user",
                "Export everything stored about one end user.",
            ),
            ("Delete customer data", "Right-to-be-forgotten request."),
            (
                "Bulk data export",
                "Full raw event export for the last 12 months.",
            ),
        ],
    },
    TypeSpec {
        category: "Tracker",
        name: "Incident",
        description: "Tracks an incident affecting many customers.",
        icon: "🚨",
        extra_states: &[4],
        attributes: &[
            ("Severity", "list", &["SEV1", "SEV2", "SEV3"]),
            ("Affected region", "string", &["EU", "US", "AU"]),
        ],
        titles: &[
            (
                "EU reports slow",
                "Report queries in the EU region take over a minute.",
            ),
            (
                "Snowflake ingestion delayed",
                "Connector jobs stuck in the queue.",
            ),
            (
                "502 errors on dashboards",
                "Load balancer returns 502 for some workspaces.",
            ),
        ],
    },
    TypeSpec {
        category: "Tracker",
        name: "Feature request",
        description: "Collects customer demand for a feature.",
        icon: "💡",
        extra_states: &[6],
        attributes: &[("Votes", "integer", &["3", "12", "27", "54"])],
        titles: &[
            (
                "Scheduled PDF exports",
                "Customers want dashboards emailed on a schedule.",
            ),
            ("Dark mode", "A dark theme for the web app."),
            (
                "Okta SSO on Growth plan",
                "SSO without upgrading to Enterprise.",
            ),
        ],
    },
];

pub struct Ticketing {
    pub ticket_types: Vec<Value>,
    pub ticket_states: Vec<Value>,
    pub tickets: Vec<Value>,
}

struct StateInfo {
    id: String,
    category: &'static str,
    internal_label: &'static str,
    external_label: &'static str,
}

impl StateInfo {
    fn json(&self) -> Value {
        json!({
            "type": "ticket_state",
            "id": self.id,
            "category": self.category,
            "internal_label": self.internal_label,
            "external_label": self.external_label,
        })
    }
}

struct TypeInfo {
    id: String,
    spec: &'static TypeSpec,
    /// Indexes into the workspace states this type uses.
    states: Vec<usize>,
    created_at: i64,
    attributes: Vec<Value>,
}

impl TypeInfo {
    fn json(&self, app_id: &str, states: &[StateInfo], with_states: bool) -> Value {
        let mut out = json!({
            "type": "ticket_type",
            "id": self.id,
            "category": self.spec.category,
            "name": self.spec.name,
            "description": self.spec.description,
            "icon": self.spec.icon,
            "workspace_id": app_id,
            "archived": false,
            "created_at": self.created_at,
            "updated_at": self.created_at + 7 * DAY,
            "is_internal": self.spec.category == "Back-office",
            "ticket_type_attributes": {
                "type": "ticket_type_attributes.list",
                "ticket_type_attributes": self.attributes,
            },
        });
        if with_states {
            let data: Vec<Value> = self.states.iter().map(|&s| states[s].json()).collect();
            out["ticket_states"] = json!({"type": "list", "data": data});
        }
        out
    }

    fn compact_json(&self) -> Value {
        json!({
            "type": "ticket_type",
            "id": self.id,
            "name": self.spec.name,
            "description": self.spec.description,
            "icon": self.spec.icon,
            "archived": false,
            "is_internal": self.spec.category == "Back-office",
            "category": self.spec.category,
        })
    }

    /// The state this type uses for a category (its default one when several exist).
    fn state_for(
        &self,
        rng: &mut Gen,
        states: &[StateInfo],
        category: &str,
        variant: bool,
    ) -> usize {
        let options: Vec<usize> = self
            .states
            .iter()
            .copied()
            .filter(|&s| states[s].category == category)
            .collect();
        if variant && options.len() > 1 {
            options[1 + rng.index(options.len() - 1)]
        } else {
            options[0]
        }
    }
}

fn build_types(rng: &mut Gen, app_id: &str, now: i64) -> (Vec<StateInfo>, Vec<TypeInfo>) {
    let mut state_ids = IdSequence::starting_at(rng.between(8_000, 9_000));
    let states: Vec<StateInfo> = STATES
        .iter()
        .map(|(category, internal_label, external_label)| StateInfo {
            id: state_ids.take(rng, 3).to_string(),
            category,
            internal_label,
            external_label,
        })
        .collect();
    let mut type_ids = IdSequence::starting_at(rng.between(40, 90));
    let mut attribute_ids = IdSequence::starting_at(rng.between(150, 400));
    let types = TYPES
        .iter()
        .enumerate()
        .map(|(offset, spec)| {
            let id = type_ids.take(rng, 2).to_string();
            let created_at = now - (500 - 30 * offset as i64) * DAY;
            let mut attributes = vec![
                ("_default_title_", "Title", "string", json!({"multiline": false}), true),
                ("_default_description_", "Description", "string", json!({"multiline": true}), true),
            ];
            for (name, data_type, options) in spec.attributes {
                let input_options = if *data_type == "list" {
                    json!({"list_options": options.iter().map(|o| json!({"label": o})).collect::<Vec<_>>()})
                } else {
                    json!({"multiline": false})
                };
                attributes.push((name, name, data_type, input_options, false));
            }
            let attributes = attributes
                .into_iter()
                .enumerate()
                .map(|(order, (name, description, data_type, input_options, default))| {
                    json!({
                        "type": "ticket_type_attribute",
                        "id": attribute_ids.take(rng, 2).to_string(),
                        "workspace_id": app_id,
                        "name": name,
                        "description": description,
                        "data_type": data_type,
                        "input_options": input_options,
                        "order": order,
                        "required_to_create": order == 0,
                        "required_to_create_for_contacts": false,
                        "visible_on_create": true,
                        "visible_to_contacts": spec.category == "Customer",
                        "default": default,
                        "ticket_type_id": numeric(&id),
                        "archived": false,
                        "created_at": created_at,
                        "updated_at": created_at,
                    })
                })
                .collect();
            let mut used = vec![0, 1, 2, 3];
            used.extend_from_slice(spec.extra_states);
            used.sort_unstable();
            TypeInfo { id, spec, states: used, created_at, attributes }
        })
        .collect();
    (states, types)
}

/// Author of a ticket part; contacts always appear as `user` (the schema's enum has no `lead`).
fn ticket_author(cast: &Cast, admin: Option<usize>, contact: usize) -> Value {
    match admin {
        Some(index) => cast.directory.admin_author(index),
        None => {
            let info = &cast.customers.contact_info[contact];
            json!({"type": "user", "id": info.id, "name": info.name, "email": info.email})
        }
    }
}

struct TicketThread<'a, 'b> {
    cast: &'a Cast<'b>,
    part_ids: &'a mut IdSequence,
    contact: usize,
    parts: Vec<Value>,
    at: i64,
    now: i64,
    category: &'static str,
    state_history: Vec<usize>,
}

impl TicketThread<'_, '_> {
    /// A comment or note by `admin` a few minutes to hours after the previous part.
    fn admin_text(
        &mut self,
        rng: &mut Gen,
        part_type: &str,
        admin: usize,
        texts: &[&'static str],
    ) -> bool {
        let text = rng.text(texts);
        let after = rng.between(5 * MINUTE, 3 * HOUR);
        self.push(after, rng, part_type, Some(admin), Some(text), None, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        after: i64,
        rng: &mut Gen,
        part_type: &str,
        admin: Option<usize>,
        body: Option<&str>,
        assigned_to: Option<Value>,
        new_state: Option<(usize, &'static str)>,
    ) -> bool {
        if self.at + after > self.now {
            return false;
        }
        self.at += after;
        let previous = self.category;
        if let Some((state, category)) = new_state {
            self.category = category;
            self.state_history.push(state);
        }
        let part = json!({
            "type": "ticket_part",
            "id": self.part_ids.take(rng, 4).to_string(),
            "part_type": part_type,
            "body": body.map(paragraph),
            "previous_ticket_state": previous,
            "ticket_state": self.category,
            "created_at": self.at,
            "updated_at": self.at,
            "assigned_to": assigned_to,
            "author": ticket_author(self.cast, admin, self.contact),
            "attachments": [],
            "external_id": null,
            "redacted": false,
        });
        self.parts.push(part);
        true
    }
}

const ADMIN_TICKET_REPLIES: &[&str] = &[
    "We've picked this up and will update you as soon as we know more.",
    "Our team has reproduced the problem and is working on a fix.",
    "Could you confirm the account email and the approximate time this happened?",
    "This is now resolved. Thanks for your patience!",
];
const CONTACT_TICKET_REPLIES: &[&str] = &[
    "Here are the details you asked for.",
    "Any news on this ticket?",
    "Confirmed, that's the right account.",
];
const TICKET_NOTES: &[&str] = &[
    "Linked to the ongoing incident.",
    "Finance approved, processing now.",
    "Engineering says the fix ships in the next release.",
];

pub fn generate(
    rng: &mut Gen,
    app_id: &str,
    count: usize,
    directory: &Directory,
    customers: &Customers,
    conversations: &mut ConversationSet,
) -> Ticketing {
    let now = rng.now;
    let cast = Cast::new(directory, customers);
    let (states, types) = build_types(rng, app_id, now);

    // Decide each ticket's type, origin and target state first, then build them oldest first so
    // the visible ticket numbers grow with time.
    struct Plan {
        type_index: usize,
        created_at: i64,
        conversations: Vec<usize>,
        contact: Option<usize>,
        target: usize,
    }
    let mut plans = Vec::with_capacity(count);
    let conversation_count = conversations.facts.len();
    for index in 0..count {
        let type_index = if index < TYPES.len() {
            index
        } else {
            rng.weighted(&[25, 18, 12, 12, 8, 10, 8])
        };
        let spec = &TYPES[type_index];
        // The first tickets cover every state category so each one always exists.
        let target = if index < CATEGORIES.len() {
            index
        } else {
            rng.weighted(&[18, 32, 15, 35])
        };
        let target = if spec.category == "Tracker" && target == 2 {
            1
        } else {
            target
        };
        // The tickets that guarantee coverage start long enough ago to reach their target state.
        let settled = index < TYPES.len();
        let (created_at, linked, contact) = if spec.category == "Tracker" || conversation_count == 0
        {
            let earliest = if settled { 20 * DAY } else { HOUR };
            let created_at = now - rng.between(earliest, 60 * DAY);
            let how_many = rng.between(1, 4) as usize;
            let linked = rng.distinct(conversation_count, how_many);
            (created_at, linked, None)
        } else {
            // Conversations are oldest first, so the first half is weeks old.
            let pool = if settled {
                conversation_count.div_ceil(2)
            } else {
                conversation_count
            };
            let conversation = rng.index(pool);
            let facts = &conversations.facts[conversation];
            let created_at = (facts.created_at + rng.between(2 * MINUTE, 2 * HOUR)).min(now);
            (created_at, vec![conversation], Some(facts.contact))
        };
        let contact = contact.or_else(|| {
            (!customers.contact_info.is_empty()).then(|| cast.pick_contact(rng, created_at))
        });
        plans.push(Plan {
            type_index,
            created_at,
            conversations: linked,
            contact,
            target,
        });
    }
    plans.sort_by_key(|plan| plan.created_at);

    let mut tickets = Vec::with_capacity(count);
    for (number, plan) in plans.into_iter().enumerate() {
        let kind = &types[plan.type_index];
        let spec = kind.spec;
        let id = conversations.ids.take(rng, 2).to_string();
        let contact = plan.contact.unwrap_or(0);
        let team = match spec.category {
            "Back-office" => directory.team_index("Billing"),
            "Tracker" => directory.team_index("Technical Support"),
            _ => plan
                .conversations
                .first()
                .and_then(|&c| conversations.facts[c].team)
                .unwrap_or_else(|| directory.team_index("Technical Support")),
        };
        let admin = plan
            .conversations
            .first()
            .and_then(|&c| conversations.facts[c].admin)
            .filter(|_| spec.category == "Customer")
            .unwrap_or_else(|| cast.team_member(rng, team));

        let submitted = kind.state_for(rng, &states, "submitted", false);
        let mut thread = TicketThread {
            cast: &cast,
            part_ids: &mut conversations.part_ids,
            contact,
            parts: Vec::new(),
            at: plan.created_at,
            now,
            category: "submitted",
            state_history: vec![submitted],
        };
        let mut assigned = false;
        if rng.chance(0.85) {
            assigned = thread.push(
                rng.between(MINUTE, 2 * HOUR),
                rng,
                "assignment",
                Some(admin),
                None,
                Some(json!({"type": "admin", "id": directory.admins[admin].id})),
                None,
            );
        }
        // Walk the states up to the target category; the timeline stops at `now`.
        let path: &[usize] = match plan.target {
            0 => &[],
            1 => &[1],
            2 => &[1, 2],
            _ if rng.chance(0.3) && spec.category == "Customer" => &[1, 2, 1, 3],
            _ => &[1, 3],
        };
        for &step in path {
            let category = CATEGORIES[step];
            if category == "in_progress" && thread.category == "waiting_on_customer" {
                let text = rng.text(CONTACT_TICKET_REPLIES);
                thread.push(
                    rng.between(30 * MINUTE, DAY),
                    rng,
                    "comment",
                    None,
                    Some(text),
                    None,
                    None,
                );
            }
            let variant = rng.chance(0.3);
            let state = kind.state_for(rng, &states, category, variant);
            let after = rng.between(10 * MINUTE, 2 * DAY);
            if !thread.push(
                after,
                rng,
                "ticket_state_updated_by_admin",
                Some(admin),
                None,
                None,
                Some((state, category)),
            ) {
                break;
            }
            if category != "resolved" {
                if rng.chance(0.3) {
                    thread.admin_text(rng, "note", admin, TICKET_NOTES);
                }
                if spec.category != "Tracker" {
                    thread.admin_text(rng, "comment", admin, ADMIN_TICKET_REPLIES);
                }
            }
        }

        let current = *thread.state_history.last().unwrap_or(&submitted);
        let previous_state_id = (thread.state_history.len() > 1).then(|| {
            states[thread.state_history[thread.state_history.len() - 2]]
                .id
                .clone()
        });
        let updated_at = thread.at;
        let category = thread.category;
        let parts = std::mem::take(&mut thread.parts);
        drop(thread);

        let (title, description) = *rng.pick(spec.titles);
        let mut attributes =
            json!({ "_default_title_": title, "_default_description_": description });
        for (name, data_type, examples) in spec.attributes {
            let example = rng.text(examples);
            attributes[*name] = match *data_type {
                "integer" => json!(example.parse::<i64>().unwrap_or(0)),
                "decimal" => json!(example.parse::<f64>().unwrap_or(0.0)),
                _ => json!(example),
            };
        }
        let linked: Vec<Value> = plan
            .conversations
            .iter()
            .map(|&c| json!({"type": "conversation", "id": conversations.facts[c].id, "category": Value::Null}))
            .collect();
        for &c in &plan.conversations {
            let links = &mut conversations.conversations[c]["linked_objects"];
            if let Some(data) = links["data"].as_array_mut() {
                data.push(json!({"type": "ticket", "id": id, "category": spec.category}));
                let total = data.len();
                links["total_count"] = json!(total);
            }
        }
        let contacts: Vec<Value> = plan
            .contact
            .map(|c| cast.contact_reference(c))
            .into_iter()
            .collect();
        let part_count = parts.len();
        let mut ticket = json!({
            "type": "ticket",
            "id": id,
            "ticket_id": (number + 1).to_string(),
            "category": spec.category,
            "ticket_attributes": attributes,
            "ticket_state": states[current].json(),
            "ticket_type": null,
            "contacts": { "type": "contact.list", "contacts": contacts },
            "admin_assignee_id": if assigned { numeric(&directory.admins[admin].id) } else { 0 },
            "team_assignee_id": numeric(&directory.teams[team].id),
            "created_at": plan.created_at,
            "updated_at": updated_at,
            "open": category != "resolved",
            "linked_objects": { "type": "list", "data": linked, "total_count": plan.conversations.len(), "has_more": false },
            "ticket_parts": { "type": "ticket_part.list", "ticket_parts": null, "total_count": part_count },
            "is_shared": spec.category == "Customer",
            "previous_ticket_state_id": previous_state_id,
        });
        ticket["ticket_type"] = kind.json(app_id, &states, false);
        ticket["ticket_parts"]["ticket_parts"] = Value::Array(parts);
        tickets.push(ticket);
    }

    let ticket_types = types
        .iter()
        .map(|kind| kind.json(app_id, &states, true))
        .collect();
    let ticket_states = states
        .iter()
        .enumerate()
        .map(|(index, state)| {
            let users: Vec<Value> = types
                .iter()
                .filter(|t| t.states.contains(&index))
                .map(TypeInfo::compact_json)
                .collect();
            let mut detailed = state.json();
            detailed["archived"] = json!(false);
            detailed["ticket_types"] = json!({"type": "list", "data": users});
            detailed
        })
        .collect();
    Ticketing {
        ticket_types,
        ticket_states,
        tickets,
    }
}
