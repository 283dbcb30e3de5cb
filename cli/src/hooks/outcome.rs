//! The title and summary a finished session is recorded with, and where each came from.

use sessions_core::{SessionId, Summary, Title};

use crate::transcript::{self, Digest};

/// The worker's summary when there is nothing to make one from.
pub const UNREADABLE_SUMMARY: &str = "The session ended; its transcript could not be read.";

/// What the worker settled on, and where each part came from (for the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summarized {
    pub title: Title,
    pub summary: Summary,
    pub sources: (&'static str, &'static str),
}

/// Title: the `/rename` title, then the session's AI title, then the LLM's, then the first
/// prompt. Summary: the LLM's, then one made from the transcript. Always within the API's bounds.
pub fn settle(
    session_id: &SessionId,
    digest: Option<&Digest>,
    llm: Option<&(String, String)>,
) -> Summarized {
    let clean_title = Title::truncating;
    let (title, title_source) = digest
        .and_then(|d| {
            d.custom_title
                .as_deref()
                .and_then(clean_title)
                .map(|t| (t, "custom title"))
        })
        .or_else(|| {
            digest.and_then(|d| {
                d.ai_title
                    .as_deref()
                    .and_then(clean_title)
                    .map(|t| (t, "ai title"))
            })
        })
        .or_else(|| llm.and_then(|(t, _)| clean_title(t)).map(|t| (t, "claude")))
        .or_else(|| {
            digest
                .and_then(transcript::heuristic_title)
                .and_then(|t| clean_title(&t))
                .map(|t| (t, "first prompt"))
        })
        .unwrap_or_else(|| (Title::placeholder(session_id), "placeholder"));
    let (summary, summary_source) = llm
        .and_then(|(_, s)| Summary::truncating(s).map(|s| (s, "claude")))
        .or_else(|| {
            digest
                .and_then(|d| Summary::truncating(&transcript::heuristic_summary(d)))
                .map(|s| (s, "transcript"))
        })
        .unwrap_or_else(|| {
            let unreadable = Summary::truncating(UNREADABLE_SUMMARY);
            (unreadable.unwrap_or_else(Summary::placeholder), "none")
        });
    Summarized {
        title,
        summary,
        sources: (title_source, summary_source),
    }
}
