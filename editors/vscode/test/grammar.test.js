// Tokenises sample policies and test suites with the extension's TextMate
// grammars, as VS Code does (vscode-textmate + the Oniguruma regex engine),
// and checks the scopes of the tokens that matter. Run: `npm test`.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.join(__dirname, "..");
const repo = path.join(root, "..", "..");
const grammars = {
  "source.mfapolicy": path.join(root, "syntaxes", "mfapolicy.tmLanguage.json"),
  "source.mfatest": path.join(root, "syntaxes", "mfatest.tmLanguage.json"),
};

async function registry() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  return new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      const file = grammars[scope];
      if (!file) return null;
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
}

// Every token of a text: { line, text, scopes }.
function tokenize(grammar, text) {
  const out = [];
  let stack = vsctm.INITIAL;
  text.split(/\r?\n/).forEach((line, n) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      out.push({ line: n, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    stack = r.ruleStack;
  });
  return out;
}

// The innermost scope of the first token whose text is `text` (on `line`, if given).
function scopeOf(tokens, text, line) {
  const t = tokens.find((t) => t.text === text && (line === undefined || t.line === line));
  assert.ok(t, `no token \`${text}\` in ${JSON.stringify(tokens.map((t) => t.text))}`);
  return t.scopes[t.scopes.length - 1];
}

let failures = 0;
async function test(name, body) {
  try {
    await body();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures += 1;
    console.log(`not ok - ${name}\n  ${String(e.message).split("\n").join("\n  ")}`);
  }
}

(async () => {
  const reg = await registry();
  const policy = await reg.loadGrammar("source.mfapolicy");
  const suite = await reg.loadGrammar("source.mfatest");

  await test("policy: keywords, names, literals, operators, comments", () => {
    const src = [
      "# MFA for staff",
      'declare user.app_metadata.require_mfa: bool?',
      "let office = [203.0.113.0/24, 2001:db8:10::/48, 10.0.0.1, ::1]",
      "rule corp_directory:",
      '  require mfa using "guardian" with remember_browser when connection == "corp-ad" and not ip in office # trailing',
      '  unless any m in authentication.methods: m.timestamp > now - 12h',
      'deny "no \\"entry\\"" when country in ["KP", "IR"] or len(roles) >= 3',
      "default skip mfa",
      'enroll mfa using factors ["otp"] then challenge using factors ["phone"] when stats.logins_count < 2',
      'assert staff_offsite: at least require mfa when connection == "corp-ad"',
      "assert no_customer_denied: never deny when email ends_with \"@customer.example\"",
    ].join("\n");
    const t = tokenize(policy, src);
    const expect = [
      ["# MFA for staff", "comment.line.number-sign.mfapolicy"],
      ["declare", "keyword.control.declare.mfapolicy"],
      ["require_mfa", "variable.other.property.mfapolicy"],
      ["bool", "support.type.mfapolicy"],
      ["?", "keyword.operator.optional.mfapolicy"],
      ["let", "keyword.control.let.mfapolicy"],
      ["office", "variable.other.constant.mfapolicy", 2],
      ["203.0.113.0/24", "constant.numeric.cidr.mfapolicy"],
      ["2001:db8:10::/48", "constant.numeric.cidr.mfapolicy"],
      ["10.0.0.1", "constant.numeric.ip.mfapolicy"],
      ["::1", "constant.numeric.ip.mfapolicy"],
      ["rule", "keyword.control.rule.mfapolicy"],
      ["corp_directory", "entity.name.function.rule.mfapolicy"],
      ["require", "keyword.other.effect.mfapolicy"],
      ["mfa", "keyword.other.mfapolicy"],
      ["guardian", "string.quoted.double.mfapolicy"],
      ["remember_browser", "keyword.other.mfapolicy"],
      ["when", "keyword.control.mfapolicy"],
      ["connection", "variable.language.event.mfapolicy"],
      ["==", "keyword.operator.comparison.mfapolicy"],
      ["not", "keyword.operator.logical.mfapolicy"],
      ["in", "keyword.operator.word.mfapolicy"],
      ["office", "variable.other.mfapolicy", 4],
      ["# trailing", "comment.line.number-sign.mfapolicy"],
      ["unless", "keyword.control.mfapolicy"],
      ["any", "keyword.operator.quantifier.mfapolicy"],
      ["timestamp", "variable.other.property.mfapolicy"],
      ["now", "constant.language.now.mfapolicy"],
      ["12h", "constant.numeric.duration.mfapolicy"],
      ["deny", "keyword.other.effect.mfapolicy"],
      ['\\"', "constant.character.escape.mfapolicy"],
      ["len", "support.function.mfapolicy"],
      ["roles", "variable.language.event.mfapolicy"],
      ["3", "constant.numeric.integer.mfapolicy"],
      ["default", "keyword.control.mfapolicy"],
      ["skip", "keyword.other.effect.mfapolicy"],
      ["enroll", "keyword.other.effect.mfapolicy"],
      ["challenge", "keyword.other.mfapolicy"],
      ["logins_count", "variable.other.property.mfapolicy"],
      ["assert", "keyword.control.assert.mfapolicy"],
      ["staff_offsite", "entity.name.function.assert.mfapolicy"],
      ["at least", "keyword.other.assert-mode.mfapolicy"],
      ["never", "keyword.other.assert-mode.mfapolicy"],
    ];
    for (const [text, scope, line] of expect) {
      assert.equal(scopeOf(t, text, line), scope, `\`${text}\``);
    }
  });

  await test("suite: directives, cases, expectations and values", () => {
    const src = [
      "policy corp.mfapolicy   # relative",
      "event events/employee.json",
      "now 2025-06-02T09:00:00Z",
      'case "admin: otp, then phone":',
      '  set roles = ["employee", "admin"]',
      "  set request.ip = 192.0.2.7",
      "  unset user.email",
      "  expect require_mfa",
      "  expect rule admins_otp_then_phone",
      '  expect steps challenge ["otp"] then challenge ["phone"]',
    ].join("\n");
    const t = tokenize(suite, src);
    const expect = [
      ["policy", "keyword.control.mfatest"],
      ["corp.mfapolicy", "string.unquoted.path.mfatest"],
      ["# relative", "comment.line.number-sign.mfatest"],
      ["2025-06-02T09:00:00Z", "constant.other.timestamp.mfatest"],
      ["case", "keyword.control.case.mfatest"],
      ['"admin: otp, then phone"', "entity.name.section.case.mfatest"],
      ["set", "keyword.control.mfatest"],
      ["request.ip", "variable.other.property.mfatest"],
      ["192.0.2.7", "constant.numeric.ip.mfapolicy"],
      ["employee", "string.quoted.double.mfapolicy"],
      ["unset", "keyword.control.mfatest"],
      ["require_mfa", "constant.language.decision.mfatest"],
      ["admins_otp_then_phone", "entity.name.function.rule.mfatest"],
      ["steps", "keyword.other.mfatest"],
      ["then", "keyword.other.mfatest"],
    ];
    for (const [text, scope, line] of expect) {
      assert.equal(scopeOf(t, text, line), scope, `\`${text}\``);
    }
  });

  await test("every shipped policy and suite tokenises: comments stay comments, no invalid tokens", () => {
    const dir = path.join(repo, "policies");
    const files = fs.readdirSync(dir).filter((f) => /\.(mfapolicy|mfatest)$/.test(f));
    assert.ok(files.length >= 10, `found ${files.length} files`);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), "utf8");
      const g = f.endsWith(".mfapolicy") ? policy : suite;
      const tokens = tokenize(g, text);
      for (const tok of tokens) {
        const scopes = tok.scopes.join(" ");
        assert.ok(!scopes.includes("invalid"), `${f}:${tok.line + 1}: invalid token \`${tok.text}\``);
        if (tok.text.startsWith("#") && !scopes.includes("string")) {
          assert.match(scopes, /comment\.line/, `${f}:${tok.line + 1}: \`${tok.text}\``);
        }
      }
      // A string never runs past its line (an unclosed quote is local).
      const lines = text.split(/\r?\n/).length;
      assert.ok(tokens.length >= lines, f);
    }
    console.log(`  # ${files.length} files`);
  });

  console.log(failures === 0 ? "all grammar tests passed" : `${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
})();
