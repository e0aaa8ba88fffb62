//! Reading only what a policy needs from an event's JSON text.
//!
//! A [`Projection`] is built once per checked policy from the paths its
//! rules read. Parsing an event with it validates the whole text as JSON
//! (same errors, same positions as [`super::parse_event`]) but builds only
//! the objects on those paths: every other subtree is validated as the full
//! parse validates it (depth, escapes, number range) and dropped without
//! allocating. The result is a sparse
//! event on which the interpreter makes exactly the decision it makes on
//! the full one (tested by property tests against `parse_event`).

mod scan;

use super::event::{located, require_object, EventError};
use crate::ir::{Expr, ExprKind as K, Policy, Root, Step};
use scan::{Scanner, Unsure};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};
use std::borrow::Cow;
use std::fmt;

/// What to keep of one JSON value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
enum Node {
    /// Keep the whole value (a leaf the policy reads, a list it ranges over).
    #[default]
    Whole,
    /// Keep only these keys of an object (sorted by key).
    Keys(Vec<(Box<str>, Node)>),
}

impl Node {
    fn child(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Whole => None,
            // A policy reads a few keys of each object: compared length
            // first, most of an event's keys are rejected without reading
            // their bytes.
            Node::Keys(keys) if keys.len() <= 8 => keys
                .iter()
                .find(|(k, _)| k.len() == key.len() && k.as_ref() == key)
                .map(|(_, node)| node),
            Node::Keys(keys) => keys
                .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                .ok()
                .and_then(|i| keys.get(i))
                .map(|(_, node)| node),
        }
    }

    /// Adds a path of keys; the last key keeps its whole value.
    fn insert(&mut self, keys: &[&str]) {
        let Some((first, rest)) = keys.split_first() else {
            *self = Node::Whole;
            return;
        };
        let Node::Keys(children) = self else {
            // A whole value already contains every path below it.
            return;
        };
        let i = match children.binary_search_by(|(k, _)| k.as_ref().cmp(first)) {
            Ok(i) => i,
            Err(i) => {
                let fresh = if rest.is_empty() {
                    Node::Whole
                } else {
                    Node::Keys(Vec::new())
                };
                children.insert(i, (Box::from(*first), fresh));
                if rest.is_empty() {
                    return;
                }
                i
            }
        };
        if let Some((_, child)) = children.get_mut(i) {
            child.insert(rest);
        }
    }
}

/// The parts of an event a policy reads, for fast parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    root: Node,
}

impl Projection {
    /// The projection of everything the policy's rules and `let`s read.
    pub fn new(policy: &Policy) -> Projection {
        let mut root = Node::Keys(Vec::new());
        let mut add = |e: &Expr| visit(e, &mut root);
        for rule in &policy.rules {
            add(&rule.when);
            if let Some(u) = &rule.unless {
                add(u);
            }
        }
        for l in &policy.lets {
            add(&l.value);
        }
        Projection { root }
    }

    /// Also keeps the value at this path (`["user", "user_id"]`), for
    /// callers that report it beside the decision.
    pub fn keep(&mut self, keys: &[&str]) {
        self.root.insert(keys);
    }

    /// Also keeps everything another policy reads (to decide one event
    /// with two policies, as `mfapol diff` does).
    pub fn extend(&mut self, policy: &Policy) {
        let other = Projection::new(policy);
        merge(&mut self.root, other.root);
    }

    /// Parses an event, keeping only the projected parts.
    pub fn parse(&self, text: &str) -> Result<Json, EventError> {
        let text = super::event::strip_bom(text);
        // The scanner decides most events; whatever it is unsure of
        // (errors included) is serde_json's to decide, exactly.
        match self.scan(text) {
            Ok(v) => Ok(v),
            Err(Unsure) => self.parse_with_serde(text),
        }
    }

    /// The projection through the scanner: the whole text checked, only
    /// the kept values built.
    fn scan(&self, text: &str) -> Result<Json, Unsure> {
        let mut s = Scanner::new(text);
        if s.peek() != Some(b'{') {
            return Err(Unsure);
        }
        let v = project(&mut s, text, &self.root)?;
        if !s.at_end() {
            return Err(Unsure);
        }
        Ok(v)
    }

