//! Event variants: every input the reference policy reads, flipped over the
//! fixture events.

use serde_json::{json, Map, Value};

/// One generated event.
pub struct Variant {
    /// Which fixture and which flips, for messages.
    pub label: String,
    /// Compact JSON text.
    pub text: String,
    /// The parsed event.
    pub json: Value,
}

const CONNECTIONS: [&str; 3] = ["corp-ad", "google-oauth2", "Username-Password-Authentication"];
/// `None` removes the field.
const IPS: [Option<&str>; 6] = [
    Some("203.0.113.77"),            // inside 203.0.113.0/24
    Some("198.51.100.23"),           // outside
    Some("2001:db8:10::7"),          // IPv6, outside
    Some("::ffff:203.0.113.9"),      // IPv4-mapped IPv6, inside for mfapol
    Some("::ffff:198.51.100.23"),    // IPv4-mapped IPv6, outside
    None,                            // absent
];
const REQUIRE_MFA: [Option<bool>; 3] = [Some(true), Some(false), None];
const ORGS: [Option<&str>; 4] = [None, Some("acme-internal"), Some("acme-staff"), Some("my-organization")];
const CONTINENTS: [Option<&str>; 3] = [Some("EU"), Some("NA"), None];
const EMAILS: [Option<&str>; 3] = [Some("jane@customer.example"), Some("jane@acme.example"), None];

fn obj(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn set(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    match v {
        Some(v) => {
            m.insert(key.to_string(), v);
        }
        None => {
            m.remove(key);
        }
    }
}

/// Every combination of the flips above over every base event.
pub fn generate(bases: &[(String, Value)]) -> Vec<Variant> {
    let mut out = Vec::new();
    for (name, base) in bases {
        for c in CONNECTIONS {
            for ip in IPS {
                for rm in REQUIRE_MFA {
                    for org in ORGS {
                        for cont in CONTINENTS {
                            for email in EMAILS {
                                let mut e = base.clone();
                                let root = obj(&mut e);
                                obj(root.entry("connection").or_insert(json!({})))
                                    .insert("name".into(), json!(c));
                                {
                                    let req = obj(root.entry("request").or_insert(json!({})));
                                    set(req, "ip", ip.map(|s| json!(s)));
                                    let geo = obj(req.entry("geoip").or_insert(json!({})));
                                    set(geo, "continentCode", cont.map(|s| json!(s)));
                                }
                                {
                                    let user = obj(root.entry("user").or_insert(json!({})));
                                    set(user, "email", email.map(|s| json!(s)));
                                    let am = obj(user.entry("app_metadata").or_insert(json!({})));
                                    set(am, "require_mfa", rm.map(|b| json!(b)));
                                }
                                match org {
                                    None => {
                                        root.remove("organization");
                                    }
                                    Some(o) => {
                                        obj(root.entry("organization").or_insert(json!({})))
                                            .insert("name".into(), json!(o));
                                    }
                                }
                                let label = format!(
                                    "{name} connection={c} ip={} require_mfa={} org={} continent={} email={}",
                                    ip.unwrap_or("<absent>"),
                                    rm.map_or("<absent>".to_string(), |b| b.to_string()),
                                    org.unwrap_or("<absent>"),
                                    cont.unwrap_or("<absent>"),
                                    email.unwrap_or("<absent>"),
                                );
                                let text = serde_json::to_string(&e).expect("serializable");
                                out.push(Variant { label, text, json: e });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
