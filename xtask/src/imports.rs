//! The import graph between the workspace's source files, and its cycles: a file that imports a
//! file that imports it back (directly or through others) makes both hard to read alone.
//!
//! A file imports another when it names an item of it by path (`use crate::a::b`, `super::x`,
//! `self::y`, or such a path in code). Re-exports (`pub use`) are followed to the file that
//! defines the item, and are not imports themselves; `mod` declarations are not imports either.
//! The reading is lexical (comments and strings are skipped, inline `mod name { … }` blocks
//! shift what `super` means), which is enough for this workspace's style.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source roots of the workspace's crates, relative to the workspace.
pub const SOURCE_ROOTS: [&str; 5] = [
    "crates/data/src",
    "crates/model/src",
    "crates/eval/src",
    "crates/trainer/src",
    "xtask/src",
];

/// One source file: its module path within its crate and what it names.
#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    /// Module path from the crate root (`[]` for `lib.rs`/`main.rs`).
    module: Vec<String>,
    /// Paths it names, each resolved to absolute module paths, with whether it is a re-export.
    references: Vec<(Vec<String>, bool)>,
    /// `pub use` re-exports: name → the absolute path it stands for.
    reexports: BTreeMap<String, Vec<String>>,
}

/// The files of one crate whose source root is `src`, keyed by module path.
fn crate_files(src: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    collect(src, src, &mut files);
    files
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<SourceFile>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let module = module_path(root, &path);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let (references, reexports) = references(&strip(&text), &module);
            files.push(SourceFile {
                path,
                module,
                references,
                reexports,
            });
        }
    }
}

