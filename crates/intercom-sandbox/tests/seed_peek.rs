use intercom_sandbox::seed::{Scale, generate};

#[test]
#[ignore]
fn peek() {
    let now = 1_764_150_000;
    let started = std::time::Instant::now();
    let data = generate(Scale::Small, 7, now);
    eprintln!("small took {:?}", started.elapsed());
    let tiny = generate(Scale::Tiny, 7, now);
    eprintln!("{}", serde_json::to_string_pretty(&tiny.conversations[7]).unwrap());
    eprintln!("{}", serde_json::to_string_pretty(&tiny.conversations[40]).unwrap());
    eprintln!("{}", serde_json::to_string_pretty(&tiny.tickets[3]).unwrap());
    eprintln!("{}", serde_json::to_string_pretty(&tiny.contacts[3]).unwrap());
    eprintln!("counts: {} {} {}", data.contacts.len(), data.conversations.len(), data.tickets.len());
}
