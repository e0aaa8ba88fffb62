//! The event schema: types, the field table, and the built-in Auth0
//! post-login schema. The schema is data (`*.schema` files read by
//! [`text`]); the checker only reads it, so another identity provider's
//! schema is a new file, not a change to the checker.

mod model;
mod text;

pub use model::*;
use std::sync::LazyLock;

// `fn built_in() -> Schema`: the build script reads
// `auth0_post_login.schema` with `text::read` and writes the code that
// builds the same value, so no program parses the text at run time.
include!(concat!(env!("OUT_DIR"), "/auth0_post_login.rs"));

static AUTH0: LazyLock<Schema> = LazyLock::new(built_in);

/// The built-in schema of the Auth0 Actions post-login `event`.
pub fn auth0_post_login() -> &'static Schema {
    &AUTH0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_schema_is_the_text_read_at_run_time() {
        let read = Schema::from_text(include_str!("auth0_post_login.schema"));
        assert_eq!(read.errors, Vec::<String>::new());
        assert_eq!(*auth0_post_login(), read);
    }

    #[test]
    fn builtin_schema_reads_cleanly() {
        let s = auth0_post_login();
        assert_eq!(s.errors, Vec::<String>::new());
        assert!(s.root.is_some());
        assert_eq!(s.enum_values(s.providers).len(), 4);
        assert_eq!(s.enum_values(s.factors).len(), 7);
        assert_eq!(s.metadata_maps.len(), 5);
    }

    #[test]
    fn every_documented_root_is_reachable() {
        let s = auth0_post_login();
        let Some(root) = s.root else { return };
        let event = s.record(root);
        for name in [
            "user",
            "connection",
            "client",
            "request",
            "stats",
            "tenant",
            "authentication",
            "authorization",
            "organization",
            "transaction",
            "resource_server",
            "session",
            "refresh_token",
            "security_context",
            "custom_domain",
            "prompt",
            "session_transfer_token",
            "agent",
        ] {
            assert!(event.field(name).is_some(), "missing root {name}");
        }
        assert!(event.field("secrets").is_some_and(|f| f.hidden));
    }

    #[test]
    fn schema_errors_are_reported_not_panicked() {
        let s = Schema::from_text("record event\n  a: nosuchtype\nbogus line\n");
        assert_eq!(s.errors.len(), 3, "{:?}", s.errors);
    }
}
