use super::*;
use crate::eval::DecisionKind;
use crate::schema;
use serde_json::json;

fn parse_ok(text: &str) -> Suite {
    let (suite, errors) = parse_suite(text);
    assert!(errors.is_empty(), "{errors:?}");
    suite
}

fn first_error(text: &str) -> TestError {
    let (_, errors) = parse_suite(text);
    errors.into_iter().next().expect("an error")
}

#[test]
fn parses_directives_cases_overrides_and_expectations() {
    let s = parse_ok(
        "# a comment\npolicy corp.mfapolicy\nevent \"events/a b.json\"\nnow 2025-01-31T09:00:00Z\n\
         set user.app_metadata.vip = false\n\n\
         case \"outside the office\":\n  set request.ip = 192.0.2.7 # trailing comment\n  unset user.email\n\
         \x20 expect require_mfa\n  expect rule corp_directory\n  expect provider \"guardian\"\n\
         case second\n  now 2025-02-01T00:00:00Z\n  event other.json\n  expect deny \"no # here\"\n  expect no errors\n",
    );
    assert_eq!(
        s.policy.as_ref().map(|p| p.value.as_str()),
        Some("corp.mfapolicy")
    );
    assert_eq!(
        s.event.as_ref().map(|p| p.value.as_str()),
        Some("events/a b.json")
    );
    assert_eq!(s.now.as_ref().map(|n| n.value), Some(1_738_314_000_000));
    assert_eq!(s.setup.len(), 1);
    assert_eq!(s.cases.len(), 2);
    let c = &s.cases[0];
    assert_eq!(c.name, "outside the office");
    assert_eq!(c.line, 7);
    assert_eq!(c.overrides.len(), 2);
    assert_eq!(c.overrides[0].path_text, "request.ip");
    assert!(c.overrides[1].value.is_none());
    let ex: Vec<&Expect> = c.expects.iter().map(|e| &e.value).collect();
    assert_eq!(
        ex,
        [
            &Expect::Decision(DecisionKind::RequireMfa),
            &Expect::Rule(RuleRef::Named("corp_directory".into())),
            &Expect::Provider("guardian".into()),
        ]
    );
    let c = &s.cases[1];
    assert_eq!(c.name, "second");
    assert!(c.now.is_some() && c.event.is_some());
    let ex: Vec<&Expect> = c.expects.iter().map(|e| &e.value).collect();
    assert_eq!(
        ex,
        [
            &Expect::Decision(DecisionKind::Deny),
            &Expect::Reason(Some("no # here".into())),
            &Expect::Errors(false),
        ]
    );
}

#[test]
fn parses_every_expectation_form() {
    let s = parse_ok(
        "case a\n expect require mfa\n expect skip mfa\n expect none\n expect skip_mfa\n expect rule default\n\
         expect rule none\n expect rule line 12\n expect rule \"default\"\n expect factors [\"otp\", \"email\"]\n\
         expect remember_browser\n expect remember_browser false\n expect reason null\n expect errors\n\
         expect applied [a, \"line 3\"]\n expect applied []\n",
    );
    let ex: Vec<Expect> = s.cases[0].expects.iter().map(|e| e.value.clone()).collect();
    assert_eq!(ex[0], Expect::Decision(DecisionKind::RequireMfa));
    assert_eq!(ex[1], Expect::Decision(DecisionKind::SkipMfa));
    assert_eq!(ex[2], Expect::Decision(DecisionKind::None));
    assert_eq!(ex[4], Expect::Rule(RuleRef::Default));
    assert_eq!(ex[5], Expect::Rule(RuleRef::None));
    assert_eq!(ex[6], Expect::Rule(RuleRef::Named("line 12".into())));
    assert_eq!(ex[7], Expect::Rule(RuleRef::Named("default".into())));
    let Expect::Factors(fs) = &ex[8] else {
        panic!("{:?}", ex[8])
    };
    assert_eq!(
        fs.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(),
        ["otp", "email"]
    );
    assert_eq!(ex[9], Expect::RememberBrowser(true));
    assert_eq!(ex[10], Expect::RememberBrowser(false));
    assert_eq!(ex[11], Expect::Reason(None));
    assert_eq!(ex[12], Expect::Errors(true));
    let Expect::Applied(a) = &ex[13] else {
        panic!()
    };
    assert_eq!(
        a.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(),
        ["a", "line 3"]
    );
    assert_eq!(ex[14], Expect::Applied(vec![]));
}

