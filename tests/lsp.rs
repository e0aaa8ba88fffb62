//! `mfapol lsp` driven by a real LSP client over stdio: the test spawns the
//! binary, writes Content-Length framed JSON-RPC to its stdin and reads its
//! stdout on a thread, so a server that hangs fails the test (every read
//! has a timeout) instead of blocking it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    /// Messages read while waiting for something else.
    queue: VecDeque<Value>,
    next_id: i64,
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_frame(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn spawn() -> Client {
        Client::spawn_with(&[])
    }

    fn spawn_with(args: &[&str]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mfapol"))
            .arg("lsp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mfapol lsp");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            rx,
            queue: VecDeque::new(),
            next_id: 0,
        }
    }

    /// A server that has answered `initialize` and been told `initialized`.
    fn start() -> Client {
        let mut c = Client::spawn();
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        assert!(init["result"]["capabilities"]["hoverProvider"] == json!(true));
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self) -> Value {
        self.rx
            .recv_timeout(TIMEOUT)
            .expect("the server answered within the timeout")
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m["id"] == json!(id) && m.get("method").is_none() {
                return m;
            }
            self.queue.push_back(m);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method}: {r}");
        r["result"].clone()
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_it = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.queue.iter().position(is_it) {
            let m = self.queue.remove(i).unwrap();
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let m = self.recv();
            if is_it(&m) {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.queue.push_back(m);
        }
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "mfapolicy", "version": 1, "text": text}}),
        );
        self.diagnostics(uri)
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        self.diagnostics(uri)
    }

    /// Shuts down and exits; returns the exit code.
    fn stop(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null);
        self.notify("exit", Value::Null);
        self.wait()
    }

    fn wait(&mut self) -> i32 {
        drop(self.stdin.take());
        for _ in 0..200 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not exit within 10 s");
    }
}

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": pos(line, character)})
}

/// Applies `TextEdit`s (given in order, not overlapping) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let (line, ch) = (
            p["line"].as_u64().unwrap(),
            p["character"].as_u64().unwrap(),
        );
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize)
            .map(str::len)
            .sum();
        let in_line = text[start..]
            .chars()
            .scan(0u64, |units, c| {
                let here = *units;
                *units += c.len_utf16() as u64;
                Some((here, c.len_utf8()))
            })
            .take_while(|(u, _)| *u < ch)
            .map(|(_, n)| n)
            .sum::<usize>();
        start + in_line
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (a, b, t) in spans {
        out.replace_range(a..b, &t);
    }
    out
}

const URI: &str = "file:///tmp/mfapol-lsp-test/policy.mfapolicy";

const POLICY: &str = "\
let office = [203.0.113.0/24]
let staff = connection == \"corp-ad\"

rule corp:
  require mfa when staff and not ip in office

rule eu:
  deny when staff and request.geoip.continentCode == \"EU\"
assert staff_mfa: at least require mfa when staff
";

#[test]
fn lifecycle_initialize_shutdown_exit_code_0() {
    let mut c = Client::spawn();
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let caps = &init["result"]["capabilities"];
    assert_eq!(init["result"]["serverInfo"]["name"], "mfapol");
    assert_eq!(caps["textDocumentSync"], json!(1));
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(caps[cap], json!(true), "{cap}");
    }
    assert!(caps["completionProvider"]["triggerCharacters"]
        .as_array()
        .unwrap()
        .contains(&json!(".")));
    assert_eq!(caps["renameProvider"]["prepareProvider"], json!(true));
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
    c.notify("initialized", json!({}));
    assert_eq!(c.stop(), 0);
}

#[test]
fn requests_before_initialize_are_refused_and_exit_without_shutdown_is_1() {
    let mut c = Client::spawn();
    let r = c.request("textDocument/hover", at(URI, 0, 0));
    assert_eq!(r["error"]["code"], json!(-32002), "{r}");
    c.notify("exit", Value::Null);
    assert_eq!(c.wait(), 1);
}

