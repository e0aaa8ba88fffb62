// ---- mfapol run-time helpers (plain JavaScript, no require) ----
// Each helper mirrors one piece of the interpreter (src/eval/); the
// comments name the Rust it follows. Values carry a static kind chosen by
// the compiler: "s" string, "i" int, "f" float, "b" bool, "ip", "net",
// "t" timestamp (ms), "d" duration (ms), "j" any JSON (records, maps,
// dynamic), "n" null, "c<k>" a policy list of <k>, "e<k>" an event list
// whose elements are read as <k> ("o" is a record: JSON that must be an
// object). Ints, times and durations are numbers when they are safe
// integers and BigInts beyond 2^53.

// The constants the generated code reads on every decision are `var`,
// not `const`: a `const` read from another function costs V8 a hole
// (TDZ) check per read in bytecode, which counts against the inlining
// budget (docs/deploy.md section 8). Nothing outside this module can
// reach them; nothing in it assigns them again.
// A run-time error: thrown, caught at the rule, which fails closed.
var $RAISE = Object.freeze({ mfapol: "run-time error" });
// A `let` not evaluated yet for this event.
var $UNSET = Object.freeze({ mfapol: "unset" });
function $raise() {
  throw $RAISE;
}
// At a rule's `catch`: a run-time error gives the fail-closed value `v`;
// anything else is a bug, handled by the handler's failure path.
function $caught(e, v) {
  if (e !== $RAISE) throw e;
  return v;
}
var $own = Object.prototype.hasOwnProperty;
// Own-property reads skip `hasOwnProperty` on a plain object when
// `Object.prototype` has no such key (emit.rs `raw`).
var $OP = Object.prototype;
var $proto = Object.getPrototypeOf;
var $isArray = Array.isArray;
// A key no object has (a symbol private to this module): `o[$PROBE]`
// finds nothing and runs no getter; it only shows V8 the object's maps.
var $PROBE = Symbol("mfapol");
// A path step off the fast path (emit.rs `raw`): a misfit (not an object,
// or an array) is absent at a lax step (`$step`) and raises at a strict
// one (`$stepStrict`); else an own-property read that checks
// `hasOwnProperty` first, so nothing inherited (from `Object.prototype` or
// any other prototype) is read and no getter there runs. `o` is neither
// undefined nor null.
function $step(o, k) {
  if (typeof o !== "object" || $isArray(o)) return undefined;
  return $own.call(o, k) ? o[k] : undefined;
}
function $stepStrict(o, k) {
  if (typeof o !== "object" || $isArray(o)) $raise();
  return $own.call(o, k) ? o[k] : undefined;
}
// A misfit at a strict index step: absent stays absent, else it raises.
function $lax(o) {
  return o === undefined || o === null ? undefined : $raise();
}
const $MAXSAFE = 9007199254740991n;
const $I64MIN = -9223372036854775808n;
const $I64MAX = 9223372036854775807n;
const $U64MAX = 18446744073709551615n;

