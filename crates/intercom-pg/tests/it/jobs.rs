//! Bulk jobs shared by replicas: a run that stalls past its lease is taken over by another
//! replica, which finishes the job; every item is written exactly once (the sandbox's count
//! of applied writes, and each contact read back).

use std::sync::mpsc;
use std::time::Duration;

use intercom_api::{Client, ClientConfig, Method};
use intercom_jobs::bulk::{
    self, FileRow, JobState, JobStore, Operation, RunOptions, TargetKind, TargetSpec, targets,
};
use intercom_pg::{Database, PgJobStore};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Map, Value, json};

use crate::cluster::fresh_database;

const N: usize = 12;
const LEASE: Duration = Duration::from_secs(3);

fn client(sandbox: &Sandbox) -> Client {
    Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap()
}

async fn stat(sandbox: &Sandbox, key: &str) -> u64 {
    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats[key].as_u64().unwrap_or(0)
}

/// A job updating N contacts with a marker each; the contacts' ids.
async fn new_job(client: &Client, store: &PgJobStore, marker: &str) -> (String, Vec<String>) {
    let page = client
        .send_json(Method::GET, "/contacts", &[("per_page", "50")], None)
        .await
        .unwrap();
    let ids: Vec<String> = page["data"].as_array().unwrap()[..N]
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let rows = ids
        .iter()
        .enumerate()
        .map(|(i, id)| FileRow {
            id: Some(id.clone()),
            email: None,
            payload: Some(json!({"custom_attributes": {"bulk_marker": format!("{marker}-{i}")}})),
        })
        .collect();
    let spec = TargetSpec {
        rows,
        ..TargetSpec::default()
    };
    let targets = targets::resolve(client, TargetKind::Contact, &spec, 1_000)
        .await
        .unwrap();
    let op = Operation::UpdateContacts {
        attributes: Map::new(),
    };
    (bulk::start_job(store, &op, &targets).await.unwrap(), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_run_is_taken_over_and_every_item_is_written_once() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = fresh_database().await;
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Small,
        seed: 5,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let main_client = client(&sandbox);
    let b_store =
        PgJobStore::with_lease(Database::connect(&url).await.unwrap(), "replica-b", LEASE);
    let (job, ids) = new_job(&main_client, &b_store, "fleet").await;
    let writes_before = stat(&sandbox, "writes_applied").await;

    // Replica A runs the job on a runtime of its own and stalls (its thread blocked, so not
    // even its lease renewal runs) after 5 items, as a replica that hangs or is paused does.
    let (stalled_tx, stalled_rx) = mpsc::channel::<()>();
    let (resume_tx, resume_rx) = mpsc::channel::<()>();
    let (url_a, job_a, base, token) = (
        url.clone(),
        job.clone(),
        sandbox.base_url().to_string(),
        sandbox.token().to_string(),
    );
    let resume_rx = std::sync::Mutex::new(resume_rx);
    let replica_a = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let store = PgJobStore::with_lease(
                Database::connect(&url_a).await.unwrap(),
                "replica-a",
                LEASE,
            );
            let client =
                Client::new(ClientConfig::builder(token).base_url(base).build().unwrap()).unwrap();
            let options = RunOptions {
                max_in_flight: 1,
                ..RunOptions::default()
            };
            bulk::run_job(&client, &store, &job_a, &options, &|done, _, _| {
                if done == 5 {
                    stalled_tx.send(()).unwrap();
                    resume_rx.lock().unwrap().recv().unwrap();
                }
            })
            .await
        })
    });
    stalled_rx.recv_timeout(Duration::from_secs(60)).unwrap();

    // While A's lease lasts the job is A's: B is refused and told by whom.
    let refused = bulk::run_job(
        &main_client,
        &b_store,
        &job,
        &RunOptions::default(),
        &|_, _, _| {},
    )
    .await
    .unwrap_err()
    .to_string();
    if !refused.contains("replica-a") {
        // A's lease may have run out before B asked (a slow machine): then B won it.
        panic!("expected the job to be held by replica-a: {refused}");
    }
    // Once it ran out, the job shows as orphaned and B takes it over.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !b_store.orphaned_jobs(10).await.unwrap().contains(&job) {
        assert!(
            std::time::Instant::now() < deadline,
            "A's lease never ran out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report = bulk::run_job(
        &main_client,
        &b_store,
        &job,
        &RunOptions::default(),
        &|_, _, _| {},
    )
    .await
    .unwrap();
    assert_eq!(report.job.state, JobState::Completed);
    assert_eq!((report.job.ok, report.job.pending), (N as u64, 0));

    // A wakes up: it must find it lost the job before writing anything more.
    resume_tx.send(()).unwrap();
    let a_outcome = replica_a.join().unwrap();
    let message = a_outcome.unwrap_err().to_string();
    assert!(message.contains("lost its hold"), "{message}");

    assert_eq!(
        stat(&sandbox, "writes_applied").await - writes_before,
        N as u64,
        "every item written exactly once across both replicas"
    );
    for (i, id) in ids.iter().enumerate() {
        let contact = main_client
            .send_json(Method::GET, &format!("/contacts/{id}"), &[], None)
            .await
            .unwrap();
        assert_eq!(
            contact["custom_attributes"]["bulk_marker"],
            json!(format!("fleet-{i}"))
        );
    }
    let job = b_store.job(&job).await.unwrap().unwrap();
    assert_eq!((job.ok, job.state), (N as u64, JobState::Completed));
    assert!(b_store.orphaned_jobs(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_finished_run_gives_the_job_up_and_records_nothing_twice() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = fresh_database().await;
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Small,
        seed: 6,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = client(&sandbox);
    let a = PgJobStore::new(Database::connect(&url).await.unwrap(), "replica-a");
    let b = PgJobStore::new(Database::connect(&url).await.unwrap(), "replica-b");
    let (job, _) = new_job(&client, &a, "once").await;
    let options = RunOptions {
        max_in_flight: 2,
        ..RunOptions::default()
    };
    let cancel = options.cancel.clone();
    let first = bulk::run_job(&client, &a, &job, &options, &|done, _, _| {
        if done >= 4 {
            cancel.cancel();
        }
    })
    .await
    .unwrap();
    assert_eq!(first.job.state, JobState::Cancelled);
    // A's lease is released as its run ends: B resumes at once (no wait for expiry) and
    // sees A's finished items as finished.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let second = loop {
        let options = RunOptions {
            resume: true,
            ..RunOptions::default()
        };
        match bulk::run_job(&client, &b, &job, &options, &|_, _, _| {}).await {
            Ok(report) => break report,
            Err(e)
                if std::time::Instant::now() < deadline && e.to_string().contains("being run") =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(
        (second.job.ok, second.job.state),
        (N as u64, JobState::Completed)
    );
    let items = b.items(&job, None).await.unwrap();
    assert_eq!(items.len(), N);
    assert!(items.iter().all(|i| i.attempts == 1), "{items:?}");
    // Listing from either replica shows the same job.
    assert_eq!(a.recent_jobs(5).await.unwrap()[0].id, job);
}

#[tokio::test]
async fn a_job_just_stored_is_not_taken_from_its_creator() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = fresh_database().await;
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Small,
        seed: 7,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = client(&sandbox);
    let a = PgJobStore::new(Database::connect(&url).await.unwrap(), "replica-a");
    let (job, _) = new_job(&client, &a, "fresh").await;
    // Stored `running` with no run yet: its creator is about to start it.
    assert!(a.orphaned_jobs(10).await.unwrap().is_empty());
    // Stored long ago and never started (the creator died in between): orphaned.
    crate::cluster::admin(&url)
        .await
        .execute(
            "UPDATE bulk_jobs SET updated_at = updated_at - 3600 WHERE id = $1",
            &[&job],
        )
        .await
        .unwrap();
    assert_eq!(a.orphaned_jobs(10).await.unwrap(), vec![job]);
}
