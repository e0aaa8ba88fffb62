// The VS Code client of the mfapol language server: it starts `mfapol lsp`
// (the binary named by the `mfapol.path` setting) over stdio for every
// .mfapolicy file. Highlighting of .mfapolicy and .mfatest comes from the
// TextMate grammars in syntaxes/ and works without the binary.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("mfapol").get("path") || "mfapol";
  const serverOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "mfapolicy" },
      { scheme: "untitled", language: "mfapolicy" },
    ],
    synchronize: {
      // Included files changed outside the editor are checked again.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mfapolicy"),
    },
  };
  client = new LanguageClient("mfapol", "mfapol", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `mfapol: cannot start \`${command} lsp\` (${err.message || err}). ` +
        "Install mfapol (`cargo install --path .`) or set `mfapol.path`."
    );
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("mfapol.path")) {
        vscode.window.showInformationMessage("mfapol: reload the window to use the new `mfapol.path`.");
      }
    })
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
