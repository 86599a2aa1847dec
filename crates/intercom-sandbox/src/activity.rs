//! Background activity: at a steady pace, customers start conversations, reply to open
//! ones, and rate closed ones. Every event goes through the same store functions as the
//! API (bookkeeping included) and fires the same webhooks.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::app::SharedApp;
use crate::domain::conversations;
use crate::store::{ConvState, id_of};

const OPENERS: &[&str] = &[
    "Hi, the dashboard is not loading for me this morning.",
    "How do I invite a colleague to our workspace?",
    "Our weekly export did not arrive. Can you check?",
    "Is there a way to change the billing email on our account?",
    "I think I was charged twice this month.",
    "The API returns 429 errors since yesterday. What changed?",
];
const FOLLOW_UPS: &[&str] = &[
    "Any update on this?",
    "Thanks, that worked!",
    "It happened again just now.",
    "Could you take another look, please?",
    "I've attached a screenshot of the error.",
];
const REMARKS: &[&str] = &[
    "",
    "Quick and helpful",
    "Took a while",
    "Great support, thanks!",
];

/// One activity event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    NewConversation,
    UserReply,
    Rating,
}

/// Runs until aborted, applying one event every `60 / per_min` seconds.
pub async fn run(app: SharedApp, per_min: f64, seed: u64) {
    let period = Duration::from_secs_f64(60.0 / per_min.max(0.001));
    let mut ticker = tokio::time::interval(period);
    ticker.tick().await;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xac71_7175);
    loop {
        ticker.tick().await;
        let event = match rng.random_range(0..10) {
            0..=3 => Event::NewConversation,
            4..=7 => Event::UserReply,
            _ => Event::Rating,
        };
        apply(&app, event, &mut rng);
    }
}

/// Applies `event`; falls back to a new conversation when nothing fits (no open conversation…).
pub fn apply(app: &SharedApp, event: Event, rng: &mut ChaCha8Rng) -> Option<Value> {
    let applied = match event {
        Event::NewConversation => None,
        Event::UserReply => user_reply(app, rng),
        Event::Rating => rating(app, rng),
    };
    applied.or_else(|| new_conversation(app, rng))
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &'a [&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn new_conversation(app: &SharedApp, rng: &mut ChaCha8Rng) -> Option<Value> {
    let now = app.now();
    let mut state = app.state.write();
    let count = state.contacts.len();
    if count == 0 {
        return None;
    }
    let contact = state
        .contacts
        .values()
        .nth(rng.random_range(0..count))
        .map(id_of)?;
    let (conversation, _) =
        conversations::open_user_conversation(&mut state, &contact, pick(rng, OPENERS), None, now);
    drop(state);
    app.notify("conversation.user.created", conversation.clone());
    Some(conversation)
}

fn user_reply(app: &SharedApp, rng: &mut ChaCha8Rng) -> Option<Value> {
    let now = app.now();
    let mut state = app.state.write();
    let open: Vec<(String, String)> = state
        .conversations
        .values()
        .filter(|c| c.ix.state == Some(ConvState::Open))
        .filter_map(|c| Some((c.ix.id.clone(), c.ix.contact_ids.first()?.clone())))
        .collect();
    if open.is_empty() {
        return None;
    }
    let (id, contact) = &open[rng.random_range(0..open.len())];
    if !state.contacts.contains(contact) {
        return None;
    }
    let text = crate::domain::text::html_paragraph(pick(rng, FOLLOW_UPS));
    let conversation = conversations::contact_reply(&mut state, id, contact, Some(text), now);
    drop(state);
    app.notify("conversation.user.replied", conversation.clone());
    Some(conversation)
}

fn rating(app: &SharedApp, rng: &mut ChaCha8Rng) -> Option<Value> {
    let candidates: Vec<String> = {
        let state = app.state.read();
        state
            .conversations
            .values()
            .filter(|c| c.ix.state == Some(ConvState::Closed))
            .filter(|c| c.json["conversation_rating"].is_null())
            .filter(|c| !c.ix.contact_ids.is_empty())
            .map(|c| c.ix.id.clone())
            .collect()
    };
    if candidates.is_empty() {
        return None;
    }
    let id = &candidates[rng.random_range(0..candidates.len())];
    let score = rng.random_range(1..=5);
    conversations::rate(app, id, score, pick(rng, REMARKS))
}
