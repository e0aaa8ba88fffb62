//! Comments. The syntax tree has none, so the formatter finds them in the
//! text and attaches each to the element (item, list element, operand) it
//! precedes or trails.

/// A `#` comment in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// Byte offset one past the comment's last non-blank character.
    pub end: usize,
    /// The text from `#`, without trailing whitespace.
    pub text: String,
}

/// Every comment in `text`, in order. A `#` inside a string literal is not a
/// comment. Like the grammar, a comment ends at `\r` or `\n`.
#[expect(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    reason = "a scan of the policy text: every index is checked against its length first, and offsets stay below it"
)]
pub(crate) fn scan(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'#' => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                // Both ends are ASCII bytes, so they are char boundaries.
                let body = text.get(start..i).unwrap_or("#").trim_end();
                out.push(Comment {
                    start,
                    end: start + body.len(),
                    text: body.to_string(),
                });
            }
            _ => i += 1,
        }
    }
    out
}

/// A comment on a line of its own.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    /// The comment.
    pub comment: Comment,
    /// Whether a blank line separates it from what precedes it.
    pub blank_before: bool,
}

/// The comments that belong to one element of a sequence.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slot {
    /// Comments on their own lines before the element.
    pub leading: Vec<Placed>,
    /// Comments inside the element's span.
    pub inner: Vec<Comment>,
    /// A comment on the line where the element ends.
    pub trailing: Option<Comment>,
    /// Whether a blank line separates the element from what precedes it.
    pub blank_before: bool,
}

/// The comments around a sequence of elements.
#[derive(Clone, Debug, Default)]
pub(crate) struct Attached {
    /// One slot per element, in order.
    pub slots: Vec<Slot>,
    /// Comments on their own lines after the last element.
    pub after: Vec<Placed>,
    /// A comment on the line where the sequence opens, before any element.
    pub opening: Option<Comment>,
}

impl Attached {
    /// Whether any comment is attached (inner comments do not count).
    pub fn any(&self) -> bool {
        !self.after.is_empty()
            || self.opening.is_some()
            || self
                .slots
                .iter()
                .any(|s| !s.leading.is_empty() || s.trailing.is_some())
    }
}

/// Attaches `comments` (sorted, all inside the sequence's region) to the
/// elements whose byte ranges `spans` lists in source order: a comment on the
/// line where an element ends trails it; any other comment leads the next
/// element, or follows the last one. With `open`, the offset where the
/// sequence opens (after `[`, or after the effect before `when`), a comment
/// on that line before any element is the sequence's opening comment.
pub(crate) fn attach(
    text: &str,
    comments: Vec<Comment>,
    spans: &[(usize, usize)],
    open: Option<usize>,
) -> Attached {
    let mut slots: Vec<Slot> = spans.iter().map(|_| Slot::default()).collect();
    let mut pending: Vec<Placed> = Vec::new();
    // The end of the previous element or comment, and whether it was an element.
    let mut prev = open.map(|p| (p, Prev::Open));
    let mut opening = None;
    let mut comments = comments.into_iter().peekable();
    let mut last: Option<&mut Slot> = None;
    for (slot, &(start, end)) in slots.iter_mut().zip(spans) {
        while let Some(c) = comments.next_if(|c| c.start < start) {
            place(text, c, &mut prev, &mut last, &mut pending, &mut opening);
        }
        while let Some(c) = comments.next_if(|c| c.start < end) {
            slot.inner.push(c);
        }
        slot.leading = std::mem::take(&mut pending);
        slot.blank_before = blank_after(text, prev, start);
        prev = Some((end, Prev::Element));
        last = Some(slot);
    }
    for c in comments {
        place(text, c, &mut prev, &mut last, &mut pending, &mut opening);
    }
    Attached {
        slots,
        after: pending,
        opening,
    }
}

fn place(
    text: &str,
    c: Comment,
    prev: &mut Option<(usize, Prev)>,
    last: &mut Option<&mut Slot>,
    pending: &mut Vec<Placed>,
    opening: &mut Option<Comment>,
) {
    let end = c.end;
    match *prev {
        Some((p, Prev::Element | Prev::Open))
            if !text.get(p..c.start).unwrap_or("\n").contains('\n') =>
        {
            match last.as_mut() {
                Some(slot) => slot.trailing = Some(c),
                None => *opening = Some(c),
            }
        }
        _ => {
            let blank_before = blank_after(text, *prev, c.start);
            pending.push(Placed {
                comment: c,
                blank_before,
            });
        }
    }
    *prev = Some((end, Prev::Comment));
}

/// What precedes a comment or element in a sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// The opening of the sequence (blank lines after it are not kept).
    Open,
    /// An element.
    Element,
    /// A comment.
    Comment,
}

/// Whether an empty line separates `prev` from what starts at `at`.
fn blank_after(text: &str, prev: Option<(usize, Prev)>, at: usize) -> bool {
    match prev {
        Some((p, Prev::Element | Prev::Comment)) => blank_between(text, p, at),
        _ => false,
    }
}

/// Whether the text between two offsets holds an empty line.
fn blank_between(text: &str, from: usize, to: usize) -> bool {
    text.get(from..to)
        .is_some_and(|s| s.bytes().filter(|&b| b == b'\n').count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_skips_hashes_in_strings_and_trims() {
        let t = "let a = \"#x\\\"#\" # one  \r\n# two\n";
        let c = scan(t);
        let texts: Vec<_> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# one", "# two"]);
        assert_eq!(&t[c[0].start..c[0].end], "# one");
    }

    #[test]
    fn attach_leading_trailing_after() {
        let t = "# a\n\nx # b\n# c\ny\n# d";
        let spans = [(5, 6), (15, 16)];
        let att = attach(t, scan(t), &spans, None);
        assert_eq!(att.slots[0].leading.len(), 1);
        assert!(att.slots[0].blank_before);
        assert_eq!(
            att.slots[0].trailing.as_ref().map(|c| c.text.as_str()),
            Some("# b")
        );
        assert_eq!(att.slots[1].leading[0].comment.text, "# c");
        assert_eq!(att.after[0].comment.text, "# d");
        assert!(!att.after[0].blank_before);
    }
}
