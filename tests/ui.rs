//! One UI snapshot per diagnostic code: the rendered output of the real
//! binary (colour off) for a minimal policy that triggers it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;

/// Runs `mfapol ARGS` in a scratch directory holding `policy.mfapolicy`
/// (and `event.json` for eval), returning stderr.
fn run(policy: &[u8], event: Option<&str>, args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "mfapol-ui-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.mfapolicy"), policy).unwrap();
    if let Some(e) = event {
        std::fs::write(dir.join("event.json"), e).unwrap();
    }
    let out = Command::cargo_bin("mfapol")
        .unwrap()
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `ui!(name, policy)`: snapshot of `mfapol check` on the policy.
macro_rules! ui {
    ($name:ident, $policy:expr) => {
        #[test]
        fn $name() {
            let out = run($policy.as_bytes(), None, &["check", "policy.mfapolicy"]);
            assert!(
                out.contains(concat!("mfapol::", stringify!($name))),
                "{out}"
            );
            insta::assert_snapshot!(stringify!($name), out);
        }
    };
}

/// `ui_as!(name, code, policy)`: snapshot of `mfapol check` on a policy
/// that shows one more case of the diagnostic `code` (a help line).
macro_rules! ui_as {
    ($name:ident, $code:literal, $policy:expr) => {
        #[test]
        fn $name() {
            let out = run($policy.as_bytes(), None, &["check", "policy.mfapolicy"]);
            assert!(out.contains(concat!("mfapol::", $code)), "{out}");
            insta::assert_snapshot!(stringify!($name), out);
        }
    };
}

/// `ui_event!(name, event)`: snapshot of `mfapol eval` on a bad event.
macro_rules! ui_event {
    ($name:ident, $event:expr) => {
        #[test]
        fn $name() {
            let out = run(
                b"require mfa when true\n",
                Some($event),
                &["eval", "policy.mfapolicy", "event.json"],
            );
            assert!(
                out.contains(concat!("mfapol::", stringify!($name))),
                "{out}"
            );
            insta::assert_snapshot!(stringify!($name), out);
        }
    };
}

// Syntax
ui!(syntax, "require mfa when\n");
ui!(
    nesting_too_deep,
    &format!(
        "require mfa when {}true{}\n",
        "(".repeat(200),
        ")".repeat(200)
    )
);
ui!(
    keyword_as_name,
    "rule mfa: require mfa when connection == \"corp-ad\"\n"
);
ui_as!(
    syntax_missing_and_before_not,
    "syntax",
    "require mfa when connection == \"corp-ad\" not ip in 10.0.0.0/8\n"
);
ui!(invalid_escape, "deny \"bad \\u{d800}\" when true\n");
ui!(
    number_out_of_range,
    "require mfa when stats.logins_count > 99999999999999999999\n"
);