#[test]
fn json_values_and_crlf() {
    let s = parse_ok(
        "case a\r\n  set user.enrolledFactors = json [{\"type\": \"otp\"}]\r\n  expect none\r\n",
    );
    let Some(OverrideValue::Json(j)) = &s.cases[0].overrides[0].value else {
        panic!()
    };
    assert_eq!(j.value, json!([{"type": "otp"}]));
}

#[test]
fn syntax_errors_have_codes_spans_and_help() {
    let e = first_error("polcy x.mfapolicy\n");
    assert_eq!(e.code_str(), "mfapol::test_syntax");
    assert_eq!(
        miette::Diagnostic::help(&e).map(|h| h.to_string()),
        Some("did you mean `policy`?".into())
    );
    let e = first_error("case a\n  set ip 1.2.3.4\n  expect none\n");
    assert!(e.to_string().contains("set PATH = VALUE"), "{e}");
    let e = first_error("case a\n  set ip == 1.2.3.4\n  expect none\n");
    assert!(e.to_string().contains("`==`"), "{e}");
    let e = first_error("case a\n  expect maybe\n");
    assert_eq!(e.code_str(), "mfapol::test_syntax");
    let e = first_error("expect none\n");
    assert!(e.to_string().contains("outside a case"), "{e}");
    let e = first_error("case a\n  expect deny blocked\n");
    assert!(e.to_string().contains("quoted"), "{e}");
    let e = first_error("now yesterday\n");
    assert_eq!(e.code_str(), "mfapol::test_bad_value");
    let e = first_error("case a\n  set user.email = json {\"a\":\n  expect none\n");
    assert_eq!(e.code_str(), "mfapol::test_bad_value");
    let e = first_error("case a\n  set request.ip = (1\n  expect none\n");
    assert_eq!(e.code_str(), "mfapol::test_syntax");
}

#[test]
fn spans_point_into_the_suite() {
    let text = "case a\n  set request.ip = )\n  expect none\n";
    let e = first_error(text);
    let label = miette::Diagnostic::labels(&e)
        .and_then(|mut l| l.next())
        .expect("a label");
    assert_eq!(&text[label.offset()..label.offset() + 1], ")");
}

#[test]
fn structural_errors() {
    let e = first_error("case a\n  set ip = 1.2.3.4\n");
    assert_eq!(e.code_str(), "mfapol::test_missing");
    let (_, errors) = parse_suite("case a\n expect none\ncase a\n expect none\n");
    assert!(errors[0].to_string().contains("duplicate case name"));
    let (_, errors) = parse_suite("policy a\npolicy b\n");
    assert!(errors[0].to_string().contains("twice"));
    let (_, errors) = parse_suite("case a\n policy b\n expect none\n");
    assert!(errors[0].to_string().contains("before the first case"));
    let (_, errors) = parse_suite("case\n");
    assert!(errors[0].to_string().contains("needs a name"));
}

#[test]
fn nothing_panics_on_odd_input() {
    for text in [
        "",
        "\n\n",
        "#",
        "\"",
        "case \"",
        "set",
        "set =",
        "set = 1",
        "unset",
        "expect",
        "case a\nexpect rule",
        "case a\nexpect factors",
        "case a\nexpect factors [1]",
        "case é\nset é = é\nexpect none",
        "now",
        "case a\nset a[99999999999999999999] = 1\nexpect none",
        "\u{0}",
        "case a\n expect provider",
    ] {
        let _ = parse_suite(text);
    }
}

fn target(policy: &str, line: &str) -> Result<Target, Vec<TestError>> {
    let (suite, errors) = parse_suite(&format!("case a\n  {line}\n  expect none\n"));
    assert!(errors.is_empty(), "{errors:?}");
    let ast = crate::syntax::parse(policy).expect("policy parses");
    check_override(
        &ast,
        schema::auth0_post_login(),
        &suite.cases[0].overrides[0],
    )
}

