//! Whether an event is within what `verify` assumes (SPEC §12): every
//! field Auth0 types holds a value of its type (or is absent or null);
//! metadata and `dynamic` values may hold anything.

use mfapol::schema::{self, Schema, Type};
use serde_json::Value;

/// Whether every typed field of `event` holds a value of its type.
pub fn within_assumptions(event: &Value) -> bool {
    let s = schema::auth0_post_login();
    match s.root {
        Some(root) => fits(s, event, &Type::Record(root)),
        None => true,
    }
}

fn fits(s: &Schema, v: &Value, ty: &Type) -> bool {
    if v.is_null() {
        return true;
    }
    match ty {
        Type::String | Type::Enum(_) => v.is_string(),
        Type::Int => {
            v.as_i64().is_some()
                || v.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
        }
        Type::Float => v.is_number(),
        Type::Bool => v.is_boolean(),
        Type::Ip => v
            .as_str()
            .is_some_and(|t| mfapol::eval::parse_ip(t).is_some()),
        Type::Cidr => v
            .as_str()
            .is_some_and(|t| t.parse::<ipnet::IpNet>().is_ok()),
        Type::Timestamp => v
            .as_str()
            .is_some_and(|t| mfapol::eval::parse_time(t).is_some()),
        Type::Duration => v
            .as_f64()
            .is_some_and(|x| (x * 1000.0).abs() <= 9_007_199_254_740_992.0),
        Type::List(e) => v
            .as_array()
            .is_some_and(|items| items.iter().all(|i| fits(s, i, e))),
        Type::Record(r) => match v.as_object() {
            None => false,
            Some(m) => {
                let rec = s.record(*r);
                m.iter()
                    .all(|(k, x)| match rec.fields.iter().find(|f| f.name == *k) {
                        Some(f) => fits(s, x, &f.ty),
                        None => true,
                    })
            }
        },
        Type::Map => v.is_object(),
        Type::Dynamic | Type::Null => true,
    }
}