#[test]
fn diagnostics_on_open_and_cleared_by_a_fixing_change() {
    let mut c = Client::start();
    let broken = "require mfa when request.geoip.continent_code == \"EU\" and country == \"UK\"\n";
    let d = c.open(URI, broken);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0]["code"], "mfapol::unknown_field");
    assert_eq!(d[0]["severity"], json!(1));
    assert_eq!(d[0]["source"], "mfapol");
    // `continent_code` starts at column 31 (0-based) of line 0.
    assert_eq!(
        d[0]["range"],
        json!({"start": pos(0, 31), "end": pos(0, 45)})
    );
    let msg = d[0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("unknown field `continent_code` on `request.geoip`"),
        "{msg}"
    );
    assert!(msg.contains("help: did you mean `continentCode`?"), "{msg}");
    assert_eq!(d[1]["code"], "mfapol::unknown_value");
    assert!(d[1]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `\"GB\"`?"));
    let fixed = "require mfa when request.geoip.continentCode == \"EU\" and country == \"GB\"\n";
    assert_eq!(c.change(URI, 2, fixed), Vec::<Value>::new());
    // A syntax error is one diagnostic with the `check` code.
    let d = c.change(URI, 3, "require mfa when\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["code"], "mfapol::syntax");
    assert_eq!(c.stop(), 0);
}

#[test]
fn warnings_and_related_labels() {
    let mut c = Client::start();
    let d = c.open(
        URI,
        "let a = 1\nlet a = 2\nrequire mfa when user.app_metadata.vip == true and a == 1\n",
    );
    let dup = d
        .iter()
        .find(|d| d["code"] == "mfapol::duplicate_name")
        .unwrap();
    assert_eq!(dup["range"]["start"], pos(1, 4));
    let rel = &dup["relatedInformation"][0];
    assert_eq!(rel["location"]["range"]["start"], pos(0, 4));
    assert_eq!(rel["message"], "first defined here");
    let warn = d
        .iter()
        .find(|d| d["code"] == "mfapol::undeclared_metadata")
        .unwrap();
    assert_eq!(warn["severity"], json!(2));
}

#[test]
fn includes_resolve_relative_to_the_document() {
    let dir = common::scratch(
        "lsp-include",
        &[("shared/common.mfapolicy", "let office = [203.0.113.0/24]\n")],
    );
    let uri = format!("file://{}/policy.mfapolicy", dir.display());
    let mut c = Client::start();
    let good = "include \"shared/common.mfapolicy\"\nrequire mfa when not ip in office\n";
    assert_eq!(c.open(&uri, good), Vec::<Value>::new());
    // The type of a `let` that uses an included one.
    let uses = "include \"shared/common.mfapolicy\"\nlet outside = not ip in office\nrequire mfa when outside\n";
    assert_eq!(c.change(&uri, 2, uses), Vec::<Value>::new());
    let h = c.result("textDocument/hover", at(&uri, 1, 6));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("type: `bool`"),
        "{h}"
    );
    // An included file open in the editor is read as the editor has it.
    let common = format!("file://{}/shared/common.mfapolicy", dir.display());
    c.open(
        &common,
        "let office = [203.0.113.0/24]\nlet lab = [198.51.100.0/24]\n",
    );
    let with_lab = "include \"shared/common.mfapolicy\"\nrequire mfa when not ip in office and not ip in lab\n";
    assert_eq!(c.change(&uri, 3, with_lab), Vec::<Value>::new());
    let missing = "include \"shared/nope.mfapolicy\"\nrequire mfa when not ip in office\n";
    let d = c.change(&uri, 4, missing);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "mfapol::include_not_found");
    assert_eq!(d[0]["range"]["start"], pos(0, 8));
    assert_eq!(c.stop(), 0);
}