#[test]
fn override_values_fit_field_types() {
    let p = "declare user.app_metadata.vip: bool\ndeclare user.app_metadata.tags: list<string>\n";
    for ok in [
        "set request.ip = 192.0.2.7",
        "set ip = \"2001:db8::1\"",
        "set user.app_metadata.vip = true",
        "set user.app_metadata.tags = [\"a\", \"b\"]",
        "set user.app_metadata.anything = [1, \"x\", true]",
        "set connection = \"corp-ad\"",
        "set roles = []",
        "set user.created_at = now - 7d",
        "set user.created_at = \"2025-01-01T00:00:00Z\"",
        "set request.geoip.latitude = 52",
        "set user.email = null",
        "set transaction.protocol = \"oauth2-refresh-token\"",
        "set user.multifactor = [\"guardian\"]",
        "set user.identities[0].connection = \"corp-ad\"",
        "set request.ip = json \"not-an-ip\"",
    ] {
        assert!(target(p, ok).is_ok(), "{ok}: {:?}", target(p, ok));
    }
    for (bad, code) in [
        ("set request.ip = 300.1.1.1", "mfapol::test_bad_value"),
        ("set request.ip = \"nope\"", "mfapol::test_bad_value"),
        (
            "set user.app_metadata.vip = \"true\"",
            "mfapol::test_bad_value",
        ),
        (
            "set user.app_metadata.tags = [\"a\", 1]",
            "mfapol::test_bad_value",
        ),
        ("set stats.logins_count = 1.5", "mfapol::test_bad_value"),
        (
            "set user.created_at = \"yesterday\"",
            "mfapol::test_bad_value",
        ),
        (
            "set user.created_at = now - user.created_at",
            "mfapol::test_bad_value",
        ),
        (
            "set transaction.protocol = \"oauth2-refresh-tokn\"",
            "mfapol::test_bad_value",
        ),
        ("set user.app_metadata = 3", "mfapol::test_bad_value"),
        (
            "set request.geoip.continent_code = \"EU\"",
            "mfapol::test_unknown_path",
        ),
        ("set usr.email = \"a\"", "mfapol::test_unknown_path"),
        ("set secrets.key = \"a\"", "mfapol::test_unknown_path"),
        ("set lower(email) = \"a\"", "mfapol::test_unknown_path"),
    ] {
        let errs = target(p, bad).expect_err(bad);
        assert_eq!(errs[0].code_str(), code, "{bad}: {errs:?}");
    }
}

#[test]
fn overrides_create_missing_objects_and_lists() {
    let t = target("", "set organization.metadata.tier = \"gold\"").unwrap();
    let mut ev = json!({"user": {}});
    apply(&mut ev, &t, 0).unwrap();
    assert_eq!(ev["organization"], json!({"metadata": {"tier": "gold"}}));
    let t = target("", "set connection = \"corp-ad\"").unwrap();
    apply(&mut ev, &t, 0).unwrap();
    assert_eq!(ev["connection"], json!({"name": "corp-ad"}));
    let t = target("", "set authentication.methods[1].name = \"mfa\"").unwrap();
    let mut ev = json!({"authentication": {"methods": [{"name": "pwd"}]}});
    apply(&mut ev, &t, 0).unwrap();
    assert_eq!(
        ev["authentication"]["methods"],
        json!([{"name": "pwd"}, {"name": "mfa"}])
    );
    let t = target("", "set user.created_at = now - 1d").unwrap();
    apply(&mut ev, &t, 86_400_000 * 2).unwrap();
    assert_eq!(ev["user"]["created_at"], json!("1970-01-02T00:00:00.000Z"));
    let t = target("", "unset user.email").unwrap();
    let mut ev = json!({"user": {"email": "a@b", "name": "a"}});
    apply(&mut ev, &t, 0).unwrap();
    assert_eq!(ev, json!({"user": {"name": "a"}}));
    let t = target("", "unset organization.metadata").unwrap();
    apply(&mut ev, &t, 0).unwrap();
    assert_eq!(
        ev,
        json!({"user": {"name": "a"}}),
        "unsetting an absent path changes nothing"
    );
    let t = target("", "set user.email = \"x\"").unwrap();
    let mut ev = json!({"user": "not an object"});
    assert!(apply(&mut ev, &t, 0).is_err());
    let t = target("", "set user.identities[4000000000].connection = \"x\"").unwrap();
    let mut ev = json!({"user": {"identities": []}});
    let err = apply(&mut ev, &t, 0).unwrap_err();
    assert!(err.contains("set position 0 to append"), "{err}");
    let t = target("", "set user.multifactor[1] = \"duo\"").unwrap();
    let mut ev = json!({"user": {"multifactor": ["guardian"]}});
    apply(&mut ev, &t, 0).unwrap();
    assert_eq!(ev["user"]["multifactor"], json!(["guardian", "duo"]));
}
