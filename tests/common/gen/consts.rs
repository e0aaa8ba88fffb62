//! Fixed tables the generator draws from: closed value sets, words,
//! addresses, durations, regexes, deny reasons.

pub const COUNTRIES: &[&str] = &[
    "US", "DE", "GB", "FR", "KP", "IR", "CU", "SY", "RU", "JP", "XK",
];
pub const CONTINENTS: &[&str] = &["AF", "AN", "AS", "EU", "NA", "OC", "SA"];
pub const STRATEGIES: &[&str] = &[
    "ad",
    "auth0",
    "google-oauth2",
    "samlp",
    "waad",
    "oidc",
    "sms",
];
pub const PROTOCOLS: &[&str] = &[
    "oidc-basic-profile",
    "oauth2-refresh-token",
    "samlp",
    "wsfed",
    "oauth2-password",
    "oauth2-token-exchange",
];
pub const CONFIDENCE: &[&str] = &["low", "medium", "high", "neutral"];
pub const NEW_DEVICE: &[&str] = &["match", "no_match", "initial_login", "unknown_device"];
pub const FACTORS: &[&str] = &[
    "otp",
    "email",
    "phone",
    "push-notification",
    "webauthn-platform",
    "webauthn-roaming",
    "recovery-code",
];
/// Factors that can be enrolled (`email` cannot).
pub const ENROLLABLE: &[&str] = &[
    "otp",
    "phone",
    "push-notification",
    "webauthn-platform",
    "webauthn-roaming",
    "recovery-code",
];
pub const ENROLLED: &[&str] = &["guardian", "google-authenticator", "duo"];
pub const RESPONSE_TYPES: &[&str] = &["code", "token", "id_token"];
pub const PROVIDERS: &[&str] = &["any", "duo", "google-authenticator", "guardian"];

/// Raw (unescaped) strings for string constants: ordinary words, text
/// with every escape, text that looks like an address, a timestamp, a
/// number or a boolean, separators.
pub const WORDS: &[&str] = &[
    "corp-ad",
    "admin",
    "staff",
    "a",
    "",
    "acme-internal",
    "@corp.example",
    "jane@corp.example",
    "a,b",
    "ADMIN",
    "Ünïcode",
    "q\"uote",
    "back\\slash",
    "tab\tx",
    "line\nbreak",
    "é",
    "ops",
    "mfa",
    "203.0.113.9",
    "::ffff:10.0.0.1",
    "2025-01-01T00:00:00Z",
    "true",
    "3",
    " padded ",
    "push-notification",
    "😀",
];

pub const SEPARATORS: &[&str] = &[",", "@", " ", ";", "::", "."];

/// Regex literals as written in a policy (backslashes doubled), each with
/// texts it matches (for events).
/// The first five read alike in JavaScript (`Options::action_safe`).
pub const REGEXES: &[(&str, &[&str])] = &[
    ("^adm", &["admin", "adm"]),
    ("@corp\\\\.example$", &["jane@corp.example"]),
    ("^[a-z]+\\\\.[a-z]+@", &["jane.doe@x"]),
    ("a|b", &["b", "xa"]),
    ("staff", &["staff", "my-staff-x"]),
    ("(?i)^admin$", &["ADMIN", "admin"]),
    ("^$", &[""]),
    ("\\\\d+", &["a1", "42"]),
];

pub const REASONS: &[&str] = &[
    "blocked",
    "sign-in is not available in your region",
    "say \"no\"",
    "back\\slash",
    "tab\there",
    "é ünï",
    "",
];