#[test]
fn hover_paths_lets_and_rules() {
    let mut c = Client::start();
    assert_eq!(c.open(URI, POLICY), Vec::<Value>::new());
    // `continentCode` on line 7.
    let h = c.result("textDocument/hover", at(URI, 7, 40));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("`request.geoip.continentCode`: `string? (one of 7 continent codes)`"),
        "{text}"
    );
    assert!(text.contains("may be absent"), "{text}");
    assert!(text.contains("2-letter continent"), "{text}");
    assert_eq!(h["range"], json!({"start": pos(7, 36), "end": pos(7, 49)}));
    // The shorthand `ip`.
    let h = c.result("textDocument/hover", at(URI, 4, 34));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("`request.ip`: `ip`"), "{text}");
    assert!(
        text.contains("`ip` is shorthand for `request.ip`"),
        "{text}"
    );
    // A use of `let staff`.
    let h = c.result("textDocument/hover", at(URI, 4, 20));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("let staff = connection == \"corp-ad\""),
        "{text}"
    );
    assert!(text.contains("type: `bool`"), "{text}");
    let h = c.result("textDocument/hover", at(URI, 0, 5));
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("type: `list<cidr>`"));
    // A rule's name.
    let h = c.result("textDocument/hover", at(URI, 3, 6));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("rule `corp`: `require mfa`"), "{text}");
    // Quantifier variables, nested: elements of their lists.
    let nested = "require mfa when any i in user.identities: any k in i.profileData.keys: i.isSocial == true\n";
    c.change(URI, 2, nested);
    let h = c.result("textDocument/hover", at(URI, 0, 76));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("`user.identities.isSocial`: `bool?`"),
        "{text}"
    );
    assert!(text.contains("Whether the connection is social"), "{text}");
    let h = c.result("textDocument/hover", at(URI, 0, 72));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("`i`: one element of the list"), "{text}");
    c.change(URI, 3, POLICY);
    // An assertion's name.
    let h = c.result("textDocument/hover", at(URI, 8, 9));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.starts_with("assert `staff_mfa`: `at least require mfa`"),
        "{text}"
    );
    // Nothing under the cursor: null, not an error.
    assert_eq!(c.result("textDocument/hover", at(URI, 2, 0)), Value::Null);
    assert_eq!(c.stop(), 0);
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_after_a_dot_in_strings_and_for_names() {
    let mut c = Client::start();
    let text = "let office = [203.0.113.0/24]\nrequire mfa when request.geoip.\n";
    c.open(URI, text);
    let items = c.result("textDocument/completion", at(URI, 1, 31));
    let names = labels(&items);
    for f in [
        "countryCode",
        "continentCode",
        "cityName",
        "latitude",
        "timeZone",
    ] {
        assert!(names.contains(&f.to_string()), "{f} in {names:?}");
    }
    let country = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "countryCode")
        .unwrap();
    assert_eq!(
        country["detail"],
        "string? (one of 250 ISO 3166-1 alpha-2 country codes)"
    );
    assert_eq!(country["documentation"]["value"], "ISO-3166 alpha-2");

    // Quantifier variables are elements of their list.
    c.change(
        URI,
        2,
        "require mfa when any m in authentication.methods: m.\n",
    );
    let names = labels(&c.result("textDocument/completion", at(URI, 0, 52)));
    assert_eq!(names, ["name", "timestamp", "type"]);

    // Closed sets inside strings: countries, protocols, providers, factors.
    c.change(URI, 3, "deny when country == \"G\n");
    let items = c.result("textDocument/completion", at(URI, 0, 23));
    let names = labels(&items);
    assert!(names.contains(&"GB".to_string()) && names.len() > 200);
    let gb = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "GB")
        .unwrap();
    assert_eq!(
        gb["textEdit"]["range"],
        json!({"start": pos(0, 22), "end": pos(0, 23)})
    );
    c.change(
        URI,
        4,
        "skip mfa when transaction.protocol in [\"samlp\", \"\n",
    );
    let names = labels(&c.result("textDocument/completion", at(URI, 0, 49)));
    assert!(
        names.contains(&"oauth2-refresh-token".to_string()),
        "{names:?}"
    );
    c.change(URI, 5, "require mfa using \"\n");
    let names = labels(&c.result("textDocument/completion", at(URI, 0, 19)));
    assert_eq!(names, ["any", "duo", "google-authenticator", "guardian"]);
    c.change(URI, 6, "require mfa using factors [\"otp\", \"\n");
    let names = labels(&c.result("textDocument/completion", at(URI, 0, 35)));
    assert!(names.contains(&"webauthn-roaming".to_string()) && names.len() == 7);
    c.change(
        URI,
        7,
        "when authentication.riskAssessment.confidence == \"\n",
    );
    let names = labels(&c.result("textDocument/completion", at(URI, 0, 50)));
    assert_eq!(names, ["low", "medium", "high", "neutral"]);

    // Names: keywords, shorthands, roots, functions, lets and rules.
    c.change(URI, 8, POLICY);
    let items = c.result("textDocument/completion", at(URI, 4, 19));
    let names = labels(&items);
    for n in [
        "when", "country", "user", "request", "exists", "split", "office", "staff", "corp", "eu",
    ] {
        assert!(names.contains(&n.to_string()), "{n} in {names:?}");
    }
    assert!(!names.contains(&"secrets".to_string()));
    // While the file does not parse, the names of its last good version.
    c.change(
        URI,
        9,
        &POLICY.replace("rule eu:", "rule eu:\n  require mfa when st"),
    );
    let names = labels(&c.result("textDocument/completion", at(URI, 7, 21)));
    assert!(names.contains(&"staff".to_string()), "{names:?}");
    assert_eq!(c.stop(), 0);
}

