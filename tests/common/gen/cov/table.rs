//! The coverage counts and their table.

use super::{
    ev_valid, valid_pair, ConstKind, EffectKind, EffectPos, EvKind, FieldKind, Form, MutationKind,
    Pos, ValueKind,
};
use std::fmt::Write as _;

/// A table of counts indexed by two cell enums.
#[derive(Clone, Debug)]
pub struct Grid {
    cols: usize,
    counts: Vec<u64>,
}

impl Grid {
    fn new(rows: usize, cols: usize) -> Grid {
        Grid {
            cols,
            counts: vec![0; rows * cols],
        }
    }
    fn add(&mut self, r: usize, c: usize) {
        self.counts[r * self.cols + c] += 1;
    }
    fn get(&self, r: usize, c: usize) -> u64 {
        self.counts[r * self.cols + c]
    }
    fn merge(&mut self, o: &Grid) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }
}

/// What the generator produced, cell by cell.
#[derive(Clone, Debug)]
pub struct Coverage {
    form_pos: Grid,
    const_value: Grid,
    effect_pos: Grid,
    mutation: Grid,
    event_field: Grid,
    /// Whether hostile events were generated (then `Misfit` cells count).
    pub hostile: bool,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            form_pos: Grid::new(Form::ALL.len(), Pos::ALL.len()),
            const_value: Grid::new(ConstKind::ALL.len(), ValueKind::ALL.len()),
            effect_pos: Grid::new(EffectKind::ALL.len(), EffectPos::ALL.len()),
            mutation: Grid::new(MutationKind::ALL.len(), 1),
            event_field: Grid::new(EvKind::ALL.len(), FieldKind::ALL.len()),
            hostile: false,
        }
    }
}

impl Coverage {
    /// Counts an expression form at a position.
    pub fn form(&mut self, f: Form, p: Pos) {
        self.form_pos.add(f.idx(), p.idx());
    }
    /// Counts a constant kind compared with a value kind.
    pub fn pair(&mut self, c: ConstKind, v: ValueKind) {
        self.const_value.add(c.idx(), v.idx());
    }
    /// Counts an effect at a position.
    pub fn effect(&mut self, e: EffectKind, p: EffectPos) {
        self.effect_pos.add(e.idx(), p.idx());
    }
    /// Counts a mutation.
    pub fn mutation(&mut self, m: MutationKind) {
        self.mutation.add(m.idx(), 0);
    }
    /// Counts an event value generated for a field.
    pub fn event(&mut self, e: EvKind, f: FieldKind) {
        self.event_field.add(e.idx(), f.idx());
    }

    /// Adds another coverage's counts (from another generator).
    pub fn merge(&mut self, o: &Coverage) {
        self.form_pos.merge(&o.form_pos);
        self.const_value.merge(&o.const_value);
        self.effect_pos.merge(&o.effect_pos);
        self.mutation.merge(&o.mutation);
        self.event_field.merge(&o.event_field);
        self.hostile |= o.hostile;
    }

    /// How often a constant kind was generated beside a value kind.
    pub fn pair_count(&self, c: ConstKind, v: ValueKind) -> u64 {
        self.const_value.get(c.idx(), v.idx())
    }

    /// How often a form was generated at a position.
    pub fn form_count(&self, f: Form, p: Pos) -> u64 {
        self.form_pos.get(f.idx(), p.idx())
    }

