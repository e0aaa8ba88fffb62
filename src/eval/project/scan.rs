//! A validating skipper for JSON text, for the parts of an event a policy
//! does not read.
//!
//! It accepts a subset of what serde_json accepts: JSON as RFC 8259 writes
//! it, nested at most [`MAX_DEPTH`] deep, without `\u` escapes of UTF-16
//! surrogates, without numbers near the range of `f64`, and object keys
//! without escapes. Anything else, valid or not, is [`Unsure`]: the caller
//! then parses the text with serde_json, which gives the exact result or
//! the exact error. So the fast path never accepts what the full parse
//! rejects (issue 7), and errors are always serde_json's.
//!
//! Strings, most of the text of an event, are scanned eight bytes at a time.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

/// The text needs serde_json's own parse to be decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Unsure;

type R<T> = Result<T, Unsure>;

/// Nesting the scanner decides itself; deeper goes to serde_json, whose
/// limit is 127.
pub(super) const MAX_DEPTH: usize = 100;

/// Digits plus exponent below which a number is surely a finite `f64` (and
/// serde_json's own parse of it cannot fail); beyond, serde_json decides.
const MAX_MAGNITUDE: i64 = 300;

/// A position in JSON text.
pub(super) struct Scanner<'t> {
    /// The text as given, for slicing keys out of it.
    source: &'t str,
    text: &'t [u8],
    pos: usize,
    depth: usize,
}