#[test]
fn definition_references_and_rename() {
    let mut c = Client::start();
    c.open(URI, POLICY);
    // From the use of `staff` on line 4 to its definition on line 1.
    let d = c.result("textDocument/definition", at(URI, 4, 19));
    assert_eq!(d["uri"], URI);
    assert_eq!(d["range"], json!({"start": pos(1, 4), "end": pos(1, 9)}));
    let mut refs = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": pos(1, 5), "context": {"includeDeclaration": true}}),
    );
    let starts: Vec<Value> = refs
        .as_array_mut()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"].clone())
        .collect();
    assert_eq!(starts, [pos(1, 4), pos(4, 19), pos(7, 12), pos(8, 44)]);
    let refs = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": pos(1, 5), "context": {"includeDeclaration": false}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 3);
    // A rule's definition is itself.
    let d = c.result("textDocument/definition", at(URI, 6, 5));
    assert_eq!(d["range"]["start"], pos(6, 5));

    let prep = c.result("textDocument/prepareRename", at(URI, 4, 20));
    assert_eq!(prep["placeholder"], "staff");
    let edit = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": pos(4, 20), "newName": "employees"}),
    );
    let edits = edit["changes"][URI].as_array().unwrap().clone();
    assert_eq!(edits.len(), 4);
    let renamed = apply(POLICY, &edits);
    assert!(renamed.contains("at least require mfa when employees\n"));
    assert!(renamed.contains("let employees = connection"));
    assert!(renamed.contains("require mfa when employees and not ip in office"));
    assert_eq!(c.change(URI, 2, &renamed), Vec::<Value>::new());

    // Names that would not check are refused.
    for bad in ["when", "user", "office", "2x"] {
        let r = c.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": URI}, "position": pos(1, 5), "newName": bad}),
        );
        assert!(r.get("error").is_some(), "{bad}: {r}");
    }
    assert_eq!(c.stop(), 0);
}

#[test]
fn document_symbols_and_formatting() {
    let mut c = Client::start();
    let messy = "declare user.app_metadata.vip: bool\nlet office=[203.0.113.0/24]\nrule r : require  mfa when not(ip in office) or user.app_metadata.vip # note\ndefault skip mfa\nassert never_denied: never deny when ip in office\n";
    c.open(URI, messy);
    let syms = c.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let names: Vec<(String, u64)> = syms
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["kind"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("user.app_metadata.vip".to_string(), 8),
            ("office".to_string(), 14),
            ("r".to_string(), 12),
            ("default".to_string(), 24),
            ("never_denied".to_string(), 7)
        ]
    );
    assert_eq!(syms[2]["selectionRange"]["start"], pos(2, 5));
    let edits = c.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply(messy, edits.as_array().unwrap());
    assert_eq!(formatted, mfapol::fmt::format(messy).unwrap());
    assert!(formatted.contains(
        "rule r:\n  require mfa when not ip in office or user.app_metadata.vip  # note\n"
    ));
    c.change(URI, 2, &formatted);
    let again = c.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(again, json!([]));
    // A file that does not parse is not formatted.
    c.change(URI, 3, "rule r: require mfa when (\n");
    let none = c.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(none, Value::Null);
    assert_eq!(c.stop(), 0);
}

