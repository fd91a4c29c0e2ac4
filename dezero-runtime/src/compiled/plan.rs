//! A compiled model's plan, for people: the op schedule after fusion, the
//! buffer slots with their sizes per batch row, the bytes planned against a
//! naive plan, printed as text or rendered as Graphviz DOT.

use std::fmt::{self, Write as _};

/// One step of a plan as the compiler wrote it: static text, so that the
/// generated code can hold it in constants.
#[derive(Clone, Copy, Debug)]
pub struct StepSpec {
    /// The op after fusion (`affine+sigmoid l1`).
    pub op: &'static str,
    /// The values it reads.
    pub reads: &'static [&'static str],
    /// The values it writes.
    pub writes: &'static [&'static str],
}

/// One buffer slot: the values that share it, and the width classes that
/// size it (its size per batch row is the largest).
#[derive(Clone, Copy, Debug)]
pub struct SlotSpec {
    /// The values placed in the slot, in schedule order.
    pub values: &'static [&'static str],
    /// The width class of each value.
    pub classes: &'static [usize],
}

/// A plan as the compiler wrote it.
#[derive(Clone, Copy, Debug)]
pub struct PlanSpec {
    /// `"training"` or `"inference"`.
    pub kind: &'static str,
    /// The op schedule.
    pub steps: &'static [StepSpec],
    /// The slots.
    pub slots: &'static [SlotSpec],
    /// Every intermediate value of the unfused program (activations and
    /// gradients) with its width class: what a naive plan, which keeps each
    /// in a buffer of its own, allocates.
    pub values: &'static [(&'static str, usize)],
}

/// A compiled model's plan with the widths it knows now: the op schedule
/// after fusion, the buffer slots with their sizes per batch row, and the
/// bytes planned against a naive plan that keeps every intermediate.
///
/// Print it with `{}`; render it with [`Plan::to_dot`]. The text ends with
/// the bytes per batch row, the rows of one block (a larger batch runs
/// block by block, see [`block_rows`](super::block_rows)) and the bytes the
/// model holds for its passes now (its `workspace_bytes()`).
#[derive(Clone, Debug)]
pub struct Plan {
    /// The model type.
    pub model: &'static str,
    /// What the compiler planned.
    pub spec: &'static PlanSpec,
    /// The width classes' names (a constructor argument, a literal, `in`).
    pub class_names: &'static [&'static str],
    /// The width classes' values where known.
    pub widths: Vec<Option<usize>>,
    /// Bytes per element.
    pub elem_bytes: usize,
    /// The rows of one block of this plan's pass, if the widths are known:
    /// a batch of more runs block by block.
    pub block_rows: Option<usize>,
    /// The bytes the model holds for its passes now (its
    /// `workspace_bytes()`: one workspace serves both plans).
    pub workspace_bytes: usize,
}

impl Plan {
    fn width(&self, c: usize) -> Option<usize> {
        self.widths.get(c).copied().flatten()
    }

    fn class_text(&self, c: usize) -> String {
        let name = self.class_names.get(c).copied().unwrap_or("?");
        match self.width(c) {
            Some(w) if name.parse::<usize>().is_ok() => format!("{w}"),
            Some(w) => format!("{name}={w}"),
            None => name.to_string(),
        }
    }

    /// Elements per batch row of slot `i`, if every width in it is known.
    pub fn slot_elems(&self, i: usize) -> Option<usize> {
        let s = self.spec.slots.get(i)?;
        s.classes
            .iter()
            .map(|&c| self.width(c))
            .try_fold(0, |m, w| w.map(|w| m.max(w)))
    }

    /// Bytes per batch row that the plan's slots take, if known.
    pub fn planned_bytes_per_row(&self) -> Option<usize> {
        (0..self.spec.slots.len())
            .map(|i| self.slot_elems(i))
            .sum::<Option<usize>>()
            .map(|e| e * self.elem_bytes)
    }

    /// Bytes per batch row that keeping every intermediate value would take,
    /// if known.
    pub fn naive_bytes_per_row(&self) -> Option<usize> {
        self.spec
            .values
            .iter()
            .map(|&(_, c)| self.width(c))
            .sum::<Option<usize>>()
            .map(|e| e * self.elem_bytes)
    }

    /// The plan as a Graphviz DOT digraph: one node per step, one edge per
    /// value passed from the step that writes it to each step that reads it.
    pub fn to_dot(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph \"{} {}\" {{", self.model, self.spec.kind);
        let _ = writeln!(s, "  rankdir=TB;");
        let _ = writeln!(s, "  node [shape=box, fontname=\"monospace\"];");
        let _ = writeln!(s, "  in [label=\"inputs\", shape=ellipse];");
        for (i, st) in self.spec.steps.iter().enumerate() {
            let _ = writeln!(s, "  s{i} [label=\"{}\"];", st.op.replace('"', "\\\""));
        }
        for (i, st) in self.spec.steps.iter().enumerate() {
            for r in st.reads {
                let from = self.spec.steps[..i]
                    .iter()
                    .rposition(|p| p.writes.contains(r))
                    .map_or_else(|| "in".to_string(), |j| format!("s{j}"));
                let _ = writeln!(s, "  {from} -> s{i} [label=\"{r}\"];");
            }
        }
        s.push_str("}\n");
        s
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} — {} plan", self.model, self.spec.kind)?;
        writeln!(f, "schedule:")?;
        for (i, st) in self.spec.steps.iter().enumerate() {
            writeln!(
                f,
                "  {i:>2}  {:<34} {} -> {}",
                st.op,
                st.reads.join(", "),
                st.writes.join(", ")
            )?;
        }
        writeln!(f, "slots (elements per batch row):")?;
        for (i, s) in self.spec.slots.iter().enumerate() {
            let mut cs: Vec<usize> = s.classes.to_vec();
            cs.sort_unstable();
            cs.dedup();
            let size = match self.slot_elems(i) {
                Some(e) => format!("{e}"),
                None => "?".to_string(),
            };
            let by: Vec<String> = cs.iter().map(|&c| self.class_text(c)).collect();
            writeln!(
                f,
                "  s{i}: {size:>6}  max({})  holds {}",
                by.join(", "),
                s.values.join(", ")
            )?;
        }
        let show = |b: Option<usize>| b.map_or_else(|| "?".to_string(), |b| b.to_string());
        writeln!(
            f,
            "bytes per batch row: planned {} in {} slots; naive {} ({} unfused intermediates kept)",
            show(self.planned_bytes_per_row()),
            self.spec.slots.len(),
            show(self.naive_bytes_per_row()),
            self.spec.values.len()
        )?;
        write!(
            f,
            "workspace: blocks of {} rows; {} bytes held now",
            show(self.block_rows),
            self.workspace_bytes
        )
    }
}

/// Both plans of a compiled model: training (`forward_backward`) and
/// inference (`predict`).
#[derive(Clone, Debug)]
pub struct Plans {
    /// The training plan.
    pub train: Plan,
    /// The inference plan.
    pub predict: Plan,
}

impl Plans {
    /// Both plans as one DOT file with two clusters.
    pub fn to_dot(&self) -> String {
        let mut s = self.train.to_dot();
        s.push_str(&self.predict.to_dot());
        s
    }
}

impl fmt::Display for Plans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.train)?;
        writeln!(f)?;
        write!(f, "{}", self.predict)
    }
}