function $isObj(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// Path reads are generated per path (interp.rs `raw`); `exists` tests one.
function $exists(v) {
  return v !== undefined && v !== null;
}

// An integer as the interpreter holds it: a number when safe, else a
// BigInt; outside i64 it raises.
function $big(b) {
  if (b < $I64MIN || b > $I64MAX) $raise();
  return b >= -$MAXSAFE && b <= $MAXSAFE ? Number(b) : b;
}

// from_json (value.rs): present JSON to the value of a schema type. The
// event is read as `JSON.stringify(event)` would print it, so an integral
// number below 1e21 is the integer its digits spell.
function $str(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v;
  return $raise();
}
function $int(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") {
    if (Number.isInteger(v)) {
      if (Math.abs(v) < 9e15) return v + 0;
      if (Math.abs(v) < 1e21) return $big(BigInt(String(v)));
    }
    return $raise();
  }
  if (typeof v === "bigint") return $big(v);
  return $raise();
}
function $float(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return $raise();
}
function $bool(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v;
  return $raise();
}
function $ipv(v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") $raise();
  const a = $parseIp($trim(v));
  return a === null ? $raise() : a;
}
function $netv(v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") $raise();
  const n = $parseNet(v);
  return n === null ? $raise() : n;
}
function $timev(v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") $raise();
  const t = $parseTime(v);
  return t === null ? $raise() : t;
}
function $durv(v) {
  if (v === undefined || v === null) return null;
  let s;
  if (typeof v === "number") s = v;
  else if (typeof v === "bigint") s = Number(v);
  else return $raise();
  const ms = s * 1000;
  if (!(Math.abs(ms) <= 9007199254740992)) $raise();
  return Math.trunc(ms) + 0;
}
function $listv(v) {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v;
  return $raise();
}
function $objv(v) {
  if (v === undefined || v === null) return null;
  if ($isObj(v)) return v;
  return $raise();
}
function $dyn(v) {
  return v === undefined ? null : v;
}
function $nullv(v) {
  return null;
}
const $CONV = Object.freeze({
  s: $str,
  i: $int,
  f: $float,
  b: $bool,
  ip: $ipv,
  net: $netv,
  t: $timev,
  d: $durv,
  o: $objv,
  j: $dyn,
  n: $nullv,
});
function $conv(k) {
  return k.charCodeAt(0) === 101 /* e */ ? $listv : $CONV[k];
}
// The kind an element of kind `k` has in operations ("o" reads as "j").
function $opk(k) {
  return k === "o" ? "j" : k;
}

// str::trim: Unicode White_Space, which is not JavaScript's trim set.
function $ws(c) {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}
function $trimStart(s) {
  let i = 0;
  while (i < s.length && $ws(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}
function $trim(s) {
  if (s.length > 0 && !$ws(s.charCodeAt(0)) && !$ws(s.charCodeAt(s.length - 1))) return s;
  let i = 0;
  let j = s.length;
  while (i < j && $ws(s.charCodeAt(i))) i++;
  while (j > i && $ws(s.charCodeAt(j - 1))) j--;
  return i === 0 && j === s.length ? s : s.slice(i, j);
}

// Addresses: {f: 4, n: u32} or {f: 6, g: [8 x u16]}, IPv4-mapped IPv6
// read as IPv4 (ir.rs `normalize_ip`).
function $ip4(n) {
  return { f: 4, n: n >>> 0 };
}
function $ip6(g) {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return $ip4(g[6] * 65536 + g[7]);
  }
  return { f: 6, g: g.slice() };
}
function $ipEq(a, b) {
  if (a.f !== b.f) return false;
  if (a.f === 4) return a.n === b.n;
  for (let i = 0; i < 8; i++) if (a.g[i] !== b.g[i]) return false;
  return true;
}

// std's address parser (core::net::parser), on the text after trim.
function $P(s) {
  return { s: s, i: 0 };
}
function $pNum(p, radix, maxDigits, zeroPrefix, upto) {
  const start = p.i;
  const lead = p.s.charCodeAt(p.i) === 48;
  let r = 0;
  let n = 0;
  for (;;) {
    const d = $digit(p.s.charCodeAt(p.i), radix);
    if (d < 0) break;
    p.i++;
    r = r * radix + d;
    n++;
    if (n > maxDigits) {
      p.i = start;
      return -1;
    }
  }
  if (n === 0 || (!zeroPrefix && lead && n > 1) || r >= upto) {
    p.i = start;
    return -1;
  }
  return r;
}
function $digit(c, radix) {
  if (c >= 48 && c <= 57) return c - 48;
  if (radix === 16) {
    if (c >= 97 && c <= 102) return c - 87;
    if (c >= 65 && c <= 70) return c - 55;
  }
  return -1;
}
function $pChar(p, ch) {
  if (p.s.charCodeAt(p.i) === ch) {
    p.i++;
    return true;
  }
  return false;
}
function $p4(p) {
  const start = p.i;
  let n = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0 && !$pChar(p, 46)) {
      p.i = start;
      return -1;
    }
    const o = $pNum(p, 10, 3, false, 256);
    if (o < 0) {
      p.i = start;
      return -1;
    }
    n = n * 256 + o;
  }
  return n;
}
function $p6groups(p, groups, at, limit) {
  for (let i = 0; i < limit; i++) {
    if (i < limit - 1) {
      const save = p.i;
      if (i === 0 || $pChar(p, 58)) {
        const v4 = $p4(p);
        if (v4 >= 0) {
          groups[at + i] = Math.floor(v4 / 65536);
          groups[at + i + 1] = v4 % 65536;
          return [i + 2, true];
        }
      }
      p.i = save;
    }
    const save = p.i;
    let g = -1;
    if (i === 0 || $pChar(p, 58)) g = $pNum(p, 16, 4, true, 65536);
    if (g < 0) {
      p.i = save;
      return [i, false];
    }
    groups[at + i] = g;
  }
  return [limit, false];
}
function $p6(p) {
  const start = p.i;
  const head = [0, 0, 0, 0, 0, 0, 0, 0];
  const [hn, h4] = $p6groups(p, head, 0, 8);
  if (hn === 8) return head;
  if (h4 || !$pChar(p, 58) || !$pChar(p, 58)) {
    p.i = start;
    return null;
  }
  const tail = [0, 0, 0, 0, 0, 0, 0];
  const [tn] = $p6groups(p, tail, 0, 8 - (hn + 1));
  const g = head;
  for (let i = 0; i < tn; i++) g[8 - tn + i] = tail[i];
  return g;
}
// IpAddr::from_str, then normalised; null when invalid.
function $parseIp(s) {
  const p = $P(s);
  const v4 = $p4(p);
  if (v4 >= 0) return p.i === s.length ? $ip4(v4) : null;
  const g = $p6(p);
  if (g === null || p.i !== s.length) return null;
  return $ip6(g);
}

