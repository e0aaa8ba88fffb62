// mfapol diff --from-action: runs a tenant's post-login Action on every
// event read from stdin (one JSON line each: {"now": ms, "event": {...}})
// with a recording `api`, and writes one JSON line per event:
// {"calls": [[name, args], ...], "error": null | "message", "logs": N}.
// One process for the whole run: the Action's module is loaded once, so
// module state is reused between events as in Node 22 on Auth0.
// Usage: node runner.js ACTION.js SECRETS.json TIMEOUT_MS
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const vm = require("vm");

const actionPath = path.resolve(process.argv[2]);
const secretsText = process.argv[3] ? fs.readFileSync(process.argv[3], "utf8") : "{}";
const secrets = JSON.parse(secretsText);
const timeoutMs = Number(process.argv[4]) || 5000;
const out = process.stdout;

// The Action's console output is captured (counted), never printed: stdout
// carries the results.
let logs = 0;
for (const k of ["log", "info", "warn", "error", "debug", "trace"]) {
  console[k] = () => {
    logs++;
  };
}

let mod = null;
let loadError = null;
try {
  mod = require(actionPath);
  if (!mod || typeof mod.onExecutePostLogin !== "function") {
    loadError = "the Action exports no onExecutePostLogin function";
  }
} catch (e) {
  loadError = "loading the Action failed: " + describe(e);
}

function describe(e) {
  const m = e && e.message !== undefined ? String(e.message) : String(e);
  return m.slice(0, 300);
}

function recordingApi(calls) {
  const api = {};
  const rec = (name) => (...args) => {
    calls.push([name, JSON.parse(JSON.stringify(args, (k, v) => (v === undefined ? null : v)))]);
    return api;
  };
  const noop = () => api;
  api.multifactor = { enable: rec("multifactor.enable") };
  api.authentication = {
    challengeWith: rec("authentication.challengeWith"),
    challengeWithAny: rec("authentication.challengeWithAny"),
    enrollWith: rec("authentication.enrollWith"),
    enrollWithAny: rec("authentication.enrollWithAny"),
    recordMethod: noop,
    setPrimaryUser: noop,
  };
  api.access = { deny: rec("access.deny") };
  api.idToken = { setCustomClaim: noop };
  api.accessToken = { setCustomClaim: noop, addScope: noop, removeScope: noop };
  api.user = { setAppMetadata: noop, setUserMetadata: noop };
  api.redirect = { sendUserTo: noop, encodeToken: () => "", validateToken: () => ({}) };
  const store = new Map();
  api.cache = {
    get: (k) => (store.has(k) ? { value: store.get(k) } : undefined),
    set: (k, v) => {
      store.set(k, v);
      return { type: "success" };
    },
    delete: (k) => {
      store.delete(k);
      return { type: "success" };
    },
  };
  api.samlResponse = new Proxy({}, { get: () => noop });
  api.session = new Proxy({}, { get: () => noop });
  api.prompt = { render: noop };
  api.transaction = new Proxy({}, { get: () => noop });
  return api;
}

function withTimeout(p, ms) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// The handler is called through a script run with a time limit, so that a
// synchronous endless loop before the first `await` is stopped too; the
// promise it returns gets the same limit.
const call = new vm.Script("__result = __handler(__event, __api);");
const callCtx = vm.createContext({});
const realNow = Date.now;
async function runOne(line) {
  const calls = [];
  logs = 0;
  let error = loadError;
  if (error === null) {
    let input;
    try {
      input = JSON.parse(line);
    } catch (e) {
      input = null;
      error = "invalid input line";
    }
    if (input) {
      const event = input.event;
      event.secrets = secrets;
      Date.now = () => input.now;
      try {
        callCtx.__handler = mod.onExecutePostLogin;
        callCtx.__event = event;
        callCtx.__api = recordingApi(calls);
        callCtx.__result = undefined;
        call.runInContext(callCtx, { timeout: timeoutMs });
        const result = callCtx.__result;
        callCtx.__event = callCtx.__api = callCtx.__result = undefined;
        await withTimeout(Promise.resolve(result), timeoutMs);
      } catch (e) {
        error = describe(e);
      } finally {
        Date.now = realNow;
      }
    }
  }
  out.write(JSON.stringify({ calls, error, logs }) + "\n");
}

let queue = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  queue = queue.then(() => runOne(line));
});
rl.on("close", () => {
  queue.then(() => process.exit(0));
});
