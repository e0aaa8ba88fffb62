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
// least) and wall time, with the CPU ratio both of the medians and as the
// median of the rounds' own ratios ("rounds"). ROUNDS=N overrides the 15 rounds, WARMUP=N the 5
// unmeasured rounds before them, CALLS=N the 20,000 calls per round.
"use strict";
const fs = require("fs");
const path = require("path");

const dir = path.join(__dirname, "../peers/events");
const events = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => [f, Object.freeze(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))]);

const CALLS = Number(process.env.CALLS) || 20000;
const ROUNDS = Number(process.env.ROUNDS) || 15;
// Rounds run before the measured ones on each event, not counted: the
// optimising compiler runs on other threads, whose CPU time
// `process.cpuUsage` counts, while the code settles after a new event.
const WARMUP = Number(process.env.WARMUP ?? 5);
let sink = 0;
const api = {
  multifactor: { enable: () => sink++ },
  access: { deny: () => sink++ },
  authentication: { challengeWith: () => sink++, challengeWithAny: () => sink++ },
};

// ns per decision: [cpu, wall]. Each Action gets its own copy of this
// loop (`timer`), compiled from its own source text: with one shared loop
// the call `action.onExecutePostLogin` sees every Action, so V8 either
// inlines none of them or inlines them all into one function whose
// inlining budget they then share; a deployed Action's caller sees one.
const ROUND = `async (action, event, api) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await action.onExecutePostLogin(event, api);
  const wall = Number(process.hrtime.bigint() - t0) / CALLS;
  const c = process.cpuUsage(c0);
  return [((c.user + c.system) * 1000) / CALLS, wall];
}`;
function timer(label) {
  // The label makes each source text distinct, so no compilation cache
  // hands two Actions the same function.
  return new Function("CALLS", `"use strict"; // ${label.replace(/[^\w.-]/g, "_")}\nreturn ${ROUND};`)(CALLS);
}

const generated = process.argv.slice(2).map((f, i) => [path.basename(f), require(path.resolve(f)), timer(`${i} ${f}`)]);
const hand = require("./handwritten.js");
const handRound = timer("handwritten");

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  console.log(
    `node ${process.version}; ${CALLS} calls x ${ROUNDS} interleaved rounds per event after ${WARMUP} unmeasured; ns per decision (median)`,
  );
  console.log(
    "event                                    Action             cpu  hand cpu  ratio  rounds    wall hand wall  ratio",
  );
  for (const [name, event] of events) {
    const g = generated.map(() => [[], []]);
    const h = [[], []];
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const keep = r >= WARMUP;
      for (let i = 0; i < generated.length; i++) {
        const [c, w] = await generated[i][2](generated[i][1], event, api);
        if (keep) {
          g[i][0].push(c);
          g[i][1].push(w);
        }
      }
      const [c, w] = await handRound(hand, event, api);
      if (keep) {
        h[0].push(c);
        h[1].push(w);
      }
    }
    const hc = median(h[0]);
    const hw = median(h[1]);
    for (let i = 0; i < generated.length; i++) {
      const gc = median(g[i][0]);
      const gw = median(g[i][1]);
      // Also the median of each round's own ratio (an Action's round and
      // the hand-written one right after it): load that drifts over the
      // run cancels out more than in the ratio of the medians.
      const pc = median(g[i][0].map((c, r) => c / h[0][r]));
      console.log(
        `${name.padEnd(40)} ${generated[i][0].padEnd(16)} ${gc.toFixed(0).padStart(5)} ${hc.toFixed(0).padStart(9)} ${(gc / hc).toFixed(2).padStart(6)} ${pc.toFixed(2).padStart(7)} ${gw.toFixed(0).padStart(7)} ${hw.toFixed(0).padStart(9)} ${(gw / hw).toFixed(2).padStart(6)}`,
      );
    }
  }
  if (sink < 0) console.log(sink);
}

main();