// Networks: the address as written (`a`), its prefix (`p`), and the
// normalised network it matches (ir.rs `normalize_net`).
function $mask4(len) {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}
function $mask6(len) {
  const m = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, len - 16 * i));
    m.push(bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff);
  }
  return m;
}
function $net(f, a, p) {
  if (f === 4) {
    const mask = $mask4(p);
    return Object.freeze({ f: 4, a: a >>> 0, p: p, m4: [(a & mask) >>> 0, mask], m6: null });
  }
  const mask = $mask6(p);
  const net = a.map((x, i) => x & mask[i]);
  if (p >= 96 && net[0] === 0 && net[1] === 0 && net[2] === 0 && net[3] === 0 && net[4] === 0 && net[5] === 0xffff) {
    const m = $mask4(p - 96);
    const v4 = net[6] * 65536 + net[7];
    return Object.freeze({ f: 6, a: Object.freeze(a.slice()), p: p, m4: [(v4 & m) >>> 0, m], m6: null });
  }
  return Object.freeze({ f: 6, a: Object.freeze(a.slice()), p: p, m4: null, m6: [net, mask] });
}
function $netEq(x, y) {
  if (x.f !== y.f || x.p !== y.p) return false;
  if (x.f === 4) return x.a === y.a;
  for (let i = 0; i < 8; i++) if (x.a[i] !== y.a[i]) return false;
  return true;
}
// ir.rs `net_contains`, and NetSet.contains over {v4: [[net, mask]], v6: [[net, mask]]}.
function $in4(pairs, n) {
  for (let i = 0; i < pairs.length; i++) {
    if (((n & pairs[i][1]) >>> 0) === pairs[i][0]) return true;
  }
  return false;
}
function $in6(pairs, g) {
  outer: for (let i = 0; i < pairs.length; i++) {
    const net = pairs[i][0];
    const mask = pairs[i][1];
    for (let j = 0; j < 8; j++) if ((g[j] & mask[j]) !== net[j]) continue outer;
    return true;
  }
  return false;
}
function $netContains(net, ip) {
  // Both masks are own properties (null when absent), so a polluted
  // Object.prototype cannot supply one.
  if (ip.f === 4) return net.m4 !== null && $in4([net.m4], ip.n);
  return net.m6 !== null && $in6([net.m6], ip.g);
}
function $setContains(set, ip) {
  return ip.f === 4 ? $in4(set.v4, ip.n) : $in6(set.v6, ip.g);
}
// The ipnet crate's own parser (IpNet::from_str), which differs from
// std's: IPv4 octets may have leading zeros, a digit is read from the low
// byte of the character, and `::` may stand for no group.
function $nDigit(c, radix) {
  return $digit(c & 0xff, radix);
}
function $nNum(p, radix, maxDigits, upto) {
  const start = p.i;
  let r = 0;
  let n = 0;
  for (;;) {
    const c = p.s.codePointAt(p.i);
    if (c === undefined) break;
    const d = $nDigit(c, radix);
    if (d < 0) break;
    p.i += c > 0xffff ? 2 : 1;
    r = r * radix + d;
    n++;
    if (n > maxDigits || r >= upto) {
      p.i = start;
      return -1;
    }
  }
  if (n === 0) {
    p.i = start;
    return -1;
  }
  return r;
}
function $n4(p) {
  const start = p.i;
  let n = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0 && !$pChar(p, 46)) {
      p.i = start;
      return -1;
    }
    const o = $nNum(p, 10, 3, 256);
    if (o < 0) {
      p.i = start;
      return -1;
    }
    n = n * 256 + o;
  }
  return n;
}
function $n6groups(p, groups, limit) {
  let i = 0;
  while (i < limit) {
    if (i < limit - 1) {
      const save = p.i;
      let v4 = -1;
      if (i === 0 || $pChar(p, 58)) v4 = $n4(p);
      if (v4 >= 0) {
        groups[i] = Math.floor(v4 / 65536);
        groups[i + 1] = v4 % 65536;
        return [i + 2, true];
      }
      p.i = save;
    }
    const save = p.i;
    let g = -1;
    if (i === 0 || $pChar(p, 58)) g = $nNum(p, 16, 4, 65536);
    if (g < 0) {
      p.i = save;
      return [i, false];
    }
    groups[i] = g;
    i++;
  }
  return [i, false];
}
function $n6(p) {
  const start = p.i;
  const head = [0, 0, 0, 0, 0, 0, 0, 0];
  const [hn, h4] = $n6groups(p, head, 8);
  if (hn === 8) return head;
  if (h4 || !$pChar(p, 58) || !$pChar(p, 58)) {
    p.i = start;
    return null;
  }
  const tail = [0, 0, 0, 0, 0, 0, 0, 0];
  const [tn] = $n6groups(p, tail, 8 - hn);
  for (let i = 0; i < tn; i++) head[8 - tn + i] = tail[i];
  return head;
}
function $parseNet(s) {
  let p = $P(s);
  const v4 = $n4(p);
  if (v4 >= 0 && $pChar(p, 47)) {
    const len = $nNum(p, 10, 2, 33);
    if (len >= 0 && p.i === s.length) return $net(4, v4, len);
  }
  p = $P(s);
  const g = $n6(p);
  if (g !== null && $pChar(p, 47)) {
    const len = $nNum(p, 10, 3, 129);
    if (len >= 0 && p.i === s.length) return $net(6, g, len);
  }
  return null;
}