#[test]
fn code_actions_apply_the_checkers_suggestions_and_the_result_checks() {
    let mut c = Client::start();
    let broken = "\
rule r:
  require mfa using \"gaurdian\" when request.geoip.continent_code == \"EU\"
rule s:
  require mfa using factors [\"opt\"] when country in [\"UK\"] and lenn(email) > 3 and user.app_metadata.vip
declare user.app_metadata.vpi: bool
";
    let diags = c.open(URI, broken);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"mfapol::unknown_provider"), "{codes:?}");
    let mut text = broken.to_string();
    let mut version = 1;
    // Apply one fix at a time, as a user would, until none is left.
    loop {
        let all = json!({"start": pos(0, 0), "end": pos(99, 0)});
        let actions = c.result(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": all, "context": {"diagnostics": []}}),
        );
        let Some(first) = actions.as_array().unwrap().first().cloned() else {
            break;
        };
        assert_eq!(first["kind"], "quickfix");
        let edits = first["edit"]["changes"][URI].as_array().unwrap().clone();
        let fixed_code = first["diagnostics"][0]["code"]
            .as_str()
            .unwrap()
            .to_string();
        text = apply(&text, &edits);
        version += 1;
        let after = c.change(URI, version, &text);
        let fixed_range = &first["diagnostics"][0]["range"];
        assert!(
            !after
                .iter()
                .any(|d| d["code"] == fixed_code.as_str() && d["range"] == *fixed_range),
            "{} did not fix {fixed_code}: {after:?}",
            first["title"]
        );
        assert!(version < 20, "too many fixes");
    }
    assert_eq!(
        text,
        "\
rule r:
  require mfa using \"guardian\" when request.geoip.continentCode == \"EU\"
rule s:
  require mfa using factors [\"otp\"] when country in [\"GB\"] and len(email) > 3 and user.app_metadata.vip
declare user.app_metadata.vpi: bool
"
        .replace("app_metadata.vip\n", "app_metadata.vpi\n")
    );
    assert_eq!(c.change(URI, version + 1, &text), Vec::<Value>::new());
    assert_eq!(c.stop(), 0);
}

#[test]
fn hostile_requests_do_not_crash_the_server() {
    let mut c = Client::start();
    c.open(URI, "require mfa when ip in 10.0.0.0/8\n");
    // Positions past the end, unknown documents, wrong parameters.
    for (method, params) in [
        ("textDocument/hover", at(URI, 9999, 9999)),
        ("textDocument/completion", at(URI, 0, u32::MAX)),
        (
            "textDocument/definition",
            at("file:///nowhere.mfapolicy", 0, 0),
        ),
        (
            "textDocument/references",
            json!({"textDocument": {"uri": URI}, "position": pos(5, 5), "context": {"includeDeclaration": true}}),
        ),
        (
            "textDocument/rename",
            json!({"textDocument": {"uri": URI}, "position": pos(0, 0), "newName": "x"}),
        ),
        ("textDocument/hover", json!({"nonsense": true})),
        ("textDocument/hover", json!([1, 2, 3])),
        (
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": {"start": pos(7, 7), "end": pos(0, 0)}, "context": {"diagnostics": []}}),
        ),
        ("no/such/method", json!({})),
    ] {
        let r = c.request(method, params);
        assert!(
            r.get("result").is_some() || r.get("error").is_some(),
            "{method}: {r}"
        );
    }
    // Changes to documents never opened, and garbage notifications.
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": "file:///x", "version": 1}, "contentChanges": [{"text": "x"}]}));
    c.notify("textDocument/didOpen", json!({"garbage": 1}));
    // A ranged change beyond the end, with multi-byte text.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"range": {"start": pos(0, 999), "end": pos(50, 3)}, "text": " # é𝄞"}]}),
    );
    assert_eq!(c.diagnostics(URI), Vec::<Value>::new());
    // A huge document (deeply nested, many lines) is answered, not fatal.
    let huge = format!(
        "require mfa when {}ip in 10.0.0.0/8{}\n{}",
        "(".repeat(5000),
        ")".repeat(5000),
        "# filler\n".repeat(200_000)
    );
    let d = c.change(URI, 3, &huge);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["code"], "mfapol::nesting_too_deep");
    let h = c.request("textDocument/hover", at(URI, 100_000, 3));
    assert_eq!(h["result"], Value::Null);
    // Still alive and correct after all of it.
    assert_eq!(
        c.change(URI, 4, "require mfa when ip in 10.0.0.0/8\n"),
        Vec::<Value>::new()
    );
    let h = c.result("textDocument/hover", at(URI, 0, 17));
    assert!(h["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("`request.ip`"));
    assert_eq!(c.stop(), 0);
}

// ---- framing bounds (issue 20) ----

impl Client {
    fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        let _ = stdin.write_all(bytes);
        let _ = stdin.flush();
    }

    /// The next message with a `null` id: the answer to a frame that could
    /// not be read.
    fn frame_error(&mut self) -> Value {
        loop {
            let m = self.recv();
            if m.get("id") == Some(&Value::Null) && m.get("error").is_some() {
                return m;
            }
            self.queue.push_back(m);
        }
    }
}

