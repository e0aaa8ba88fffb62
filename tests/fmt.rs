//! The formatter: snapshots of the canonical layout, and its three
//! properties (idempotent, meaning-preserving, comment-preserving) on random
//! policies and on every policy in the repository.

use mfapol::fmt::format;
use mfapol::syntax::parse;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

#[expect(clippy::unwrap_used, reason = "a test helper; the regex is a constant")]
/// The parsed tree without spans (`Let`, `Rule` and `Declare` compare theirs).
fn shape(text: &str) -> String {
    let re = regex::Regex::new(r"Span \{ start: \d+, end: \d+ \}").unwrap();
    re.replace_all(&format!("{:?}", parse(text)), "Span")
        .into_owned()
}

/// The comments of a policy, in order: `#` outside strings, to the end of
/// the line, without trailing blanks. Written independently of the
/// formatter's own scanner.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split(['\n', '\r']) {
        let (mut in_str, mut escaped) = (false, false);
        for (i, c) in line.char_indices() {
            match c {
                '\\' if in_str && !escaped => {
                    escaped = true;
                    continue;
                }
                '"' if !escaped => in_str = !in_str,
                '#' if !in_str => {
                    out.push(line[i..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
            escaped = false;
        }
    }
    out
}

/// Formats `text` and asserts the three properties; returns the output.
fn assert_properties(text: &str) -> Result<String, TestCaseError> {
    let once = format(text).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    prop_assert_eq!(
        shape(&once),
        shape(text),
        "meaning changed:\n{}\n---\n{}",
        text,
        once
    );
    let twice = format(&once).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    prop_assert_eq!(&twice, &once, "not idempotent:\n{}", text);
    prop_assert_eq!(
        comments(&once),
        comments(text),
        "comments changed:\n{}\n---\n{}",
        text,
        once
    );
    Ok(once)
}

#[expect(clippy::panic, reason = "a test helper: its panic is the test failing")]
fn fmt(text: &str) -> String {
    match assert_properties(text) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn messy_spacing() {
    let out = fmt(concat!(
        "let   office=[ 203.0.113.0/24 ,198.51.100.0/24,]\n",
        "declare   user.app_metadata.level :int?\n",
        "default skip   mfa\n",
        "rule corp:require mfa when connection==\"corp-ad\"and not(ip in office)\n",
        "  rule  risky :\n\n\tdeny \"too risky\"\n when\n authentication.riskAssessment.confidence ==\"low\"\n",
    ));
    insta::assert_snapshot!("messy_spacing", out);
}

#[test]
fn comments_everywhere() {
    let out = fmt(concat!(
        "# mfapol policy for the corp tenant\n",
        "\n",
        "# offices\n",
        "let office = [ # egress ranges\n",
        "  203.0.113.0/24, # hq\n",
        "  # branch\n",
        "  198.51.100.0/24\n",
        "] # end of offices\n",
        "\n\n\n",
        "default skip mfa # nothing applies\n",
        "rule contractors: # the rule\n",
        "  require mfa # the effect\n",
        "  when connection == \"contractors\" # who\n",
        "    # and where\n",
        "    and not ip in office\n",
        "  # exemptions\n",
        "  unless user.app_metadata.exempt == true # last\n",
        "rule nested: deny when any m in authentication.methods: m.name == \"pwd\" # x\n",
        "  and lower(m.name # inside a call\n",
        "  ) == \"pwd\"\n",
        "# trailing words\n",
        "\n",
        "# the very end",
    ));
    insta::assert_snapshot!("comments_everywhere", out);
}

#[test]
fn long_conditions() {
    let out = fmt(concat!(
        "let big_list = [\"finance\", \"human-resources\", \"legal\", \"executive-office\", \"security\", \"it\"]\n",
        "let risky = authentication.riskAssessment.assessments.NewDevice.confidence == \"low\" or authentication.riskAssessment.assessments.ImpossibleTravel.confidence == \"low\"\n",
        "require mfa using factors [\"otp\", \"webauthn-roaming\"] when user.app_metadata.department in big_list and not ip in 203.0.113.0/24 and stats.logins_count > 3\n",
        "rule r: require mfa when (a or b) and c unless user.app_metadata.break_glass == true and user.app_metadata.break_glass_until > now - 12h\n",
    ));
    insta::assert_snapshot!("long_conditions", out);
}

#[test]
fn nested_not_quantifiers_parens() {
    let out = fmt(concat!(
        "let a = not (ip in office)\n",
        "let b = not (any m in authentication.methods: m.name == \"mfa\")\n",
        "let c = (any m in authentication.methods: m.name == \"mfa\") and x\n",
        "let d = x and any m in authentication.methods: m.name == \"mfa\" or y\n",
        "let e = all i in user.identities: (any r in roles: r == i.connection)\n",
        "let f = ((x or y)) and (not (not z))\n",
        "let g = (not x) == (y in [1, (2)])\n",
        "let h = now - (user.created_at - 1d) > 7d\n",
        "let i = (a and b) or (c and (d or e))\n",
    ));
    insta::assert_snapshot!("nested_not_quantifiers_parens", out);
}

#[test]
fn every_effect_form() {
    let out = fmt(concat!(
        "default require mfa\n",
        "require mfa when a\n",
        "require mfa using \"duo\" when a\n",
        "require mfa with remember_browser when a\n",
        "require mfa using \"guardian\" with remember_browser when a\n",
        "require mfa using factors [\"otp\"] when a\n",
        "require mfa using factors [\"otp\", \"email\", ] when a\n",
        "require mfa using factors strong when a\n",
        "require mfa using factors [\"otp\"]   then   challenge using factors [\"phone\"] then enroll using factors strong when a\n",
        "enroll mfa using factors [\"otp\"] when a\n",
        "enroll   mfa using factors strong then challenge using factors [\"otp\"] when a\n",
        "skip mfa when a\n",
        "rule r:   exempt   when a\n",
        "deny when a\n",
        "deny \"blocked: \\\"reason\\\"\\n\" when a unless b\n",
    ));
    insta::assert_snapshot!("every_effect_form", out);
}

#[test]
fn literals() {
    let out = fmt(concat!(
        "let l = [1, -2, 007, 1.50, -0.25, 2.0, 60s, 90s, 7200s, 86400s, 0h, 36h, -30m, true, false, null, now]\n",
        "let s = [\"tab\\there\", \"\\u{41}\\u{1b}\\u{7f}\", \"# not a comment\", \"é\"]\n",
        "let n = [10.0.0.1, ::1, ::ffff:203.0.113.9, 2001:db8::/32, 203.0.113.7/24]\n",
        "let x = user.identities[0].connection == x[\"key\"]\n",
    ));
    insta::assert_snapshot!("literals", out);
}

#[test]
fn crlf_input() {
    let crlf = "# windows\r\nlet a = 1 # one\r\n\r\n\r\nrule r:\r\n  skip mfa when a == 1\r\n";
    let out = fmt(crlf);
    assert!(!out.contains('\r'));
    assert_eq!(out, fmt(&crlf.replace("\r\n", "\n")));
    insta::assert_snapshot!("crlf_input", out);
}

/// A list of `*.mfapolicy` files under `dir`, skipping `target` and hidden
/// directories.
fn policy_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            policy_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "mfapolicy") {
            out.push(path);
        }
    }
}

