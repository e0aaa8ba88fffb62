//! Issue 20: an include diamond (every file of a level includes every file
//! of the next) is loaded and checked once per file, not once per path:
//! 4 wide and 11 deep is 44 files and 164 include lines, but 4^11 paths.
//! Counted through the loader callback and the cache, not timed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::include::Cache;
use mfapol::source::SourceFile;
use mfapol::{compile_cached, eval, schema};
use serde_json::json;
use std::collections::HashMap;

/// `l{level}_{i}.mfapolicy`: includes the whole next level and defines
/// `l{level}_{i}` from the next level's definitions; the last level reads
/// the event.
fn diamond(width: usize, depth: usize) -> HashMap<String, String> {
    let mut files = HashMap::new();
    for level in 0..depth {
        for i in 0..width {
            let mut text = String::new();
            let value = if level + 1 == depth {
                format!("ip in 10.{i}.0.0/16")
            } else {
                let next: Vec<String> = (0..width)
                    .map(|j| {
                        text.push_str(&format!("include \"l{}_{j}.mfapolicy\"\n", level + 1));
                        format!("l{}_{j}", level + 1)
                    })
                    .collect();
                next.join(" or ")
            };
            text.push_str(&format!("let l{level}_{i} = {value}\n"));
            if i == 0 {
                // A declare reached by every path: added once, not 4^depth times.
                text.push_str(&format!("declare user.app_metadata.level{level}: bool\n"));
            }
            files.insert(format!("l{level}_{i}.mfapolicy"), text);
        }
    }
    files
}

/// Compiles the top policy over the diamond; returns the loader calls, the
/// files checked and loaded, and the decision for an address in the ranges.
fn run(width: usize, depth: usize) -> (usize, usize, usize, String) {
    let files = diamond(width, depth);
    let mut top = String::new();
    for i in 0..width {
        top.push_str(&format!("include \"l0_{i}.mfapolicy\"\n"));
    }
    top.push_str(
        "default skip mfa\nrule deep: require mfa when l0_0 and user.app_metadata.level0 != true\n",
    );
    let mut calls = 0;
    let mut load = |_from: &str, path: &str| {
        calls += 1;
        files
            .get(path)
            .map(|t| SourceFile::new(path, t.as_str()))
            .ok_or_else(|| format!("no file `{path}`"))
    };
    let mut cache = Cache::new();
    let src = SourceFile::new("top.mfapolicy", top);
    let c = compile_cached(&src, schema::auth0_post_login(), &mut load, &mut cache);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let p = c.policy.unwrap();
    let event = json!({"request": {"ip": "10.3.2.1"}, "user": {"app_metadata": {}}});
    let d = eval::evaluate(&p, &event, 0);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    (
        calls,
        cache.files_checked(),
        cache.files_loaded(),
        d.kind.as_str().to_string(),
    )
}

#[test]
fn a_small_diamond_loads_and_checks_each_file_once() {
    // 4 + 3 * 16 include lines; 16 files.
    assert_eq!(run(4, 4), (52, 16, 16, "require_mfa".into()));
}

#[test]
fn the_44_file_diamond_loads_and_checks_each_file_once() {
    // The shape of issue 20: 4 wide, 11 deep.
    assert_eq!(run(4, 11), (4 + 10 * 16, 44, 44, "require_mfa".into()));
}

/// One cache for a run over several policies: the second policy that
/// includes the same files loads and checks nothing new.
#[test]
fn a_shared_cache_serves_every_policy_of_a_run() {
    let files = diamond(2, 3);
    let mut calls = 0;
    let mut load = |_from: &str, path: &str| {
        calls += 1;
        files
            .get(path)
            .map(|t| SourceFile::new(path, t.as_str()))
            .ok_or_else(|| format!("no file `{path}`"))
    };
    let mut cache = Cache::new();
    for name in ["a.mfapolicy", "b.mfapolicy"] {
        let src = SourceFile::new(
            name,
            "include \"l0_0.mfapolicy\"\nrule r: require mfa when l0_0\n",
        );
        let c = compile_cached(&src, schema::auth0_post_login(), &mut load, &mut cache);
        assert!(c.diagnostics.is_empty(), "{name}: {:?}", c.diagnostics);
    }
    assert_eq!(cache.files_checked(), 5);
    // a and b each load l0_0 once (their own include line); l0_0 and the
    // two level-1 files load the level below once each.
    assert_eq!(calls, 2 + 2 + 2 * 2);
}

/// Keys, not names, make two files one: the same file reached as
/// `shared/t.mfapolicy` and `x/../shared/t.mfapolicy` adds its `let` once
/// (no duplicate-name error), and an include loop through a second name for
/// the policy itself is still a loop.
#[test]
fn files_are_one_by_key() {
    let mut load = |from: &str, path: &str| {
        let norm = path.replace("x/../", "");
        let text = match norm.as_str() {
            "shared/t.mfapolicy" => "let office = [10.0.0.0/8]\n",
            "a.mfapolicy" => "include \"x/../shared/t.mfapolicy\"\n",
            "self.mfapolicy" => "include \"p.mfapolicy\"\n",
            "p.mfapolicy" => "include \"self.mfapolicy\"\nrule r: require mfa when true\n",
            _ => return Err(format!("no file `{path}` from `{from}`")),
        };
        Ok(SourceFile::new(path, text).with_key(norm))
    };
    let src = SourceFile::new(
        "./p.mfapolicy",
        "include \"shared/t.mfapolicy\"\ninclude \"a.mfapolicy\"\nrule r: require mfa when ip in office\n",
    )
    .with_key("p.mfapolicy");
    let c = compile_cached(
        &src,
        schema::auth0_post_login(),
        &mut load,
        &mut Cache::new(),
    );
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let looped = SourceFile::new(
        "./p.mfapolicy",
        "include \"self.mfapolicy\"\nrule r: require mfa when true\n",
    )
    .with_key("p.mfapolicy");
    let c = compile_cached(
        &looped,
        schema::auth0_post_login(),
        &mut load,
        &mut Cache::new(),
    );
    let codes: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| miette::Diagnostic::code(d).unwrap().to_string())
        .collect();
    assert_eq!(codes, ["mfapol::include_cycle"]);
}