    /// The projection through serde_json alone (what [`Projection::parse`]
    /// falls back on).
    fn parse_with_serde(&self, text: &str) -> Result<Json, EventError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = Seed(&self.root)
            .deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| located(text, &e))?;
        require_object(text, v)
    }
}

/// The projection of the value at the scanner: an object on the
/// projection's paths keeps only their keys; anything else (a kept value,
/// or a misfit where an object belongs) is checked in place and parsed
/// whole, as the serde path keeps it.
fn project(s: &mut Scanner<'_>, text: &str, node: &Node) -> Result<Json, Unsure> {
    if let (Node::Keys(_), Some(b'{')) = (node, s.peek()) {
        s.expect(b'{')?;
        s.enter()?;
        let mut out = Map::new();
        if s.peek() == Some(b'}') {
            s.expect(b'}')?;
        } else {
            loop {
                let key = s.key()?;
                match node.child(key) {
                    Some(child) => {
                        let v = project(s, text, child)?;
                        // A repeated key: the last one wins, as in serde_json.
                        out.insert(key.to_owned(), v);
                    }
                    None => s.value()?,
                }
                if s.next_member(b'}')? {
                    break;
                }
            }
        }
        s.leave();
        return Ok(Json::Object(out));
    }
    s.peek();
    let start = s.pos();
    s.value()?;
    let kept = text.get(start..s.pos()).ok_or(Unsure)?;
    serde_json::from_str(kept).map_err(|_| Unsure)
}

fn merge(into: &mut Node, from: Node) {
    match from {
        Node::Whole => *into = Node::Whole,
        Node::Keys(keys) => {
            for (k, child) in keys {
                match into {
                    Node::Whole => return,
                    Node::Keys(mine) => match mine.binary_search_by(|(m, _)| m.as_ref().cmp(&k)) {
                        Ok(i) => {
                            if let Some((_, m)) = mine.get_mut(i) {
                                merge(m, child);
                            }
                        }
                        Err(i) => mine.insert(i, (k, child)),
                    },
                }
            }
        }
    }
}

/// Adds every event path an expression reads (iteratively over `and`/`or`
/// lists; nesting is bounded by the parser).
fn visit(e: &Expr, root: &mut Node) {
    if let K::Path(p) = &e.kind {
        if p.root == Root::Event {
            // Keys up to the first index: an indexed list is kept whole.
            let keys: Vec<&str> = p
                .steps
                .iter()
                .map_while(|s| match s {
                    Step::Key(k) => Some(k.as_ref()),
                    Step::Index(_) => None,
                })
                .collect();
            root.insert(&keys);
        }
    }
    for x in e.children() {
        visit(x, root);
    }
}

struct Seed<'n>(&'n Node);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        match self.0 {
            Node::Whole => serde::Deserialize::deserialize(d),
            node @ Node::Keys(_) => d.deserialize_any(Projecting(node)),
        }
    }
}

/// Builds an object with only the wanted keys; any other JSON value (a
/// misfit such as a string where an object belongs) is kept as it is, so
/// the interpreter reports it exactly as it would on the full event.
struct Projecting<'n>(&'n Node);

impl<'de> Visitor<'de> for Projecting<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match self.0.child(&key) {
                Some(child) => {
                    let v = map.next_value_seed(Seed(child))?;
                    out.insert(key.into_owned(), v);
                }
                None => {
                    map.next_value_seed(Validate)?;
                }
            }
        }
        Ok(Json::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Json, A::Error> {
        serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
}

/// Skips a value the policy does not read, but validates it exactly as the
/// full parse does: `serde::de::IgnoredAny` lets serde_json skip without
/// checking the nesting limit, surrogate escapes or number range, so the fast
/// path accepted events that `parse_event` rejects. Through
/// `deserialize_any`, serde_json counts depth and decodes strings (into its
/// scratch buffer) and numbers, and nothing is allocated per value.
struct Validate;

impl<'de> DeserializeSeed<'de> for Validate {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Validate)
    }
}

