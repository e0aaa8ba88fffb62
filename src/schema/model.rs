//! The schema's types and tables, without the built-in schema itself. The
//! build script includes this file and `text.rs` (through `#[path]`) to
//! read `auth0_post_login.schema` at compile time, so both use one reader.

use std::borrow::Cow;
use std::fmt;

/// Text in a schema: borrowed from the program for the built-in schema (so
/// building it allocates no string), owned for a schema read at run time.
pub type Text = Cow<'static, str>;

/// Index of a record in [`Schema::records`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordId(pub u32);

/// Index of an enum in [`Schema::enums`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnumId(pub u32);

/// A type of the policy language.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
// A tag byte of its own (no niche packing): the interpreter matches on
// every node, and a plain tag is one load and one compare.
#[repr(u8)]
pub enum Type {
    /// Text.
    String,
    /// A string drawn from a closed set of values.
    Enum(EnumId),
    /// A 64-bit integer.
    Int,
    /// A floating-point number.
    Float,
    /// `true` or `false`.
    Bool,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An IPv4 or IPv6 network.
    Cidr,
    /// A point in time (ISO 8601 text in the event).
    Timestamp,
    /// A length of time.
    Duration,
    /// A list of values of one type.
    List(Box<Type>),
    /// A JSON object with known fields.
    Record(RecordId),
    /// A free-form JSON object: values are `dynamic` unless a key is declared.
    Map,
    /// Any JSON value, checked at run time.
    Dynamic,
    /// The type of the literal `null` (and of an empty list's elements).
    Null,
}

/// The scalar types by the names `declare` and the schema text give them
/// (besides `list<T>`, `T?`, and the schema's `map`, records and enums).
pub const SCALAR_TYPES: [(&str, Type); 9] = [
    ("string", Type::String),
    ("int", Type::Int),
    ("float", Type::Float),
    ("bool", Type::Bool),
    ("ip", Type::Ip),
    ("cidr", Type::Cidr),
    ("timestamp", Type::Timestamp),
    ("duration", Type::Duration),
    ("dynamic", Type::Dynamic),
];

/// A scalar type by its name.
pub fn scalar_type(name: &str) -> Option<Type> {
    SCALAR_TYPES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t.clone())
}

/// The names of [`SCALAR_TYPES`], in order.
pub fn scalar_type_names() -> impl Iterator<Item = &'static str> {
    SCALAR_TYPES.iter().map(|(n, _)| *n)
}

impl Type {
    /// Whether values of this type are strings at run time.
    pub fn is_string(&self) -> bool {
        matches!(self, Type::String | Type::Enum(_))
    }

    /// Whether the type is a number.
    pub fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }
}

/// A closed set of string values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDef {
    /// Its name in the schema file.
    pub name: Text,
    /// The allowed values, in schema order.
    pub values: Vec<Text>,
    /// Common wrong spellings and the value they stand for (`UK` -> `GB`,
    /// ISO alpha-3 `SYR` -> `SY`, `azure-ad` -> `waad`): the did-you-mean
    /// of a closed set looks here first.
    pub aliases: Vec<(Text, Text)>,
    /// What the values are, for help texts of large sets
    /// (`ISO 3166-1 alpha-2 country codes`).
    pub about: Option<Text>,
}

impl EnumDef {
    /// The value a wrong spelling stands for: an alias, or a value that
    /// differs only in case (`"ir"` -> `"IR"`).
    pub fn alias_of(&self, word: &str) -> Option<&str> {
        if let Some((_, to)) = self.aliases.iter().find(|(from, _)| from == word) {
            return Some(to);
        }
        let upper = word.to_uppercase();
        if let Some((_, to)) = self.aliases.iter().find(|(from, _)| *from == upper) {
            return Some(to);
        }
        self.values
            .iter()
            .find(|v| v.as_ref() != word && v.eq_ignore_ascii_case(word))
            .map(|v| v.as_ref())
    }
}

