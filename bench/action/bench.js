// Time per decision of a compiled Action against the hand-written one
// (handwritten.js), on the reference events. Not a test: run it by hand.
//
//   mfapol compile policies/reference.mfapolicy --target auth0-action > /tmp/reference.js
//   node bench/action/bench.js /tmp/reference.js [MORE.js ...]
//
// Each round calls onExecutePostLogin CALLS times per event with a no-op
// api, the Actions alternating round by round (interleaved, so a busy
// machine slows them alike); the medians over ROUNDS rounds are printed
// per event, as process CPU time (what the machine's other load moves
// least) and wall time. ROUNDS=N overrides the 15 rounds.
"use strict";
const fs = require("fs");
const path = require("path");

const generated = process.argv.slice(2).map((f) => [path.basename(f), require(path.resolve(f))]);
const hand = require("./handwritten.js");
const dir = path.join(__dirname, "../peers/events");
const events = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => [f, Object.freeze(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))]);

const CALLS = 20000;
const ROUNDS = Number(process.env.ROUNDS) || 15;
let sink = 0;
const api = {
  multifactor: { enable: () => sink++ },
  access: { deny: () => sink++ },
  authentication: { challengeWith: () => sink++, challengeWithAny: () => sink++ },
};

// ns per decision: [cpu, wall].
async function round(action, event) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await action.onExecutePostLogin(event, api);
  const wall = Number(process.hrtime.bigint() - t0) / CALLS;
  const c = process.cpuUsage(c0);
  return [((c.user + c.system) * 1000) / CALLS, wall];
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  console.log(`node ${process.version}; ${CALLS} calls x ${ROUNDS} interleaved rounds per event; ns per decision (median)`);
  console.log("event                                    Action             cpu  hand cpu  ratio    wall hand wall  ratio");
  for (const [name, event] of events) {
    const g = generated.map(() => [[], []]);
    const h = [[], []];
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < generated.length; i++) {
        const [c, w] = await round(generated[i][1], event);
        g[i][0].push(c);
        g[i][1].push(w);
      }
      const [c, w] = await round(hand, event);
      h[0].push(c);
      h[1].push(w);
    }
    const hc = median(h[0]);
    const hw = median(h[1]);
    for (let i = 0; i < generated.length; i++) {
      const gc = median(g[i][0]);
      const gw = median(g[i][1]);
      console.log(
        `${name.padEnd(40)} ${generated[i][0].padEnd(16)} ${gc.toFixed(0).padStart(5)} ${hc.toFixed(0).padStart(9)} ${(gc / hc).toFixed(2).padStart(6)} ${gw.toFixed(0).padStart(7)} ${hw.toFixed(0).padStart(9)} ${(gw / hw).toFixed(2).padStart(6)}`,
      );
    }
  }
  if (sink < 0) console.log(sink);
}

main();
