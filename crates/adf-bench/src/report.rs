//! The table of ratios, each figure beside its target, and the raw results as JSON.

use crate::scenario::{ApplyResult, Results, Sequential, SizeResult, Timed};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Duration;

/// Plan of 1,000 entities and every apply: at most this × the lower bound.
pub const BOUND_RATIO_TARGET: f64 = 1.3;
/// Apply: at least this many times faster than the sequential baseline.
pub const SPEEDUP_TARGET: f64 = 10.0;
/// Plan requests: at most the list pages plus this.
pub const PLAN_EXTRA_REQUESTS: usize = 5;
/// Throttling: sustained writes at least this fraction of the bucket's rate.
pub const THROTTLE_FRACTION_TARGET: f64 = 0.9;
/// Plan of 5,000 entities: peak RSS under this many MB.
pub const MEMORY_TARGET_MB: f64 = 100.0;
/// Plan of the real repository (cosmotech-Datafact, 1,240 entities): peak RSS under this many MB.
pub const REALWORLD_MEMORY_TARGET_MB: f64 = 60.0;

/// One line of the printed table (other modules' measurements add theirs).
pub(crate) struct Row {
    pub(crate) n: String,
    pub(crate) measure: String,
    pub(crate) measured: String,
    pub(crate) reference: String,
    pub(crate) ratio: String,
    pub(crate) target: String,
    /// `None`: no target.
    pub(crate) met: Option<bool>,
}

fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::INFINITY
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

fn bound_rows(rows: &mut Vec<Row>, n: usize, what: &str, apply: &ApplyResult, binding: bool) {
    let r = ratio(apply.timed.wall, apply.bound);
    rows.push(Row {
        n: n.to_string(),
        measure: format!("{what} (wall)"),
        measured: secs(apply.timed.wall),
        reference: format!("bound {}", secs(apply.bound)),
        ratio: format!("{r:.2}x"),
        target: if binding {
            format!("<= {BOUND_RATIO_TARGET}x")
        } else {
            "-".into()
        },
        met: binding.then_some(r <= BOUND_RATIO_TARGET),
    });
    rows.push(Row {
        n: n.to_string(),
        measure: format!("{what} (requests)"),
        measured: apply.timed.requests.to_string(),
        reference: format!("{} changes", apply.changes),
        ratio: String::new(),
        target: "-".into(),
        met: if apply.failed_steps == 0 {
            None
        } else {
            Some(false)
        },
    });
}

fn speedup_row(rows: &mut Vec<Row>, n: usize, what: &str, timed: &Timed, sequential: Sequential) {
    let speedup = ratio(sequential.wall, timed.wall);
    rows.push(Row {
        n: n.to_string(),
        measure: format!("{what} vs sequential"),
        measured: secs(timed.wall),
        reference: format!(
            "seq {}{}",
            secs(sequential.wall),
            if sequential.extrapolated {
                " (extrap.)"
            } else {
                ""
            }
        ),
        ratio: format!("{speedup:.1}x faster"),
        target: format!(">= {SPEEDUP_TARGET}x"),
        met: Some(speedup >= SPEEDUP_TARGET),
    });
}

fn size_rows(rows: &mut Vec<Row>, size: &SizeResult) {
    let n = size.n;
    let plan_ratio = ratio(size.plan.wall, size.plan_bound);
    // The target holds from 1,000 entities up; below, a plan is a few round trips.
    let binding = n >= 1000;
    rows.push(Row {
        n: n.to_string(),
        measure: "plan (wall, median of 5)".into(),
        measured: secs(size.plan.wall),
        reference: format!(
            "bound {} (refresh {})",
            secs(size.plan_bound),
            secs(size.plan.refresh)
        ),
        ratio: format!("{plan_ratio:.2}x"),
        target: if binding {
            format!("<= {BOUND_RATIO_TARGET}x")
        } else {
            "-".into()
        },
        met: binding.then_some(plan_ratio <= BOUND_RATIO_TARGET),
    });
    let allowed = size.list_pages + PLAN_EXTRA_REQUESTS;
    rows.push(Row {
        n: n.to_string(),
        measure: "plan (requests)".into(),
        measured: size.plan.requests.to_string(),
        reference: format!("{} list pages", size.list_pages),
        ratio: String::new(),
        target: format!("<= {allowed}"),
        met: Some(size.plan.requests as usize <= allowed),
    });
    bound_rows(rows, n, "apply creates", &size.create, true);
    if let Some(sequential) = size.sequential {
        speedup_row(rows, n, "apply creates", &size.create.timed, sequential);
    }
    rows.push(Row {
        n: n.to_string(),
        measure: "no-op apply (writes)".into(),
        measured: size.noop.writes.to_string(),
        reference: String::new(),
        ratio: String::new(),
        target: "= 0".into(),
        met: Some(size.noop.writes == 0),
    });
    bound_rows(rows, n, "apply 10% changes", &size.change, true);
    if let Some(sequential) = size.sequential {
        speedup_row(rows, n, "apply 10% changes", &size.change.timed, sequential);
    }
    rows.push(Row {
        n: n.to_string(),
        measure: "plan after changes".into(),
        measured: if size.converged {
            "no changes"
        } else {
            "changes!"
        }
        .into(),
        reference: String::new(),
        ratio: String::new(),
        target: "no changes".into(),
        met: Some(size.converged),
    });
}

