//! A small HTML writer whose only way to put text into the page escapes
//! it: tag and attribute names are `&'static str` (mfapol's own markup),
//! while every text and attribute value goes through [`escape_into`]. A
//! value from an event therefore cannot open a tag, close an attribute or
//! start a script, wherever it is written.

use super::super::batch::thousands;
use super::super::escape::escape;

/// Appends `s` escaped for HTML text and double- or single-quoted
/// attribute values. Control and bidi characters are first written as
/// visible escapes (`\u{202e}`), as in the terminal output, so an event
/// value cannot reorder or hide the text around it.
pub fn escape_into(out: &mut String, s: &str) {
    for c in escape(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A JSON pointer token (RFC 6901): `~` as `~0`, `/` as `~1`.
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The page being written.
#[derive(Default)]
pub struct Html {
    out: String,
}

impl Html {
    /// An empty page.
    pub fn new() -> Self {
        Html::default()
    }

    /// mfapol's own markup, written as it is: only static text can be.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    fn attrs(&mut self, attrs: &[(&'static str, &str)]) {
        for (name, value) in attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
    }

    /// `<tag attrs>`.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.attrs(attrs);
        self.out.push('>');
        self
    }

    /// `<tag attrs/>` (SVG shapes) or `<tag attrs>` for HTML void elements.
    pub fn void(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.attrs(attrs);
        self.out.push_str("/>");
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, s: &str) -> &mut Self {
        escape_into(&mut self.out, s);
        self
    }

    /// `<tag attrs>text</tag>`.
    pub fn el(
        &mut self,
        tag: &'static str,
        attrs: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A count from the JSON output, with the JSON pointer it was read
    /// from (`data-j`), so a test can check the page against the JSON.
    pub fn num(&mut self, tag: &'static str, class: &str, pointer: &str, n: u64) -> &mut Self {
        self.el(tag, &[("class", class), ("data-j", pointer)], &thousands(n))
    }

    /// The page's text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_markup_character_is_escaped() {
        let mut h = Html::new();
        h.el(
            "p",
            &[("title", "x\" onmouseover='alert(1)'")],
            "<script>alert('x')</script> & more",
        );
        assert_eq!(
            h.finish(),
            "<p title=\"x&quot; onmouseover=&#39;alert(1)&#39;\">\
             &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</p>"
        );
    }

    #[test]
    fn control_and_bidi_characters_are_made_visible() {
        let mut out = String::new();
        escape_into(&mut out, "evil\u{202e}gpj.exe\n<");
        assert_eq!(out, "evil\\u{202e}gpj.exe\\n&lt;");
    }

    #[test]
    fn numbers_carry_their_json_pointer() {
        let mut h = Html::new();
        h.num("td", "n", "/by_rule/old/a~1b", 1204);
        assert_eq!(
            h.finish(),
            "<td class=\"n\" data-j=\"/by_rule/old/a~1b\">1,204</td>"
        );
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
    }
}
