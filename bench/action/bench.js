// Time per decision of a compiled Action against the hand-written one
// (handwritten.js), on the reference events. Not a test: run it by hand.
//
//   mfapol compile policies/reference.mfapolicy --target auth0-action > /tmp/reference.js
//   node bench/action/bench.js /tmp/reference.js
//
// Each round calls onExecutePostLogin ROUNDS_CALLS times per event with a
// no-op api; the medians over ROUNDS rounds are printed per event.
"use strict";
const fs = require("fs");
const path = require("path");

const generated = require(path.resolve(process.argv[2]));
const hand = require("./handwritten.js");
const dir = path.join(__dirname, "../peers/events");
const events = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => [f, Object.freeze(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))]);

const CALLS = 20000;
const ROUNDS = 15;
let sink = 0;
const api = {
  multifactor: { enable: () => sink++ },
  access: { deny: () => sink++ },
  authentication: { challengeWith: () => sink++, challengeWithAny: () => sink++ },
};

async function round(action, event) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await action.onExecutePostLogin(event, api);
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  console.log(`node ${process.version}; ${CALLS} calls x ${ROUNDS} rounds per event; ns per decision (median)`);
  console.log("event                                     generated  hand-written  ratio");
  for (const [name, event] of events) {
    const g = [];
    const h = [];
    for (let r = 0; r < ROUNDS; r++) {
      g.push(await round(generated, event));
      h.push(await round(hand, event));
    }
    const mg = median(g);
    const mh = median(h);
    console.log(`${name.padEnd(40)} ${mg.toFixed(0).padStart(9)} ${mh.toFixed(0).padStart(13)} ${(mg / mh).toFixed(2).padStart(6)}`);
  }
  if (sink < 0) console.log(sink);
}

main();
