//! The national prefix for parsing: where the reference's parser finds one at the start of a
//! national number, and what it rewrites the number to.
//!
//! The pattern's match end and groups decide the rewrite, which a DFA cannot give; the pattern
//! is compiled (by `xtask/src/phone_program.rs`) into a program for the small backtracking
//! matcher below, which tries alternatives in the order Python's `re` does and so finds the
//! same match with the same groups. A `(instruction, position)` pair is never tried twice, so
//! a search costs at most the program's length times the number's.

use crate::tables::{Region, Scan};

/// The most groups a national prefix for parsing has (the generator refuses more).
const MAX_GROUPS: usize = 3;

/// One instruction of a program.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Inst {
    /// Consume one digit in the mask (bit `d` for `'0' + d`).
    Digit(u16),
    /// Try the first target; if that fails, the second.
    Split(u16, u16),
    Jump(u16),
    /// Record the position in a group slot (`2 * group` for its start, `+ 1` for its end).
    Save(u8),
    /// Only at the end of the input.
    End,
    Match,
}

/// A region's national prefix for parsing and transform rule.
#[derive(Debug)]
pub(crate) struct NationalPrefix {
    /// The metadata's pattern, for messages and tests.
    #[allow(dead_code)]
    pub(crate) pattern: &'static str,
    /// How many groups the pattern has.
    pub(crate) groups: u8,
    /// Digits and `\N` group references; empty when the region has no transform rule.
    pub(crate) transform: &'static str,
    pub(crate) program: &'static [Inst],
}

/// What the reference's parser makes of a national number it strips a prefix from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewrite {
    /// How many leading digits the prefix took.
    pub(crate) prefix_len: usize,
    /// The national number the parser keeps instead.
    pub(crate) national: Vec<u8>,
}

/// The reference's `_maybe_strip_national_prefix_carrier_code` followed by the parser's length
/// test: the rewritten number when the parser would keep one that differs from `national`.
/// `scan` is `region`'s scan of `national`.
pub(crate) fn rewrite(region: &'static Region, scan: &Scan, national: &[u8]) -> Option<Rewrite> {
    let prefix = region.national_prefix?;
    if !scan.national_prefix() {
        return None;
    }
    let found = search(prefix.program, national)?;
    let last_group = usize::from(prefix.groups);
    let rewritten = if prefix.transform.is_empty() || found.group(last_group).is_none() {
        national.get(found.end..)?.to_vec()
    } else {
        let mut out = expand(prefix.transform, &found, national);
        out.extend_from_slice(national.get(found.end..)?);
        out
    };
    // The parser keeps a number it could read whole (its general pattern) unless the rewrite
    // can be read too.
    if scan.viable() && !region.scan(&rewritten).viable() {
        return None;
    }
    if !region.general.keeps_stripped(rewritten.len()) || rewritten == national {
        return None;
    }
    Some(Rewrite { prefix_len: found.end, national: rewritten })
}

/// Python's `re.sub` template: digits, and `\N` for what group `N` took (nothing if it took
/// nothing).
fn expand(template: &str, found: &Found, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = template.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'\\' {
            let group = bytes.next().map_or(0, |g| usize::from(g.wrapping_sub(b'0')));
            if let Some((start, end)) = found.group(group) {
                out.extend_from_slice(input.get(start..end).unwrap_or_default());
            }
        } else {
            out.push(byte);
        }
    }
    out
}

/// An anchored match: where it ends and what its groups took.
#[derive(Debug)]
struct Found {
    end: usize,
    slots: [Option<usize>; 2 * (MAX_GROUPS + 1)],
}

impl Found {
    fn group(&self, group: usize) -> Option<(usize, usize)> {
        if group == 0 {
            return None;
        }
        let start = (*self.slots.get(2 * group)?)?;
        let end = (*self.slots.get(2 * group + 1)?)?;
        Some((start, end))
    }
}