    /// Every valid cell generated fewer than `min` times, by name
    /// (`form Matches @ Exempt: 0`).
    pub fn empty_cells(&self, min: u64) -> Vec<String> {
        let mut out = Vec::new();
        for f in Form::ALL {
            for p in Pos::ALL {
                let n = self.form_pos.get(f.idx(), p.idx());
                if f.allowed_at(*p) && n < min {
                    out.push(format!("form {} @ {}: {n}", f.name(), p.name()));
                }
            }
        }
        for c in ConstKind::ALL {
            for v in ValueKind::ALL {
                let n = self.const_value.get(c.idx(), v.idx());
                if valid_pair(*c, *v) && n < min {
                    out.push(format!("const {} vs {}: {n}", c.name(), v.name()));
                }
            }
        }
        for e in EffectKind::ALL {
            for p in EffectPos::ALL {
                let n = self.effect_pos.get(e.idx(), p.idx());
                if e.allowed_at(*p) && n < min {
                    out.push(format!("effect {} @ {}: {n}", e.name(), p.name()));
                }
            }
        }
        for m in MutationKind::ALL {
            let n = self.mutation.get(m.idx(), 0);
            if n < min {
                out.push(format!("mutation {}: {n}", m.name()));
            }
        }
        for e in EvKind::ALL {
            for f in FieldKind::ALL {
                let n = self.event_field.get(e.idx(), f.idx());
                let valid = ev_valid(*e, *f) || (self.hostile && *e == EvKind::Misfit);
                if valid && n < min {
                    out.push(format!("event {} in {}: {n}", e.name(), f.name()));
                }
            }
        }
        out
    }

    /// The whole table, one block per dimension; `.` marks a cell that
    /// cannot exist, a number how often the cell was generated.
    pub fn table(&self) -> String {
        let mut s = String::new();
        grid(
            &mut s,
            "expression form x position",
            Form::ALL.iter().map(|f| f.name()),
            Pos::ALL.iter().map(|p| p.name()),
            |r, c| Form::ALL[r].allowed_at(Pos::ALL[c]),
            &self.form_pos,
        );
        grid(
            &mut s,
            "constant kind x value kind",
            ConstKind::ALL.iter().map(|c| c.name()),
            ValueKind::ALL.iter().map(|v| v.name()),
            |r, c| valid_pair(ConstKind::ALL[r], ValueKind::ALL[c]),
            &self.const_value,
        );
        grid(
            &mut s,
            "effect x position",
            EffectKind::ALL.iter().map(|e| e.name()),
            EffectPos::ALL.iter().map(|p| p.name()),
            |r, c| EffectKind::ALL[r].allowed_at(EffectPos::ALL[c]),
            &self.effect_pos,
        );
        grid(
            &mut s,
            "mutation",
            MutationKind::ALL.iter().map(|m| m.name()),
            ["count"].into_iter(),
            |_, _| true,
            &self.mutation,
        );
        grid(
            &mut s,
            "event value kind x field kind",
            EvKind::ALL.iter().map(|e| e.name()),
            FieldKind::ALL.iter().map(|f| f.name()),
            |r, c| {
                ev_valid(EvKind::ALL[r], FieldKind::ALL[c])
                    || (self.hostile && EvKind::ALL[r] == EvKind::Misfit)
            },
            &self.event_field,
        );
        s
    }
}

fn grid<'a>(
    out: &mut String,
    title: &str,
    rows: impl Iterator<Item = &'a str>,
    cols: impl Iterator<Item = &'a str>,
    valid: impl Fn(usize, usize) -> bool,
    g: &Grid,
) {
    let cols: Vec<&str> = cols.collect();
    let rows: Vec<&str> = rows.collect();
    let w0 = rows
        .iter()
        .map(|r| r.len())
        .max()
        .unwrap_or(0)
        .max(title.len());
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "{:w0$}", "");
    for c in &cols {
        let _ = write!(out, " {:>w$}", c, w = c.len().max(5));
    }
    out.push('\n');
    for (r, name) in rows.iter().enumerate() {
        let _ = write!(out, "{name:w0$}");
        for (c, col) in cols.iter().enumerate() {
            let w = col.len().max(5);
            if valid(r, c) {
                let _ = write!(out, " {:>w$}", g.get(r, c));
            } else {
                let _ = write!(out, " {:>w$}", ".");
            }
        }
        out.push('\n');
    }
    out.push('\n');
}
