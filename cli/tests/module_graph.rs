//! The CLI's modules import each other in one direction only: the `use crate::` / `super::`
//! edges between the top-level modules, and between the modules inside each one, have no cycle.

// Read from the source, not from the compiler: each file's module path comes from its place in
// `cli/src`, and every `crate::a::b` or `super::b` path in it is an edge to the module it names.
// Test modules (`#[cfg(test)]` and the files they are) are left out: what ships is what must not
// go round in circles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules whose cycle is being taken apart elsewhere; the rest of the graph is checked.
const NOT_YET_CHECKED: &[&str] = &[];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("cli/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// `hooks/run.rs` is `["hooks", "run"]`, `hooks/mod.rs` is `["hooks"]`, `lib.rs` is `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under cli/src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without its test modules (by convention they close the file) and comments.
fn shipped_code(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if !trimmed.starts_with("//") {
            code.push_str(line);
            code.push('\n');
        }
    }
    code
}

/// The first names of the paths after each `prefix` (`crate::` or `super::`), braces opened:
/// `crate::{a::b, c}` names `a` and `c`.
fn named_after(code: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(first_name(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || c != '{' {
                    item.push(c);
                }
            }
            names.push(first_name(&item));
        } else {
            names.push(first_name(rest));
        }
    }
    names.retain(|n| !n.is_empty() && n != "self" && n != "*");
    names
}

fn first_name(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Edges between sibling modules at every level: `hooks::run -> hooks::worker` is an edge of
/// `hooks`' graph, `hooks::worker -> facts` one of the crate's.
fn graphs(src: &Path) -> BTreeMap<String, Graph> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if matches!(name, "tests.rs" | "testing.rs") {
            continue;
        }
        let from = module_path(src, &file);
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        let code = shipped_code(&text);
        let mut targets: Vec<Vec<String>> = named_after(&code, "crate::")
            .into_iter()
            .map(|n| vec![n])
            .collect();
        // `crate::hooks::x` from inside `hooks` is a sibling edge too.
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let top = first_name(rest);
            if Some(&top) == from.first() {
                let inner = rest[top.len()..].strip_prefix("::").unwrap_or("");
                let inner = if inner.starts_with('{') {
                    named_after(&format!("x::{inner}"), "x::")
                } else {
                    vec![first_name(inner)]
                };
                for name in inner.into_iter().filter(|n| !n.is_empty()) {
                    targets.push(vec![top.clone(), name]);
                }
            }
        }
        if from.len() >= 2 {
            let parent = &from[..from.len() - 1];
            for name in named_after(&code, "super::") {
                let mut target = parent.to_vec();
                target.push(name);
                targets.push(target);
            }
        }
        for target in targets {
            add_edge(&mut graphs, &from, &target);
        }
    }
    graphs
}

/// The edge between the first modules where `from` and `to` part, if they are siblings there.
fn add_edge(graphs: &mut BTreeMap<String, Graph>, from: &[String], to: &[String]) {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let (Some(a), Some(b)) = (from.get(common), to.get(common)) else {
        return;
    };
    let level = from[..common].join("::");
    graphs
        .entry(level)
        .or_default()
        .entry(a.clone())
        .or_default()
        .insert(b.clone());
}

/// A cycle through the graph's nodes, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node.to_owned()) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn without(graph: &Graph, left_out: &[&str]) -> Graph {
    graph
        .iter()
        .filter(|(node, _)| !left_out.contains(&node.as_str()))
        .map(|(node, next)| {
            let next = next
                .iter()
                .filter(|n| !left_out.contains(&n.as_str()))
                .cloned()
                .collect();
            (node.clone(), next)
        })
        .collect()
}

#[test]
fn no_module_of_the_cli_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graphs = graphs(&src);
    let top = graphs
        .get("")
        .expect("the crate's modules import each other");
    for module in ["transcript", "facts", "hooks", "git", "blocking", "files"] {
        assert!(
            top.contains_key(module) || top.values().any(|next| next.contains(module)),
            "{module} is missing from the graph: {top:?}"
        );
    }
    let mut cycles = Vec::new();
    for (level, graph) in &graphs {
        let graph = if level.is_empty() {
            without(graph, NOT_YET_CHECKED)
        } else {
            graph.clone()
        };
        if let Some(cycle) = find_cycle(&graph) {
            let at = if level.is_empty() { "crate" } else { level };
            cycles.push(format!("{at}: {}", cycle.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_of_the_graph_sees_what_a_cycle_is_made_of() {
    // The parser and the search, on code written to hold a cycle.
    assert_eq!(
        named_after("use crate::{a::b, c};\nlet x = crate::d::e();", "crate::"),
        ["a", "c", "d"]
    );
    assert_eq!(
        named_after("use super::{log, x::{y, z}};", "super::"),
        ["log", "x"]
    );
    let code = "use crate::b;\n#[cfg(test)]\nmod tests {\n    use crate::c;\n}\n";
    assert!(!shipped_code(code).contains("crate::c"));
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .into_iter()
        .fold(Graph::new(), |mut g, (from, to)| {
            g.entry(from.into()).or_default().insert(to.into());
            g
        });
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(find_cycle(&without(&graph, &["c"])), None);
}
