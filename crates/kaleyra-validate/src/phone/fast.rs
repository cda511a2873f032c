//! The crate's `parse` and `is_valid` replayed on the generated tables, for strict E.164 digits.
//!
//! Where the crate would rewrite the number (strip a national prefix, or a prefix for parsing
//! with its transform rule) the answer is left to the crate: such a number can only be valid if
//! the rewrite changes nothing, which is rare enough not to be worth replaying. A differential
//! test holds this module to the crate's verdict and region, number for number.

use super::tables::Code;

/// What the tables say about a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Invalid,
    /// Valid, with its region (none for a non-geographic code such as +800).
    Valid(Option<&'static str>),
}

/// The verdict for the digits after `+`, or `None` to ask the crate.
pub(super) fn check(digits: &[u8]) -> Option<Answer> {
    // The crate's own short-number errors come from several places; not worth replaying.
    if digits.len() < 4 {
        return None;
    }
    let (code, national) = Code::split(digits)?;
    if national.len() < 2 {
        return None;
    }
    // The parser looks the region up without leading zeros; a number of zeros does not parse.
    let significant = &national[national.iter().take_while(|&&d| d == b'0').count()..];
    if significant.is_empty() {
        return None;
    }
    let parsed = code.region_for(significant);
    let parse_region = parsed.map(|(region, _)| region);
    // One scan of the national number serves the parser's region and, when it is the same
    // (always, without leading zeros), the validator's; choosing the region may have taken it.
    let parse_scan = parsed.map(|(region, scan)| match scan {
        Some(scan) if significant.len() == national.len() => scan,
        _ => region.scan(national),
    });
    if let (Some(region), Some(scan)) = (parse_region, parse_scan) {
        let prefix = region.national_prefix.map(str::as_bytes);
        let strips_prefix = prefix.is_some_and(|p| national.starts_with(p));
        if strips_prefix || (region.prefix_for_parsing && scan.prefix_for_parsing()) {
            return None;
        }
    }
    let valid_region = if significant.len() == national.len() {
        parse_region
    } else {
        code.region_for(national).map(|(region, _)| region)
    };
    let valid = match (valid_region, parse_region, parse_scan) {
        (Some(v), Some(p), Some(scan)) if std::ptr::eq(v, p) => scan.known_type(),
        (Some(region), ..) => region.scan(national).known_type(),
        (None, ..) => false,
    };
    Some(if valid { Answer::Valid(parse_region.and_then(|r| r.id)) } else { Answer::Invalid })
}
