//! The page's charts as small hand-written SVG: sessions per day stacked by person, and a
//! horizontal bar per repository for cost and active time. A chart library would need a
//! runtime script or a front-end build for what is a few dozen rectangles; these print, work
//! without JavaScript and take their colours from the page's light or dark theme.

use chrono::NaiveDate;
use maud::{Markup, html};
use sessions_core::Timestamp;

use super::{Colours, OTHERS};
use crate::render::{dollars, duration, short_who};
use crate::report::model::{Group, Report};

/// The charts' drawing widths, near the width they are shown at on a laptop screen, so that
/// their 12 px text stays about 12 px.
const DAYS_WIDTH: f64 = 1100.0;
const REPOS_WIDTH: f64 = 560.0;
/// The most days one chart shows (the latest ones); past this a bar is under 4 px wide.
const MAX_DAYS: usize = 180;
/// The most repositories a bar chart names; the rest are counted below it.
const MAX_REPOS: usize = 10;
/// People with their own colour and legend entry; the rest are stacked as "others".
const NAMED_PEOPLE: usize = super::PALETTE.len();

/// Sessions per day across the window (days without sessions included), stacked by person.
pub fn days(report: &Report, now: &Timestamp, colours: &Colours) -> Markup {
    let dates = span(report, now);
    let (left, top, plot_w, plot_h) = (40.0, 10.0, DAYS_WIDTH - 48.0, 200.0);
    let height = top + plot_h + 30.0;
    let people: Vec<&str> = report
        .people
        .iter()
        .filter_map(|g| g.name.as_deref())
        .collect();
    let named = &people[..people.len().min(NAMED_PEOPLE)];
    let most = report.days.iter().map(|d| d.sessions).max().unwrap_or(0);
    let (step, top_value) = scale(most);
    let slot = plot_w / dates.len().max(1) as f64;
    let bar = (slot * 0.72).max(1.0);
    let y = |v: u64| top + plot_h - plot_h * v as f64 / top_value as f64;
    let label_every = dates.len().div_ceil(16).max(1);
    let columns: Vec<Column> = dates
        .iter()
        .enumerate()
        .map(|(i, date)| {
            let key = date.format("%Y-%m-%d").to_string();
            let x = left + slot * i as f64 + (slot - bar) / 2.0;
            let mut stack = Vec::new();
            if let Some(day) = report.days.iter().find(|d| d.date == key) {
                let mut base = 0u64;
                for arn in named {
                    let n = day.people.get(*arn).copied().unwrap_or(0);
                    if n > 0 {
                        let tip = format!("{key}, {}: {n}", short_who(arn));
                        stack.push((y(base + n), y(base) - y(base + n), colours.of(arn), tip));
                        base += n;
                    }
                }
                let others = day.sessions.saturating_sub(base);
                if others > 0 {
                    let tip = format!("{key}, others: {others}");
                    stack.push((y(base + others), y(base) - y(base + others), OTHERS, tip));
                }
            }
            let label = (i % label_every == 0).then(|| date.format("%b %-d").to_string());
            Column { x, stack, label }
        })
        .collect();
    let first = dates.first().map(ToString::to_string).unwrap_or_default();
    let last = dates.last().map(ToString::to_string).unwrap_or_default();
    html! {
        svg #chart-days role="img" viewBox={ "0 0 " (DAYS_WIDTH) " " (height) }
            aria-label={ "Sessions per day, " (first) " to " (last) } {
            @for tick in (0..=top_value).step_by(step as usize) {
                line.grid x1=(left) x2=(left + plot_w) y1=(y(tick)) y2=(y(tick)) {}
                text.axis x=(left - 6.0) y=(y(tick) + 4.0) text-anchor="end" { (tick) }
            }
            @for c in &columns {
                @for (top_y, h, fill, tip) in &c.stack {
                    rect x=(c.x) y=(top_y) width=(bar) height=(h) fill=(fill) { title { (tip) } }
                }
                @if let Some(label) = &c.label {
                    text.axis x=(c.x + bar / 2.0) y=(top + plot_h + 18.0) text-anchor="middle" { (label) }
                }
            }
        }
        ul.legend {
            @for arn in named {
                li title=(arn) { span.dot style={ "--person:" (colours.of(arn)) } {} (short_who(arn)) }
            }
            @if people.len() > named.len() {
                li { span.dot style={ "--person:" (OTHERS) } {} (people.len() - named.len()) " others" }
            }
        }
    }
}

