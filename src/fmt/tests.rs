use super::format;
use crate::syntax::parse;

/// The tree without spans: `Let`, `Rule` and `Declare` compare their spans.
fn shape(text: &str) -> String {
    let re = regex::Regex::new(r"Span \{ start: \d+, end: \d+ \}").unwrap();
    re.replace_all(&format!("{:?}", parse(text)), "Span")
        .into_owned()
}

fn fmt(text: &str) -> String {
    match format(text) {
        Ok(s) => s,
        Err(e) => panic!("does not parse: {e}\n{text}"),
    }
}

/// Formats, and checks the three properties on the way.
fn check(text: &str) -> String {
    let once = fmt(text);
    assert_eq!(shape(&once), shape(text), "meaning changed:\n{once}");
    assert_eq!(fmt(&once), once, "not idempotent");
    let before: Vec<_> = super::comments::scan(text)
        .into_iter()
        .map(|c| c.text)
        .collect();
    let after: Vec<_> = super::comments::scan(&once)
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert_eq!(before, after, "comments lost or reordered:\n{once}");
    once
}

#[test]
fn items_in_canonical_form() {
    let got = check(
        "let  a=1\ndeclare user.app_metadata.level :int ?\ndeclare user.app_metadata.tags: list < string > \n\
         default   deny\nrule   r : skip  mfa when a==1 unless a!=2",
    );
    assert_eq!(
        got,
        "let a = 1\ndeclare user.app_metadata.level: int?\ndeclare user.app_metadata.tags: list<string>\n\
         default deny\n\nrule r:\n  skip mfa when a == 1 unless a != 2\n"
    );
}

#[test]
fn every_effect_form() {
    let got = check(
        "require mfa when x\nrequire mfa using \"duo\" with remember_browser when x\n\
         require mfa using factors [\"otp\" , \"email\",] when x\ndeny when x\ndeny \"no\" when x\nskip mfa when x\n",
    );
    assert_eq!(
        got,
        "require mfa when x\n\nrequire mfa using \"duo\" with remember_browser when x\n\n\
         require mfa using factors [\"otp\", \"email\"] when x\n\ndeny when x\n\ndeny \"no\" when x\n\n\
         skip mfa when x\n"
    );
}

#[test]
fn parentheses_only_where_needed() {
    let cases = [
        // Grouping parentheses an author wrote around an `and` inside an
        // `or` stay (same meaning, easier to review); redundant ones go.
        ("(a and b) or c", "(a and b) or c"),
        ("a or (b and c)", "a or (b and c)"),
        ("a or ((b and c))", "a or (b and c)"),
        ("a or b and c", "a or b and c"),
        ("(a) and (b) or c", "a and b or c"),
        ("(a) and (\"(\" == b) or c", "a and \"(\" == b or c"),
        ("(a and b)", "a and b"),
        ("a and (b or c)", "a and (b or c)"),
        ("not (ip in office)", "not ip in office"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) == b", "(not a) == b"),
        ("a == (not b)", "a == (not b)"),
        ("a == (b == c)", "a == (b == c)"),
        ("(a == b) == c", "a == b == c"),
        ("now - (1h - 2m)", "now - (1h - 2m)"),
        ("(now - 1h) - 2m", "now - 1h - 2m"),
        ("(any m in l: m.x) and b", "(any m in l: m.x) and b"),
        (
            "b and (any m in l: m.x or c)",
            "b and (any m in l: (m.x or c))",
        ),
        (
            "b and any m in l: m.x or c",
            "b and (any m in l: (m.x or c))",
        ),
        ("not (any m in l: m.x)", "not (any m in l: m.x)"),
        (
            "any m in (l): all n in m.y: n == 1",
            "any m in l: all n in m.y: n == 1",
        ),
        ("((a))", "a"),
        ("(5).x == (::1)[0]", "(5).x == (::1)[0]"),
        ("a - -5", "a - -5"),
        ("[(a or b), f((c))]", "[a or b, f(c)]"),
    ];
    for (input, want) in cases {
        let got = check(&format!("let v = {input}"));
        assert_eq!(got, format!("let v = {want}\n"), "input: {input}");
    }
}