#[test]
fn every_policy_in_the_repository() {
    let mut files = Vec::new();
    policy_files(Path::new(env!("CARGO_MANIFEST_DIR")), &mut files);
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // Test inputs with deliberate syntax errors have nothing to format.
        if parse(&text).is_err() {
            continue;
        }
        if let Err(e) = assert_properties(&text) {
            panic!("{}: {e}", path.display());
        }
    }
}

// ---- random policies ----

/// Whitespace between tokens: spaces, tabs, line breaks (LF and CRLF) and
/// comments (`#@` is numbered later).
fn ws() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(" ".to_string()),
        1 => Just("  ".to_string()),
        1 => Just("\t".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\r\n ".to_string()),
        1 => Just("\n\n\n".to_string()),
        2 => Just(" #@\n".to_string()),
        1 => Just(" #@ \"q\" # h\r\n  ".to_string()),
        1 => Just("\n\n#@\n\n".to_string()),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("ip"),
        Just("office"),
        Just("user.email"),
        Just("user.app_metadata.level"),
        Just("user.identities[0].connection"),
        Just("m[\"k#\"]"),
        Just("\"s\""),
        Just("\"a#b\\\"c\\\\\""),
        Just("\"\\u{7}\\t\\n\""),
        Just("1"),
        Just("-5"),
        Just("2.50"),
        Just("15m"),
        Just("3600s"),
        Just("7d"),
        Just("10.0.0.1"),
        Just("203.0.113.0/24"),
        Just("::1"),
        Just("2001:db8::/32"),
        Just("true"),
        Just("null"),
        Just("now"),
        Just("len(roles)"),
        Just("[]"),
    ]
    .prop_map(str::to_string)
}