/// A frame announcing a terabyte gets a clean JSON-RPC error and a clean
/// exit (code 1), not an allocation of the announced size and an abort.
#[test]
fn a_huge_content_length_is_answered_with_an_error() {
    let mut c = Client::spawn();
    c.write_raw(b"Content-Length: 1099511627776\r\n\r\n{}");
    drop(c.stdin.take());
    let e = c.frame_error();
    assert_eq!(e["error"]["code"], json!(-32600), "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("1099511627776"), "{msg}");
    assert_eq!(c.wait(), 1);
}

/// A message over `--max-message-bytes` (a huge document) is skipped and
/// answered with an error; the session goes on.
#[test]
fn a_message_over_the_limit_is_skipped_and_the_session_goes_on() {
    let mut c = Client::spawn_with(&["--max-message-bytes", "4000"]);
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert!(init.get("result").is_some(), "{init}");
    c.notify("initialized", json!({}));
    let big = format!("# {}\nrequire mfa when true\n", "x".repeat(10_000));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "file:///big.mfapolicy", "languageId": "mfapolicy", "version": 1, "text": big}}),
    );
    let e = c.frame_error();
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("over the limit of 4000 bytes"), "{msg}");
    assert!(msg.contains("--max-message-bytes"), "{msg}");
    // The next messages are read and answered as usual.
    let d = c.open(
        "file:///small.mfapolicy",
        "require mfa when usr.email == \"a\"\n",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(c.stop(), 0);
    // Following the error's advice (a higher limit), the document is read
    // and checked.
    let mut c = Client::spawn_with(&["--max-message-bytes", "100000"]);
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert!(init.get("result").is_some(), "{init}");
    c.notify("initialized", json!({}));
    assert_eq!(c.open("file:///big.mfapolicy", &big), Vec::<Value>::new());
    assert_eq!(c.stop(), 0);
}

/// A header line without end is cut at its bound: an error, exit 1.
#[test]
fn an_endless_header_line_is_answered_with_an_error() {
    let mut c = Client::spawn();
    let mut stdin = c.stdin.take().unwrap();
    // Written from a thread: the server stops reading long before the end.
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; 64 << 10];
        for _ in 0..64 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let e = c.frame_error();
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("header line longer than"), "{msg}");
    assert_eq!(c.wait(), 1);
    writer.join().unwrap();
}

/// Memory follows what arrives, not what a frame announces: 60 MB
/// announced (under the limit) and 2 bytes sent leave the server small.
#[cfg(target_os = "linux")]
#[test]
fn an_announced_length_is_not_allocated_up_front() {
    let mut c = Client::spawn();
    c.write_raw(b"Content-Length: 60000000\r\n\r\n{}");
    std::thread::sleep(Duration::from_millis(500));
    let status = std::fs::read_to_string(format!("/proc/{}/status", c.child.id())).unwrap();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(rss_kb < 40_000, "peak resident memory {rss_kb} kB");
    drop(c.stdin.take());
    let e = c.frame_error();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ended 2 bytes into"),
        "{e}"
    );
    assert_eq!(c.wait(), 1);
}
