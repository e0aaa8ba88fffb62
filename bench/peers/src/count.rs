//! `--count`: instruction counts per operation, for callgrind.
//!
//! Every row runs once unmeasured (so lazy statics, caches and the
//! allocator's first pages are warm), then inside [`measured`], which
//! `count.sh` makes callgrind count alone (`--toggle-collect`) and dump after
//! each call (`--dump-after`): dump `i` holds exactly the instructions of
//! row `i`. The first dump is the first `compile` of the process, before
//! anything else has touched the schema.

use crate::engines::{self, Sources};
use crate::{Group, Row};
use serde_json::Value;
use std::hint::black_box;

/// Runs `f` `passes` times; its instructions are what callgrind counts.
#[inline(never)]
pub fn measured(f: &mut dyn FnMut() -> usize, passes: usize) -> usize {
    let mut acc = 0usize;
    for _ in 0..passes {
        acc = acc.wrapping_add(f());
    }
    black_box(acc)
}

/// One counted row: its dump number, name and operations counted.
fn report(index: usize, name: &str, ops: usize) {
    println!("COUNT\t{index}\t{ops}\t{name}");
}

/// The first `compile` in the process (the built-in schema included);
/// must run before anything else loads a policy.
pub fn first_compile(src: &Sources) -> usize {
    let s = src.mfapol.clone();
    let n = measured(&mut || engines::mfa::load(black_box(&s)).rules.len(), 1);
    report(1, "mfapol `compile`, first in the process (schema included)", 1);
    n
}

/// Rows per fixture event: the same decision by each engine on one event.
pub fn event_rows(src: &Sources, bases: &[(String, Value)]) -> Vec<Row> {
    let mut rows = Vec::new();
    let policy = std::rc::Rc::new(engines::mfa::load(&src.mfapol));
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    for (name, json) in bases {
        let tag = &name[..2];
        let text = serde_json::to_string(json).expect("compact JSON");
        let (p, j) = (policy.clone(), json.clone());
        rows.push(crate::row(Group::Decision, leak(format!("{tag}: mfapol `eval::decide`")), 1, move || {
            usize::from(engines::mfa::fast(&p, black_box(&j)))
        }));
        let (p, j) = (policy.clone(), json.clone());
        rows.push(crate::row(Group::Decision, leak(format!("{tag}: mfapol `eval::evaluate`")), 1, move || {
            usize::from(engines::mfa::decide(&p, black_box(&j)))
        }));
        let j = json.clone();
        rows.push(crate::row(Group::Decision, leak(format!("{tag}: hand-written Rust")), 1, move || {
            usize::from(engines::hand_written(black_box(&j)))
        }));
        #[cfg(feature = "regorus")]
        {
            use engines::rego;
            let input = rego::input(&text);
            let mut vm = rego::vm(&rego::load_program(&src.rego));
            rows.push(crate::row(Group::Decision, leak(format!("{tag}: regorus RVM")), 1, move || {
                usize::from(rego::vm_decide(&mut vm, black_box(&input)))
            }));
        }
        #[cfg(feature = "cel")]
        {
            use engines::cel015 as c15;
            let (prog, cx) = (c15::load(&src.cel), c15::context(json));
            rows.push(crate::row(Group::Decision, leak(format!("{tag}: cel 0.15")), 1, move || {
                usize::from(c15::decide(&prog, black_box(&cx)))
            }));
        }
        let (p, t) = (policy.clone(), text.clone());
        let pr = mfapol::eval::Projection::new(&p);
        rows.push(crate::row(Group::Raw, leak(format!("{tag}: mfapol `Projection::parse` + `decide`")), 1, move || {
            usize::from(engines::mfa::projected_fast_raw(&p, &pr, black_box(&t)))
        }));
        let t = text.clone();
        rows.push(crate::row(Group::Raw, leak(format!("{tag}: `serde_json::from_str::<Value>` alone")), 1, move || {
            serde_json::from_str::<Value>(black_box(&t)).expect("json").as_object().map_or(0, |m| m.len())
        }));
    }
    rows
}

/// Counts every row: one warm-up pass, then one measured call of
/// `passes` passes. Dumps are numbered from 2 (1 is [`first_compile`]).
pub fn run(rows: &mut [Row], passes: usize) {
    for (i, r) in rows.iter_mut().enumerate() {
        black_box((r.pass)());
        let n = if r.ops == 1 { passes } else { 1 };
        measured(&mut *r.pass, n);
        report(i + 2, r.name, r.ops * n);
    }
}
