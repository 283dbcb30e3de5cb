//! The end of the conversation as text for an LLM, kept to a byte budget while it is read.

use std::collections::VecDeque;

/// Marks where the middle of a long transcript was left out of the conversation tail.
pub const GAP_MARKER: &str = "[… the middle of the session is left out …]\n\n";

/// Who said a piece of the conversation.
#[derive(Debug, Clone, Copy)]
pub enum Speaker {
    User,
    Assistant,
}

/// The last turns of the conversation, about `limit` bytes of them.
pub struct Tail {
    turns: VecDeque<String>,
    bytes: usize,
    limit: usize,
}

impl Tail {
    pub fn new(limit: usize) -> Self {
        Tail {
            turns: VecDeque::new(),
            bytes: 0,
            limit,
        }
    }

    fn push(&mut self, turn: String) {
        self.bytes += turn.len();
        self.turns.push_back(turn);
        while let Some(front) = self.turns.front() {
            if self.bytes - front.len() < self.limit {
                break;
            }
            self.bytes -= front.len();
            self.turns.pop_front();
        }
    }

    pub fn say(&mut self, speaker: Speaker, text: &str) {
        let label = match speaker {
            Speaker::User => "User",
            Speaker::Assistant => "Assistant",
        };
        self.push(format!("{label}: {text}\n\n"));
    }

    /// Only worth saying when something came before the gap.
    pub fn mark_gap(&mut self) {
        if !self.turns.is_empty() {
            self.push(GAP_MARKER.to_owned());
        }
    }

    /// The text, at most `limit` bytes, starting at a line when the lines allow.
    pub fn finish(self) -> String {
        let text: String = self.turns.into_iter().collect();
        if text.len() <= self.limit {
            return text;
        }
        let cut = text.ceil_char_boundary(text.len() - self.limit);
        // Start at a line if one starts soon after the cut; a long unbroken line is cut inside
        // rather than lose most of the tail.
        let window = text.ceil_char_boundary(cut + self.limit / 8);
        let start = text[cut..window].find('\n').map_or(cut, |i| cut + i + 1);
        text[start..].trim_start_matches('\n').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_starts_at_a_line() {
        let mut tail = Tail::new(200);
        for i in 0..50 {
            tail.say(Speaker::User, &format!("prompt {i} é"));
        }
        let text = tail.finish();
        assert!(text.len() <= 200 && text.len() > 150, "{text:?}");
        assert!(text.starts_with("User: prompt "), "{text:?}");
        assert!(text.ends_with("User: prompt 49 é\n\n"));
    }

    #[test]
    fn one_long_unbroken_reply_is_cut_inside_rather_than_lost() {
        let mut tail = Tail::new(1000);
        tail.say(Speaker::Assistant, &"é".repeat(5000));
        let text = tail.finish();
        assert!(text.len() <= 1000 && text.len() >= 990, "{}", text.len());
        assert!(text.ends_with("é\n\n"));
    }
}
