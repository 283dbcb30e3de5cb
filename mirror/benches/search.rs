//! A team's year in a mirror: builds one of 100,000 sessions (`MIRROR_BENCH_SESSIONS` to
//! change it), prints how long applying them took, the size on disk per 10,000 sessions, and
//! in-process search times (p50/p99, and the CPU time apart from waiting for a core) for the
//! queries people and agents type.
//! Run: `cargo bench -p sessions-mirror`.

#[allow(dead_code)]
#[path = "../tests/support/fixture.rs"]
mod fixture;

use std::time::{Duration, Instant};

use sessions_core::Timestamp;
use sessions_mirror::{Change, Mirror, SearchQuery};

const BATCH: usize = 1_000;
const ROUNDS: usize = 50;

struct Query {
    text: &'static str,
    repo: Option<&'static str>,
    person: Option<&'static str>,
}

const fn text(text: &'static str) -> Query {
    Query {
        text,
        repo: None,
        person: None,
    }
}

const QUERIES: [Query; 10] = [
    text("retry"),
    text("webhook"),
    text("upload retries"),
    text("who already worked on the S3 uploader's retries?"),
    text("\"dark mode\""),
    text("pagin*"),
    text("sign-in redirect loop"),
    Query {
        person: Some("heidi"),
        ..text("flaky integration tests")
    },
    Query {
        repo: Some("github.com/acme/billing"),
        ..text("csv export")
    },
    text("zeppelin"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sessions: usize = std::env::var("MIRROR_BENCH_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    // MIRROR_BENCH_FILE keeps the mirror, for a closer look or another run.
    let path = std::env::var_os("MIRROR_BENCH_FILE")
        .map_or_else(|| dir.path().join("mirror.sqlite3"), Into::into);
    let mut mirror = Mirror::open(&path)?;
    let end = Timestamp::now();

    let (started, cpu_started) = (Instant::now(), thread_cpu());
    let mut summary_bytes = 0;
    // A kept mirror of the right size is searched again, not rebuilt.
    let built = mirror.status()?.rows as usize;
    for first in (built..sessions).step_by(BATCH) {
        let batch: Vec<_> = (first..(first + BATCH).min(sessions))
            .map(|n| fixture::background(n, end, 365))
            .collect();
        summary_bytes += batch.iter().map(|s| s.summary.len()).sum::<usize>();
        mirror.apply(batch.into_iter().map(Change::Live))?;
    }
    let (applied, applied_cpu) = (started.elapsed(), thread_cpu().saturating_sub(cpu_started));
    drop(mirror);
    // Closing the last connection folds the WAL into the file: what stays on disk.
    let started = Instant::now();
    let mirror = Mirror::open(&path)?;
    let opened = started.elapsed();
    let status = mirror.status()?;
    println!("sessions                      {sessions}");
    if built < sessions {
        let written = sessions - built;
        println!(
            "mean summary                  {} bytes",
            summary_bytes / written
        );
        println!(
            "apply (batches of {BATCH})       {:.1} s ({:.0} sessions/s), {:.1} s of CPU",
            applied.as_secs_f64(),
            written as f64 / applied.as_secs_f64(),
            applied_cpu.as_secs_f64()
        );
    }
    println!("open                          {:.2} ms", ms(opened));
    println!(
        "size on disk                  {:.1} MB ({:.1} MB per 10,000 sessions)",
        status.bytes as f64 / 1e6,
        status.bytes as f64 / 1e6 / (sessions as f64 / 10_000.0)
    );
    println!();
    println!(
        "{:<52} {:>6} {:>9} {:>9} {:>9}",
        "query", "hits", "p50 ms", "p99 ms", "cpu p50"
    );
    let (mut all, mut all_cpu) = (Vec::new(), Vec::new());
    for query in &QUERIES {
        let mut search = SearchQuery::new(query.text);
        search.repo = query.repo.map(str::to_owned);
        search.user_arn = query.person.map(fixture::arn);
        let mut times = Vec::with_capacity(ROUNDS);
        let mut cpu_times = Vec::with_capacity(ROUNDS);
        let mut hits = 0;
        for _ in 0..ROUNDS {
            let (started, cpu_started) = (Instant::now(), thread_cpu());
            hits = mirror.search(&search)?.len();
            times.push(started.elapsed());
            cpu_times.push(thread_cpu().saturating_sub(cpu_started));
        }
        all.extend_from_slice(&times);
        all_cpu.extend_from_slice(&cpu_times);
        let label = match (query.repo, query.person) {
            (Some(repo), _) => format!("{} --repo {}", query.text, repo),
            (_, Some(person)) => format!("{} --user {person}", query.text),
            _ => query.text.to_owned(),
        };
        println!(
            "{label:<52} {hits:>6} {:>9.2} {:>9.2} {:>9.2}",
            ms(percentile(&mut times, 50)),
            ms(percentile(&mut times, 99)),
            ms(percentile(&mut cpu_times, 50)),
        );
    }
    println!(
        "{:<52} {:>6} {:>9.2} {:>9.2} {:>9.2}",
        "all queries",
        "",
        ms(percentile(&mut all, 50)),
        ms(percentile(&mut all, 99)),
        ms(percentile(&mut all_cpu, 50)),
    );
    Ok(())
}

/// This thread's CPU time: on a shared machine, what the work cost apart from waiting for
/// a core.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec.unsigned_abs(), now.tv_nsec.unsigned_abs() as u32)
}

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
