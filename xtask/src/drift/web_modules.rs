//! The pages' ES modules (`web/**/*.js`, no bundler) form an acyclic import graph, and every
//! module is reached from a page's `<script type="module">`. A cycle works in the browser only
//! as long as nothing reads an import while the cycle is still evaluating, which the next
//! change can break (a module-level use becomes a `ReferenceError` at load); it also means two
//! modules that cannot be understood one without the other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// Module (path relative to `web/`, with `/`) → the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The specifiers of a module's static imports and re-exports (`import … from '…'`,
/// `import '…'`, `export … from '…'`, across lines) and of its `import('…')` calls.
/// The pages are formatted one statement per line, `;`-terminated, so statements are read
/// from the start of a line; a dynamic import with a computed specifier cannot be followed
/// and fails the check.
fn specifiers(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut statement: Option<String> = None;
    let mut in_block_comment = false;
    for line in source.lines() {
        let trimmed = line.trim();
        if in_block_comment {
            in_block_comment = !trimmed.contains("*/");
            continue;
        }
        if trimmed.starts_with("/*") {
            in_block_comment = !trimmed.contains("*/");
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        if statement.is_none() && starts_import_or_reexport(trimmed) {
            statement = Some(String::new());
        }
        if let Some(text) = statement.as_mut() {
            text.push_str(trimmed);
            text.push(' ');
            if trimmed.ends_with(';') {
                found.extend(statement_specifier(text));
                statement = None;
            }
            continue;
        }
        let mut rest = trimmed;
        while let Some(at) = rest.find("import(") {
            rest = &rest[at + "import(".len()..];
            let literal = quoted(rest.trim_start())
                .unwrap_or_else(|| panic!("a dynamic import with a computed specifier cannot be checked: {trimmed}"));
            found.push(literal.to_owned());
        }
    }
    assert!(statement.is_none(), "an import or export statement does not end with `;`: {statement:?}");
    found
}

fn starts_import_or_reexport(line: &str) -> bool {
    let after = |keyword: &str| line.strip_prefix(keyword).and_then(|rest| rest.chars().next());
    matches!(after("import"), Some(' ' | '{' | '*' | '\'' | '"'))
        || matches!(after("export"), Some(' ' | '{' | '*')) && {
            let rest = line["export".len()..].trim_start();
            rest.starts_with('{') || rest.starts_with('*')
        }
}

/// The module a whole statement names: after its last ` from `, or right after `import`.
fn statement_specifier(statement: &str) -> Option<String> {
    if let Some(at) = statement.rfind(" from ") {
        return Some(quoted(statement[at + " from ".len()..].trim_start()).expect("a quoted specifier").to_owned());
    }
    if let Some(rest) = statement.strip_prefix("import") {
        return Some(quoted(rest.trim_start()).expect("a quoted specifier").to_owned());
    }
    None // `export { a, b };`: exports its own bindings
}

/// The text of a leading '…' or "…" literal.
fn quoted(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &text[1..];
    inner.find(quote).map(|end| &inner[..end])
}

/// `specifier` as imported by `from` (both relative to `web/`): `./` and `../` relative to the
/// importing module, `/…` from the site's root; bare names need a bundler, which the pages
/// do not have.
fn resolve(from: &str, specifier: &str) -> String {
    let joined = if let Some(absolute) = specifier.strip_prefix('/') {
        PathBuf::from(absolute)
    } else if specifier.starts_with("./") || specifier.starts_with("../") {
        Path::new(from).parent().unwrap_or(Path::new("")).join(specifier)
    } else {
        panic!("{from} imports the bare specifier {specifier:?}: the pages have no bundler");
    };
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop().unwrap_or_else(|| panic!("{from} imports {specifier:?}, outside web/"));
            }
            _ => {}
        }
    }
    parts.join("/")
}

fn graph<'a>(modules: impl IntoIterator<Item = (&'a str, &'a str)>) -> Graph {
    let modules: BTreeMap<&str, &str> = modules.into_iter().collect();
    let mut graph = Graph::new();
    for (&name, &source) in &modules {
        let imports = graph.entry(name.to_owned()).or_default();
        for specifier in specifiers(source) {
            let target = resolve(name, &specifier);
            assert!(modules.contains_key(target.as_str()), "{name} imports {specifier:?}: no module {target}");
            imports.insert(target);
        }
    }
    graph
}

