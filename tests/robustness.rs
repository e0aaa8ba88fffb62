//! Nothing panics on hostile input: token soups and random bytes through
//! parse, check, format and evaluation; random JSON events through every
//! shipped policy (where the fast path must still agree with the full one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use mfapol::eval::{self, Projection};
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use proptest::prelude::*;
use serde_json::Value;

const TOKENS: &[&str] = &[
    "rule",
    "r",
    "let",
    "x",
    "declare",
    "default",
    "require",
    "skip",
    "deny",
    "mfa",
    "when",
    "unless",
    "using",
    "factors",
    "with",
    "remember_browser",
    "and",
    "or",
    "not",
    "in",
    "any",
    "all",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "now",
    "true",
    "false",
    "null",
    ":",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "?",
    "user",
    "request",
    "ip",
    "country",
    "email",
    "roles",
    "connection",
    "organization",
    "user.app_metadata.vip",
    "authentication.methods",
    "m",
    "m.name",
    "\"corp-ad\"",
    "\"otp\"",
    "\"guardian\"",
    "\"\\u{41}\"",
    "\"\\q\"",
    "\"unterminated",
    "203.0.113.0/24",
    "10.1.2.3/8",
    "300.1.1.1",
    "::ffff:1.2.3.4",
    "2001:db8::/32",
    "15m",
    "7d",
    "42",
    "-1",
    "1.5",
    "99999999999999999999",
    "len(",
    "lower(",
    "exists(",
    "#c\n",
    "\n",
    "\r\n",
    " ",
    "\u{feff}",
    "é",
    "\0",
    "list<",
    "string",
    "bool",
    "int",
    "?",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)
        .prop_map(|toks| toks.join(" "))
}

const SUITE_LINES: &[&str] = &[
    "policy p.mfapolicy",
    "policy missing.mfapolicy",
    "event e.json",
    "event bad.json",
    "now 2025-06-01T00:00:00Z",
    "now yesterday",
    "case \"a\":",
    "case b",
    "case \"a\":",
    "  set request.ip = 192.0.2.7",
    "  set ip = 999.1.1.1",
    "  set user.app_metadata.vip = true",
    "  set user.identities[0].connection = \"x\"",
    "  set user.identities[99999999999] = 1",
    "  set authorization.roles = [\"admin\", 3]",
    "  set x = json {\"a\": [1",
    "  unset user.email",
    "  unset request",
    "  set transaction.protocol = \"oauth2-refresh-tokn\"",
    "  set = 1",
    "  expect require_mfa",
    "  expect skip_mfa",
    "  expect deny \"no\"",
    "  expect none",
    "  expect rule r",
    "  expect rule default",
    "  expect rule line 1",
    "  expect provider duo",
    "  expect factors [\"opt\"]",
    "  expect remember_browser",
    "  expect applied [r, nope]",
    "  expect errors",
    "  expect no errors",
    "  expect",
    "sett ip = 1",
    "# comment",
    "",
    "\u{feff}",
    "é",
    "\"unterminated",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(|f| serde_json::json!(f)),
        "[a-z0-9:./@-]{0,12}".prop_map(Value::String),
        Just(Value::String("203.0.113.9".into())),
        Just(Value::String("2025-01-01T00:00:00Z".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("user".to_string()),
                        Just("request".to_string()),
                        Just("ip".to_string()),
                        Just("connection".to_string()),
                        Just("name".to_string()),
                        Just("app_metadata".to_string()),
                        Just("require_mfa".to_string()),
                        Just("geoip".to_string()),
                        Just("countryCode".to_string()),
                        Just("methods".to_string()),
                        Just("authentication".to_string()),
                        Just("organization".to_string()),
                        Just("type".to_string()),
                        Just("data".to_string()),
                        Just("detail".to_string()),
                        Just("details".to_string()),
                        Just("prompts".to_string()),
                        Just("location_info".to_string()),
                        Just("date".to_string()),
                        Just("logs".to_string()),
                        "[a-z]{1,6}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn shipped_policies() -> Vec<mfapol::ir::Policy> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("policies").unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "mfapolicy") {
            let text = std::fs::read_to_string(&p).unwrap();
            let src = SourceFile::new(p.display().to_string(), text);
            out.push(
                mfapol::compile_with(&src, schema::auth0_post_login(), &mut common::read_include)
                    .policy
                    .unwrap(),
            );
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=N runs more, for a longer hunt.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn token_soup_never_panics(text in soup()) {
        let src = SourceFile::new("soup.mfapolicy", text.as_str());
        let compiled = compile(&src, schema::auth0_post_login());
        if let Some(policy) = compiled.policy {
            let event = serde_json::json!({"request": {"ip": "203.0.113.9"}, "user": {"email": "a@b"}});
            let full = eval::evaluate(&policy, &event, 0);
            prop_assert_eq!(eval::decide(&policy, &event, 0).kind, full.kind);
            let _ = eval::explain(&policy, &event, 0);
        }
        if let Ok(formatted) = mfapol::fmt::format(&text) {
            prop_assert!(mfapol::syntax::parse(&formatted).is_ok(), "{}", formatted);
        }
    }

    #[test]
    fn suite_soup_never_panics(lines in proptest::collection::vec(proptest::sample::select(SUITE_LINES), 0..25)) {
        let text = lines.join("\n");
        let mut loader = |path: &str| -> Result<mfapol::testing::Loaded, String> {
            let text = match path {
                "p.mfapolicy" => "rule r: require mfa when ip in 192.0.2.0/24\ndefault skip mfa\n",
                "e.json" => "{\"request\": {\"ip\": \"198.51.100.1\"}, \"user\": {\"identities\": []}}",
                "bad.json" => "[1",
                _ => return Err(format!("cannot read `{path}`")),
            };
            Ok(mfapol::testing::Loaded { name: path.to_string(), text: text.to_string() })
        };
        let src = SourceFile::new("s.mfatest", text.as_str());
        let _ = mfapol::testing::run_suite(&src, &mut loader, schema::auth0_post_login(), 0);
    }

    #[test]
    fn random_log_lines_never_panic(entry in json_value(), kind in prop_oneof![Just("s"), Just("ssa"), Just("f"), Just("gd_auth_succeed")]) {
        let mut line = entry;
        if let Value::Object(m) = &mut line {
            m.insert("type".into(), Value::String(kind.into()));
        }
        for wrapped in [line.clone(), serde_json::json!({"log_id": "1", "data": line.clone()}), serde_json::json!([line.clone(), 1])] {
            let text = wrapped.to_string();
            let _ = mfapol::replay::read_line(text.as_bytes(), mfapol::replay::InputKind::Auth0Logs);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = compile(&SourceFile::new("b", text.as_ref()), schema::auth0_post_login());
        let _ = eval::parse_event(&text);
    }

    #[test]
    fn random_events_never_panic_and_fast_paths_agree(event in json_value()) {
        let text = event.to_string();
        for policy in shipped_policies() {
            let Ok(full_event) = eval::parse_event(&text) else { continue };
            let full = eval::evaluate(&policy, &full_event, 1_750_000_000_000);
            let fast = eval::decide(&policy, &full_event, 1_750_000_000_000);
            prop_assert_eq!(fast.kind, full.kind);
            let projected = Projection::new(&policy).parse(&text).unwrap();
            prop_assert_eq!(eval::evaluate(&policy, &projected, 1_750_000_000_000), full);
        }
    }
}