/// `src/a/b.rs` → `[a, b]`; `src/a/mod.rs` → `[a]`; `src/lib.rs` → `[]`.
fn module_path(root: &Path, path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(root).expect("under the root");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The text without comments, string and char literals (replaced by spaces).
fn strip(text: &str) -> String {
    let bytes: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < bytes.len() && !(bytes[i] == '*' && bytes[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                i += if bytes[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && bytes.get(i + 2) == Some(&'\'') {
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < bytes.len() && bytes[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Every path a file names (resolved against `module`), and its `pub use` re-exports.
#[allow(clippy::type_complexity)]
fn references(
    text: &str,
    module: &[String],
) -> (Vec<(Vec<String>, bool)>, BTreeMap<String, Vec<String>>) {
    let tokens = tokenize(text);
    let mut references = Vec::new();
    let mut reexports = BTreeMap::new();
    // inline modules open in this file: each with the brace depth its body starts at
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        match token {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if inline.last() == Some(&(depth + 1)) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(i + 2).map(String::as_str) == Some("{") => {
                inline.push(depth + 1);
            }
            // `impl Trait + use<…>` (precise capturing) is no import
            "use" if tokens.get(i + 1).map(String::as_str) != Some("<") => {
                let public = i > 0 && is_visibility(&tokens[..i]);
                let (paths, end) = use_tree(&tokens, i + 1);
                for (path, alias) in paths {
                    if let Some(absolute) = resolve(&path, module, inline.len()) {
                        if public && inline.is_empty() {
                            reexports.insert(alias, absolute.clone());
                        }
                        references.push((absolute, public));
                    }
                }
                i = end;
                continue;
            }
            "crate" | "super" | "self" if tokens.get(i + 1).map(String::as_str) == Some("::") => {
                let (path, end) = simple_path(&tokens, i);
                if let Some(absolute) = resolve(&path, module, inline.len()) {
                    references.push((absolute, false));
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (references, reexports)
}

/// Whether the tokens before `use` make it public (`pub`, `pub(crate)`, `pub(super)`).
fn is_visibility(before: &[String]) -> bool {
    match before {
        [.., last] if last == "pub" => true,
        [.., pub_, open, _, close] if pub_ == "pub" && open == "(" && close == ")" => true,
        _ => false,
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

/// `a::b::c` from `start`, stopping at the first token that is neither a name nor `::`.
fn simple_path(tokens: &[String], start: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    let mut i = start;
    while i < tokens.len() {
        let token = &tokens[i];
        if token == "::" {
            i += 1;
            continue;
        }
        if !token.chars().all(|c| c.is_alphanumeric() || c == '_') {
            break;
        }
        path.push(token.clone());
        i += 1;
        if tokens.get(i).map(String::as_str) != Some("::") {
            break;
        }
    }
    (path, i)
}

/// The leaves of the use tree starting at `start`, each with the name it brings in; and the
/// index after the `;`.
fn use_tree(tokens: &[String], start: usize) -> (Vec<(Vec<String>, String)>, usize) {
    let mut leaves = Vec::new();
    let end = tree(tokens, start, &mut Vec::new(), &mut leaves);
    let end = tokens[end..]
        .iter()
        .position(|t| t == ";")
        .map_or(tokens.len(), |p| end + p + 1);
    (leaves, end)
}

fn tree(
    tokens: &[String],
    mut i: usize,
    prefix: &mut Vec<String>,
    leaves: &mut Vec<(Vec<String>, String)>,
) -> usize {
    let depth = prefix.len();
    while i < tokens.len() {
        match tokens[i].as_str() {
            "::" => i += 1,
            "{" => {
                i += 1;
                loop {
                    i = tree(tokens, i, prefix, leaves);
                    match tokens.get(i).map(String::as_str) {
                        Some(",") => i += 1,
                        Some("}") => {
                            i += 1;
                            break;
                        }
                        _ => break,
                    }
                    if tokens.get(i).map(String::as_str) == Some("}") {
                        i += 1;
                        break;
                    }
                }
                prefix.truncate(depth);
                return i;
            }
            "as" => {
                let alias = tokens.get(i + 1).cloned().unwrap_or_default();
                leaves.push((prefix.clone(), alias));
                prefix.truncate(depth);
                return i + 2;
            }
            "*" => {
                leaves.push((prefix.clone(), "*".to_string()));
                prefix.truncate(depth);
                return i + 1;
            }
            "," | "}" | ";" => {
                if prefix.len() > depth {
                    let name = prefix.last().cloned().unwrap_or_default();
                    leaves.push((prefix.clone(), name));
                }
                prefix.truncate(depth);
                return i;
            }
            name => {
                prefix.push(name.to_string());
                i += 1;
            }
        }
    }
    i
}

/// An absolute module path for `path` named in `module` inside `inline` inline modules; `None`
/// for paths into other crates.
fn resolve(path: &[String], module: &[String], inline: usize) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    match first.as_str() {
        "crate" => Some(rest.to_vec()),
        "self" => Some(module.iter().chain(rest).cloned().collect()),
        "super" => {
            let ups = path.iter().take_while(|p| *p == "super").count();
            let beyond_file = ups.saturating_sub(inline);
            let base = module.len().checked_sub(beyond_file)?;
            Some(module[..base].iter().chain(&path[ups..]).cloned().collect())
        }
        _ => None,
    }
}

/// The file (index) that defines what `path` names: the deepest file module on the path, with
/// re-exports followed (at most a few hops).
fn defining_file(files: &[SourceFile], path: &[String]) -> Option<usize> {
    let mut path = path.to_vec();
    for _ in 0..8 {
        let (index, depth) = (0..=path.len()).rev().find_map(|depth| {
            files
                .iter()
                .position(|f| f.module == path[..depth])
                .map(|index| (index, depth))
        })?;
        let Some(name) = path.get(depth) else {
            return Some(index);
        };
        match files[index].reexports.get(name) {
            Some(target) if *target != path[..=depth] => {
                path = target.iter().chain(&path[depth + 1..]).cloned().collect();
            }
            _ => return Some(index),
        }
    }
    None
}

/// The import edges of one crate, by file.
fn edges(files: &[SourceFile]) -> BTreeMap<usize, BTreeSet<usize>> {
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (from, file) in files.iter().enumerate() {
        for (path, reexport) in &file.references {
            if *reexport {
                continue;
            }
            if let Some(to) = defining_file(files, path).filter(|to| *to != from) {
                edges.entry(from).or_default().insert(to);
            }
        }
    }
    edges
}

/// The strongly connected components of two or more nodes of a graph on `0..count`.
fn components(count: usize, edges: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    let reach = |from: usize| -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if seen.insert(*next) {
                    stack.push(*next);
                }
            }
        }
        seen
    };
    let reachable: Vec<BTreeSet<usize>> = (0..count).map(reach).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for a in 0..count {
        if done.contains(&a) || !reachable[a].contains(&a) {
            continue;
        }
        let component: Vec<usize> = (0..count)
            .filter(|b| reachable[a].contains(b) && reachable[*b].contains(&a))
            .collect();
        done.extend(component.iter().copied());
        found.push(component);
    }
    found
}

/// Every group of files that import each other (directly or through others), as paths.
pub fn cycles(src: &Path) -> Vec<Vec<PathBuf>> {
    let files = crate_files(src);
    components(files.len(), &edges(&files))
        .into_iter()
        .map(|component| component.iter().map(|i| files[*i].path.clone()).collect())
        .collect()
}

/// Every group of the crate's top-level modules (a file, or a directory with its files) that
/// import each other, by name (`(root)` for `lib.rs` or `main.rs`).
pub fn module_cycles(src: &Path) -> Vec<Vec<String>> {
    let files = crate_files(src);
    let group = |file: &SourceFile| file.module.first().cloned().unwrap_or("(root)".into());
    let names: Vec<String> = files
        .iter()
        .map(group)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index = |file: &SourceFile| names.iter().position(|n| *n == group(file)).unwrap();
    let mut module_edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (from, targets) in edges(&files) {
        for to in targets {
            let (a, b) = (index(&files[from]), index(&files[to]));
            if a != b {
                module_edges.entry(a).or_default().insert(b);
            }
        }
    }
    components(names.len(), &module_edges)
        .into_iter()
        .map(|component| component.iter().map(|i| names[*i].clone()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn no_file_imports_a_file_that_imports_it_back() {
        let mut found = Vec::new();
        for root in SOURCE_ROOTS {
            found.extend(cycles(&workspace().join(root)));
        }
        assert!(found.is_empty(), "files that import each other: {found:#?}");
    }

    #[test]
    fn no_module_imports_a_module_that_imports_it_back() {
        let mut found = Vec::new();
        for root in SOURCE_ROOTS {
            found.extend(module_cycles(&workspace().join(root)));
        }
        assert!(
            found.is_empty(),
            "modules that import each other: {found:#?}"
        );
    }

    #[test]
    fn a_cycle_through_a_reexport_is_found_and_a_parent_child_pair_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        std::fs::create_dir_all(src.join("a")).unwrap();
        std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\npub use b::Thing;\n").unwrap();
        // a/mod.rs uses b's item through the root's re-export; b uses a's child
        std::fs::write(src.join("a/mod.rs"), "mod c;\nuse crate::Thing;\n").unwrap();
        std::fs::write(src.join("a/c.rs"), "pub fn f() { let _ = \"crate::b\"; }\n").unwrap();
        std::fs::write(
            src.join("b.rs"),
            "pub struct Thing;\nfn g() { crate::a::c::f() }\n",
        )
        .unwrap();
        assert!(cycles(src).is_empty(), "{:?}", cycles(src));
        // now c imports b back through its parent's parent: a/mod.rs → b → a/c … and c → b
        std::fs::write(
            src.join("a/c.rs"),
            "use super::super::b::Thing;\npub fn f() {}\n",
        )
        .unwrap();
        let found = cycles(src);
        assert_eq!(found.len(), 1, "{found:?}");
        let names: Vec<String> = found[0]
            .iter()
            .map(|p| p.strip_prefix(src).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a/c.rs", "b.rs"]);
    }

    #[test]
    fn super_inside_an_inline_module_stays_in_its_file() {
        let text = "mod tests {\n    use super::*;\n    use super::super::x::Y;\n}\n";
        let module = vec!["k".to_string(), "f".to_string()];
        let (references, _) = references(&strip(text), &module);
        let paths: Vec<Vec<String>> = references.into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            vec![
                vec!["k".to_string(), "f".to_string()],
                vec!["k".to_string(), "x".to_string(), "Y".to_string()],
            ]
        );
    }

    #[test]
    fn precise_capturing_is_no_import() {
        let text = "fn f(x: &u8) -> impl Fn() -> u8 + use<> {\n    move || 1\n}\n\
                    mod m {\n    use super::g::H;\n}\n";
        let module = vec!["k".to_string(), "f".to_string()];
        let (references, _) = references(&strip(text), &module);
        let paths: Vec<Vec<String>> = references.into_iter().map(|(p, _)| p).collect();
        // `super` in the inline module is the file's module
        let expected = ["k", "f", "g", "H"].map(str::to_string).to_vec();
        assert_eq!(paths, vec![expected]);
    }
}