impl<'t> Scanner<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Scanner {
            source: text,
            text: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// The next byte, after white space.
    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        match self.text.get(self.pos) {
            // Above the space character: never white space.
            Some(&b) if b > b' ' => Some(b),
            _ => self.peek_after_space(),
        }
    }

    fn peek_after_space(&mut self) -> Option<u8> {
        while let Some(&b) = self.text.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.bump();
        }
        None
    }

    // Positions stay within the text (at most `isize::MAX` bytes), so they
    // cannot wrap; the hot loops avoid the cost of checking that.
    fn bump(&mut self) {
        self.pos = self.pos.wrapping_add(1);
    }

    /// Consumes `b` (after white space), or is unsure.
    pub(super) fn expect(&mut self, b: u8) -> R<()> {
        if self.peek() != Some(b) {
            return Err(Unsure);
        }
        self.bump();
        Ok(())
    }

    /// Whether only white space is left.
    pub(super) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Where the scanner is, in bytes.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Enters an object or array (its opening byte already consumed).
    pub(super) fn enter(&mut self) -> R<()> {
        self.depth = self.depth.saturating_add(1);
        if self.depth > MAX_DEPTH {
            return Err(Unsure);
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// After a member of an object or array: `true` at its closing byte
    /// (consumed), `false` after a comma.
    pub(super) fn next_member(&mut self, close: u8) -> R<bool> {
        match self.peek() {
            Some(b) if b == close => {
                self.bump();
                Ok(true)
            }
            Some(b',') => {
                self.bump();
                Ok(false)
            }
            _ => Err(Unsure),
        }
    }

    /// An object key without escapes, and the `:` after it.
    pub(super) fn key(&mut self) -> R<&'t str> {
        if self.peek() != Some(b'"') {
            return Err(Unsure);
        }
        self.bump();
        let start = self.pos;
        let escaped = self.string_body()?;
        if escaped {
            return Err(Unsure);
        }
        let end = self.pos.saturating_sub(1);
        // Both ends are next to a `"`, so on character boundaries.
        let key = self.source.get(start..end).ok_or(Unsure)?;
        self.expect(b':')?;
        Ok(key)
    }

    /// Skips an object key (escapes allowed) and the `:` after it.
    #[inline]
    fn skip_key(&mut self) -> R<()> {
        if self.peek() != Some(b'"') {
            return Err(Unsure);
        }
        self.bump();
        self.string_body()?;
        self.expect(b':')
    }

    /// Skips one value, checking it.
    pub(super) fn value(&mut self) -> R<()> {
        match self.peek() {
            Some(b'{') => {
                self.bump();
                self.enter()?;
                if self.peek() == Some(b'}') {
                    self.bump();
                } else {
                    loop {
                        self.skip_key()?;
                        self.value()?;
                        if self.next_member(b'}')? {
                            break;
                        }
                    }
                }
                self.leave();
                Ok(())
            }
            Some(b'[') => {
                self.bump();
                self.enter()?;
                if self.peek() == Some(b']') {
                    self.bump();
                } else {
                    loop {
                        self.value()?;
                        if self.next_member(b']')? {
                            break;
                        }
                    }
                }
                self.leave();
                Ok(())
            }
            Some(b'"') => {
                self.bump();
                self.string_body().map(|_| ())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Unsure),
        }
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        let end = self.pos.checked_add(word.len()).ok_or(Unsure)?;
        if self.text.get(self.pos..end) != Some(word) {
            return Err(Unsure);
        }
        self.pos = end;
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.text.get(self.pos), Some(b'0'..=b'9')) {
            self.bump();
        }
        self.pos.saturating_sub(start)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, of a magnitude that
    /// is surely finite.
    fn number(&mut self) -> R<()> {
        if self.text.get(self.pos) == Some(&b'-') {
            self.bump();
        }
        let int_digits = match self.text.get(self.pos) {
            Some(b'0') => {
                self.bump();
                // A leading zero is a number of its own: `01` is an error.
                if matches!(self.text.get(self.pos), Some(b'0'..=b'9')) {
                    return Err(Unsure);
                }
                1
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Unsure),
        };
        if self.text.get(self.pos) == Some(&b'.') {
            self.bump();
            if self.digits() == 0 {
                return Err(Unsure);
            }
        }
        let mut exponent: i64 = 0;
        if matches!(self.text.get(self.pos), Some(b'e' | b'E')) {
            self.bump();
            let negative = match self.text.get(self.pos) {
                Some(b'-') => {
                    self.bump();
                    true
                }
                Some(b'+') => {
                    self.bump();
                    false
                }
                _ => false,
            };
            let start = self.pos;
            let n = self.digits();
            // Up to four digits: a magnitude checked below; more, unsure.
            if n == 0 || n > 4 {
                return Err(Unsure);
            }
            let text = self.text.get(start..self.pos).ok_or(Unsure)?;
            let value: i64 = std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(Unsure)?;
            exponent = if negative {
                value.saturating_neg()
            } else {
                value
            };
        }
        let digits = i64::try_from(int_digits).map_err(|_| Unsure)?;
        if digits.saturating_add(exponent.abs()) > MAX_MAGNITUDE {
            return Err(Unsure);
        }
        Ok(())
    }

    /// The rest of a string after its opening quote, through its closing
    /// one; whether it held escapes.
    #[inline]
    fn string_body(&mut self) -> R<bool> {
        let mut escaped = false;
        loop {
            self.pos = plain_end(self.text, self.pos);
            match self.text.get(self.pos) {
                Some(b'"') => {
                    self.bump();
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    self.bump();
                    self.escape()?;
                    escaped = true;
                }
                // A control character (serde_json's error) or the end.
                _ => return Err(Unsure),
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn escape(&mut self) -> R<()> {
        match self.text.get(self.pos) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.bump();
                Ok(())
            }
            Some(b'u') => {
                self.bump();
                let end = self.pos.checked_add(4).ok_or(Unsure)?;
                let hex = self.text.get(self.pos..end).ok_or(Unsure)?;
                let hex = std::str::from_utf8(hex).map_err(|_| Unsure)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Unsure);
                }
                let unit = u16::from_str_radix(hex, 16).map_err(|_| Unsure)?;
                // Surrogates must pair up, and serde_json says so when they
                // do not: leave them all to it.
                if (0xD800..=0xDFFF).contains(&unit) {
                    return Err(Unsure);
                }
                self.pos = end;
                Ok(())
            }
            _ => Err(Unsure),
        }
    }
}

/// Where the string bytes from `from` stop being neither `"`, `\` nor
/// control characters; looked at eight at a time.
#[inline]
fn plain_end(text: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let rest = text.get(from..).unwrap_or_default();
    let mut words = rest.chunks_exact(8);
    let mut at = from;
    for chunk in words.by_ref() {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(bytes);
        // Per byte, the high bit set where the byte is zero (the usual "has
        // a zero byte" test; its lowest set bit is always a true match):
        // for `"`, `\` and every byte below 0x20.
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
        let quote = zero(word ^ ONES.wrapping_mul(u64::from(b'"')));
        let backslash = zero(word ^ ONES.wrapping_mul(u64::from(b'\\')));
        let control = word.wrapping_sub(ONES.wrapping_mul(0x20)) & !word & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            // Little-endian: the lowest byte comes first.
            return at.wrapping_add((found.trailing_zeros() / 8) as usize);
        }
        at = at.wrapping_add(8);
    }
    let tail = words.remainder();
    let n = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(tail.len());
    at.wrapping_add(n)
}
