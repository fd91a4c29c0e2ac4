//! Scheduling, liveness and buffer slots: pure functions of a [`Program`].
//!
//! The schedule is the program's step order (already topological: forward
//! in evaluation order, backward in reverse). Each buffer lives from the
//! step that first touches it to the step that last does (its "last use");
//! a predict pass's output lives to the end, since the caller reads it.
//! Slots are assigned greedily in schedule order from the set of dead
//! slots, preferring one last used by a buffer of the same width class, so
//! that buffers whose lives do not overlap share memory.

use crate::program::{Buf, Mode, Program};

/// The slot assignment of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slots {
    /// The slot of each buffer (`None`: unused, or the caller's input).
    pub slot_of: Vec<Option<usize>>,
    /// The buffers of each slot, in schedule order.
    pub members: Vec<Vec<Buf>>,
    /// Each buffer's last use (a step index; `steps.len()` for "to the
    /// end").
    pub last_use: Vec<Option<usize>>,
}

/// First and last step touching each buffer.
pub fn lifetimes(p: &Program) -> Vec<Option<(usize, usize)>> {
    let mut life: Vec<Option<(usize, usize)>> = vec![None; p.bufs.len()];
    for (i, s) in p.steps.iter().enumerate() {
        for b in s.reads().into_iter().chain(s.writes()) {
            let e = life[b.0].get_or_insert((i, i));
            e.1 = e.1.max(i);
        }
    }
    if p.mode == Mode::Predict {
        if let Some(e) = life[p.output.0].as_mut() {
            e.1 = p.steps.len();
        }
    }
    if p.external_input() {
        life[p.input.0] = None;
    }
    life
}

/// Assigns slots: at each step, buffers first touched there take a dead
/// slot (same width class first) or a new one; then buffers last used there
/// release theirs.
pub fn assign(p: &Program) -> Slots {
    let life = lifetimes(p);
    let mut slot_of = vec![None; p.bufs.len()];
    let mut members: Vec<Vec<Buf>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    for i in 0..=p.steps.len() {
        for (b, l) in life.iter().enumerate() {
            let Some((first, _)) = *l else { continue };
            if first != i {
                continue;
            }
            let class = p.bufs[b].class;
            let same = free.iter().position(|&s| {
                members[s]
                    .last()
                    .is_some_and(|m| p.bufs[m.0].class == class)
            });
            let s = match same.or(if free.is_empty() { None } else { Some(0) }) {
                Some(k) => free.remove(k),
                None => {
                    members.push(Vec::new());
                    members.len() - 1
                }
            };
            members[s].push(Buf(b));
            slot_of[b] = Some(s);
        }
        for (b, l) in life.iter().enumerate() {
            if let (Some((_, last)), Some(s)) = (*l, slot_of[b]) {
                if last == i {
                    free.push(s);
                }
            }
        }
        free.sort_unstable();
    }
    Slots {
        slot_of,
        members,
        last_use: life.iter().map(|l| l.map(|(_, e)| e)).collect(),
    }
}

/// The buffers a naive plan would keep: every buffer the program touches,
/// except the caller's input.
pub fn naive(p: &Program) -> Vec<Buf> {
    lifetimes(p)
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_some())
        .map(|(b, _)| Buf(b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Act, LayerId};
    use crate::program::{BufInfo, Role, Step};

    fn buf(class: usize, name: &str, role: Role) -> BufInfo {
        BufInfo {
            class,
            name: name.to_string(),
            role,
        }
    }

    /// x → affine l1 → h → affine l2 → y, predict: h and y overlap only at
    /// step 1, so two slots; x is the caller's.
    #[test]
    fn chain_predict_uses_two_slots_and_keeps_the_output() {
        let p = Program {
            mode: Mode::Predict,
            bufs: vec![
                buf(0, "x", Role::Input),
                buf(1, "h", Role::Value),
                buf(2, "y", Role::Value),
            ],
            steps: vec![
                Step::Affine {
                    layer: LayerId(0),
                    x: Buf(0),
                    y: Buf(1),
                    act: Some(Act::Sigmoid),
                },
                Step::Affine {
                    layer: LayerId(1),
                    x: Buf(1),
                    y: Buf(2),
                    act: None,
                },
            ],
            input: Buf(0),
            output: Buf(2),
            split_at: 0,
        };
        let s = assign(&p);
        assert_eq!(s.slot_of, vec![None, Some(0), Some(1)]);
        assert_eq!(s.last_use[2], Some(2));
        assert_eq!(naive(&p), vec![Buf(1), Buf(2)]);
    }

    /// A four-layer chain: a value dead before the next is produced lets
    /// its slot be reused, preferring the same width class.
    #[test]
    fn dead_buffers_are_reused_by_class() {
        let affine = |l: usize, x: usize, y: usize| Step::Affine {
            layer: LayerId(l),
            x: Buf(x),
            y: Buf(y),
            act: None,
        };
        let p = Program {
            mode: Mode::Predict,
            bufs: vec![
                buf(0, "x", Role::Input),
                buf(1, "a", Role::Value),
                buf(2, "b", Role::Value),
                buf(1, "c", Role::Value),
                buf(2, "d", Role::Value),
            ],
            steps: vec![
                affine(0, 0, 1),
                affine(1, 1, 2),
                affine(2, 2, 3),
                affine(3, 3, 4),
            ],
            input: Buf(0),
            output: Buf(4),
            split_at: 0,
        };
        let s = assign(&p);
        // a (class 1) in slot 0; b in 1; c reuses a's slot; d reuses b's.
        assert_eq!(s.slot_of, vec![None, Some(0), Some(1), Some(0), Some(1)]);
        assert_eq!(s.members, vec![vec![Buf(1), Buf(3)], vec![Buf(2), Buf(4)]]);
    }

    /// An input and an output of one step never share a slot, even when the
    /// input dies there.
    #[test]
    fn a_step_never_writes_over_its_own_input() {
        let p = Program {
            mode: Mode::Split,
            bufs: vec![buf(0, "x", Role::Input), buf(0, "y", Role::Value)],
            steps: vec![
                Step::LoadInput { x: Buf(0) },
                Step::Act {
                    act: Act::Relu,
                    x: Buf(0),
                    y: Buf(1),
                },
                Step::StoreOutput { y: Buf(1) },
            ],
            input: Buf(0),
            output: Buf(1),
            split_at: 3,
        };
        let s = assign(&p);
        assert_eq!(s.slot_of, vec![Some(0), Some(1)]);
    }
}
