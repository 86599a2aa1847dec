//! Seeded randomness plus the id formats Intercom uses.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// The generator's single source of randomness; everything derives from the seed.
pub struct Gen {
    rng: ChaCha8Rng,
    pub now: i64,
}

impl Gen {
    pub fn new(seed: u64, now: i64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
        }
    }

    /// Uniform integer in `low..=high` (returns `low` when the range is empty).
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            low
        } else {
            self.rng.random_range(low..=high)
        }
    }

    pub fn index(&mut self, len: usize) -> usize {
        if len <= 1 {
            0
        } else {
            self.rng.random_range(0..len)
        }
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability.clamp(0.0, 1.0))
    }

    /// A seed for an independent generator (one per conversation, so work can be split).
    pub fn seed(&mut self) -> u64 {
        self.rng.random::<u64>()
    }

    pub fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// One of `items`, for picking text from word lists.
    pub fn text(&mut self, items: &[&'static str]) -> &'static str {
        items[self.index(items.len())]
    }

    /// Index chosen with the given relative weights (all-zero weights pick index 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return 0;
        }
        let mut roll = self.rng.random_range(0..total);
        for (index, weight) in weights.iter().enumerate() {
            if roll < *weight {
                return index;
            }
            roll -= weight;
        }
        weights.len() - 1
    }

    /// Picks `count` distinct indexes below `len`, in ascending order.
    pub fn distinct(&mut self, len: usize, count: usize) -> Vec<usize> {
        let count = count.min(len);
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        while chosen.len() < count {
            let candidate = self.index(len);
            if !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        chosen.sort_unstable();
        chosen
    }

    /// A 24-hex-digit id shaped like the ones Intercom gives contacts and companies
    /// (creation time in the first 8 digits).
    pub fn object_id(&mut self, created_at: i64) -> String {
        format!("{:08x}{:016x}", created_at as u32, self.rng.random::<u64>())
    }

    /// An 8-character lowercase workspace id such as `k3f9x2ab`.
    pub fn app_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..8)
            .map(|_| ALPHABET[self.index(ALPHABET.len())] as char)
            .collect()
    }
}

/// Sequential numeric ids with random gaps, as Intercom's numeric ids look.
pub struct IdSequence {
    next: i64,
}

impl IdSequence {
    pub fn starting_at(first: i64) -> Self {
        Self { next: first }
    }

    pub fn take(&mut self, rng: &mut Gen, max_gap: i64) -> i64 {
        let id = self.next;
        self.next += rng.between(1, max_gap.max(1));
        id
    }
}

/// Turns a title into a URL slug: "Getting started" -> "getting-started".
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Wraps plain text in an HTML paragraph, as Intercom bodies are HTML.
pub fn paragraph(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("<p>");
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            other => out.push(other),
        }
    }
    out.push_str("</p>");
    out
}

/// Builds a JSON object from owned values without re-serializing them (which `json!` does for
/// non-literal values), keeping the given key order.
pub fn object<const N: usize>(entries: [(&str, serde_json::Value); N]) -> serde_json::Value {
    let mut map = serde_json::Map::with_capacity(N);
    for (key, value) in entries {
        map.insert(key.to_string(), value);
    }
    serde_json::Value::Object(map)
}