/// Durations keep the unit they were written in (`24h` stays `24h`, issue 9);
/// numbers and strings are canonical.
#[test]
fn literals_are_canonical() {
    let got = check("let v = [90s, 120s, 3600s, 172800s, 0d, -15m, 1.50, 2.0, 007, \"a\\u{41}\\u{7}\\\"\\\\\\n\\t#\"]");
    assert_eq!(
        got,
        "let v = [90s, 120s, 3600s, 172800s, 0d, -15m, 1.5, 2.0, 7, \"aA\\u{7}\\\"\\\\\\n\\t#\"]\n"
    );
}

#[test]
fn crlf_and_blank_lines() {
    let got =
        check("\r\n\r\n# head\r\n\r\n\r\n\r\nlet a = 1\r\nlet b = 2\r\n\r\n\r\nlet c = 3\r\n\r\n");
    assert_eq!(got, "# head\n\nlet a = 1\nlet b = 2\n\nlet c = 3\n");
}

#[test]
fn comments_lead_and_trail() {
    let got = check(
        "# top\nlet a = 1 # one\n\n# two\nrule r: # inside\n  skip mfa when a == 1 # end\n# last\n",
    );
    assert_eq!(
        got,
        "# top\nlet a = 1  # one\n\n# two\n# inside\nrule r:\n  skip mfa when a == 1  # end\n# last\n"
    );
}

#[test]
fn comments_between_operands_stay() {
    let got =
        check("require mfa when a # first\n and b\n # before c\n and c unless d # after when\n");
    assert_eq!(
        got,
        "require mfa\n    when a  # first\n        and b\n        # before c\n        and c\n    unless d  # after when\n"
    );
}

#[test]
fn comments_in_let_lists_stay() {
    let got =
        check("let office = [ # offices\n 10.0.0.0/8, # hq\n\n 192.168.0.0/16 # lab\n ] # done\n");
    assert_eq!(
        got,
        "let office = [  # offices\n    10.0.0.0/8,  # hq\n\n    192.168.0.0/16,  # lab\n]  # done\n"
    );
}

#[test]
fn comment_deep_inside_moves_above() {
    let got = check("require mfa when a and f(b, # in call\n c) and d\n");
    assert_eq!(got, "# in call\nrequire mfa when a and f(b, c) and d\n");
    // Order is kept even when an earlier comment could have stayed.
    let got = check("require mfa when a # x\n and f(b, # y\n c)\n");
    assert_eq!(got, "# x\n# y\nrequire mfa when a and f(b, c)\n");
}

#[test]
fn long_conditions_break_at_top_level() {
    let long = "rule r: require mfa using \"duo\" when connection == \"corp-ad\" and user.app_metadata.department in [\"finance\", \"hr\"] and not ip in office unless user.app_metadata.exempt == true";
    let got = check(long);
    assert_eq!(
        got,
        "rule r:\n  require mfa using \"duo\"\n      when connection == \"corp-ad\"\n          and user.app_metadata.department in [\"finance\", \"hr\"]\n          and not ip in office\n      unless user.app_metadata.exempt == true\n"
    );
    let list: Vec<String> = (0..12).map(|i| format!("10.{i}.0.0/16")).collect();
    let got = check(&format!("let l = [{}]", list.join(",")));
    assert!(got.starts_with("let l = [\n    10.0.0.0/16,\n"), "{got}");
    assert!(got.ends_with("    10.11.0.0/16,\n]\n"), "{got}");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(check(""), "");
    assert_eq!(check("  \n\n"), "");
    assert_eq!(check("# a\n\n\n# b"), "# a\n\n# b\n");
}

#[test]
fn syntax_errors_are_returned() {
    assert!(format("rule : skip mfa").is_err());
}

#[test]
fn comment_after_effect_stays_on_its_line() {
    let got = check("rule r: require mfa # why\n  when a\n");
    assert_eq!(got, "rule r:\n  require mfa  # why\n      when a\n");
    let got = check("rule r: require mfa\n # why\n  when a\n");
    assert_eq!(got, "rule r:\n  require mfa\n      # why\n      when a\n");
}

#[test]
fn deepest_accepted_input_formats() {
    let n = crate::syntax::MAX_DEPTH - 4;
    let cases = [
        format!("let v = {}a{}", "(a and ".repeat(n), ")".repeat(n)),
        format!("let v = {}a", "not ".repeat(n)),
        format!("let v = {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("let v = {}a{}", "(any m in l: ".repeat(n), ")".repeat(n)),
        format!("let v = a{}", " - 1".repeat(n)),
    ];
    for text in cases {
        assert!(parse(&text).is_ok(), "{text}");
        check(&text);
    }
}