// Timestamps (value.rs `parse_time`): chrono's RFC 3339 parser, then a
// date-time without offset as UTC. Never Date.parse, never local time.
function $days(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}
function $dateOk(y, m, d) {
  if (y < -262143 || y > 262142 || m < 1 || m > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= dim;
}
// Milliseconds of a valid local date-time; sec 60 is a leap second.
function $ms(y, mo, d, h, mi, sec, nano) {
  if (sec === 60) {
    sec = 59;
    nano += 1000000000;
  }
  return $days(y, mo, d) * 86400000 + (h * 3600 + mi * 60 + sec) * 1000 + Math.floor(nano / 1000000);
}
function $d(s, i) {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}
// chrono `scan::nanosecond` at s[i]: 1-9 digits, more are skipped.
function $nanos(s, i) {
  let v = 0;
  let n = 0;
  while (n < 9 && $d(s, i + n) >= 0) {
    v = v * 10 + $d(s, i + n);
    n++;
  }
  if (n === 0) return null;
  let j = i + n;
  while ($d(s, j) >= 0) j++;
  return [v * [0, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1][n], j];
}
function $rfc3339(s) {
  if (s.length < 19) return null;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if ($d(s, i) < 0) return null;
  const c10 = s.charCodeAt(10);
  if (s[4] !== "-" || s[7] !== "-" || !(c10 === 84 || c10 === 116 || c10 === 32)) return null;
  if (s[13] !== ":" || s[16] !== ":") return null;
  const n2 = (i) => $d(s, i) * 10 + $d(s, i + 1);
  const y = $d(s, 0) * 1000 + $d(s, 1) * 100 + n2(2);
  const mo = n2(5);
  const d = n2(8);
  if (!$dateOk(y, mo, d)) return null;
  const h = n2(11);
  const mi = n2(14);
  const sec = n2(17);
  let i = 19;
  let nano = 0;
  if (s[19] === ".") {
    const r = $nanos(s, 20);
    if (r === null) return null;
    nano = r[0];
    i = r[1];
  }
  if (h > 23 || mi > 59 || sec > 60) return null;
  let off;
  const c = s.charCodeAt(i);
  if (c === 90 || c === 122) {
    off = 0;
    i += 1;
  } else {
    let neg;
    if (c === 43) neg = false;
    else if (c === 45 || c === 0x2212) neg = true;
    else return null;
    i += 1;
    if (i + 2 > s.length) return null;
    const oh = n2(i);
    if ($d(s, i) < 0 || $d(s, i + 1) < 0) return null;
    i += 2;
    if (s[i] !== ":") return null;
    i += 1;
    if (i + 2 > s.length) return null;
    const m1 = $d(s, i);
    const m2 = $d(s, i + 1);
    if (m1 < 0 || m1 > 5 || m2 < 0) return null;
    i += 2;
    off = (oh * 3600 + (m1 * 10 + m2) * 60) * (neg ? -1 : 1);
    if (Math.abs(off) >= 86400) return null;
  }
  if (i !== s.length) return null;
  return $ms(y, mo, d, h, mi, sec, nano) - off * 1000;
}
// chrono's item parser for `%Y-%m-%d<sep>%H:%M:%S%.f` (sep "T" or a space
// item), as NaiveDateTime::parse_from_str runs it.
function $naive(s, sep) {
  const st = { s: s };
  const num = (max, signed) => {
    st.s = $trimStart(st.s);
    let t = st.s;
    let sign = 1;
    let unbounded = false;
    if (signed && (t[0] === "-" || t[0] === "+")) {
      sign = t[0] === "-" ? -1 : 1;
      t = t.slice(1);
      unbounded = true;
    }
    let n = 0n;
    let k = 0;
    while ((unbounded || k < max) && $d(t, k) >= 0) {
      n = n * 10n + BigInt($d(t, k));
      k++;
      if (n > $I64MAX) return null;
    }
    if (k === 0) return null;
    st.s = t.slice(k);
    return sign < 0 ? -n : n;
  };
  const lit = (c) => {
    if (st.s[0] !== c) return false;
    st.s = st.s.slice(1);
    return true;
  };
  const y = num(4, true);
  if (y === null || y < -2147483648n || y > 2147483647n || !lit("-")) return null;
  const mo = num(2, false);
  if (mo === null || mo < 1n || mo > 12n || !lit("-")) return null;
  const d = num(2, false);
  if (d === null || d < 1n || d > 31n) return null;
  if (sep === "T") {
    if (!lit("T")) return null;
  } else {
    st.s = $trimStart(st.s);
  }
  const h = num(2, false);
  if (h === null || h > 23n || !lit(":")) return null;
  const mi = num(2, false);
  if (mi === null || mi > 59n || !lit(":")) return null;
  const sec = num(2, false);
  if (sec === null || sec > 60n) return null;
  let nano = 0;
  if (st.s[0] === ".") {
    const r = $nanos(st.s, 1);
    if (r === null) return null;
    nano = r[0];
    st.s = st.s.slice(r[1]);
  }
  if (st.s.length !== 0) return null;
  const yy = Number(y);
  if (!$dateOk(yy, Number(mo), Number(d))) return null;
  return $ms(yy, Number(mo), Number(d), Number(h), Number(mi), Number(sec), nano);
}
function $parseTime(s) {
  const t = $rfc3339(s);
  if (t !== null) return t;
  const u = $naive(s, "T");
  return u !== null ? u : $naive(s, " ");
}

// Equality (value.rs `equal`): total, values of different kinds unequal.
function $num(v) {
  return typeof v === "bigint" ? Number(v) : v;
}
function $isNum(v) {
  return typeof v === "number" || typeof v === "bigint";
}
function $isList(k) {
  const c = k.charCodeAt(0);
  return c === 99 /* c */ || c === 101 /* e */;
}
// A constant list mixing addresses and ranges is typed `list<cidr>`, but
// its elements keep their own kinds (value.rs: `Const::Ip` stays an
// address): an address kind is read from the value's shape.
function $ak(v, k) {
  return k === "net" || k === "ip" ? (v.p === undefined ? "ip" : "net") : k;
}
function $eq(a, ka, b, kb) {
  if (a === null || b === null) return a === null && b === null;
  ka = $ak(a, ka);
  kb = $ak(b, kb);
  if (ka === "j") return kb === "j" ? $jeq(a, b) : $jeqv(a, b, kb);
  if (kb === "j") return $jeqv(b, a, ka);
  if ($isList(ka) || $isList(kb)) return $isList(ka) && $isList(kb) && $listEq(a, ka, b, kb);
  switch (ka) {
    case "s":
    case "b":
      return kb === ka && a === b;
    case "i":
      if (kb === "i") return a == b;
      return kb === "f" && $num(a) === b;
    case "f":
      return (kb === "f" || kb === "i") && a === $num(b);
    case "ip":
      return kb === "ip" && $ipEq(a, b);
    case "net":
      return kb === "net" && $netEq(a, b);
    case "t":
    case "d":
      return kb === ka && a == b;
    default:
      return false;
  }
}
// list_get: a policy list's elements keep their kind; an event list's
// elements are compared as JSON.
function $elemK(k) {
  return k.charCodeAt(0) === 99 ? $opk(k.slice(1)) : "j";
}
function $listEq(a, ka, b, kb) {
  if (a.length !== b.length) return false;
  const ea = $elemK(ka);
  const eb = $elemK(kb);
  for (let i = 0; i < a.length; i++) if (!$eq(a[i], ea, b[i], eb)) return false;
  return true;
}
// json_equal: numbers by value, everything else as serde_json compares.
function $jeq(x, y) {
  if ($isNum(x) && $isNum(y)) return $num(x) === $num(y);
  return $deq(x, y);
}
// A JSON number as serde_json holds `JSON.stringify`'s digits for it.
function $nkey(v) {
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e21) {
      const b = BigInt(String(v));
      if (b >= $I64MIN && b <= $U64MAX) return b;
    }
    return v;
  }
  if (v >= $I64MIN && v <= $U64MAX) return v;
  return Number(v);
}
function $deq(x, y) {
  if (x === null || y === null) return x === null && y === null;
  if ($isNum(x)) {
    if (!$isNum(y)) return false;
    if (typeof x === "number" && typeof y === "number") return x === y;
    const kx = $nkey(x);
    const ky = $nkey(y);
    return typeof kx === typeof ky && kx === ky;
  }
  if (typeof x !== "object") return x === y;
  if (typeof y !== "object") return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!$deq($dyn(x[i]), $dyn(y[i]))) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const kx = Object.keys(x).filter((k) => x[k] !== undefined);
  const ky = Object.keys(y).filter((k) => y[k] !== undefined);
  if (kx.length !== ky.length) return false;
  for (const k of kx) {
    if (!$own.call(y, k) || y[k] === undefined || !$deq(x[k], y[k])) return false;
  }
  return true;
}
// json_equal_value: a JSON value against a typed one.
function $jeqv(j, v, kv) {
  if (typeof j === "string") {
    if (kv === "s") return j === v;
    if (kv === "ip") {
      const a = $parseIp($trim(j));
      return a !== null && $ipEq(a, v);
    }
    if (kv === "t") {
      const t = $parseTime(j);
      return t !== null && t == v;
    }
    if (kv === "net") {
      const n = $parseNet(j);
      return n !== null && $netEq(n, v);
    }
    return false;
  }
  if (typeof j === "boolean") return kv === "b" && j === v;
  if ($isNum(j)) return (kv === "i" || kv === "f") && $num(j) === $num(v);
  if (Array.isArray(j) && $isList(kv)) {
    if (j.length !== v.length) return false;
    const ev = $elemK(kv);
    for (let i = 0; i < j.length; i++) if (!$eq($dyn(j[i]), "j", v[i], ev)) return false;
    return true;
  }
  return false;
}