const OPS: &[&str] = &[
    "and",
    "or",
    "and",
    "or",
    "==",
    "!=",
    "<",
    ">=",
    "in",
    "not in",
    "starts_with",
    "contains",
    "matches",
    "+",
    "-",
];

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 40, 3, |inner| {
        prop_oneof![
            4 => (inner.clone(), ws(), prop::sample::select(OPS), ws(), inner.clone())
                .prop_map(|(a, w1, op, w2, b)| format!("{a}{w1}{op}{w2}{b}")),
            1 => (ws(), inner.clone()).prop_map(|(w, a)| format!("not{w}{a}")),
            3 => (ws(), inner.clone(), ws()).prop_map(|(w1, a, w2)| format!("({w1}{a}{w2})")),
            1 => (
                prop::sample::select(&["any", "all"][..]),
                prop::sample::select(&["roles", "authentication.methods", "(xs)", "[1, 2]"][..]),
                ws(),
                inner.clone()
            )
                .prop_map(|(q, l, w, a)| format!("{q} m in {l}:{w}{a}")),
            1 => (inner.clone(), ws(), inner.clone()).prop_map(|(a, w, b)| format!("[{a},{w}{b},]")),
            1 => (inner.clone(), ws(), inner.clone()).prop_map(|(a, w, b)| format!("f({a},{w}{b})")),
            1 => inner.clone().prop_map(|a| format!("({a}).f")),
        ]
    })
}

fn effect() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("require mfa"),
        Just("require mfa using \"duo\""),
        Just("require mfa using factors [\"otp\", \"email\",]"),
        Just("require\nmfa with remember_browser"),
        Just("skip mfa"),
        Just("deny"),
        Just("deny \"no\""),
    ]
    .prop_map(str::to_string)
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        (ws(), expr()).prop_map(|(w, e)| format!("let v ={w}{e}")),
        (ws(), expr(), ws())
            .prop_map(|(w1, a, w2)| format!("let l = [{w1}{a},{w2}10.0.0.0/8{w1}]")),
        (prop::collection::vec((ws(), expr()), 0..12), ws()).prop_map(|(elems, w)| {
            let elems: Vec<String> = elems.into_iter().map(|(w, e)| w + &e).collect();
            format!("let l ={w}[{}{w}]", elems.join(","))
        }),
        Just("declare user.app_metadata.k: list<int?>?".to_string()),
        effect().prop_map(|e| format!("default {e}")),
        (effect(), ws(), expr(), prop::option::of((ws(), expr())))
            .prop_map(|(ef, w, e, u)| format!("rule r:{w}{ef}{w}when {e}{}", unless(u))),
        (effect(), ws(), expr(), prop::option::of((ws(), expr())))
            .prop_map(|(ef, w, e, u)| format!("{ef} when{w}{e}{}", unless(u))),
    ]
}

fn unless(u: Option<(String, String)>) -> String {
    u.map(|(w, e)| format!("{w}unless {e}")).unwrap_or_default()
}

fn policy() -> impl Strategy<Value = String> {
    (prop::collection::vec((ws(), item()), 0..5), ws()).prop_map(|(items, end)| {
        let mut text: String = items.into_iter().map(|(w, i)| w + &i).collect();
        text.push_str(&end);
        // Number the comments, so a test sees if they swap.
        let mut n = 0;
        while let Some(at) = text.find("#@") {
            n += 1;
            text.replace_range(at..at + 2, &format!("# c{n}"));
        }
        text
    })
}

#[expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test helper: its panic is the test failing"
)]
/// Runs a property on generated values in a thread with a large stack:
/// generating nested random expressions recurses deeply in a debug build.
fn run_property<S, F>(cases: u32, strategy: fn() -> S, test: F)
where
    S: Strategy + 'static,
    S::Value: std::fmt::Debug,
    F: Fn(S::Value) -> Result<(), TestCaseError> + Send + 'static,
{
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            // `PROPTEST_CASES=N` runs more cases locally.
            let cases = std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(cases);
            let config = ProptestConfig {
                cases,
                failure_persistence: None,
                ..ProptestConfig::default()
            };
            let mut runner = proptest::test_runner::TestRunner::new(config);
            runner.run(&strategy(), test).map_err(|e| e.to_string())
        })
        .unwrap();
    if let Err(e) = worker.join().unwrap() {
        panic!("{e}");
    }
}

#[test]
fn random_policies_keep_meaning_comments_and_are_idempotent() {
    run_property(128, policy, |text| {
        prop_assume!(parse(&text).is_ok());
        assert_properties(&text).map(drop)
    });
}

fn long_condition() -> impl Strategy<Value = String> {
    (prop::collection::vec(expr(), 2..8), ws()).prop_map(|(parts, ws)| {
        let text = format!(
            "rule r: require mfa when {} unless {}",
            parts.join(&format!("{ws}and ")),
            parts.join(" or ")
        );
        text.replace("#@", "# c")
    })
}

#[test]
fn random_long_conditions() {
    run_property(64, long_condition, |text| {
        prop_assume!(parse(&text).is_ok());
        assert_properties(&text).map(drop)
    });
}

#[test]
fn the_example_in_the_docs_is_what_fmt_prints() {
    let doc = include_str!("../docs/formatting.md");
    let example = &doc[doc.find("For example,").unwrap()..];
    let blocks: Vec<&str> = example.split("```").collect();
    let (before, after) = (
        blocks[1].trim_start_matches('\n'),
        blocks[3].trim_start_matches('\n'),
    );
    assert_eq!(fmt(before), after);
}
