//! One truth for the schema facts docs/language.md states (issue 20): the
//! records table's "Open" column and the optionality of every field in the
//! field tables match the built-in schema, so the docs cannot say
//! `request.geoip` is open while the schema closes it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::schema::{self, Schema, Type};

/// The field at a dotted path (list elements reached through `[]`).
fn field<'s>(s: &'s Schema, path: &str) -> Option<&'s schema::FieldDef> {
    let mut rec = s.record(s.root?);
    let mut found = None;
    for key in path.split('.') {
        let f = rec.field(key.trim_end_matches("[]"))?;
        found = Some(f);
        let mut ty = &f.ty;
        while let Type::List(inner) = ty {
            ty = inner;
        }
        if let Type::Record(id) = ty {
            rec = s.record(*id);
        }
    }
    found
}

fn docs() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md")).unwrap()
}

#[test]
fn the_records_table_says_which_records_are_open_as_the_schema_does() {
    let s = schema::auth0_post_login();
    let docs = docs();
    let start = docs.find("| Record | Where | Open |").unwrap();
    let mut checked = 0;
    for line in docs[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`');
        let rec = s
            .records
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no record `{name}` in the schema"));
        assert_eq!(cells[3] == "yes", rec.open, "{line}");
        checked += 1;
    }
    assert!(checked >= 5, "read {checked} rows");
    assert!(!s.records.iter().find(|r| r.name == "geoip").unwrap().open);
}

#[test]
fn the_field_tables_say_which_fields_are_optional_as_the_schema_does() {
    let s = schema::auth0_post_login();
    let mut checked = 0;
    for line in docs().lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(path), Some(opt)) = (cells.get(1), cells.get(3)) else {
            continue;
        };
        if !matches!(*opt, "optional" | "required") {
            continue;
        }
        let path = path.trim_matches('`');
        let Some(f) = field(s, path) else { continue };
        assert_eq!(*opt == "optional", f.optional, "{line}");
        checked += 1;
    }
    assert!(checked > 100, "read {checked} rows");
}

/// Auth0 ships `transaction.metadata` as optional: its own example reads
/// `event.transaction?.metadata?.hello`.
#[test]
fn transaction_metadata_is_optional() {
    let s = schema::auth0_post_login();
    assert!(field(s, "transaction.metadata").unwrap().optional);
}
