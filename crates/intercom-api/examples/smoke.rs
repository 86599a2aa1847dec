//! Read-only smoke run of the typed client against any Intercom-compatible server.
//!
//! `INTERCOM_ACCESS_TOKEN=… cargo run -p intercom-api --example smoke -- [BASE_URL|us|eu|au] [--write]`
//!
//! Reads every listing once (streams capped), prints counts and the rate-limit snapshot.
//! With `--write` it also creates a contact, a note, a tag, replies to and closes a conversation:
//! only use that against the sandbox.

use std::time::Instant;

use futures::TryStreamExt;
use intercom_api::{
    Assignee, Client, ClientConfig, ContactInput, Region, Reply, SearchQuery, SearchRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = args.first().cloned().unwrap_or_else(|| "us".into());
    let write = args.iter().any(|a| a == "--write");
    let token = std::env::var("INTERCOM_ACCESS_TOKEN").map_err(|_| "set INTERCOM_ACCESS_TOKEN")?;
    let mut builder = ClientConfig::builder(token);
    builder = match target.parse::<Region>() {
        Ok(region) => builder.region(region),
        Err(_) => builder.base_url(target),
    };
    let client = Client::new(builder.build()?)?;
    let started = Instant::now();

    let me = client.me().await?;
    println!(
        "me: {:?} in workspace {:?}",
        me.admin.name,
        me.app.as_ref().and_then(|a| a.name.clone())
    );
    println!("admins: {}", client.list_admins().await?.len());
    println!("teams: {}", client.list_teams().await?.len());
    println!("tags: {}", client.list_tags().await?.len());
    println!("segments: {}", client.list_segments(true).await?.len());
    println!("ticket types: {}", client.list_ticket_types().await?.len());
    println!(
        "ticket states: {}",
        client.list_ticket_states().await?.len()
    );
    println!(
        "data attributes: {}",
        client.list_data_attributes(None, false).await?.len()
    );

    let contacts: Vec<_> = client
        .list_contacts_stream(Some(150), 400)
        .try_collect()
        .await?;
    println!("contacts (cap 400): {}", contacts.len());
    let companies: Vec<_> = client
        .list_companies_stream(Some(60), 200)
        .try_collect()
        .await?;
    println!("companies by page (cap 200): {}", companies.len());
    let scrolled: Vec<_> = client.scroll_companies(500).try_collect().await?;
    println!("companies by scroll (cap 500): {}", scrolled.len());
    if let Some(id) = contacts.first().and_then(|c| c.id.clone()) {
        let theirs: Vec<_> = client
            .list_contact_companies_stream(&to_id(&id), 50)
            .try_collect()
            .await?;
        println!("companies of contact {id}: {}", theirs.len());
        println!(
            "notes of contact {id}: {}",
            client
                .list_contact_notes(&to_id(&id), None, None)
                .await?
                .items
                .len()
        );
    }
    let open = SearchQuery::and([
        SearchQuery::field("open").eq(true),
        SearchQuery::field("priority").is_in(["high", "urgent"]),
    ]);
    let urgent: Vec<_> = client
        .search_conversations_stream(open, Some(50), 300)
        .try_collect()
        .await?;
    println!("open high/urgent conversations (cap 300): {}", urgent.len());
    let listed = client.list_conversations(Some(5), None).await?;
    println!("conversations total: {:?}", listed.total_count);
    if let Some(id) = listed.items.first().and_then(|c| c.id.clone()) {
        let full = client.get_conversation(&to_id(&id)).await?;
        println!(
            "conversation {id}: {} parts, state {:?}",
            full.parts().len(),
            full.state
        );
    }
    let tickets = client
        .search_tickets(&SearchRequest::new(SearchQuery::field("open").eq(true)).per_page(10))
        .await?;
    println!("open tickets: {:?}", tickets.total_count);
    println!(
        "articles: {:?}",
        client.list_articles(None, None).await?.total_count
    );

    if write {
        let admin = me.admin.id.clone().unwrap_or_default();
        let contact = client
            .create_contact(&ContactInput {
                email: Some(format!(
                    "smoke-{}@example.com",
                    started.elapsed().as_nanos()
                )),
                name: Some("Smoke Test".into()),
                ..Default::default()
            })
            .await?;
        let cid = contact.id.clone().unwrap_or_default();
        client
            .create_contact_note(&to_id(&cid), "<p>smoke</p>", Some(&to_id(&admin)))
            .await?;
        let tag = client.create_tag("smoke").await?;
        client
            .tag_contact(&to_id(&cid), &to_id(tag.id.as_deref().unwrap_or_default()))
            .await?;
        let msg = client
            .create_conversation(&to_id(&cid), "Hello from the smoke run", None)
            .await?;
        let conv_id = msg.conversation_id.unwrap_or_default();
        client
            .reply_to_conversation(&to_id(&conv_id), &Reply::admin_comment(&admin, "Hi!"))
            .await?;
        client
            .assign_conversation(
                &to_id(&conv_id),
                &to_id(&admin),
                &Assignee::Admin(to_id(&admin)),
                None,
            )
            .await?;
        let closed = client
            .close_conversation(&to_id(&conv_id), &to_id(&admin), None)
            .await?;
        println!(
            "wrote contact {cid}, conversation {conv_id} now {:?}",
            closed.state
        );
    }
    println!(
        "done in {:.1}s; rate limit: {:?}",
        started.elapsed().as_secs_f64(),
        client.rate_limit()
    );
    Ok(())
}

/// An id read from an answer; an empty one stops the smoke run with a clear message.
fn to_id(raw: impl AsRef<str>) -> intercom_api::Id {
    intercom_api::Id::new(raw).expect("Intercom's answer carried a usable id")
}
