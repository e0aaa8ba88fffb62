//! Helpers for the `--report` tests: generated logins, and reading the
//! numbers a report page shows with the JSON field each one names.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};

/// The counts a page shows: `(JSON pointer, number)` for every element
/// with a `data-j` attribute (`<td class="n" data-j="/events">1,204</td>`).
pub fn numbers(html: &str) -> Vec<(String, u64)> {
    let re = regex::Regex::new(r#"data-j="([^"]*)"[^>]*>([0-9,]+)<"#).unwrap();
    re.captures_iter(html)
        .map(|c| {
            let pointer = c[1]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            (pointer, c[2].replace(',', "").parse().unwrap())
        })
        .collect()
}

/// Checks that every number the page shows is the JSON's number at its
/// pointer, and that the page shows the numbers at `required`. Returns
/// how many numbers were checked.
pub fn check_numbers(html: &str, json: &Value, required: &[String]) -> usize {
    let shown = numbers(html);
    assert!(!shown.is_empty(), "the page shows no number");
    for (pointer, n) in &shown {
        let want = json
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the page shows {n} for `{pointer}`, which the JSON lacks"));
        assert_eq!(
            want.as_u64(),
            Some(*n),
            "the page shows {n} for `{pointer}`, the JSON has {want}"
        );
    }
    for r in required {
        assert!(
            shown.iter().any(|(p, _)| p == r),
            "the page does not show `{r}` ({:?})",
            json.pointer(r)
        );
    }
    shown.len()
}

/// The pointers a `diff` page must show: totals, every transition cell,
/// the decision mix on both sides.
pub fn diff_required(j: &Value) -> Vec<String> {
    let mut out: Vec<String> = ["/events", "/changed", "/weaker", "/unchanged"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (i, _) in j["matrix"].as_array().unwrap().iter().enumerate() {
        out.push(format!("/matrix/{i}/count"));
    }
    for side in ["old", "new"] {
        for k in j["decisions"][side].as_object().unwrap().keys() {
            out.push(format!("/decisions/{side}/{k}"));
        }
    }
    for g in ["connection", "client", "organization", "country"] {
        for (i, _) in j["breakdowns"][g]
            .as_array()
            .unwrap()
            .iter()
            .take(20)
            .enumerate()
        {
            out.push(format!("/breakdowns/{g}/{i}/events"));
            out.push(format!("/breakdowns/{g}/{i}/weaker"));
        }
    }
    for (i, _) in j["over_time"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        out.push(format!("/over_time/series/{i}/events"));
    }
    out
}

/// The pointers a batch `eval` page must show.
pub fn eval_required(j: &Value) -> Vec<String> {
    let mut out = vec!["/summary/events".to_string()];
    for k in j["summary"]["by_decision"].as_object().unwrap().keys() {
        out.push(format!("/summary/by_decision/{k}"));
    }
    for g in ["connection", "client", "organization", "country"] {
        for (i, _) in j["summary"]["breakdowns"][g]
            .as_array()
            .unwrap()
            .iter()
            .take(20)
            .enumerate()
        {
            out.push(format!("/summary/breakdowns/{g}/{i}/events"));
        }
    }
    out
}

/// A small seeded generator (xorshift).
pub struct Rng(pub u64);

impl Rng {
    /// A number below `m`.
    pub fn below(&mut self, m: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % m as u64) as usize
    }
}

/// What the page must never show without `--report-identities`.
pub struct People {
    /// User ids.
    pub user_ids: Vec<String>,
    /// Emails.
    pub emails: Vec<String>,
    /// IP addresses.
    pub ips: Vec<String>,
}

/// The text an event carries to test escaping.
pub const MARKUP: &str = "<script>alert('pwned')</script>";

/// `n` Auth0 log entries: successful logins (`s`) over three days from
/// 2025-03-03, a few entries that are not logins, connections,
/// applications (one named with [`MARKUP`]), organizations and countries.
pub fn logs(n: usize, seed: u64) -> (String, People) {
    let mut rng = Rng(seed);
    let connections = [
        "corp-ad",
        "corp-ad",
        "contractors",
        "google-oauth2",
        "Username-Password-Authentication",
    ];
    let clients = ["Portal", "Admin Console", "Mobile", MARKUP];
    let orgs = ["", "acme-staff", "acme-partners"];
    let countries = ["DE", "US", "FR", "KP", "GB", ""];
    let mut people = People {
        user_ids: Vec::new(),
        emails: Vec::new(),
        ips: Vec::new(),
    };
    let mut out = String::new();
    for i in 0..n {
        let t = 1_740_960_000 + (i as i64) * 86 + rng.below(60) as i64; // 2025-03-03 on
        let date = chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
        if i % 50 == 7 {
            out.push_str(
                &json!({"log_id": format!("skip{i}"), "date": date, "type": "gd_auth_succeed"})
                    .to_string(),
            );
            out.push('\n');
            continue;
        }
        let user = format!("auth0|person{i:05}x");
        let email = format!("person{i:05}@people.example");
        let ip = if rng.below(3) == 0 {
            format!("203.0.113.{}", 1 + rng.below(250))
        } else {
            format!("198.51.{}.{}", 100 + rng.below(50), 1 + rng.below(250))
        };
        let mut e = json!({
            "log_id": format!("log{i}"),
            "date": date,
            "type": "s",
            "connection": connections[rng.below(connections.len())],
            "strategy": "ad",
            "client_id": format!("client{}", rng.below(4)),
            "client_name": clients[rng.below(clients.len())],
            "ip": ip,
            "user_id": user,
            "user_name": email,
            "details": {"prompts": [{"name": "prompt-authenticate", "completedAt": t * 1000, "stats": {"loginsCount": 3}}]},
        });
        let org = orgs[rng.below(orgs.len())];
        if !org.is_empty() {
            e["organization_name"] = json!(org);
            e["organization_id"] = json!(format!("org_{org}"));
        }
        let country = countries[rng.below(countries.len())];
        if !country.is_empty() {
            e["location_info"] = json!({"country_code": country, "continent_code": "EU"});
        }
        people.user_ids.push(user);
        people.emails.push(email);
        people.ips.push(ip);
        out.push_str(&e.to_string());
        out.push('\n');
    }
    (out, people)
}

/// The policies a change board compares: the new one exempts the office
/// network and moves contractors to OTP, and contractors' own domain.
pub const OLD: &str = r#"
default skip mfa
rule corp: require mfa when connection == "corp-ad"
rule contractors: require mfa when connection == "contractors"
rule embargo: deny "not available" when country in ["KP"]
"#;

/// See [`OLD`].
pub const NEW: &str = r#"
let office = [203.0.113.0/24]
default skip mfa
rule corp: require mfa when connection == "corp-ad" and not ip in office
rule contractors: require mfa using factors ["otp"] when connection == "contractors" and not email ends_with "@contractor.example"
rule staff: require mfa when organization in ["acme-staff"]
rule embargo: deny "not available" when country in ["KP"]
"#;