/// The first import cycle found, as the chain of modules `a → b → … → a`.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnPath,
        Done,
    }
    fn visit(
        graph: &Graph,
        module: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(module) {
            Some(Mark::Done) => return None,
            Some(Mark::OnPath) => {
                let start = path.iter().position(|m| m == module).expect("on the path");
                let mut cycle = path[start..].to_vec();
                cycle.push(module.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(module.to_owned(), Mark::OnPath);
        path.push(module.to_owned());
        for target in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(graph, target, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(module.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph.keys().find_map(|module| visit(graph, module, &mut marks, &mut Vec::new()))
}

/// Every module reachable from `entries`.
fn reachable(graph: &Graph, entries: &BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = entries.iter().cloned().collect();
    while let Some(module) = todo.pop() {
        if seen.insert(module.clone()) {
            todo.extend(graph.get(&module).into_iter().flatten().cloned());
        }
    }
    seen
}

/// Files under `dir` (recursively) whose name ends with `extension`, relative to `root`.
fn files(root: &Path, dir: &Path, extension: &str, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(root, &path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            let name = path
                .strip_prefix(root)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The `src` of each `<script type="module" src="…">` of the pages.
fn page_entries(pages: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut entries = BTreeSet::new();
    for (page, html) in pages {
        for tag in html.split("<script").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            if !tag.contains(r#"type="module""#) {
                continue;
            }
            let src = tag.split_once(r#"src=""#).and_then(|(_, rest)| rest.split_once('"')).map(|(src, _)| src);
            let src = src.unwrap_or_else(|| panic!("{page}: a module script without src: {tag}"));
            entries.insert(resolve(page, src));
        }
    }
    entries
}

#[test]
fn the_web_modules_import_each_other_without_a_cycle_and_every_one_is_used() {
    let web = crate::paths::web_dir();
    let (mut modules, mut pages) = (BTreeMap::new(), BTreeMap::new());
    files(&web, &web, "js", &mut modules);
    files(&web, &web, "html", &mut pages);
    let graph = graph(modules.iter().map(|(name, source)| (name.as_str(), source.as_str())));
    assert!(graph.len() > 10, "web/ holds the pages' modules: {:?}", graph.keys());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("web/ modules import each other in a cycle: {}", cycle.join(" → "));
    }
    let entries = page_entries(&pages);
    assert!(entries.contains("app.js") && entries.contains("js/portal/main.js"), "{entries:?}");
    let used = reachable(&graph, &entries);
    let unused: Vec<&String> = graph.keys().filter(|m| !used.contains(*m)).collect();
    assert!(unused.is_empty(), "modules no page loads (or imports the check did not read): {unused:?}");
}

#[test]
fn the_cycle_check_reads_every_import_form_and_reports_the_cycle() {
    let modules = [
        ("app.js", "// import './nothing.js';\nimport './js/main.js';\n"),
        (
            "js/main.js",
            "/* import { x } from './gone.js';\n*/\nimport {\n  a,\n  b,\n} from \"./a.js\";\nexport * from '../lib/c.js';\n",
        ),
        ("js/a.js", "import { c } from '/lib/c.js';\nexport const a = 1;\nexport { c };\n"),
        ("lib/c.js", "export { d } from './d.js';\n"),
        ("lib/d.js", "const load = () => import('../js/main.js');\nexport const d = 1;\n"),
    ];
    let imports = graph(modules);
    let expected = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(imports["app.js"], expected(&["js/main.js"]));
    assert_eq!(imports["js/main.js"], expected(&["js/a.js", "lib/c.js"]));
    assert_eq!(imports["js/a.js"], expected(&["lib/c.js"]));
    assert_eq!(imports["lib/c.js"], expected(&["lib/d.js"]));
    assert_eq!(imports["lib/d.js"], expected(&["js/main.js"]));
    let cycle = find_cycle(&imports).expect("main → a → c → d → main");
    assert_eq!(cycle, ["js/main.js", "js/a.js", "lib/c.js", "lib/d.js", "js/main.js"]);
    assert_eq!(
        reachable(&imports, &expected(&["lib/c.js"])),
        expected(&["lib/c.js", "lib/d.js", "js/main.js", "js/a.js"])
    );

    let acyclic = graph([("a.js", "import './b.js';\n"), ("b.js", "export const b = 1;\n")]);
    assert_eq!(find_cycle(&acyclic), None);
}
