//! The bytes of every kept record, packed one after another in large blocks.
//!
//! Why not a box per record: records are kept for the server's life, so each one took fresh
//! memory from the allocator's per-thread heap, which then grew a page at a time, one `mprotect`
//! per ~15 requests made under the heap's lock, while the other worker waited on that lock to
//! free a buffer of its own (two context switches). A block is one allocation per megabyte,
//! which the allocator maps on its own.

use std::ops::Range;

/// Bytes per block; a longer record gets a block of its own length.
const BLOCK: usize = 1 << 20;

#[derive(Debug, Default)]
pub(crate) struct Packed {
    /// Filled in order; a block is never grown past its capacity, so nothing moves.
    blocks: Vec<Vec<u8>>,
}

/// Where one record's bytes are in a [`Packed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    block: usize,
    bytes: Range<usize>,
}

impl Packed {
    /// Keeps a copy of `bytes`.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Span {
        let fits = self.blocks.last().is_some_and(|b| b.capacity() - b.len() >= bytes.len());
        if !fits {
            self.blocks.push(Vec::with_capacity(BLOCK.max(bytes.len())));
        }
        let block = self.blocks.len() - 1;
        let last = &mut self.blocks[block];
        let start = last.len();
        last.extend_from_slice(bytes);
        Span { block, bytes: start..last.len() }
    }

    /// The bytes kept at `span` (empty for a span this did not give out).
    pub(crate) fn get(&self, span: &Span) -> &[u8] {
        self.blocks
            .get(span.block)
            .and_then(|block| block.get(span.bytes.clone()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_reads_back_and_no_block_is_grown_past_its_capacity() {
        let mut packed = Packed::default();
        // Lengths that straddle block ends, and one longer than a block.
        let records: Vec<Vec<u8>> = (0..9_000usize)
            .map(|i| vec![(i % 251) as u8; if i == 4_000 { BLOCK + 7 } else { 100 + i % 333 }])
            .collect();
        let spans: Vec<Span> = records.iter().map(|r| packed.push(r)).collect();
        for (record, span) in records.iter().zip(&spans) {
            assert_eq!(packed.get(span), &record[..]);
        }
        assert!(packed.blocks.len() > 2, "{} blocks", packed.blocks.len());
        for block in &packed.blocks {
            assert!(block.capacity() == BLOCK || block.capacity() == BLOCK + 7);
        }
        assert_eq!(packed.get(&Span { block: 99, bytes: 0..1 }), b"");
    }
}
