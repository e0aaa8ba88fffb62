// mfapol diff --from-action: runs a tenant's post-login Action on every
// event read from stdin (one JSON line each: {"now": ms, "event": {...}})
// with a recording `api`.
//
// Output, one JSON line each: first the load status,
//   {"fatal": null | "message"}
// (a fatal load is a usage error: no onExecutePostLogin, a module that is
// not installed, a file that does not parse), then one line per event:
//   {"calls": [[name, args], ...], "error": null | "message", "logs": N}.
//
// The Action runs in a worker thread; this (main) thread is its watchdog.
// Its module is loaded once, so module state is reused between events as in
// Node 22 on Auth0. Everything the Action does, its module-level code
// included, runs under the time limit: when a load or an event overruns it,
// the worker is terminated (which stops even an endless synchronous loop
// after an `await`), that event is an `error`, and a fresh worker loads the
// module again for the next event.
//
// Usage: node runner.js ACTION.js SECRETS.json TIMEOUT_MS
"use strict";
const { Worker, isMainThread, parentPort, workerData } = require("worker_threads");

// Text for any thrown value, never itself a throw: `Object.create(null)`,
// a throwing `message` getter, a revoked proxy and a symbol all have one.
function describe(e) {
  let text;
  try {
    const m = e !== null && (typeof e === "object" || typeof e === "function") ? e.message : undefined;
    text = typeof m === "string" ? m : String(e);
  } catch (_) {
    try {
      text = "a thrown " + Object.prototype.toString.call(e).slice(8, -1) + " that has no text";
    } catch (_) {
      text = "a thrown value that has no text";
    }
  }
  // One line, without Node's `Require stack:` of file paths.
  const cut = text.indexOf("\nRequire stack:");
  if (cut >= 0) text = text.slice(0, cut);
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

function missingModule(e) {
  try {
    if (e && e.code === "MODULE_NOT_FOUND") {
      const m = /Cannot find module '([^']*)'/.exec(String(e.message));
      if (m) return m[1];
    }
  } catch (_) {}
  return null;
}

// ---- the watchdog ----
function main() {
  const fs = require("fs");
  const path = require("path");
  const readline = require("readline");
  const actionPath = path.resolve(process.argv[2]);
  const secretsText = process.argv[3] ? fs.readFileSync(process.argv[3], "utf8") : "{}";
  const timeoutMs = Number(process.argv[4]);
  const out = process.stdout;

  let w = null; // the loaded worker
  let loadError = null; // a load that threw or timed out: every event is this error
  let pending = null; // {worker, settle}: the event result awaited

  // Starts a worker that loads the Action at `now` (the module loads when
  // the first login arrives, as on Auth0), under the time limit.
  function start(now) {
    return new Promise((resolve) => {
      const worker = new Worker(__filename, {
        workerData: { actionPath, secretsText, now },
        stdout: true,
        stderr: true,
      });
      // The Action's own stdout/stderr writes are dropped: stdout carries
      // the results.
      worker.stdout.resume();
      worker.stderr.resume();
      let loaded = false;
      const finish = (r) => {
        if (loaded) return;
        loaded = true;
        clearTimeout(timer);
        if (r.worker === null) worker.terminate();
        resolve(r);
      };
      // The limit starts when the worker starts loading the Action, not
      // while Node starts the thread.
      let timer = null;
      const fail = (text) => {
        finish({ worker: null, error: "loading the Action failed: " + text });
        if (pending !== null && pending.worker === worker) {
          const p = pending;
          pending = null;
          p.settle(JSON.stringify({ calls: [], error: text, logs: 0 }));
        }
        if (w === worker) w = null;
      };
      worker.on("message", (m) => {
        if (m.loading) {
          timer = setTimeout(
            () => finish({ worker: null, error: `loading the Action timed out after ${timeoutMs} ms` }),
            timeoutMs,
          );
        } else if (!loaded) {
          finish({ worker: m.loaded ? worker : null, fatal: m.fatal, error: m.error });
        } else if (m.result !== undefined && pending !== null && pending.worker === worker) {
          const p = pending;
          pending = null;
          p.settle(m.result);
        }
      });
      worker.on("error", (e) => fail(describe(e)));
      worker.on("exit", () => fail("the Action's thread stopped"));
    });
  }

  function runOne(line) {
    return new Promise((resolve) => {
      const worker = w;
      const timer = setTimeout(() => {
        pending = null;
        w = null;
        worker.terminate();
        resolve(JSON.stringify({ calls: [], error: `timed out after ${timeoutMs} ms`, logs: 0 }));
      }, timeoutMs);
      pending = {
        worker,
        settle: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      worker.postMessage(line);
    });
  }

  function nowOf(line) {
    try {
      const n = JSON.parse(line).now;
      return typeof n === "number" ? n : null;
    } catch (_) {
      return null;
    }
  }

  let first = true;
  // Loads the Action when needed; false when it cannot be compared at all.
  async function ensureLoaded(now) {
    if (w !== null || loadError !== null) return true;
    const r = await start(now);
    if (first) {
      first = false;
      if (r.fatal) {
        out.write(JSON.stringify({ fatal: r.fatal }) + "\n", () => process.exit(0));
        return false;
      }
      out.write(JSON.stringify({ fatal: null }) + "\n");
    }
    if (r.fatal || r.error) loadError = r.fatal || r.error;
    else w = r.worker;
    return true;
  }

  (async () => {
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of rl) {
      if (!(await ensureLoaded(nowOf(line)))) return;
      const result =
        loadError !== null
          ? JSON.stringify({ calls: [], error: loadError, logs: 0 })
          : await runOne(line);
      out.write(result + "\n");
    }
    // No event at all: the load status still says whether the file is an Action.
    if (first && !(await ensureLoaded(null))) return;
    out.write("", () => process.exit(0));
  })().catch((e) => {
    process.stderr.write("mfapol: the Action runner failed: " + describe(e) + "\n");
    process.exit(3);
  });
}

