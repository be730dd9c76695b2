// The pyspec extension: the language (package.json: grammar, brackets,
// indentation) and a client of the pyspec language server, `pyspec lsp`,
// which it starts over stdio.  The setting `pyspec.command` names the
// executable (default "pyspec", looked up on PATH); a relative path such as
// .venv/bin/pyspec is taken from the first workspace folder.
"use strict";

const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverCommand() {
  const configured = vscode.workspace.getConfiguration("pyspec").get("command", "pyspec") || "pyspec";
  const folders = vscode.workspace.workspaceFolders;
  if (configured.includes("/") || configured.includes("\\")) {
    if (!path.isAbsolute(configured) && folders && folders.length > 0) {
      return path.join(folders[0].uri.fsPath, configured);
    }
  }
  return configured;
}

async function startClient() {
  const command = serverCommand();
  const serverOptions = {
    command,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "pyspec" },
      { scheme: "untitled", language: "pyspec" },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.pyspec"),
    },
  };
  client = new LanguageClient("pyspec", "pyspec language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    client = undefined;
    vscode.window.showErrorMessage(
      `pyspec: could not start the language server \`${command} lsp\` (${err && err.message ? err.message : err}). ` +
        "Install pyspec so that `pyspec` is on PATH, or point the setting pyspec.command at it."
    );
  }
}

async function stopClient() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("pyspec.command")) {
        await stopClient();
        await startClient();
      }
    }),
    vscode.commands.registerCommand("pyspec.restartServer", async () => {
      await stopClient();
      await startClient();
    })
  );
  await startClient();
}

function deactivate() {
  return stopClient();
}

module.exports = { activate, deactivate };