/// A string as a policy literal, with the language's escapes.
pub fn quote(raw: &str) -> String {
    let mut s = String::from("\"");
    for c in raw.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            'é' => s.push_str("\\u{E9}"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

pub const INT_SMALL: &[&str] = &["1", "3", "5", "42", "100"];
pub const INT_NEG: &[&str] = &["-1", "-5", "-100"];
pub const INT_POW53: &[&str] = &["9007199254740992"];
pub const INT_NEG_POW53: &[&str] = &["-9007199254740992", "-9007199254740993"];
pub const INT_POW53_PLUS1: &[&str] = &["9007199254740993"];
pub const INT_9E15: &[&str] = &["9000000000000000", "8999999999999999", "9000000000000001"];
pub const INT_HUGE: &[&str] = &[
    "10000000000000000",
    "12345678901234567",
    "9223372036854775807",
    "-9223372036854775808",
];
pub const FLOAT_SMALL: &[&str] = &["0.5", "-1.25", "3.0", "51.5", "0.0", "2.5"];
pub const FLOAT_BIG: &[&str] = &[
    "9000000000000000.0",
    "9007199254740992.0",
    "9007199254740994.0",
    "10000000000000000.0",
    "100000000000000000000.0",
];
pub const IP4: &[&str] = &[
    "203.0.113.9",
    "10.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "192.0.2.1",
];
pub const IP6: &[&str] = &["2001:db8::1", "::1", "::", "2001:db8:10::ffff"];
pub const IP_MAPPED: &[&str] = &["::ffff:203.0.113.9", "::ffff:10.0.0.1"];
pub const CIDR0: &[&str] = &["0.0.0.0/0", "::/0"];
pub const CIDR8: &[&str] = &["10.0.0.0/8"];
pub const CIDR24: &[&str] = &["203.0.113.0/24", "192.0.2.0/24"];
pub const CIDR32: &[&str] = &["203.0.113.9/32", "10.0.0.1/32"];
pub const CIDR128: &[&str] = &["2001:db8::1/128"];
pub const CIDR6: &[&str] = &["2001:db8::/32", "2001:db8:10::/48", "2001:db8:10:1::/64"];
pub const CIDR_MAPPED: &[&str] = &["::ffff:203.0.113.0/120", "::ffff:10.0.0.0/104"];
pub const NETS_NESTED: &[&[&str]] = &[
    &["10.0.0.0/8", "10.1.0.0/16"],
    &["2001:db8::/32", "2001:db8:10::/48"],
];
pub const NETS_DISJOINT: &[&[&str]] = &[
    &["10.0.0.0/8", "192.168.0.0/16"],
    &["203.0.113.0/24", "2001:db8::/32"],
];
pub const NETS_HALVES: &[&[&str]] = &[
    &["10.0.0.0/9", "10.128.0.0/9"],
    &["203.0.113.0/25", "203.0.113.128/25"],
    &["2001:db8::/33", "2001:db8:8000::/33"],
];
pub const NETS_MIXED: &[&[&str]] = &[
    &["198.51.100.7", "203.0.113.0/24", "2001:db8::/32"],
    &["::ffff:192.0.2.1", "10.0.0.0/8"],
];
pub const LIST_ADDR: &[&[&str]] = &[
    &["10.0.0.1", "2001:db8::1"],
    &["::ffff:192.0.2.1"],
    &["203.0.113.9", "203.0.113.10"],
];
pub const LIST_INT: &[&[&str]] = &[
    &["1", "2", "3"],
    &["9007199254740993"],
    &["0", "-1", "9000000000000000"],
];
pub const DUR_S: &[&str] = &["30s", "1s", "0s"];
pub const DUR_M: &[&str] = &["15m", "90m"];
pub const DUR_H: &[&str] = &["12h", "1h", "24h"];
pub const DUR_D: &[&str] = &["1d", "7d", "30d", "365d"];
pub const DUR_HUGE: &[&str] = &["800000d", "3000000d", "106751991167d"];
pub const DUR_NEG: &[&str] = &["-1d", "-12h"];
pub const TS: &[&str] = &[
    "2025-01-01T00:00:00Z",
    "2024-06-24T12:00:00+02:00",
    "2024-06-24T11:59:59.999Z",
];
pub const TS_EDGE: &[&str] = &["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"];
