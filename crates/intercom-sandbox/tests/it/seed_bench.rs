//! Generation time per scale, for docs/BENCHMARKS.md. Not a timed test: it prints figures and
//! only asserts the sizes. Run in release:
//!
//! ```text
//! cargo test --release -p intercom-sandbox --test it seed_bench -- --ignored --nocapture
//! ```

use std::time::Instant;

use intercom_sandbox::seed::{Scale, generate};

const NOW: i64 = 1_764_151_234;

fn measure(scale: Scale, runs: usize) {
    let mut samples = Vec::with_capacity(runs);
    let mut conversations = 0;
    let mut parts = 0;
    for run in 0..runs {
        let started = Instant::now();
        let data = generate(scale, run as u64, NOW);
        samples.push(started.elapsed().as_secs_f64());
        conversations = data.conversations.len();
        parts = data
            .conversations
            .iter()
            .map(|c| c["conversation_parts"]["total_count"].as_u64().unwrap_or(0))
            .sum::<u64>();
        assert!(conversations > 0 && !data.contacts.is_empty());
        drop(data);
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "seed {scale:>6}: median {:>8.3} s (min {:.3}, max {:.3}, {runs} runs) - {conversations} conversations, {parts} parts",
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    );
}

#[test]
#[ignore]
fn generation_time_per_scale() {
    measure(Scale::Tiny, 5);
    measure(Scale::Small, 5);
    measure(Scale::Medium, 3);
    if std::env::var_os("SEED_BENCH_SKIP_LARGE").is_none() {
        measure(Scale::Large, 3);
    }
}
