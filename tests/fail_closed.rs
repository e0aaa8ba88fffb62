//! SPEC §7, as a property: a run-time error never makes a decision weaker
//! than the same event with the offending value removed or replaced by a
//! well-typed value. Random policies over typed, declared and dynamic
//! fields; random events whose values are absent, well-typed or misfits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::eval::{self, DecisionKind};
use mfapol::source::SourceFile;
use mfapol::{compile, schema};
use proptest::prelude::*;
use serde_json::{json, Value};

const DECLARES: &str = "declare user.app_metadata.level: int\n\
declare user.app_metadata.flag: bool\n\
declare user.app_metadata.name: string\n\
declare user.app_metadata.roles: list<string>\n\
declare user.app_metadata.grace: duration\n\
declare user.app_metadata.nets: list<cidr>\n";

/// Conditions over every field below; some can raise on a misfit.
const ATOMS: &[&str] = &[
    "user.app_metadata.level > 2",
    "user.app_metadata.level == 3",
    "user.app_metadata.flag",
    "user.app_metadata.name == \"ann\"",
    "user.app_metadata.name starts_with \"a\"",
    "\"admin\" in user.app_metadata.roles",
    "(any r in user.app_metadata.roles: r ends_with \"ops\")",
    "(all r in user.app_metadata.roles: r != \"guest\")",
    "now - user.app_metadata.grace > user.created_at",
    "ip in user.app_metadata.nets",
    "ip in 10.0.0.0/8",
    "stats.logins_count < 3",
    "user.email ends_with \"@corp.example\"",
    "user.user_metadata.dyn == \"x\"",
    "user.user_metadata.dyn > 3",
    "user.user_metadata.dyn",
    "lower(user.app_metadata.name) == \"ann\"",
];

/// (path, well-typed values, misfits)
fn fields() -> Vec<(&'static str, Vec<Value>, Vec<Value>)> {
    vec![
        (
            "user.app_metadata.level",
            vec![json!(1), json!(3), json!(7)],
            vec![json!("3"), json!(true), json!(2.5)],
        ),
        (
            "user.app_metadata.flag",
            vec![json!(true), json!(false)],
            vec![json!("true"), json!(1)],
        ),
        (
            "user.app_metadata.name",
            vec![json!("ann"), json!("bob")],
            vec![json!(5), json!(["ann"])],
        ),
        (
            "user.app_metadata.roles",
            vec![
                json!(["admin"]),
                json!(["devops", "x"]),
                json!([]),
                json!(["guest"]),
            ],
            vec![json!("admin"), json!([5, "admin"]), json!(["admin", 5])],
        ),
        (
            "user.app_metadata.grace",
            vec![json!(60), json!(-86400), json!(1e9)],
            vec![json!("1h"), json!(-1e18), json!(1e300)],
        ),
        (
            "user.app_metadata.nets",
            vec![
                json!(["10.0.0.0/8"]),
                json!(["::ffff:10.0.0.0/104"]),
                json!(["192.0.2.0/24"]),
            ],
            vec![json!(["nope"]), json!("10.0.0.0/8")],
        ),
        (
            "request.ip",
            vec![
                json!("10.1.2.3"),
                json!("192.0.2.7"),
                json!("::ffff:10.9.9.9"),
                json!("2001:db8::1"),
            ],
            vec![json!("not-an-ip"), json!(7)],
        ),
        (
            "stats.logins_count",
            vec![json!(1), json!(10)],
            vec![json!("1"), json!(null)],
        ),
        (
            "user.email",
            vec![json!("a@corp.example"), json!("b@else.example")],
            vec![json!(3)],
        ),
        (
            "user.created_at",
            vec![json!("2025-01-01T00:00:00Z"), json!("2025-06-01T11:59:00Z")],
            vec![json!("yesterday"), json!(5)],
        ),
        (
            "user.user_metadata.dyn",
            vec![json!("x"), json!(5), json!(true)],
            vec![json!({"a": 1}), json!([1])],
        ),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(ATOMS).prop_map(String::from);
    atom.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| format!("not ({c})")),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            prop::collection::vec(inner, 2..4).prop_map(|v| format!("({})", v.join(" or "))),
        ]
    })
}

fn rule() -> impl Strategy<Value = String> {
    let effect = prop::sample::select(
        &[
            "skip mfa",
            "require mfa",
            "require mfa using factors [\"otp\"]",
            "require mfa with remember_browser",
            "enroll mfa using factors [\"otp\"]",
            "require mfa using factors [\"otp\"] then enroll using factors [\"phone\"]",
            "exempt",
            "deny",
        ][..],
    );
    (effect, condition(), prop::option::of(condition())).prop_map(|(e, w, u)| match u {
        Some(u) => format!("{e} when {w} unless {u}"),
        None => format!("{e} when {w}"),
    })
}