/// The printed table, and whether every target in it was met.
pub fn table(results: &Results) -> (String, bool) {
    let settings = &results.settings;
    let mut rows = Vec::new();
    for size in &results.sizes {
        size_rows(&mut rows, size);
    }
    if let Some(throttle) = &results.throttle {
        let n = throttle.entities.to_string();
        rows.push(Row {
            n: n.clone(),
            measure: "throttled apply: failed".into(),
            measured: throttle.failed_steps.to_string(),
            reference: format!("{} x 429, {} paced", throttle.throttled, throttle.paced),
            ratio: String::new(),
            target: "= 0".into(),
            met: Some(throttle.failed_steps == 0),
        });
        rows.push(Row {
            n,
            measure: "throttled apply: rate".into(),
            measured: format!(
                "{} writes, {}",
                throttle.timed.writes,
                secs(throttle.timed.wall)
            ),
            reference: format!("bucket {} + {}/s", throttle.burst, throttle.rate),
            ratio: format!("{:.0}%", throttle.fraction * 100.0),
            target: format!(">= {:.0}%", THROTTLE_FRACTION_TARGET * 100.0),
            met: Some(throttle.fraction >= THROTTLE_FRACTION_TARGET),
        });
    }
    for memory in &results.memory {
        let peak_mb = memory.peak_kb as f64 / 1024.0;
        let stages: Vec<String> = memory
            .stages
            .iter()
            .map(|(stage, kb)| format!("{stage} {:.0}", *kb as f64 / 1024.0))
            .collect();
        rows.push(Row {
            n: memory.label.clone(),
            measure: "plan peak RSS (fresh proc)".into(),
            measured: format!("{peak_mb:.1} MB"),
            reference: format!("{}; diff {}", stages.join(", "), secs(memory.plan)),
            ratio: String::new(),
            target: format!("< {:.0} MB", memory.target_mb),
            met: Some(peak_mb < memory.target_mb),
        });
    }

    let machine = &results.machine["before"];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "adf-bench: emulator in-process, latency {} ms; parallelism {}; page size {}\n\
         machine: {} cores, {}; load average before {} / after {}\n",
        settings.latency.as_millis(),
        settings.parallelism,
        settings.page_size,
        machine["cores"],
        machine["cpu"].as_str().unwrap_or("?"),
        machine["loadavg"].as_str().unwrap_or("?"),
        results.machine["after"]["loadavg"].as_str().unwrap_or("?"),
    );
    out.push_str(&rows_table(&rows));
    let all_met = rows.iter().all(|row| row.met != Some(false));
    for skipped in &results.memory_skipped {
        let _ = writeln!(out, "SKIPPED {skipped}");
    }
    for size in &results.sizes {
        let waves: Vec<String> = size
            .create
            .waves
            .iter()
            .map(|w| format!("{}:{:.0}ms", w.changes, w.end_ms - w.start_ms))
            .collect();
        let _ = writeln!(
            out,
            "N = {}: create levels {:?}; engine waves (changes:duration) {}",
            size.n,
            size.create.levels,
            waves.join(" ")
        );
    }
    (out, all_met)
}

