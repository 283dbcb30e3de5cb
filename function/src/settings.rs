//! The function's settings, read once from the environment at start.

use std::collections::HashSet;

use sessions_core::WorkspaceId;

use crate::store::table::DEFAULT_TABLE_NAME;

/// `SESSIONS_TABLE`: the DynamoDB table name.
pub const TABLE_ENV: &str = "SESSIONS_TABLE";
/// `SESSIONS_WORKSPACE_ALLOWLIST`: comma-separated workspace UUIDs; empty means any.
pub const ALLOWLIST_ENV: &str = "SESSIONS_WORKSPACE_ALLOWLIST";

#[derive(Debug, Clone, Default)]
pub struct AllowList(Option<HashSet<WorkspaceId>>);

impl AllowList {
    pub fn any() -> Self {
        AllowList(None)
    }

    /// Parses a comma-separated list; blank means any workspace.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ids = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| WorkspaceId::parse(s).map_err(|e| format!("{ALLOWLIST_ENV}: {}", e.message)))
            .collect::<Result<HashSet<_>, _>>()?;
        Ok(AllowList((!ids.is_empty()).then_some(ids)))
    }

    pub fn allows(&self, workspace: &WorkspaceId) -> bool {
        self.0.as_ref().is_none_or(|ids| ids.contains(workspace))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub table: String,
    pub allow_list: AllowList,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let table = std::env::var(TABLE_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TABLE_NAME.to_owned());
        let allow_list = AllowList::parse(&std::env::var(ALLOWLIST_ENV).unwrap_or_default())?;
        Ok(Settings { table, allow_list })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list() {
        let ws = WorkspaceId::parse("0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        let other = WorkspaceId::parse("1b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60").unwrap();
        assert!(AllowList::parse("").unwrap().allows(&other));
        let list = AllowList::parse(" 0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60 ,").unwrap();
        assert!(list.allows(&ws));
        assert!(!list.allows(&other));
        assert!(
            AllowList::parse("nope")
                .unwrap_err()
                .contains(ALLOWLIST_ENV)
        );
    }
}
