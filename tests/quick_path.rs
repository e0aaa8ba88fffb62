//! The interpreter decides comparisons of one field with constants in
//! place (`src/eval/interp/quick.rs`) unless it is explaining; `explain`
//! always takes the general path. So on every policy and event, `evaluate`
//! must equal `explain`'s decision exactly: kind, deciding rule, every
//! applying rule and every run-time error with its message, path and span.
//! Random policies over the shapes the quick path takes (and some it does
//! not), random events whose fields are absent, null, well-typed, misfits,
//! or reached through a non-object.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::eval;
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const DECLARES: &str = "declare user.app_metadata.flag: bool\n\
declare user.app_metadata.name: string\n\
declare user.app_metadata.level: int\n";

/// Comparisons the quick path decides, and a few it leaves to the general path.
const ATOMS: &[&str] = &[
    "connection == \"corp-ad\"",
    "connection != \"corp-ad\"",
    "\"corp-ad\" == connection",
    "continent != \"EU\"",
    "country == \"US\"",
    "user.app_metadata.flag == true",
    "user.app_metadata.flag != false",
    "false == user.app_metadata.flag",
    "user.user_metadata.dyn == \"x\"",
    "user.user_metadata.dyn != true",
    "\"x\" == user.user_metadata.dyn",
    "organization in [\"acme\", \"beta\"]",
    "organization not in [\"acme\"]",
    "user.app_metadata.name in [\"ann\", \"bob\"]",
    "user.app_metadata.name not in [\"ann\"]",
    "ip in 10.0.0.0/8",
    "not ip in [203.0.113.0/24, 2001:db8::/32]",
    "ip not in [10.0.0.1, 10.0.0.0/8]",
    "user.user_metadata.dyn in 10.0.0.0/8",
    "transaction.protocol == \"samlp\"",
    // Left to the general path.
    "user.app_metadata.level == 3",
    "user.app_metadata.name starts_with \"a\"",
    "user.user_metadata.dyn",
    "exists(user.email)",
];

const EFFECTS: &[&str] = &[
    "require mfa",
    "skip mfa",
    "deny \"no\"",
    "exempt",
    "require mfa using \"duo\"",
];

fn condition() -> impl Strategy<Value = String> {
    let atom = proptest::sample::select(ATOMS).prop_map(String::from);
    atom.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            inner.prop_map(|x| format!("not ({x})")),
        ]
    })
}

fn policy() -> impl Strategy<Value = String> {
    let rule = (
        proptest::sample::select(EFFECTS),
        condition(),
        proptest::option::of(condition()),
    );
    (
        proptest::collection::vec(rule, 1..5),
        proptest::option::of(proptest::sample::select(EFFECTS)),
    )
        .prop_map(|(rules, default)| {
            let mut p = String::from(DECLARES);
            if let Some(d) = default {
                if d != "exempt" {
                    p.push_str(&format!("default {d}\n"));
                }
            }
            for (i, (effect, when, unless)) in rules.into_iter().enumerate() {
                p.push_str(&format!("rule r{i}: {effect} when {when}"));
                if let Some(u) = unless {
                    p.push_str(&format!(" unless {u}"));
                }
                p.push('\n');
            }
            p
        })
}

/// A value for a leaf: absent (`None`), null, typed, or a misfit.
fn leaf(typed: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    let mut all = vec![None, Some(Value::Null)];
    all.extend(typed.into_iter().map(Some));
    all.extend(
        [
            json!(5),
            json!(true),
            json!("x"),
            json!(["a"]),
            json!({"a": 1}),
        ]
        .into_iter()
        .map(Some),
    );
    proptest::sample::select(all)
}

fn event() -> impl Strategy<Value = Value> {
    (
        leaf(vec![json!("corp-ad"), json!("other")]),
        leaf(vec![json!("EU"), json!("NA")]),
        leaf(vec![json!(true), json!(false)]),
        leaf(vec![json!("x"), json!("10.1.2.3"), json!("not an ip")]),
        leaf(vec![json!("acme"), json!("zeta")]),
        leaf(vec![json!("ann"), json!("carl")]),
        leaf(vec![
            json!("10.0.0.1"),
            json!("203.0.113.9"),
            json!("::ffff:203.0.113.9"),
            json!("2001:db8::1"),
            json!("nope"),
        ]),
        leaf(vec![json!("samlp"), json!("oidc-basic-profile")]),
        // Containers that are not objects where the schema has objects.
        proptest::sample::select(vec![0u8, 1, 2, 3, 4, 5]),
    )
        .prop_map(|(conn, cont, flag, dynv, org, name, ip, proto, broken)| {
            let mut e = json!({
                "connection": {}, "request": {"geoip": {}}, "user": {"app_metadata": {}, "user_metadata": {}},
                "transaction": {}
            });
            let mut put = |path: &[&str], v: Option<Value>| {
                let Some(v) = v else { return };
                let mut cur = &mut e;
                for k in &path[..path.len() - 1] {
                    cur = cur
                        .as_object_mut()
                        .unwrap()
                        .entry(k.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                cur.as_object_mut()
                    .unwrap()
                    .insert(path[path.len() - 1].to_string(), v);
            };
            put(&["connection", "name"], conn);
            put(&["request", "geoip", "continentCode"], cont.clone());
            put(&["request", "geoip", "countryCode"], cont.map(|_| json!("US")));
            put(&["user", "app_metadata", "flag"], flag);
            put(&["user", "user_metadata", "dyn"], dynv);
            put(&["organization", "name"], org);
            put(&["user", "app_metadata", "name"], name);
            put(&["request", "ip"], ip);
            put(&["transaction", "protocol"], proto);
            match broken {
                1 => e["connection"] = json!("corp-ad"),
                2 => e["user"]["app_metadata"] = json!([1]),
                3 => e["request"] = json!(5),
                4 => e["organization"] = json!("acme"),
                5 => e["user"] = Value::Null,
                _ => {}
            }
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn quick_and_general_paths_decide_alike(text in policy(), events in proptest::collection::vec(event(), 1..6)) {
        let compiled = compile(&SourceFile::new("p", text.as_str()), schema::auth0_post_login());
        let Some(p) = compiled.policy else {
            panic!("generated policy does not check: {text}\n{:?}", compiled.diagnostics);
        };
        for e in &events {
            let now = 1_750_000_000_000;
            let quick = eval::evaluate(&p, e, now);
            let general = eval::explain(&p, e, now).decision;
            prop_assert_eq!(&quick, &general, "{}\n{}", text, e);
            let fast = eval::decide(&p, e, now);
            prop_assert_eq!(fast.kind, quick.kind);
            prop_assert_eq!(fast.deciding, quick.deciding);
        }
    }
}