// Ordering (value.rs `order`), after the caller's null check; op 0..3 is
// <, <=, >, >=.
function $f64(v, k) {
  if (k === "i" || k === "f") return $num(v);
  if (k === "j" && $isNum(v)) return $num(v);
  return $raise();
}
function $order(a, ka, b, kb, op) {
  if (a === null || b === null) return false;
  let x;
  let y;
  if ((ka === "t" && kb === "t") || (ka === "d" && kb === "d") || (ka === "i" && kb === "i")) {
    x = a;
    y = b;
  } else if (ka === "j" && kb === "t") {
    x = typeof a === "string" ? $parseTime(a) : null;
    if (x === null) $raise();
    y = b;
  } else if (ka === "t" && kb === "j") {
    y = typeof b === "string" ? $parseTime(b) : null;
    if (y === null) $raise();
    x = a;
  } else if ((ka === "j" && kb === "d") || (ka === "d" && kb === "j")) {
    return $raise();
  } else {
    x = $f64(a, ka);
    y = $f64(b, kb);
  }
  switch (op) {
    case 0:
      return x < y;
    case 1:
      return x <= y;
    case 2:
      return x > y;
    default:
      return x >= y;
  }
}

// Lists (interp.rs `list_len`, `list_item`).
function $llen(v, k) {
  if (v === null) return 0;
  if ($isList(k)) return v.length;
  if (k === "j") return Array.isArray(v) ? v.length : $raise();
  return $raise();
}
function $litem(v, k, i) {
  if (k.charCodeAt(0) === 99) return v[i];
  if (k.charCodeAt(0) === 101) return $conv(k.slice(1))(v[i]);
  return $dyn(v[i]);
}
// `any` / `all`: stops at the first deciding element; a raise stops it.
function $quant(list, k, all, body) {
  const n = $llen(list, k);
  for (let i = 0; i < n; i++) {
    const t = body($litem(list, k, i));
    if (all ? !t : t) return !all;
  }
  return all;
}
// `needle in list` (interp.rs `member`): elements in order, an address
// is also in a network, a misfitting element raises.
function $in(n, kn, list, kl) {
  if (n === null) return false;
  const len = $llen(list, kl);
  const ek = $isList(kl) ? $elemK(kl.charCodeAt(0) === 101 ? "c" + kl.slice(1) : kl) : "j";
  for (let i = 0; i < len; i++) {
    const item = $litem(list, kl, i);
    if (kn === "ip" && ek === "net" && item !== null && item.p !== undefined) {
      if ($netContains(item, n)) return true;
    } else if ($eq(n, kn, item, ek)) {
      return true;
    }
  }
  return false;
}
// A string in a list of string constants.
function $ins(n, list) {
  return n !== null && list.includes(n);
}
// `ip in <constant set>`: a JSON string that is no address is not in it.
function $innet(v, kv, set) {
  if (v === null) return false;
  if (kv === "ip") return $setContains(set, v);
  if (kv === "j" && typeof v === "string") {
    const a = $parseIp($trim(v));
    return a !== null && $setContains(set, a);
  }
  return false;
}