impl<'de> Visitor<'de> for Validate {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Validate)?.is_some() {
            map.next_value_seed(Validate)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Validate)?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Object keys, borrowed from the input when they have no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn projection(policy: &str) -> (Policy, Projection) {
        let src = SourceFile::new("p", policy);
        let p = crate::compile(&src, crate::schema::auth0_post_login())
            .policy
            .unwrap();
        let pr = Projection::new(&p);
        (p, pr)
    }

    #[test]
    fn keeps_only_read_paths() {
        let (_, pr) =
            projection("require mfa when connection == \"corp-ad\" and not ip in 10.0.0.0/8\n");
        let v = pr
            .parse(r#"{"connection": {"name": "corp-ad", "id": "x"}, "request": {"ip": "1.2.3.4", "query": {"a": [1, {"b": 2}]}}, "user": {"email": "a"}}"#)
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"connection": {"name": "corp-ad"}, "request": {"ip": "1.2.3.4"}})
        );
    }

    #[test]
    fn keep_and_extend_add_paths() {
        let (_, mut pr) = projection("require mfa when country == \"US\"\n");
        let (other, _) =
            projection("require mfa when connection.strategy == \"ad\" or organization == null\n");
        pr.keep(&["user", "user_id"]);
        pr.extend(&other);
        let v = pr
            .parse(r#"{"user": {"user_id": "u1", "email": "e"}, "organization": {"name": "o", "id": "i"}, "connection": {"strategy": "ad", "name": "n"}, "request": {"ip": "1.1.1.1", "geoip": {"countryCode": "US", "cityName": "x"}}}"#)
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"user": {"user_id": "u1"}, "organization": {"name": "o", "id": "i"},
                "connection": {"strategy": "ad"}, "request": {"geoip": {"countryCode": "US"}}})
        );
    }

    #[test]
    fn misfits_and_errors_are_kept_like_the_full_parse() {
        let (policy, pr) = projection("require mfa when country == \"US\"\n");
        let v = pr.parse(r#"{"request": "oops"}"#).unwrap();
        assert_eq!(v, serde_json::json!({"request": "oops"}));
        let d = super::super::evaluate(&policy, &v, 0);
        assert_eq!(d.errors.len(), 1);
        for bad in [
            "{\"a\": tru}",
            "[1]",
            "{} x",
            "{\"request\": {\"geoip\": [}}",
            // Unread subtrees are validated like read ones: too deep, a
            // lone surrogate (in a value and in a key), a number out of range.
            format!("{{\"x\": {}{}}}", "[".repeat(200), "]".repeat(200)).as_str(),
            format!("{{\"x\": {}1{}}}", "{\"a\":".repeat(130), "}".repeat(130)).as_str(),
            "{\"x\": \"\\ud800\"}",
            "{\"x\": {\"\\udc00\": 1}}",
            "{\"x\": [1e400]}",
            "{\"x\": -1e400}",
        ] {
            assert_eq!(
                pr.parse(bad).err(),
                super::super::parse_event(bad).err(),
                "{bad}"
            );
        }
    }

    const READS_MUCH: &str = "declare user.app_metadata.level: int\n\
        rule a: require mfa when connection == \"corp-ad\" and not ip in 10.0.0.0/8\n\
        rule b: require mfa when user.app_metadata.level > 2 or \"admin\" in roles\n\
        rule c: skip mfa when any m in authentication.methods: m.name == \"mfa\"\n";

    #[test]
    fn the_scanner_projects_the_fixture_events_as_serde_does() {
        let (_, pr) = projection(READS_MUCH);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/events");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let by_serde = pr.parse_with_serde(&text).unwrap();
            // The fixtures are plain JSON: the scanner decides them itself.
            assert_eq!(pr.scan(&text), Ok(by_serde.clone()));
            let compact =
                serde_json::to_string(&serde_json::from_str::<Json>(&text).unwrap()).unwrap();
            assert_eq!(pr.scan(&compact), Ok(by_serde));
            seen += 1;
        }
        assert!(seen >= 3);
    }

    mod hostile {
        use super::*;
        use proptest::prelude::*;

        /// JSON-ish text: mostly valid, with every kind of trouble the
        /// scanner must leave to serde_json mixed in.
        fn text() -> impl Strategy<Value = String> {
            let string = proptest::sample::select(vec![
                "\"a\"",
                "\"connection\"",
                "\"name\"",
                "\"ip\"",
                "\"request\"",
                "\"user\"",
                "\"corp-ad\"",
                "\"10.1.2.3\"",
                "\"\\n\\t\\\"\\/\"",
                "\"\\u0041\\u00e9\"",
                "\"\\ud800\"",
                "\"\\udc00x\"",
                "\"\\ud83d\\ude00\"",
                "\"\\x\"",
                "\"\u{1}\"",
                "\"\u{7f}é☃\"",
                "\"unterminated",
                "\"\\u12\"",
                "\"\\uZZZZ\"",
                "'single'",
                // Long enough for the eight-byte steps, trouble at each offset.
                "\"0123456789abcdef\u{1f}0123456789\"",
                "\"01234567\u{0}89abcdef\"",
                "\"0123456789abc\\\"defghijklmnop\"",
                "\"0123456789abcdefghijklmnopqrstu\\ud800v\"",
                "\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\"",
                "\"ééééééééééééééé\u{9}ééé\"",
            ])
            .prop_map(String::from);
            let scalar = prop_oneof![
                string.clone(),
                proptest::sample::select(vec![
                    "0",
                    "-0",
                    "01",
                    "1.5",
                    "-2.25e3",
                    "1e3",
                    "1E+2",
                    "1e400",
                    "-1e-400",
                    "1.",
                    ".5",
                    "12345678901234567890123",
                    "1e99999",
                    "-",
                    "2e",
                    "true",
                    "false",
                    "null",
                    "tru",
                    "nul",
                    "NaN",
                    "+1",
                    "0x10",
                ])
                .prop_map(String::from),
            ];
            let ws = proptest::sample::select(vec!["", " ", "\n", "\t ", "\r\n", "\u{a0}"]);
            scalar.prop_recursive(6, 60, 5, move |inner| {
                let key = string.clone();
                prop_oneof![
                    (
                        proptest::collection::vec((key, ws.clone(), inner.clone()), 0..5),
                        any::<u8>()
                    )
                        .prop_map(|(members, quirk)| {
                            let mut body: Vec<String> = members
                                .into_iter()
                                .map(|(k, w, v)| format!("{k}{w}:{w}{v}"))
                                .collect();
                            match quirk {
                                0 => body.push(String::new()),         // trailing comma
                                1 => body.insert(0, "\"k\" 1".into()), // missing colon
                                _ => {}
                            }
                            format!("{{{}}}", body.join(","))
                        }),
                    (proptest::collection::vec(inner.clone(), 0..5), any::<u8>()).prop_map(
                        |(items, quirk)| {
                            let mut body = items;
                            if quirk == 0 {
                                body.push(String::new());
                            }
                            format!("[{}]", body.join(", "))
                        }
                    ),
                    // Deep nesting, around serde_json's limit and the scanner's.
                    (inner, 90usize..135).prop_map(|(v, n)| {
                        format!("{{\"deep\": {}{v}{}}}", "[".repeat(n), "]".repeat(n))
                    }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            #[test]
            fn the_scanner_accepts_only_what_serde_accepts_and_builds_the_same(
                body in text(), pre in proptest::sample::select(vec!["", " ", "\u{feff}"]),
                post in proptest::sample::select(vec!["", " \n", " x", ",", "}"]),
            ) {
                let (_, pr) = projection(READS_MUCH);
                for t in [format!("{pre}{body}{post}"), format!("{{\"connection\": {body}, \"request\": {{\"ip\": {body}}}}}{post}")] {
                    let t = super::super::super::event::strip_bom(&t).to_string();
                    if let Ok(v) = pr.scan(&t) {
                        prop_assert!(serde_json::from_str::<Json>(&t).is_ok(), "scanned, but serde_json rejects: {}", t);
                        prop_assert_eq!(Ok(v), pr.parse_with_serde(&t), "{}", t);
                    }
                    prop_assert_eq!(pr.parse(&t), pr.parse_with_serde(&t));
                }
            }
        }
    }
}