const NO_HANDLER =
  "the file exports no onExecutePostLogin function: --from-action runs a post-login Action (`exports.onExecutePostLogin = async (event, api) => {...}`); a Rule (`function (user, context, callback)`) must be ported to an Action first";

// ---- the Action's thread ----
function worker() {
  const { actionPath, secretsText } = workerData;

  // Every clock read is the event's time while an event runs: Date.now(),
  // new Date(), Date() and Intl formatting of "now".
  const RealDate = Date;
  // The module loads at the first event's time.
  let fixedNow = workerData.now;
  const clock = () => (fixedNow === null ? RealDate.now() : fixedNow);
  function FakeDate(...args) {
    if (new.target === undefined) return new RealDate(clock()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [clock()] : args, new.target);
  }
  Object.setPrototypeOf(FakeDate, RealDate);
  FakeDate.prototype = RealDate.prototype;
  FakeDate.now = clock;
  Object.defineProperty(RealDate.prototype, "constructor", {
    value: FakeDate,
    writable: true,
    configurable: true,
  });
  globalThis.Date = FakeDate;
  const dtf = Intl.DateTimeFormat.prototype;
  const formatGetter = Object.getOwnPropertyDescriptor(dtf, "format").get;
  Object.defineProperty(dtf, "format", {
    configurable: true,
    get() {
      const f = formatGetter.call(this);
      return (d) => f(d === undefined ? clock() : d);
    },
  });
  const formatToParts = dtf.formatToParts;
  dtf.formatToParts = function (d) {
    return formatToParts.call(this, d === undefined ? clock() : d);
  };

  // The Action's console output is counted, never printed.
  let logs = 0;
  for (const k of ["log", "info", "warn", "error", "debug", "trace", "dir", "table"]) {
    console[k] = () => {
      logs++;
    };
  }
  // A throw, not the end of the run.
  process.exit = () => {
    throw new Error("the Action called process.exit");
  };
  // A rejection nobody awaits, or a throw from a timer, is the current
  // event's error (when one runs), never the end of the thread.
  let current = null;
  const stray = (e) => {
    if (current !== null && current.error === null) current.error = describe(e);
  };
  process.on("unhandledRejection", stray);
  process.on("uncaughtException", stray);

  // Until the watchdog ends this thread: a thread that ended on its own
  // right after posting its load report could have the report lost.
  parentPort.on("message", () => {});
  let mod;
  parentPort.postMessage({ loading: true });
  try {
    mod = require(actionPath);
    fixedNow = null;
  } catch (e) {
    const missing = missingModule(e);
    if (missing !== null) {
      parentPort.postMessage({
        fatal: `the Action requires \`${missing}\`, which is not installed: install the Action's dependencies (npm install --prefix deps ${missing}) and give --node-modules deps/node_modules`,
      });
    } else if (e instanceof SyntaxError) {
      // A Rule (`function (user, context, callback) {...}`) does not parse
      // as a module: say what it lacks.
      let text = "";
      try {
        text = require("fs").readFileSync(actionPath, "utf8");
      } catch (_) {}
      parentPort.postMessage({
        fatal: text.includes("onExecutePostLogin") ? "the Action does not parse: " + describe(e) : NO_HANDLER,
      });
    } else {
      parentPort.postMessage({ error: "loading the Action failed: " + describe(e) });
    }
    return;
  }
  let handler;
  try {
    handler = mod && mod.onExecutePostLogin;
  } catch (e) {
    handler = undefined;
  }
  if (typeof handler !== "function") {
    parentPort.postMessage({ fatal: NO_HANDLER });
    return;
  }
  parentPort.postMessage({ loaded: true });

  // A copy of a call's arguments as JSON; never a throw.
  function snapshot(args) {
    try {
      return JSON.parse(
        JSON.stringify(args, (k, v) =>
          v === undefined ? null : typeof v === "bigint" ? String(v) : v,
        ),
      );
    } catch (_) {
      return [];
    }
  }

  function recordingApi(st) {
    const api = {};
    const rec = (name) => (...args) => {
      if (!st.closed) st.calls.push([name, snapshot(args)]);
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
  const store = new Map();

  parentPort.on("message", async (line) => {
    const st = { calls: [], error: null, closed: false };
    logs = 0;
    let input = null;
    try {
      input = JSON.parse(line);
    } catch (_) {
      st.error = "invalid input line";
    }
    if (input !== null) {
      const event = input.event;
      // A fresh copy per event: an Action that changes its secrets
      // changes them for that login only.
      event.secrets = JSON.parse(secretsText);
      fixedNow = input.now;
      current = st;
      try {
        await handler(event, recordingApi(st));
      } catch (e) {
        if (st.error === null) st.error = describe(e);
      } finally {
        st.closed = true;
        current = null;
        fixedNow = null;
      }
    }
    parentPort.postMessage({ result: JSON.stringify({ calls: st.calls, error: st.error, logs }) });
  });
}

// Last, so every constant above is initialised before either side runs.
if (isMainThread) main();
else worker();