// Strings.
function $string(v, k) {
  if (k === "s") return v;
  if (k === "j" && typeof v === "string") return v;
  return $raise();
}
function $strop(a, ka, b, kb, op) {
  if (a === null || b === null) return false;
  if (op === 2 && ka === "j" && Array.isArray(a)) return $in(b, kb, a, "j");
  const s = $string(a, ka);
  const t = $string(b, kb);
  if (op === 0) return s.startsWith(t);
  if (op === 1) return s.endsWith(t);
  return s.includes(t);
}
function $match(a, ka, re) {
  if (a === null) return false;
  return re.test($string(a, ka));
}
function $len(v, k) {
  if (v === null) return 0;
  if (k === "s" || (k === "j" && typeof v === "string")) {
    let n = 0;
    for (const _ of v) n++;
    return n;
  }
  return $llen(v, k);
}
function $lower(v, k) {
  if (v === null) return null;
  return $string(v, k).toLowerCase();
}
// `trim(S)`: ir::is_trim_space is exactly the set String.prototype.trim removes.
function $trims(v, k) {
  if (v === null) return null;
  return $string(v, k).trim();
}
// `split(S, SEP)`: null for either gives the empty list; pieces not trimmed;
// an empty separator raises (a literal one is a check error).
function $split(v, kv, sep, ks) {
  if (v === null || sep === null) return [];
  const s = $string(v, kv);
  const t = $string(sep, ks);
  if (t === "") $raise();
  return s.split(t);
}

// Conditions (interp.rs `as_bool`): booleans, null as false, no truthiness.
function $tb(v) {
  return v === true;
}
function $tj(v) {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  return $raise();
}
function $tx(v) {
  return v === null ? false : $raise();
}

// Time arithmetic: exact, and out of the i64 range it raises.
function $add(x, y) {
  if (typeof x === "number" && typeof y === "number") {
    const r = x + y;
    if (Number.isSafeInteger(r)) return r + 0;
  }
  return $big(BigInt(x) + BigInt(y));
}
function $sub(x, y) {
  if (typeof x === "number" && typeof y === "number") {
    const r = x - y;
    if (Number.isSafeInteger(r)) return r + 0;
  }
  return $big(BigInt(x) - BigInt(y));
}
function $arith(a, ka, b, kb, add) {
  if (a === null || b === null) return null;
  if (ka === "t" && kb === "d") return add ? $add(a, b) : $sub(a, b);
  if (ka === "d" && kb === "t") return $add(b, a);
  if (ka === "t" && kb === "t") return $sub(a, b);
  if (ka === "d" && kb === "d") return add ? $add(a, b) : $sub(a, b);
  return null;
}
