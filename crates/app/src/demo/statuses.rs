//! Which member gets which execution status: pure functions of the seed data
//! and the seeded generator, so the demo looks the same in every run.
//!
//! Members differ in how early they tend to be (`diligence`, fixed per member
//! code), so the same municipalities tend to lag across tasks, as in real
//! life, while per-task noise keeps the lists from being identical.

use anyhow::bail;
use udrul_core::ExecutionStatus;

use super::rng::Rng;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub done: usize,
    pub started: usize,
    pub not_started: usize,
    pub not_relevant: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.done + self.started + self.not_started + self.not_relevant
    }

    #[cfg(test)]
    pub fn of(statuses: &[ExecutionStatus]) -> Counts {
        let mut c = Counts::default();
        for s in statuses {
            match s {
                ExecutionStatus::Done => c.done += 1,
                ExecutionStatus::Started => c.started += 1,
                ExecutionStatus::NotStarted => c.not_started += 1,
                ExecutionStatus::NotRelevant => c.not_relevant += 1,
            }
        }
        c
    }
}

/// Fits a deck's figures to `n` members. Where they add up to more (a deck
/// counting 99 of 98 municipalities), one is taken at a time from the larger
/// of the groups not done, so the picture changes as little as possible;
/// where they add up to less, the rest are counted as not started.
pub fn fit_observed(done: usize, started: usize, not_started: usize, n: usize) -> Counts {
    let mut c = Counts {
        done,
        started,
        not_started,
        not_relevant: 0,
    };
    while c.total() > n {
        if c.not_started >= c.started && c.not_started > 0 {
            c.not_started -= 1;
        } else if c.started > 0 {
            c.started -= 1;
        } else {
            c.done -= 1;
        }
    }
    c.not_started += n - c.total();
    c
}

/// Plausible progress of `n` members on a task, seen `days_past` days after
/// its end date (negative: before it). `not_begun` says the task's start date
/// lies ahead. Optional tasks get a few "not relevant".
pub fn profile(n: usize, days_past: i64, not_begun: bool, optional: bool, rng: &mut Rng) -> Counts {
    let not_relevant = if optional {
        ((n as f64) * (0.05 + 0.05 * rng.unit())).round() as usize
    } else {
        0
    };
    let m = n - not_relevant;
    let (lo, hi, started_lo, started_hi) = if not_begun {
        (0.0, 0.0, 0.0, 0.04)
    } else if days_past >= 365 {
        (0.94, 0.99, 0.5, 0.8)
    } else if days_past >= 90 {
        (0.85, 0.95, 0.45, 0.7)
    } else if days_past >= 0 {
        (0.6, 0.85, 0.45, 0.7)
    } else if days_past >= -60 {
        (0.25, 0.55, 0.35, 0.6)
    } else {
        (0.0, 0.12, 0.1, 0.3)
    };
    let done = (((m as f64) * (lo + (hi - lo) * rng.unit())).round() as usize).min(m);
    let rest = m - done;
    let started = (((rest as f64) * (started_lo + (started_hi - started_lo) * rng.unit())).round()
        as usize)
        .min(rest);
    Counts {
        done,
        started,
        not_started: rest - started,
        not_relevant,
    }
}

/// A gate decision some weeks after its end date: about a quarter said yes
/// (done), most said no (not relevant, with a reason), a few have not decided.
pub fn gate_profile(n: usize, rng: &mut Rng) -> Counts {
    let done = ((n as f64) * (0.25 + 0.05 * rng.unit())).round() as usize;
    let not_relevant = (((n as f64) * (0.58 + 0.06 * rng.unit())).round() as usize).min(n - done);
    let rest = n - done - not_relevant;
    let started = rest / 2;
    Counts {
        done,
        started,
        not_started: rest - started,
        not_relevant,
    }
}

/// A member's lasting tendency to be early, in `[0, 1)`; the same in every
/// task and every run.
pub fn diligence(code: &str) -> f64 {
    Rng::from_key(&format!("diligence {code}")).unit()
}

/// Hands out `counts` to the members with these codes (the result is aligned
/// with `codes`): "not relevant" at random, then "done" to the most diligent
/// (with per-task noise), then "started", then "not started".
pub fn assign(
    codes: &[&str],
    counts: Counts,
    rng: &mut Rng,
) -> anyhow::Result<Vec<ExecutionStatus>> {
    let n = codes.len();
    if counts.total() != n {
        bail!("{} statuses for {n} members", counts.total());
    }
    let noise: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let (not_relevant, rest) = order.split_at_mut(counts.not_relevant);
    let score = |i: usize| 0.65 * diligence(codes[i]) + 0.35 * noise[i];
    rest.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    let mut out = vec![ExecutionStatus::NotStarted; n];
    for &i in not_relevant.iter() {
        out[i] = ExecutionStatus::NotRelevant;
    }
    for (rank, &i) in rest.iter().enumerate() {
        out[i] = if rank < counts.done {
            ExecutionStatus::Done
        } else if rank < counts.done + counts.started {
            ExecutionStatus::Started
        } else {
            ExecutionStatus::NotStarted
        };
    }
    Ok(out)
}

/// Every member done except those named in `missing`: of those, one (chosen
/// at random, when there are several) has started, the others have not.
/// The result is aligned with `names`. A name that matches no member is an
/// error, so a typo in the seed data cannot silently drop a member.
pub fn assign_missing(
    names: &[&str],
    missing: &[String],
    rng: &mut Rng,
) -> anyhow::Result<Vec<ExecutionStatus>> {
    let mut out = vec![ExecutionStatus::Done; names.len()];
    let mut idx = Vec::with_capacity(missing.len());
    for m in missing {
        match names.iter().position(|n| n == m) {
            Some(i) => idx.push(i),
            None => bail!("observed_status.missing names an unknown member: {m}"),
        }
    }
    rng.shuffle(&mut idx);
    for (k, &i) in idx.iter().enumerate() {
        out[i] = if k == 0 && idx.len() > 1 {
            ExecutionStatus::Started
        } else {
            ExecutionStatus::NotStarted
        };
    }
    Ok(out)
}
