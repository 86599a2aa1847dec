//! intercom-jobs' integration tests, one binary: metrics against known data and bulk jobs
//! against the sandbox (the `*_benchmark` modules are `#[ignore]`d benchmarks, see scripts/bench.sh).

mod analytics_benchmark;
mod analytics_correctness;
mod bulk_benchmark;
mod bulk_jobs;
mod paging;
