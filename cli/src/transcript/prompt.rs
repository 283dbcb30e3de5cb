//! Telling what the user typed from what Claude Code wrote in the user's name.

/// User text starting with one of these tags is Claude Code's own doing (command echoes, shell
/// mode, hook output, injected reminders), not something the user asked for.
const WRAPPER_TAGS: [&str; 11] = [
    "command-name",
    "command-message",
    "command-args",
    "local-command-stdout",
    "local-command-stderr",
    "local-command-caveat",
    "bash-input",
    "bash-stdout",
    "bash-stderr",
    "system-reminder",
    "user-prompt-submit-hook",
];

/// What a user message asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Words the user typed, its text parts joined by blank lines.
    Typed(String),
    /// A slash command with arguments, as `/name args`.
    Command(String),
}

/// The prompt in a user message's texts, if it holds one.
pub fn prompt<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<Prompt> {
    let mut typed = Vec::new();
    let mut command = None;
    for text in texts {
        if let Some(tag) = leading_tag(text).filter(|t| WRAPPER_TAGS.contains(t)) {
            if tag.starts_with("command-") {
                command = slash_command(text);
            }
            continue;
        }
        if text
            .trim_start()
            .starts_with("[Request interrupted by user")
        {
            continue;
        }
        let text = strip_element(text, "system-reminder");
        let text = text.trim();
        if !text.is_empty() {
            typed.push(text.to_owned());
        }
    }
    if !typed.is_empty() {
        Some(Prompt::Typed(typed.join("\n\n")))
    } else {
        command.map(Prompt::Command)
    }
}

/// The name of the tag `text` starts with, as in `<command-name>`.
fn leading_tag(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('<')?;
    let end = rest.find(['>', ' ', '\n'])?;
    Some(&rest[..end])
}

/// The inner text of the first `<name>...</name>` element in `text`.
fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    Some(&text[start..start + len])
}

/// `text` without its `<name>...</name>` elements (an unclosed one runs to the end).
fn strip_element(text: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut kept = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        kept.push_str(&rest[..start]);
        rest = match rest[start..].find(&close) {
            Some(len) => &rest[start + len + close.len()..],
            None => "",
        };
    }
    kept.push_str(rest);
    kept
}

/// What the user typed for a slash command with arguments, as `/name args`. Without arguments
/// (`/model`, `/clear`) a command says nothing about the work, so it is not a prompt.
fn slash_command(wrapper: &str) -> Option<String> {
    let args = element(wrapper, "command-args")
        .map(str::trim)
        .filter(|a| !a.is_empty())?;
    let name = element(wrapper, "command-name")
        .or_else(|| element(wrapper, "command-message"))
        .map(str::trim)
        .filter(|n| !n.is_empty())?;
    let slash = if name.starts_with('/') { "" } else { "/" };
    Some(format!("{slash}{name} {args}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_commands_and_reminders() {
        assert_eq!(
            prompt([
                "<command-message>review</command-message>\n<command-name>/review</command-name>\n<command-args>the retry PR</command-args>"
            ]),
            Some(Prompt::Command("/review the retry PR".to_owned()))
        );
        assert_eq!(
            prompt(["<command-name>/model</command-name>\n<command-args></command-args>"]),
            None
        );
        assert_eq!(
            prompt([
                "Fix it.<system-reminder>injected</system-reminder>",
                "<system-reminder>opened a file</system-reminder>",
                "and test it <system-reminder>unclosed",
            ]),
            Some(Prompt::Typed("Fix it.\n\nand test it".to_owned()))
        );
        assert_eq!(prompt(["[Request interrupted by user for tool use]"]), None);
        assert_eq!(
            prompt(["<b>bold</b> is typed"]),
            Some(Prompt::Typed("<b>bold</b> is typed".to_owned()))
        );
    }
}
