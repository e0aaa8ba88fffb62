// Runs a compiled Action on a batch of events with a recording `api`, for
// tests/action_node.rs. No npm dependency: plain Node.js.
//
//   node runner.js CODE.js EVENTS.ndjson NOW_MS
//
// Prints one JSON line per event: {"calls": [[method, args], ...], "logs": [...]}.
// Events are read with integers beyond 2^53 kept exact (as BigInt), the way
// the interpreter reads the same text; each event is deep-frozen, so an
// Action that writes to it fails.
"use strict";
const fs = require("fs");
const path = require("path");

function parseJson(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj = {};
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i++] !== ":") throw new Error("expected : at " + i);
        const v = value();
        // Own data property even for "__proto__", as JSON.parse makes it.
        Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "}") throw new Error("expected } at " + i);
        return obj;
      }
    }
    if (c === "[") {
      i++;
      const arr = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "]") throw new Error("expected ] at " + i);
        return arr;
      }
    }
    if (c === '"') return str();
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m && m[0].length > 0) {
      i += m[0].length;
      const n = Number(m[0]);
      if (m[2] === undefined && m[3] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
      return n;
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    throw new Error("bad JSON at " + i);
  };
  const str = () => {
    if (text[i] !== '"') throw new Error("expected string at " + i);
    let j = i + 1;
    while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    const s = JSON.parse(text.slice(i, j + 1));
    i = j + 1;
    return s;
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error("trailing text at " + i);
  return v;
}

function deepFreeze(v) {
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) deepFreeze(v[k]);
    Object.freeze(v);
  }
  return v;
}

function recordingApi(calls) {
  const allowed = {
    access: ["deny"],
    multifactor: ["enable"],
    authentication: ["challengeWith", "challengeWithAny", "enrollWith", "enrollWithAny"],
  };
  const api = {};
  for (const [ns, methods] of Object.entries(allowed)) {
    api[ns] = {};
    for (const m of methods) {
      api[ns][m] = (...args) => {
        calls.push([ns + "." + m, JSON.parse(JSON.stringify(args))]);
        return api;
      };
    }
  }
  // Any other namespace or method is a test failure, not a silent no-op.
  return new Proxy(api, {
    get(target, prop) {
      if (!(prop in target)) throw new Error("the Action used api." + String(prop));
      return target[prop];
    },
  });
}

// Hostile forms of an event that JSON.stringify prints the same
// (MFAPOL_HOSTILE; MFAPOL_KEYS: the keys the policy reads). Own properties
// never change, so the interpreter's reading of the event text stands.
const HOSTILE = process.env.MFAPOL_HOSTILE || "";
// The keys of the Action being run (batch items bring their own).
let KEYS = JSON.parse(process.env.MFAPOL_KEYS || "[]");
// Values the hostile keys hold: each would change some decision if read.
const BAIT = ["corp-ad", true, "203.0.113.5", ["admin"], { name: "corp-ad" }, "EU", 9, "2024-06-24T00:00:00Z"];

function mapObjects(v, f) {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = mapObjects(v[i], f);
    return f(v);
  }
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) v[k] = mapObjects(v[k], f);
    return f(v);
  }
  return v;
}

function hostile(event) {
  switch (HOSTILE) {
    case "inherit":
      // Every object inherits every key the policy reads from its own
      // prototype (which inherits from Object.prototype).
      return mapObjects(event, (o) => {
        if (Array.isArray(o)) return o;
        const proto = {};
        KEYS.forEach((k, i) => {
          Object.defineProperty(proto, k, { value: BAIT[i % BAIT.length], enumerable: true });
        });
        Object.setPrototypeOf(o, proto);
        return o;
      });
    case "nullproto":
      return mapObjects(event, (o) => (Array.isArray(o) ? o : Object.assign(Object.create(null), o)));
    case "proxy":
      // Forwarding proxies, one with every trap spelled out.
      return mapObjects(event, (o) =>
        Array.isArray(o)
          ? new Proxy(o, {})
          : new Proxy(o, {
              get: (t, k, r) => Reflect.get(t, k, r),
              has: (t, k) => Reflect.has(t, k),
              getOwnPropertyDescriptor: (t, k) => Reflect.getOwnPropertyDescriptor(t, k),
              getPrototypeOf: (t) => Reflect.getPrototypeOf(t),
              ownKeys: (t) => Reflect.ownKeys(t),
            }),
      );
    default:
      return event;
  }
}

// MFAPOL_HOSTILE=pollute: Object.prototype gets every key the policy reads,
// half as data and half as getters; a getter that runs while the Action
// decides is a difference (the Action must never read an inherited key).
let getterRuns = 0;
let deciding = false;
function pollute() {
  KEYS.forEach((k, i) => {
    if (k in Object.prototype) return;
    if (i % 2 === 0) {
      Object.defineProperty(Object.prototype, k, {
        value: BAIT[i % BAIT.length],
        writable: true,
        configurable: true,
      });
    } else {
      Object.defineProperty(Object.prototype, k, {
        get() {
          if (deciding) getterRuns++;
          return BAIT[i % BAIT.length];
        },
        // Node's own code assigns such keys (`this.name = ...`): an
        // assignment makes an own property, as with a data pollution.
        set(v) {
          Object.defineProperty(this, k, { value: v, writable: true, enumerable: true, configurable: true });
        },
        configurable: true,
      });
    }
  });
}

// One Action on its events: one JSON line per event.
async function runAll(action, lines, out) {
  const realLog = console.log;
  for (const line of lines) {
    const event = deepFreeze(hostile(parseJson(line)));
    const calls = [];
    const logs = [];
    console.log = (...a) => logs.push(a.join(" "));
    getterRuns = 0;
    deciding = true;
    try {
      await action.onExecutePostLogin(event, recordingApi(calls));
    } catch (e) {
      logs.push("THREW: " + (e && e.name));
    }
    deciding = false;
    if (getterRuns > 0) logs.push("an inherited getter ran " + getterRuns + " times");
    console.log = realLog;
    out.push(JSON.stringify({ calls, logs }));
  }
}

function readLines(file) {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);
}

// `node runner.js --batch MANIFEST.json`: many Actions in one process, the
// manifest a list of {"code": FILE, "events": FILE, "now": MS}; the lines
// of every Action's events follow each other in manifest order.
async function main() {
  const out = [];
  if (process.argv[2] === "--batch") {
    const items = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
    const actions = items.map((item) => require(path.resolve(item.code)));
    if (HOSTILE === "pollute") {
      KEYS = [...new Set(items.flatMap((item) => item.keys || []))].sort();
      pollute();
    }
    for (let i = 0; i < items.length; i++) {
      Date.now = () => items[i].now;
      if (HOSTILE !== "pollute") KEYS = items[i].keys || [];
      await runAll(actions[i], readLines(items[i].events), out);
    }
  } else {
    const [codeFile, eventsFile, nowArg] = process.argv.slice(2);
    const now = Number(nowArg);
    Date.now = () => now;
    const action = require(path.resolve(codeFile));
    if (HOSTILE === "pollute") pollute();
    await runAll(action, readLines(eventsFile), out);
  }
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack) + "\n");
  process.exit(3);
});