enum Frame {
    Step { pc: usize, pos: usize },
    Restore { slot: usize, value: Option<usize> },
}

/// The first match at the start of `input` (at most 63 digits), in the order Python's `re`
/// would find it.
fn search(program: &[Inst], input: &[u8]) -> Option<Found> {
    if input.len() >= 64 {
        return None;
    }
    // Positions already tried at each instruction.
    let mut visited = vec![0u64; program.len()];
    let mut slots = [None; 2 * (MAX_GROUPS + 1)];
    let mut stack = vec![Frame::Step { pc: 0, pos: 0 }];
    while let Some(frame) = stack.pop() {
        let (mut pc, mut pos) = match frame {
            Frame::Restore { slot, value } => {
                if let Some(s) = slots.get_mut(slot) {
                    *s = value;
                }
                continue;
            }
            Frame::Step { pc, pos } => (pc, pos),
        };
        while let Some(seen) = visited.get_mut(pc) {
            if *seen & (1 << pos) != 0 {
                break;
            }
            *seen |= 1 << pos;
            match program[pc] {
                Inst::Digit(mask) => {
                    let digit = input.get(pos).map(|d| d.wrapping_sub(b'0'));
                    match digit {
                        Some(d) if d < 10 && mask & (1 << d) != 0 => {
                            pc += 1;
                            pos += 1;
                        }
                        _ => break,
                    }
                }
                Inst::Split(first, second) => {
                    stack.push(Frame::Step { pc: usize::from(second), pos });
                    pc = usize::from(first);
                }
                Inst::Jump(target) => pc = usize::from(target),
                Inst::Save(slot) => {
                    let slot = usize::from(slot);
                    if let Some(s) = slots.get_mut(slot) {
                        stack.push(Frame::Restore { slot, value: *s });
                        *s = Some(pos);
                    }
                    pc += 1;
                }
                Inst::End if pos == input.len() => pc += 1,
                Inst::End => break,
                Inst::Match => return Some(Found { end: pos, slots }),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::Inst::*;
    use super::*;

    /// `(?:0|90)(?:(1[245])(\d{2}))?`, compiled by hand the way the generator does it.
    const BRAZIL_LIKE: &[Inst] = &[
        Split(1, 3),
        Digit(0x001),
        Jump(5),
        Digit(0x200),
        Digit(0x001),
        Split(6, 14),
        Save(2),
        Digit(0x002),
        Digit(0x034),
        Save(3),
        Save(4),
        Digit(0x3ff),
        Digit(0x3ff),
        Save(5),
        Match,
    ];

    #[test]
    fn first_alternative_first_and_greedy_options() {
        let found = search(BRAZIL_LIKE, b"01234567").unwrap();
        assert_eq!(found.end, 5);
        assert_eq!(found.group(1), Some((1, 3)));
        assert_eq!(found.group(2), Some((3, 5)));
        let found = search(BRAZIL_LIKE, b"9019").unwrap();
        assert_eq!(found.end, 2, "the optional part fails and leaves its groups empty");
        assert_eq!(found.group(1), None);
        assert!(search(BRAZIL_LIKE, b"123").is_none());
    }

    #[test]
    fn templates_take_the_groups() {
        let found = search(BRAZIL_LIKE, b"01234567").unwrap();
        assert_eq!(expand("\\2", &found, b"01234567"), b"34");
        assert_eq!(expand("9\\1", &found, b"01234567"), b"912");
    }

    #[test]
    fn end_assertion_and_backtracking() {
        // `(5\d)$|5`
        let program = [
            Split(1, 7),
            Save(2),
            Digit(0x020),
            Digit(0x3ff),
            Save(3),
            End,
            Jump(8),
            Digit(0x020),
            Match,
        ];
        assert_eq!(search(&program, b"51").unwrap().end, 2);
        let found = search(&program, b"512").unwrap();
        assert_eq!((found.end, found.group(1)), (1, None));
    }
}
