// Talks to `mfapol lsp` through vscode-jsonrpc, the JSON-RPC library under
// VS Code's own language client, to show that the two agree on framing and
// messages: initialize, diagnostics on open, completion, a quick fix,
// shutdown. The binary is $MFAPOL, else the repository's target/debug/mfapol
// (build it with `cargo build`); without one the test is skipped.
"use strict";

const assert = require("node:assert/strict");
const cp = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const rpc = require("vscode-jsonrpc/node");

const bin = process.env.MFAPOL || path.join(__dirname, "..", "..", "..", "target", "debug", "mfapol");

async function main() {
  if (!fs.existsSync(bin)) {
    console.log(`skip - no mfapol binary at ${bin} (run \`cargo build\` or set MFAPOL)`);
    return;
  }
  const child = cp.spawn(bin, ["lsp"], { stdio: ["pipe", "pipe", "inherit"] });
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin)
  );
  const published = [];
  let notify = () => {};
  conn.onNotification("textDocument/publishDiagnostics", (p) => {
    published.push(p);
    notify();
  });
  conn.listen();
  const nextDiagnostics = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no diagnostics within 10 s")), 10000);
      notify = () => {
        clearTimeout(timer);
        resolve(published.shift());
      };
      if (published.length) notify();
    });

  const init = await conn.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  assert.equal(init.serverInfo.name, "mfapol");
  conn.sendNotification("initialized", {});

  const uri = "file:///tmp/mfapol-vscode-test/policy.mfapolicy";
  const text = 'require mfa when request.geoip.continent_code == "EU"\n';
  conn.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "mfapolicy", version: 1, text },
  });
  const diags = await nextDiagnostics();
  assert.equal(diags.uri, uri);
  assert.equal(diags.diagnostics.length, 1);
  assert.equal(diags.diagnostics[0].code, "mfapol::unknown_field");
  assert.deepEqual(diags.diagnostics[0].range, { start: { line: 0, character: 31 }, end: { line: 0, character: 45 } });

  const actions = await conn.sendRequest("textDocument/codeAction", {
    textDocument: { uri },
    range: diags.diagnostics[0].range,
    context: { diagnostics: diags.diagnostics },
  });
  assert.equal(actions.length, 1);
  assert.equal(actions[0].edit.changes[uri][0].newText, "continentCode");

  const items = await conn.sendRequest("textDocument/completion", {
    textDocument: { uri },
    position: { line: 0, character: 31 },
  });
  assert.ok(items.some((i) => i.label === "countryCode"), JSON.stringify(items.map((i) => i.label)));

  await conn.sendRequest("shutdown");
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  conn.sendNotification("exit");
  assert.equal(await exited, 0);
  conn.dispose();
  console.log("ok - mfapol lsp answers vscode-jsonrpc: diagnostics, quick fix, completion, shutdown");
}

main().catch((e) => {
  console.log(`not ok - ${e.stack || e}`);
  process.exit(1);
});
