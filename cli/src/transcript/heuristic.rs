//! A title and a summary made from a digest alone, for when no LLM answers.

use sessions_core::text::{clip, clip_at_word};

use super::digest::Digest;

pub const TITLE_MAX_CHARS: usize = 80;
const SUMMARY_PROMPT_CHARS: usize = 200;
const SUMMARY_MAX_TOOLS: usize = 8;
const SUMMARY_MAX_FILES: usize = 5;
const SUMMARY_NAME_CHARS: usize = 120;

/// A title from the first prompt: its first line, whitespace collapsed, cut at a word.
pub fn heuristic_title(d: &Digest) -> Option<String> {
    let prompt = d.first_prompt.as_deref()?;
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(clip_at_word(&collapse_whitespace(line), TITLE_MAX_CHARS).into_owned())
}

/// A summary made without an LLM: how many prompts, the first and last, the tools used and the
/// files changed. Never empty, and far below the API's 16384 bytes.
pub fn heuristic_summary(d: &Digest) -> String {
    let quote = |p: &str| {
        format!(
            "\"{}\"",
            clip_at_word(&collapse_whitespace(p), SUMMARY_PROMPT_CHARS)
        )
    };
    let at_least = if d.counts.partial { "at least " } else { "" };
    let mut parts = Vec::new();
    match (d.first_prompt.as_deref(), d.prompts.last()) {
        (None, _) | (_, None) => parts.push("No prompts.".to_owned()),
        (Some(first), Some(last)) if d.prompt_count <= 1 || first == last => {
            let count = d.prompt_count.max(1);
            let noun = if count == 1 { "prompt" } else { "prompts" };
            parts.push(format!("{at_least}{count} {noun}: {}.", quote(first)));
        }
        (Some(first), Some(last)) => parts.push(format!(
            "{at_least}{} prompts. First: {}. Last: {}.",
            d.prompt_count,
            quote(first),
            quote(last)
        )),
    }
    if !d.tools.is_empty() {
        let mut tools: Vec<(&String, &usize)> = d.tools.iter().collect();
        tools.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let shown: Vec<String> = tools
            .iter()
            .take(SUMMARY_MAX_TOOLS)
            .map(|(name, n)| format!("{} ×{n}", clip(name, SUMMARY_NAME_CHARS)))
            .collect();
        parts.push(format!(
            "Tools: {}{}.",
            shown.join(", "),
            more(tools.len(), SUMMARY_MAX_TOOLS)
        ));
    }
    if !d.files.is_empty() {
        let shown: Vec<String> = d
            .files
            .iter()
            .take(SUMMARY_MAX_FILES)
            .map(|f| clip(f, SUMMARY_NAME_CHARS).into_owned())
            .collect();
        parts.push(format!(
            "Files: {}{}.",
            shown.join(", "),
            more(d.files.len(), SUMMARY_MAX_FILES)
        ));
    }
    let mut summary = parts.join(" ");
    if let Some(first) = summary.get(..1) {
        summary = first.to_uppercase() + &summary[1..];
    }
    summary
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn more(total: usize, shown: usize) -> String {
    if total > shown {
        format!(" (+{} more)", total - shown)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heuristic_summary_stays_small_whatever_the_digest() {
        let long = "word ".repeat(20_000);
        let d = Digest {
            prompts: vec![long.clone(), "é".repeat(50_000)],
            first_prompt: Some(long.clone()),
            tools: (0..500)
                .map(|i| (format!("mcp__server__{}{i}", "t".repeat(300)), i))
                .collect(),
            files: (0..500)
                .map(|i| format!("{}/{i}.rs", "d".repeat(1000)))
                .collect(),
            prompt_count: 2,
            ..Digest::default()
        };
        let summary = heuristic_summary(&d);
        assert!(summary.len() < 4096, "{} bytes", summary.len());
        assert!(summary.contains("(+492 more)."), "{summary}");
        assert!(summary.contains("(+495 more)."), "{summary}");

        let title = heuristic_title(&d).unwrap();
        assert_eq!(title.chars().count(), 80, "{title}");
        assert!(title.ends_with("word…"), "{title}");
    }

    #[test]
    fn a_heuristic_title_uses_the_first_non_blank_line() {
        let d = Digest {
            first_prompt: Some("\n  \n   Fix   the\tflaky   test\nin CI please".to_owned()),
            ..Digest::default()
        };
        assert_eq!(heuristic_title(&d).as_deref(), Some("Fix the flaky test"));
        let unbroken = Digest {
            first_prompt: Some("x".repeat(300)),
            ..Digest::default()
        };
        assert_eq!(
            heuristic_title(&unbroken),
            Some(format!("{}…", "x".repeat(79)))
        );
    }
}