// Check errors and warnings
ui!(
    unknown_field,
    "require mfa when request.geoip.continent_code == \"EU\"\n"
);
ui!(
    unknown_name,
    "require mfa when usr.email == \"a@example.com\"\n"
);
ui!(hidden_field, "require mfa when secrets.api_key == \"x\"\n");
ui!(
    type_mismatch,
    "require mfa when stats.logins_count == \"3\"\n"
);
ui!(condition_not_bool, "require mfa when user.email\n");
ui!(
    unknown_value,
    "skip mfa when transaction.protocol == \"oauth2-refresh-tokn\"\n"
);
ui!(
    unknown_provider,
    "require mfa using \"gaurdian\" when true\n"
);
ui!(
    unknown_factor,
    "require mfa using factors [\"opt\"] when true\n"
);
ui!(empty_factors, "require mfa using factors [] when true\n");
ui!(
    remember_browser_with_factors,
    "require mfa using factors [\"otp\"] with remember_browser when true\n"
);
ui!(let_cycle, "let a = b\nlet b = a\nrequire mfa when a\n");
ui_as!(
    unknown_value_of_a_quantifier_variable,
    "unknown_value",
    "require mfa when any a in user.multifactor: a == \"gaurdian\"\n"
);
ui!(
    cannot_enroll_email,
    "enroll mfa using factors [\"email\", \"otp\"] when len(user.multifactor) == 0\n"
);
ui!(
    too_many_steps,
    "require mfa using factors [\"otp\"] then challenge using factors [\"phone\"] then challenge using factors [\"push-notification\"] then enroll using factors [\"webauthn-roaming\"] then enroll using factors [\"webauthn-platform\"] when true\n"
);
ui!(
    factors_not_a_list,
    "let strong = \"webauthn-roaming\"\nrequire mfa using factors strong when true\n"
);
ui!(
    duplicate_name,
    "rule r: skip mfa when true\nrule r: deny when true\n"
);
ui!(reserved_name, "let ip = 10.0.0.1\nrequire mfa when true\n");
ui!(duplicate_default, "default skip mfa\ndefault deny\n");
ui!(invalid_regex, "require mfa when email matches \"([a-z]\"\n");
ui!(
    regex_not_literal,
    "require mfa when email matches user.name\n"
);
ui!(invalid_address, "require mfa when ip in 300.1.1.0/24\n");
ui!(host_bits_set, "skip mfa when ip in 10.1.2.3/8\n");
ui!(
    undeclared_metadata,
    "require mfa when user.app_metadata.tier == \"gold\"\n"
);
ui!(
    invalid_declare,
    "declare user.email: string\nrequire mfa when true\n"
);
ui!(
    unknown_type,
    "declare user.app_metadata.vip: boolean\nrequire mfa when true\n"
);
ui!(unknown_function, "require mfa when lenght(roles) > 2\n");
ui!(wrong_arguments, "require mfa when len(roles, 2) > 2\n");
ui!(mixed_list, "require mfa when country in [\"US\", 3]\n");
ui!(
    invalid_timestamp,
    "require mfa when user.created_at > \"yesterday\"\n"
);
ui!(
    policy_too_large,
    "rule nested: require mfa when any a in authentication.methods: any b in authentication.methods: any c in authentication.methods: a.name == c.name\n"
);
ui!(let_chain_too_deep, &{
    let mut p = String::from("let a0 = ip in 10.0.0.0/8\n");
    for i in 1..=300 {
        p.push_str(&format!("let a{i} = not a{}\n", i - 1));
    }
    p.push_str("rule deep: require mfa when a300\n");
    p
});

// Events and files
ui_event!(invalid_event_json, "{\"user\": {\"email\": }}\n");
ui_event!(event_not_object, "[1, 2, 3]\n");

#[test]
fn invalid_utf8() {
    let out = run(
        b"require mfa when email == \"\xff\"\n",
        None,
        &["check", "policy.mfapolicy"],
    );
    assert!(out.contains("mfapol::invalid_utf8"), "{out}");
    insta::assert_snapshot!("invalid_utf8", out);
}