fn policy_text() -> impl Strategy<Value = String> {
    let default = prop::sample::select(&["", "default skip mfa\n", "default require mfa\n"][..]);
    (prop::collection::vec(rule(), 1..5), default).prop_map(|(rules, d)| {
        let mut text = String::from(DECLARES);
        for (i, r) in rules.iter().enumerate() {
            text.push_str(&format!("rule r{i}: {r}\n"));
        }
        text + d
    })
}

/// For each field: absent, a well-typed value or a misfit.
fn event() -> impl Strategy<Value = Value> {
    let choices: Vec<_> = fields()
        .into_iter()
        .map(|(path, good, bad)| {
            let mut options: Vec<Option<Value>> = vec![None];
            options.extend(good.into_iter().map(Some));
            options.extend(bad.into_iter().map(Some));
            (Just(path), prop::sample::select(options))
        })
        .collect();
    choices.prop_map(|picked| {
        let mut e = json!({});
        for (path, v) in picked {
            if let Some(v) = v {
                set(&mut e, path, Some(v));
            }
        }
        e
    })
}

fn get<'v>(e: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(e, |cur, k| cur.get(k))
}

fn set(e: &mut Value, path: &str, v: Option<Value>) {
    let keys: Vec<&str> = path.split('.').collect();
    let (last, parents) = keys.split_last().unwrap();
    let mut cur = e;
    for k in parents {
        if !cur.get(*k).is_some_and(Value::is_object) {
            cur[*k] = json!({});
        }
        cur = cur.get_mut(*k).unwrap();
    }
    let obj = cur.as_object_mut().unwrap();
    match v {
        Some(v) => {
            obj.insert(last.to_string(), v);
        }
        None => {
            obj.remove(*last);
        }
    }
}

fn strength(k: DecisionKind) -> u8 {
    match k {
        DecisionKind::Deny => 3,
        DecisionKind::RequireMfa | DecisionKind::EnrollMfa => 2,
        _ => 1,
    }
}

const NOW: i64 = 1_748_779_200_000; // 2025-06-01T12:00:00Z

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn an_error_never_weakens_a_decision(text in policy_text(), e in event()) {
        let compiled = compile(&SourceFile::new("p.mfapolicy", text.as_str()), schema::auth0_post_login());
        let p = compiled.policy.unwrap_or_else(|| panic!("{text}\n{:?}", compiled.diagnostics));
        let d = eval::evaluate(&p, &e, NOW);
        prop_assert_eq!(eval::decide(&p, &e, NOW).kind, d.kind);
        let all = fields();
        for err in &d.errors {
            let Some(path) = err.path.as_deref() else { continue };
            // The field the error is about. A typed field's misfit raises at
            // every read, so removing or fixing it changes only what the
            // error decided; a `dynamic` value may be read fine elsewhere
            // (equality is total), so it is not an offending value as such.
            let Some((field, good, _)) = all
                .iter()
                .filter(|(f, _, _)| !f.starts_with("user.user_metadata"))
                .find(|(f, _, _)| path.starts_with(f) || f.starts_with(path))
            else {
                continue;
            };
            // A list with a misfit element: the element is the offending
            // value, not the list (`"admin" in roles` may match before it
            // reaches the misfit), so only the element is replaced with each
            // well-typed element, or dropped.
            let good_elems: Vec<&Value> =
                good.iter().filter_map(Value::as_array).flatten().collect();
            let current = get(&e, field);
            let misfit_elems = current
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| !good_elems.contains(&x)));
            let mut variants = Vec::new();
            if misfit_elems {
                let items = current.and_then(Value::as_array).cloned().unwrap_or_default();
                let fine = |x: &Value| good_elems.contains(&x);
                variants.push(Some(Value::Array(items.iter().filter(|x| fine(x)).cloned().collect())));
                for g in &good_elems {
                    variants.push(Some(Value::Array(
                        items.iter().map(|x| if fine(x) { x.clone() } else { (*g).clone() }).collect(),
                    )));
                }
            } else {
                variants.push(None);
                variants.extend(good.iter().cloned().map(Some));
            }
            for v in variants {
                let mut fixed = e.clone();
                set(&mut fixed, field, v.clone());
                let other = eval::evaluate(&p, &fixed, NOW);
                prop_assert!(
                    strength(d.kind) >= strength(other.kind),
                    "{}\nevent {}\nwith the error ({}): {:?}\nwith {} = {:?}: {:?}",
                    text, e, err.message, d.kind, field, v, other.kind
                );
            }
        }
    }
}