/// `rows` as aligned columns under a header, each with its result, then how many targets were
/// met and missed.
pub(crate) fn rows_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let header = Row {
        n: "N".into(),
        measure: "measure".into(),
        measured: "measured".into(),
        reference: "reference".into(),
        ratio: "ratio".into(),
        target: "target".into(),
        met: None,
    };
    let widths = [
        rows.iter().map(|r| r.n.len()).max().unwrap_or(0).max(5),
        rows.iter().map(|r| r.measure.len()).max().unwrap_or(0),
        rows.iter()
            .map(|r| r.measured.len())
            .max()
            .unwrap_or(0)
            .max(8),
        rows.iter()
            .map(|r| r.reference.len())
            .max()
            .unwrap_or(0)
            .max(9),
        rows.iter().map(|r| r.ratio.len()).max().unwrap_or(0).max(5),
        rows.iter()
            .map(|r| r.target.len())
            .max()
            .unwrap_or(0)
            .max(6),
    ];
    let line = |out: &mut String, row: &Row, result: &str| {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {:>w4$}  {:<w5$}  {result}",
            row.n,
            row.measure,
            row.measured,
            row.reference,
            row.ratio,
            row.target,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
            w5 = widths[5],
        );
    };
    line(&mut out, &header, "result");
    let mut met = 0;
    let mut missed = 0;
    for row in rows {
        let result = match row.met {
            Some(true) => {
                met += 1;
                "met"
            }
            Some(false) => {
                missed += 1;
                "MISSED"
            }
            None => "",
        };
        line(&mut out, row, result);
    }
    let _ = writeln!(out, "\ntargets: {met} met, {missed} missed");
    out
}

fn duration_ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn timed_json(timed: &Timed) -> Value {
    json!({
        "wall_ms": duration_ms(timed.wall),
        "refresh_ms": duration_ms(timed.refresh),
        "requests": timed.requests,
        "writes": timed.writes,
    })
}

fn apply_json(apply: &ApplyResult) -> Value {
    json!({
        "wall_ms": duration_ms(apply.timed.wall),
        "requests": apply.timed.requests,
        "writes": apply.timed.writes,
        "changes": apply.changes,
        "levels": apply.levels,
        "lower_bound_ms": duration_ms(apply.bound),
        "ratio_to_bound": ratio(apply.timed.wall, apply.bound),
        "failed_steps": apply.failed_steps,
        "waves": apply.waves.iter().map(|w| json!({
            "changes": w.changes, "start_ms": w.start_ms, "end_ms": w.end_ms
        })).collect::<Vec<_>>(),
    })
}

/// The raw results.
pub fn json(results: &Results) -> Value {
    let settings = &results.settings;
    json!({
        "format_version": 1,
        "settings": {
            "latency_ms": duration_ms(settings.latency),
            "parallelism": settings.parallelism,
            "page_size": settings.page_size,
            "sizes": settings.sizes,
            "sequential_up_to": settings.sequential_up_to,
        },
        "machine": results.machine,
        "sizes": results.sizes.iter().map(|size| json!({
            "n": size.n,
            "plan": timed_json(&size.plan),
            "plan_lower_bound_ms": duration_ms(size.plan_bound),
            "plan_ratio_to_bound": ratio(size.plan.wall, size.plan_bound),
            "list_pages": size.list_pages,
            "largest_list_pages": size.largest_list_pages,
            "apply_create": apply_json(&size.create),
            "noop_apply": timed_json(&size.noop),
            "apply_10_percent": apply_json(&size.change),
            "converged_after_changes": size.converged,
            "sequential": size.sequential.map(|s| json!({
                "wall_ms": duration_ms(s.wall),
                "requests": s.requests,
                "extrapolated": s.extrapolated,
            })),
        })).collect::<Vec<_>>(),
        "throttle": results.throttle.as_ref().map(|t| json!({
            "entities": t.entities,
            "wall_ms": duration_ms(t.timed.wall),
            "requests": t.timed.requests,
            "writes": t.timed.writes,
            "failed_steps": t.failed_steps,
            "throttled_429": t.throttled,
            "paced": t.paced,
            "bucket_burst": t.burst,
            "bucket_rate_per_s": t.rate,
            "fraction_of_rate": t.fraction,
        })),
        "memory": results.memory.iter().map(|m| json!({
            "label": m.label,
            "entities": m.entities,
            "how": "a fresh process (adf-bench --memory-child) reads the files, loads the spec, refreshes and plans; VmHWM from /proc/self/status after each stage",
            "stages_hwm_kb": m.stages.iter().map(|(stage, kb)| json!({"stage": stage, "hwm_kb": kb})).collect::<Vec<_>>(),
            "peak_kb": m.peak_kb,
            "target_mb": m.target_mb,
            "diff_ms": duration_ms(m.plan),
        })).collect::<Vec<_>>(),
        "memory_skipped": results.memory_skipped,
    })
}
