//! CI output formats for `check`: GitHub Actions annotations and SARIF 2.1.0.
//! Both are built from the documented JSON diagnostic records.

use serde_json::{json, Value};

fn field<'a>(d: &'a Value, k: &str) -> &'a Value {
    d.get(k).unwrap_or(&Value::Null)
}

fn text(d: &Value, k: &str) -> String {
    field(d, k).as_str().unwrap_or("").to_string()
}

fn num(d: &Value, k: &str) -> u64 {
    field(d, k).as_u64().unwrap_or(1).max(1)
}

/// Escaping of workflow-command data and property values: control and
/// bidi characters other than line breaks as `\u{..}` (GitHub shows the
/// text in logs and annotations), then the workflow-command encoding.
fn escape_data(s: &str) -> String {
    let s: String = s
        .split('\n')
        .map(|l| {
            l.split('\r')
                .map(|p| super::escape::escape(p).into_owned())
                .collect::<Vec<_>>()
                .join("\r")
        })
        .collect::<Vec<_>>()
        .join("\n");
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error file=...::message` workflow command.
pub fn github(d: &Value) -> String {
    let level = match field(d, "severity").as_str() {
        Some("warning") => "warning",
        Some("advice") => "notice",
        _ => "error",
    };
    let mut message = text(d, "message");
    let help = text(d, "help");
    if !help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&help);
    }
    format!(
        "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&text(d, "file")),
        num(d, "line"),
        num(d, "column"),
        num(d, "end_line"),
        num(d, "end_column"),
        escape_property(&text(d, "code")),
        escape_data(&message)
    )
}

/// A SARIF 2.1.0 log with one run.
pub fn sarif(diags: &[Value]) -> Value {
    let mut rule_ids: Vec<String> = diags.iter().map(|d| text(d, "code")).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "name": id.trim_start_matches("mfapol::"),
                "help": { "text": format!("see `{id}` in docs/diagnostics.md") },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let code = text(d, "code");
            let level = match field(d, "severity").as_str() {
                Some("warning") => "warning",
                Some("advice") => "note",
                _ => "error",
            };
            let mut message = text(d, "message");
            let help = text(d, "help");
            if !help.is_empty() {
                message.push_str("\nhelp: ");
                message.push_str(&help);
            }
            json!({
                "ruleId": code,
                "ruleIndex": rule_ids.iter().position(|r| *r == code).unwrap_or(0),
                "level": level,
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": text(d, "file").replace('\\', "/") },
                        "region": {
                            "startLine": num(d, "line"),
                            "startColumn": num(d, "column"),
                            "endLine": num(d, "end_line"),
                            "endColumn": num(d, "end_column"),
                        }
                    }
                }]
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "mfapol",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_properties_and_data() {
        let d = json!({"file": "a,b.mfapolicy", "line": 2, "column": 3, "end_line": 2, "end_column": 9,
            "severity": "warning", "code": "mfapol::host_bits_set", "message": "50% off\nnow", "help": null});
        assert_eq!(
            github(&d),
            "::warning file=a%2Cb.mfapolicy,line=2,col=3,endLine=2,endColumn=9,title=mfapol%3A%3Ahost_bits_set::50%25 off%0Anow"
        );
        // Raw ANSI and bidi characters never reach the log.
        let d = json!({"file": "x\u{1b}[2J.mfapolicy", "line": 1, "column": 1, "end_line": 1, "end_column": 2,
            "severity": "error", "code": "mfapol::unknown_field", "message": "`a\u{202e}b`\r\n::error::x", "help": null});
        assert_eq!(
            github(&d),
            "::error file=x\\u{1b}[2J.mfapolicy,line=1,col=1,endLine=1,endColumn=2,title=mfapol%3A%3Aunknown_field::`a\\u{202e}b`%0D%0A::error::x"
        );
    }
}