/// Every stable code in the sources has a snapshot test here and an entry
/// in docs/diagnostics.md.
#[test]
fn every_code_is_tested_and_documented() {
    let this = std::fs::read_to_string("tests/ui.rs").unwrap();
    let docs = std::fs::read_to_string("docs/diagnostics.md").unwrap_or_default();
    let mut missing = Vec::new();
    for file in walk("src") {
        let text = std::fs::read_to_string(&file).unwrap();
        for part in text.split("code(mfapol::").skip(1) {
            let code: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let tested = this.contains(&format!("ui!({code},"))
                || this.contains(&format!("ui!(\n    {code},"))
                || this.contains(&format!("ui_event!({code},"))
                || this.contains(&format!("fn {code}()"))
                || other_ui_tests()
                    .iter()
                    .any(|t| t.contains(&format!("mfapol::{code}")));
            if !tested {
                missing.push(format!("{code}: no UI snapshot test ({})", file.display()));
            }
            if !docs.contains(&format!("## mfapol::{code}")) {
                missing.push(format!("{code}: no section in docs/diagnostics.md"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Other test files that snapshot diagnostics of their own subcommands.
fn other_ui_tests() -> Vec<String> {
    walk("tests")
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn walk(dir: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `ui_suite!(name, suite)`: snapshot of `mfapol test` on a suite next to a
/// small policy (`p.mfapolicy`, `bad.mfapolicy`) and events (`e.json`, `list.json`).
macro_rules! ui_suite {
    ($name:ident, $suite:expr) => {
        #[test]
        fn $name() {
            let dir = std::env::temp_dir().join(format!(
                "mfapol-ui-suite-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let files: &[(&str, &str)] = &[
                ("p.mfapolicy", "rule corp_directory: require mfa when connection == \"corp-ad\"\ndefault skip mfa\n"),
                ("bad.mfapolicy", "rule a: require mfa when usr.email == \"x\"\n"),
                ("e.json", "{\"connection\": {\"name\": \"other\"}, \"request\": {\"ip\": \"192.0.2.1\"}}"),
                ("list.json", "[]"),
                ("s.mfatest", $suite),
            ];
            for (n, body) in files {
                std::fs::write(dir.join(n), body).unwrap();
            }
            let out = Command::cargo_bin("mfapol")
                .unwrap()
                .current_dir(&dir)
                .env("NO_COLOR", "1")
                .args(["test", "s.mfatest"])
                .output()
                .unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(err.contains(concat!("mfapol::", stringify!($name))), "{err}");
            insta::assert_snapshot!(stringify!($name), err);
        }
    };
}

ui_suite!(
    test_syntax,
    "policy p.mfapolicy\nevent e.json\nsett ip = 192.0.2.7\n"
);
ui_suite!(
    test_missing,
    "policy p.mfapolicy\nevent e.json\ncase \"no expectation\"\n  set ip = 192.0.2.7\n"
);
ui_suite!(test_unknown_path, "policy p.mfapolicy\nevent e.json\ncase a\n  set request.geoip.continent_code = \"EU\"\n  expect skip_mfa\n");
ui_suite!(test_bad_value, "policy p.mfapolicy\nevent e.json\ncase a\n  set transaction.protocol = \"oauth2-refresh-tokn\"\n  expect skip_mfa\n");
ui_suite!(
    test_unknown_rule,
    "policy p.mfapolicy\nevent e.json\ncase a\n  expect skip_mfa\n  expect rule corp_directry\n"
);
ui_suite!(
    test_bad_expectation,
    "policy p.mfapolicy\nevent e.json\ncase a\n  expect require_mfa\n  expect factors [\"opt\"]\n"
);
ui_suite!(
    test_policy_errors,
    "policy bad.mfapolicy\nevent e.json\ncase a\n  expect skip_mfa\n"
);
ui_suite!(
    test_bad_event,
    "policy p.mfapolicy\nevent list.json\ncase a\n  expect skip_mfa\n"
);
ui_suite!(
    test_io,
    "policy p.mfapolicy\nevent missing.json\ncase a\n  expect skip_mfa\n"
);
ui_suite!(test_unread_key, "policy p.mfapolicy\nevent e.json\ncase a\n  set user.app_metadata.vpi = true\n  expect skip_mfa\n");

/// A value outside a closed set inside a list literal is underlined alone.
#[test]
fn unknown_value_in_a_list_underlines_the_element() {
    let out = run(
        b"skip mfa when transaction.protocol in [\"samlp\", \"oauth2-refresh-tokn\"]\n",
        None,
        &["check", "policy.mfapolicy"],
    );
    assert!(out.contains("mfapol::unknown_value"), "{out}");
    insta::assert_snapshot!("unknown_value_in_list", out);
}

// Help lines that must not mislead (issue 9); tests/help_lines.rs follows each.
ui!(
    metadata_not_string,
    "declare organization.metadata.mfa: bool\nrequire mfa when organization.metadata.mfa == true\n"
);
ui_as!(
    help_near_field,
    "unknown_field",
    "require mfa when request.geoip.country == \"FR\"\n"
);
ui_as!(
    help_declare_follows_use,
    "undeclared_metadata",
    "require mfa when \"admin\" in user.app_metadata.roles\n"
);
ui_as!(
    help_declare_list_for_any,
    "undeclared_metadata",
    "require mfa when any r in user.app_metadata.roles: r == \"admin\"\n"
);
ui_as!(
    help_string_map_keeps_quotes,
    "type_mismatch",
    "declare organization.metadata.flag: bool\nrequire mfa when organization.metadata.flag == \"true\"\n"
);
ui_as!(
    help_list_equals_value,
    "type_mismatch",
    "require mfa when roles == \"admin\"\n"
);
ui_as!(
    help_near_declared_key,
    "undeclared_metadata",
    "declare user.app_metadata.vip: bool\nrequire mfa when user.app_metadata.vpi\n"
);
ui_as!(
    help_declare_near_root,
    "unknown_field",
    "declare user.user_metdata.mfa: bool\nrequire mfa when true\n"
);
ui_as!(
    help_hyphenated_name,
    "unknown_name",
    "require mfa when connection == northwind-azure\n"
);
ui_as!(
    help_unquoted_codes,
    "unknown_name",
    "deny when country in [KP, IR]\n"
);
ui_as!(help_treu, "unknown_name", "require mfa when treu\n");
ui_as!(
    help_event_prefix,
    "unknown_name",
    "require mfa when event.user.email == \"a@example.com\"\n"
);
ui_as!(
    help_risk_assessment_root,
    "unknown_name",
    "require mfa when riskAssessment.confidence == \"low\"\n"
);
ui_as!(
    help_quoted_cidr,
    "type_mismatch",
    "skip mfa when ip in \"198.51.100.0/24\"\n"
);
ui_as!(
    help_quoted_cidr_let,
    "type_mismatch",
    "let office = [\"198.51.100.0/24\"]\nskip mfa when ip in office\n"
);
ui_as!(
    help_provider_is_factor,
    "unknown_provider",
    "require mfa using \"webauthn\" when true\n"
);
ui_as!(
    help_missing_and,
    "syntax",
    "require mfa when ip in 10.0.0.0/8 country == \"US\"\n"
);
ui_as!(
    help_duration_word,
    "syntax",
    "require mfa when user.created_at > now - 24hours\n"
);
ui_as!(
    help_previous_string,
    "syntax",
    "require mfa when email == \"a@example.com\" \"b\"\n"
);
ui_as!(
    closed_set_country,
    "unknown_value",
    "deny when country in [\"UK\", \"SYR\", \"ir\", \"ZZ\"]\n"
);
ui_as!(
    closed_set_strategy,
    "unknown_value",
    "require mfa when connection.strategy == \"azure-ad\"\n"
);
ui_as!(
    closed_set_continent,
    "unknown_value",
    "require mfa when continent == \"eu\"\n"
);

// Lints (issue 9): warnings with a fix that keeps the intended meaning.
ui!(
    quantifier_scope,
    "require mfa when any r in roles: r starts_with \"admin\" or email ends_with \"@contractor.example\"\n"
);
ui!(
    compared_with_id,
    "skip mfa when connection == \"con_A1b2C3d4E5f6G7h8\"\n"
);
ui!(
    deny_complement,
    "require mfa when connection == \"corp-ad\"\nskip mfa when connection == \"partner-sso\"\ndeny when not (connection == \"corp-ad\" or connection == \"partner-sso\")\n"
);
ui!(
    skip_overlap,
    "rule corp: require mfa when connection == \"corp-ad\"\nrule office: skip mfa when ip in 10.0.0.0/8\n"
);
ui!(
    unused_let,
    "let office = [203.0.113.0/24]\nrequire mfa when true\n"
);
ui!(
    unused_declare,
    "declare user.app_metadata.vip: bool\nrequire mfa when user.app_metadata.vpi == true\n"
);

/// `--deny-warnings` says why it failed.
#[test]
fn deny_warnings_says_why() {
    let out = run(
        b"let office = [203.0.113.0/24]\nrequire mfa when true\n",
        None,
        &["check", "--deny-warnings", "policy.mfapolicy"],
    );
    assert!(
        out.contains("error: --deny-warnings: 1 warning treated as error"),
        "{out}"
    );
}

/// An event with none of the fields the policy reads (here: wrapped) is
/// reported, not decided.
#[test]
fn event_unrecognised() {
    let out = run(
        b"require mfa when connection == \"corp-ad\"\n",
        Some("{\"event\": {\"connection\": {\"name\": \"corp-ad\"}}}\n"),
        &["eval", "policy.mfapolicy", "event.json"],
    );
    assert!(out.contains("mfapol::event_unrecognised"), "{out}");
    insta::assert_snapshot!("event_unrecognised", out);
}

/// An event without an optional field the policy reads is still an event.
#[test]
fn event_without_an_optional_root_is_decided() {
    let out = run(
        b"require mfa when organization == \"acme\"\n",
        Some("{\"user\": {\"user_id\": \"a\"}, \"request\": {\"ip\": \"192.0.2.1\"}}\n"),
        &["eval", "policy.mfapolicy", "event.json"],
    );
    assert!(!out.contains("mfapol::event_unrecognised"), "{out}");
}
