//! The server's modules import one another in one direction only. This reads
//! the crate's sources, collects which top-level modules each one names
//! through `crate::…` paths, and fails on a cycle, naming it.
//!
//! Cross-module paths in this crate are written from the crate root
//! (`crate::db::Db`, `use crate::{jobs, state::AppState}`), so those are what
//! is read; `super::` stays within one module. Comments are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn server_modules_import_in_one_direction() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(
        graph.len() > 5,
        "found too few modules under {}: {graph:?}",
        src.display()
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "modules of chorus-server import one another in a circle: {}\n\nthe whole graph:\n{}",
            cycle.join(" -> "),
            describe(&graph)
        );
    }
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g = Graph::new();
        for (from, to) in edges {
            g.entry((*from).to_string())
                .or_default()
                .insert((*to).to_string());
            g.entry((*to).to_string()).or_default();
        }
        g
    };
    let acyclic = graph(&[("routes", "jobs"), ("jobs", "state"), ("routes", "state")]);
    assert_eq!(find_cycle(&acyclic), None);
    let circle = graph(&[
        ("routes", "jobs"),
        ("jobs", "state"),
        ("state", "queue"),
        ("queue", "jobs"),
    ]);
    assert_eq!(
        find_cycle(&circle),
        Some(vec![
            "jobs".into(),
            "state".into(),
            "queue".into(),
            "jobs".into()
        ])
    );
}

#[test]
fn paths_are_read_through_groups_and_past_comments() {
    let modules: BTreeSet<String> = ["db", "jobs", "state", "events"]
        .into_iter()
        .map(String::from)
        .collect();
    let reexports = BTreeMap::from([("AppState".to_string(), "state".to_string())]);
    let text = "use crate::{db::{Db, on_db},\n    jobs};\n\
                // crate::events is only mentioned here\n\
                /// and here: crate::events\n\
                fn f() { crate::AppState::open(); $crate::db::x(); } // crate::events\n";
    let names = referenced(text, &modules, &reexports);
    assert_eq!(
        names,
        ["db", "jobs", "state"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

/// Each top-level module and the other top-level modules it names.
fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|file| top_level(src, file))
        .collect();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs reads");
    let reexports = reexports(&lib, &modules);
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let Some(module) = top_level(src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let names = referenced(&text, &modules, &reexports);
        let edges = graph.entry(module.clone()).or_default();
        edges.extend(names.into_iter().filter(|n| *n != module));
    }
    graph
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module `file` belongs to; `None` for the crate root and
/// the binary, which are not modules of the library.
fn top_level(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        name => Some(name.trim_end_matches(".rs").to_string()),
    }
}

/// Names `lib.rs` re-exports from a module (`pub use state::AppState;`),
/// so `crate::AppState` counts as naming `state`.
fn reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in code_lines(lib) {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim_end_matches(';');
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        let last = rest.rsplit("::").next().unwrap_or(rest);
        for name in last.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                out.insert(name.to_string(), module.to_string());
            }
        }
    }
    out
}

/// The lines of `text` without comments: whole comment lines are dropped and
/// a trailing `// …` cut off.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| line.split_once(" // ").map_or(line, |(code, _)| code))
}

/// The modules `text` names through `crate::` paths.
fn referenced(
    text: &str,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    // Joined again, so a `use crate::{…}` group may span lines.
    let code = code_lines(text).collect::<Vec<_>>().join("\n");
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        first_segments(&code[at + "crate::".len()..], &mut names);
    }
    names
        .into_iter()
        .map(|name| {
            if modules.contains(&name) {
                name
            } else if let Some(module) = reexports.get(&name) {
                module.clone()
            } else {
                panic!("crate::{name} is neither a module of the crate nor re-exported by lib.rs")
            }
        })
        .collect()
}

/// The first segment of the path at the start of `rest`, or of each path in
/// a `{…}` group there.
fn first_segments(rest: &str, names: &mut BTreeSet<String>) {
    let Some(group) = rest.strip_prefix('{') else {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && name != "self" {
            names.insert(name);
        }
        return;
    };
    // Split the group at its own commas, not those of nested groups.
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                first_segments(group[start..i].trim(), names);
                return;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                first_segments(group[start..i].trim(), names);
                start = i + 1;
            }
            _ => {}
        }
    }
}

/// A cycle in `graph` as the modules along it, the first repeated at the
/// end; `None` when the graph has none.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        graph: &'a Graph,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        marks.insert(node, Mark::OnPath);
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::Unseen) {
                Mark::OnPath => {
                    let start = path.iter().position(|n| *n == next)?;
                    let mut cycle: Vec<String> =
                        path[start..].iter().map(|n| (*n).to_string()).collect();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::Unseen => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node.as_str()).copied().unwrap_or(Mark::Unseen) == Mark::Unseen {
            let mut path = Vec::new();
            if let Some(cycle) = visit(node, graph, &mut marks, &mut path) {
                return Some(cycle);
            }
        }
    }
    None
}

fn describe(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, uses)| {
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            format!("  {module} -> {}", uses.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
