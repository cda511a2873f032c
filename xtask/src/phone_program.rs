//! A national prefix for parsing, compiled into a program for `kaleyra-phone`'s backtracking
//! matcher (`crates/kaleyra-phone/src/prefix.rs`, which defines the instructions).
//!
//! The input is only ever ASCII digits, so every literal and class becomes a mask of the ten
//! digits. Repetitions are unrolled; alternations and optional parts become `Split`s whose first
//! branch is the one Python's `re` tries first, so the matcher finds the same match, with the
//! same groups, as the reference does.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A compiled pattern: its instructions as Rust expressions, and how many groups it has.
pub struct Program {
    pub insts: Vec<String>,
    pub groups: usize,
}

#[derive(Debug, Clone, Copy)]
enum Inst {
    Digit(u16),
    Split(usize, usize),
    Jump(usize),
    Save(usize),
    End,
    Match,
}

/// Compiles `pattern` (Python `re` syntax, as the metadata has it).
pub fn compile(pattern: &str) -> Result<Program, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| format!("national prefix for parsing {pattern:?}: {e}"))?;
    let mut compiler = Compiler { insts: Vec::new(), groups: 0 };
    compiler.hir(&hir).map_err(|e| format!("national prefix for parsing {pattern:?}: {e}"))?;
    compiler.insts.push(Inst::Match);
    if compiler.insts.len() > usize::from(u16::MAX) {
        return Err(format!("national prefix for parsing {pattern:?}: too long a program"));
    }
    let insts = compiler
        .insts
        .iter()
        .map(|inst| match *inst {
            Inst::Digit(mask) => format!("Digit({mask:#05x})"),
            Inst::Split(a, b) => format!("Split({a}, {b})"),
            Inst::Jump(a) => format!("Jump({a})"),
            Inst::Save(slot) => format!("Save({slot})"),
            Inst::End => "End".to_owned(),
            Inst::Match => "Match".to_owned(),
        })
        .collect();
    Ok(Program { insts, groups: compiler.groups })
}

struct Compiler {
    insts: Vec<Inst>,
    groups: usize,
}

impl Compiler {
    fn push(&mut self, inst: Inst) -> usize {
        self.insts.push(inst);
        self.insts.len() - 1
    }

    fn hir(&mut self, hir: &Hir) -> Result<(), String> {
        match hir.kind() {
            HirKind::Empty => Ok(()),
            HirKind::Literal(literal) => {
                for &byte in literal.0.iter() {
                    self.push(Inst::Digit(digit_mask(|d| d == byte)));
                }
                Ok(())
            }
            HirKind::Class(Class::Unicode(class)) => {
                let mask = digit_mask(|d| {
                    class.ranges().iter().any(|r| (r.start()..=r.end()).contains(&char::from(d)))
                });
                self.push(Inst::Digit(mask));
                Ok(())
            }
            HirKind::Class(Class::Bytes(class)) => {
                let mask = digit_mask(|d| {
                    class.ranges().iter().any(|r| (r.start()..=r.end()).contains(&d))
                });
                self.push(Inst::Digit(mask));
                Ok(())
            }
            // Python's `$` also matches before a final newline; the input has none.
            HirKind::Look(Look::End | Look::EndLF) => {
                self.push(Inst::End);
                Ok(())
            }
            HirKind::Look(look) => Err(format!("unsupported assertion {look:?}")),
            HirKind::Capture(capture) => {
                let index = usize::try_from(capture.index).map_err(|e| e.to_string())?;
                self.groups = self.groups.max(index);
                self.push(Inst::Save(2 * index));
                self.hir(&capture.sub)?;
                self.push(Inst::Save(2 * index + 1));
                Ok(())
            }
            HirKind::Concat(parts) => parts.iter().try_for_each(|part| self.hir(part)),
            HirKind::Alternation(branches) => {
                let mut jumps = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if i + 1 < branches.len() {
                        let split = self.push(Inst::Split(0, 0));
                        self.hir(branch)?;
                        jumps.push(self.push(Inst::Jump(0)));
                        let next = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, next);
                    } else {
                        self.hir(branch)?;
                    }
                }
                let end = self.insts.len();
                for jump in jumps {
                    self.insts[jump] = Inst::Jump(end);
                }
                Ok(())
            }
            HirKind::Repetition(rep) => {
                for _ in 0..rep.min {
                    self.hir(&rep.sub)?;
                }
                match rep.max {
                    Some(max) => {
                        // Each optional copy: try it (greedy) or skip to the end.
                        let mut splits = Vec::new();
                        for _ in rep.min..max {
                            splits.push(self.push(Inst::Split(0, 0)));
                            self.hir(&rep.sub)?;
                        }
                        let end = self.insts.len();
                        for split in splits {
                            self.insts[split] = self.split(split + 1, end, rep.greedy);
                        }
                    }
                    None => {
                        let split = self.push(Inst::Split(0, 0));
                        self.hir(&rep.sub)?;
                        self.push(Inst::Jump(split));
                        let end = self.insts.len();
                        self.insts[split] = self.split(split + 1, end, rep.greedy);
                    }
                }
                Ok(())
            }
        }
    }

    /// A choice between entering a repeated part and leaving it, in the order Python tries.
    fn split(&self, enter: usize, leave: usize, greedy: bool) -> Inst {
        if greedy { Inst::Split(enter, leave) } else { Inst::Split(leave, enter) }
    }
}

/// The mask of the ASCII digits (bit `d` for `'0' + d`) for which `member` holds.
fn digit_mask(member: impl Fn(u8) -> bool) -> u16 {
    (0..10u8).filter(|&d| member(b'0' + d)).fold(0, |mask, d| mask | (1 << d))
}