/// One day's bar: its segments (top, height, colour, tooltip) bottom up, and its axis label.
struct Column {
    x: f64,
    stack: Vec<(f64, f64, &'static str, String)>,
    label: Option<String>,
}

/// Every day from the window's start (or the first session) to its end (or today), at most
/// the latest `MAX_DAYS`.
fn span(report: &Report, now: &Timestamp) -> Vec<NaiveDate> {
    let date = |s: &str| NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok();
    let first = report.days.first().and_then(|d| date(&d.date));
    let last = report.days.last().and_then(|d| date(&d.date));
    let start = report
        .window
        .since
        .as_ref()
        .and_then(|t| date(&t.to_string()))
        .or(first);
    // `--until` is exclusive: a window ending at midnight ends the day before.
    let end = match &report.window.until {
        Some(u) => date(&u.plus_seconds(-1).to_string()),
        None => date(&now.to_string()),
    }
    .into_iter()
    .chain(last)
    .max();
    let (Some(start), Some(end)) = (start, end) else {
        return Vec::new();
    };
    let mut dates: Vec<NaiveDate> = start.iter_days().take_while(|d| *d <= end).collect();
    if dates.len() > MAX_DAYS {
        dates.drain(..dates.len() - MAX_DAYS);
    }
    if dates.is_empty() {
        dates.push(end);
    }
    dates
}

/// A tick step of 1, 2 or 5 times a power of ten giving at most four steps, and the axis top.
fn scale(most: u64) -> (u64, u64) {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let s = step.saturating_mul(m);
            if most.div_ceil(s) <= 4 {
                return (s, most.div_ceil(s).max(1) * s);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// What a repository bar measures.
#[derive(Clone, Copy)]
pub enum Measure {
    Cost,
    Active,
}

impl Measure {
    fn of(self, g: &Group) -> Option<u64> {
        match self {
            Measure::Cost => g.tally.cost_usd.map(|c| c.micros()),
            Measure::Active => g.tally.active_s,
        }
    }

    fn show(self, v: u64) -> String {
        match self {
            Measure::Cost => dollars(sessions_core::Usd::from_micros(v)),
            Measure::Active => duration(v),
        }
    }

    fn id(self) -> &'static str {
        match self {
            Measure::Cost => "chart-repo-cost",
            Measure::Active => "chart-repo-active",
        }
    }

    fn none(self) -> &'static str {
        match self {
            Measure::Cost => "No session in this window recorded a cost.",
            Measure::Active => "No session in this window recorded its active time.",
        }
    }
}

/// One bar per repository that knows the measure, largest first.
pub fn repos(groups: &[Group], measure: Measure) -> Markup {
    let mut known: Vec<(&Group, u64)> = groups
        .iter()
        .filter_map(|g| measure.of(g).map(|v| (g, v)))
        .collect();
    known.sort_by_key(|k| std::cmp::Reverse(k.1));
    let hidden = known.len().saturating_sub(MAX_REPOS);
    known.truncate(MAX_REPOS);
    let most = known.first().map_or(0, |k| k.1).max(1);
    let (label_w, value_w, row_h) = (170.0, 80.0, 26.0);
    let bar_w = REPOS_WIDTH - label_w - value_w;
    let height = row_h * known.len() as f64 + 4.0;
    html! {
        @if known.is_empty() {
            p.note { (measure.none()) }
        } @else {
            svg id=(measure.id()) role="img" viewBox={ "0 0 " (REPOS_WIDTH) " " (height) } {
                @for (i, (g, v)) in known.iter().enumerate() {
                    @let y = row_h * i as f64 + 2.0;
                    @let name = g.name.as_deref().unwrap_or("no repository");
                    @let w = (bar_w * *v as f64 / most as f64).max(1.0);
                    g {
                        title { (name) ": " (measure.show(*v)) ", " (g.tally.sessions) " sessions" }
                        text.label x=(label_w - 8.0) y=(y + 16.0) text-anchor="end" { (clip_repo(name)) }
                        rect.bar x=(label_w) y=(y + 3.0) width=(w) height=(row_h - 8.0) rx="3" {}
                        text.value x=(label_w + w + 6.0) y=(y + 16.0) { (measure.show(*v)) }
                    }
                }
            }
            @if hidden > 0 { p.note { "and " (hidden) " more repositories" } }
        }
    }
}

/// The part of `host/owner/name` that fits the label column.
fn clip_repo(name: &str) -> String {
    let short = name.split_once('/').map_or(name, |(_, rest)| rest);
    sessions_core::text::clip(short, 24).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_gives_round_ticks() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(3), (1, 3));
        assert_eq!(scale(7), (2, 8));
        assert_eq!(scale(17), (5, 20));
        assert_eq!(scale(40), (10, 40));
        assert_eq!(scale(41), (20, 60));
        assert_eq!(scale(1234), (500, 1500));
    }
}