/// A JSON object with known fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordDef {
    /// Its name in the schema file.
    pub name: Text,
    /// The documented fields.
    pub fields: Vec<FieldDef>,
    /// Whether the identity provider may add undocumented keys.
    pub open: bool,
    /// Comparing the record with a string compares this field.
    pub compare_by: Option<Text>,
}

impl RecordDef {
    /// Looks a field up by its exact JSON name.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One documented field of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDef {
    /// The JSON key.
    pub name: Text,
    /// Its type.
    pub ty: Type,
    /// Whether the key may be absent.
    pub optional: bool,
    /// Whether policies may not read it (the event's secrets).
    pub hidden: bool,
}

/// A bare name that stands for a path (`ip` = `request.ip`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shorthand {
    /// The bare name.
    pub name: Text,
    /// The path segments it stands for.
    pub path: Vec<Text>,
}

/// An event schema.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schema {
    /// The records; `root` is the event itself.
    pub records: Vec<RecordDef>,
    /// The closed string sets.
    pub enums: Vec<EnumDef>,
    /// Bare names standing for paths.
    pub shorthands: Vec<Shorthand>,
    /// The record of the whole event.
    pub root: Option<RecordId>,
    /// The values `require mfa using "..."` accepts.
    pub providers: Option<EnumId>,
    /// The values `require mfa using factors [...]` accepts.
    pub factors: Option<EnumId>,
    /// Paths of the metadata maps: reading a key of one that no `declare`
    /// types is a warning.
    pub metadata_maps: Vec<Text>,
    /// Metadata maps whose values are always strings in the identity
    /// provider (`organization.metadata`, `client.metadata`): declaring a key
    /// of one as another type is a warning.
    pub string_maps: Vec<Text>,
    /// Problems found while reading the schema text (empty for a good schema).
    pub errors: Vec<String>,
}

impl Schema {
    /// Reads a schema from its text form (see `auth0_post_login.schema`).
    pub fn from_text(text: &str) -> Schema {
        super::text::read(text)
    }

    /// The record with this id.
    #[expect(
        clippy::indexing_slicing,
        reason = "ids are only made by the schema reader, as indexes into `records`"
    )]
    pub fn record(&self, id: RecordId) -> &RecordDef {
        // INVARIANT: ids are only made by the schema reader, as indexes into `records`.
        &self.records[id.0 as usize]
    }

    /// The enum with this id.
    #[expect(
        clippy::indexing_slicing,
        reason = "ids are only made by the schema reader, as indexes into `enums`"
    )]
    pub fn enum_def(&self, id: EnumId) -> &EnumDef {
        // INVARIANT: ids are only made by the schema reader, as indexes into `enums`.
        &self.enums[id.0 as usize]
    }

    /// The shorthand with this name.
    pub fn shorthand(&self, name: &str) -> Option<&Shorthand> {
        self.shorthands.iter().find(|s| s.name == name)
    }

    /// The allowed values of an optional enum, as a list.
    pub fn enum_values(&self, id: Option<EnumId>) -> &[Text] {
        id.map_or(&[], |id| &self.enum_def(id).values)
    }

    /// A type as a person would write it.
    pub fn display<'a>(&'a self, ty: &'a Type) -> TypeDisplay<'a> {
        TypeDisplay { schema: self, ty }
    }
}

/// Renders a [`Type`] with record names.
pub struct TypeDisplay<'a> {
    schema: &'a Schema,
    ty: &'a Type,
}

impl fmt::Display for TypeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            Type::String | Type::Enum(_) => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::Ip => f.write_str("ip"),
            Type::Cidr => f.write_str("cidr"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Duration => f.write_str("duration"),
            Type::List(t) => write!(f, "list<{}>", self.schema.display(t)),
            Type::Record(id) => f.write_str(&self.schema.record(*id).name),
            Type::Map => f.write_str("map"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::Null => f.write_str("null"),
        }
    }
}
