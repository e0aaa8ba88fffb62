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

async function main() {
  const [codeFile, eventsFile, nowArg] = process.argv.slice(2);
  const now = Number(nowArg);
  Date.now = () => now;
  const action = require(path.resolve(codeFile));
  const lines = fs.readFileSync(eventsFile, "utf8").split("\n").filter((l) => l.length > 0);
  const out = [];
  const realLog = console.log;
  for (const line of lines) {
    const event = deepFreeze(parseJson(line));
    const calls = [];
    const logs = [];
    console.log = (...a) => logs.push(a.join(" "));
    try {
      await action.onExecutePostLogin(event, recordingApi(calls));
    } catch (e) {
      logs.push("THREW: " + (e && e.name));
    }
    console.log = realLog;
    out.push(JSON.stringify({ calls, logs }));
  }
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack) + "\n");
  process.exit(3);
});
