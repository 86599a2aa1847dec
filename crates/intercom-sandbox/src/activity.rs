//! Background activity: new user conversations, user replies and ratings, at a steady pace.

use std::time::Duration;

use crate::app::SharedApp;

/// Runs until aborted, applying one event every `60 / per_min` seconds.
pub async fn run(app: SharedApp, per_min: f64, seed: u64) {
    let _ = (app, seed);
    let period = Duration::from_secs_f64(60.0 / per_min.max(0.001));
    let mut ticker = tokio::time::interval(period);
    ticker.tick().await;
    loop {
        ticker.tick().await;
    }
}
