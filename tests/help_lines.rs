//! A `help:` line is a promise: following it gives a policy that checks
//! clean and decides as intended. Each case checks a policy, finds the fix
//! in the help of the expected diagnostic, applies it, checks again (no
//! errors, and no warning unless listed) and evaluates the fixed policy on
//! an event that the author meant to match.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfapol::source::SourceFile;
use mfapol::{compile, eval, schema};
use miette::Diagnostic;
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "user": {"user_id": "auth0|1", "email": "ann@corp.example", "email_verified": true,
                 "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
                 "app_metadata": {}, "user_metadata": {}, "identities": []},
        "connection": {"id": "con_1", "name": "corp-ad", "strategy": "ad"},
        "client": {"client_id": "c1", "name": "Portal", "metadata": {}},
        "request": {"ip": "198.51.100.7", "method": "GET", "query": {}, "body": {},
                    "geoip": {"countryCode": "US", "continentCode": "NA"}},
        "stats": {"logins_count": 3},
        "tenant": {"id": "t"},
        "authentication": {"methods": [{"name": "pwd", "timestamp": "2025-06-01T11:00:00Z"}]},
        "transaction": {"protocol": "oidc-basic-profile", "metadata": {}}
    })
}

fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) if v.is_object() && slot.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

const NOW: i64 = 1_748_779_200_000; // 2025-06-01T12:00:00Z

/// One help line to follow.
struct Case {
    /// The policy as a new admin writes it.
    policy: &'static str,
    /// The code of the diagnostic whose help is followed.
    code: &'static str,
    /// What the help must say; when empty, each replacement (trimmed).
    says: &'static [&'static str],
    /// The edits the help asks for: (text in the policy, its replacement).
    edits: &'static [(&'static str, &'static str)],
    /// An event the author meant the rule for.
    event: Value,
    /// The decision the fixed policy must make on it.
    want: &'static str,
}

fn helps(policy: &str) -> Vec<(String, String, bool)> {
    let src = SourceFile::new("p.mfapolicy", policy);
    let c = compile(&src, schema::auth0_post_login());
    c.diagnostics
        .iter()
        .map(|d| {
            (
                d.code().map(|c| c.to_string()).unwrap_or_default(),
                d.help().map(|h| h.to_string()).unwrap_or_default(),
                d.severity() == Some(miette::Severity::Warning),
            )
        })
        .collect()
}

fn follow(case: &Case) -> Result<(), String> {
    let found = helps(case.policy);
    let help = found
        .iter()
        .filter(|(code, _, _)| code == case.code)
        .map(|(_, h, _)| h.clone())
        .collect::<Vec<_>>()
        .join("\n");
    if help.is_empty() {
        return Err(format!("no `{}` with a help; got {found:?}", case.code));
    }
    let mut fixed = case.policy.to_string();
    for want in case.says {
        if !help.contains(want) {
            return Err(format!("help does not say `{want}`: {help}"));
        }
    }
    for (from, to) in case.edits {
        if case.says.is_empty() && !help.contains(to.trim()) {
            return Err(format!("help does not say `{}`: {help}", to.trim()));
        }
        if !fixed.contains(from) {
            return Err(format!("`{from}` not in the policy"));
        }
        fixed = fixed.replacen(from, to, 1);
    }
    let after = helps(&fixed);
    if !after.is_empty() {
        return Err(format!("fixed policy\n{fixed}still reports {after:?}"));
    }
    let src = SourceFile::new("p.mfapolicy", fixed.as_str());
    let c = compile(&src, schema::auth0_post_login());
    let p = c.policy.ok_or("fixed policy has no program")?;
    let mut event = base();
    merge(&mut event, &case.event);
    let d = eval::evaluate(&p, &event, NOW);
    if d.kind.as_str() != case.want || !d.errors.is_empty() {
        return Err(format!(
            "fixed policy\n{fixed}decides {} with errors {:?}, want {}",
            d.kind.as_str(),
            d.errors,
            case.want
        ));
    }
    Ok(())
}

fn run(cases: &[Case]) {
    let bad: Vec<String> = cases
        .iter()
        .filter_map(|c| follow(c).err().map(|e| format!("{}\n  {e}", c.policy)))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}

#[test]
fn field_and_name_helps() {
    run(&[
        Case {
            policy: "require mfa when request.geoip.country == \"FR\"\n",
            code: "mfapol::unknown_field",
            says: &[],
            edits: &[("country ", "countryCode ")],
            event: json!({"request": {"geoip": {"countryCode": "FR"}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when request.geoip.country_code == \"FR\"\n",
            code: "mfapol::unknown_field",
            says: &[],
            edits: &[("country_code", "countryCode")],
            event: json!({"request": {"geoip": {"countryCode": "FR"}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when treu\n",
            code: "mfapol::unknown_name",
            says: &[],
            edits: &[("treu", "true")],
            event: json!({}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when event.user.email == \"ann@corp.example\"\n",
            code: "mfapol::unknown_name",
            says: &[],
            edits: &[("event.user.email", "user.email")],
            event: json!({}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when riskAssessment.confidence == \"low\"\n",
            code: "mfapol::unknown_name",
            says: &[],
            edits: &[(
                "riskAssessment.confidence",
                "authentication.riskAssessment.confidence",
            )],
            event: json!({"authentication": {"riskAssessment": {"confidence": "low", "version": "1", "assessments": {}}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when connection == northwind-azure\n",
            code: "mfapol::unknown_name",
            says: &[],
            edits: &[("northwind-azure", "\"northwind-azure\"")],
            event: json!({"connection": {"name": "northwind-azure"}}),
            want: "require_mfa",
        },
        Case {
            policy: "deny when country in [KP, IR]\n",
            code: "mfapol::unknown_name",
            says: &[],
            edits: &[("[KP, IR]", "[\"KP\", \"IR\"]")],
            event: json!({"request": {"geoip": {"countryCode": "IR"}}}),
            want: "deny",
        },
        Case {
            policy: "require mfa when lenght(roles) > 1\n",
            code: "mfapol::unknown_function",
            says: &[],
            edits: &[("lenght", "len")],
            event: json!({"authorization": {"roles": ["a", "b"]}}),
            want: "require_mfa",
        },
    ]);
}

#[test]
fn metadata_helps() {
    run(&[
        Case {
            policy: "require mfa when \"admin\" in user.app_metadata.roles\n",
            code: "mfapol::undeclared_metadata",
            says: &["declare user.app_metadata.roles: list<string>"],
            edits: &[(
                "require",
                "declare user.app_metadata.roles: list<string>\nrequire",
            )],
            event: json!({"user": {"app_metadata": {"roles": ["admin"]}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when any r in user.app_metadata.roles: r == \"admin\"\n",
            code: "mfapol::undeclared_metadata",
            says: &["declare user.app_metadata.roles: list<T>", "`list<string>`"],
            edits: &[(
                "require",
                "declare user.app_metadata.roles: list<string>\nrequire",
            )],
            event: json!({"user": {"app_metadata": {"roles": ["admin"]}}}),
            want: "require_mfa",
        },
        Case {
            policy: "declare organization.metadata.flag: bool\nrequire mfa when organization.metadata.flag == \"true\"\n",
            code: "mfapol::type_mismatch",
            says: &["keep the quotes and declare it `declare organization.metadata.flag: string`"],
            edits: &[("flag: bool", "flag: string")],
            event: json!({"organization": {"id": "org_1", "name": "acme", "display_name": "Acme", "metadata": {"flag": "true"}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when roles == \"admin\"\n",
            code: "mfapol::type_mismatch",
            says: &[],
            edits: &[("roles == \"admin\"", "\"admin\" in roles")],
            event: json!({"authorization": {"roles": ["admin", "dev"]}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when organization.metadata.mfa == true\n",
            code: "mfapol::metadata_not_string",
            says: &["organization.metadata.mfa == \"true\""],
            edits: &[(
                "organization.metadata.mfa == true",
                "organization.metadata.mfa == \"true\"",
            ),
            ("require", "declare organization.metadata.mfa: string\nrequire")],
            event: json!({"organization": {"id": "org_1", "name": "acme", "display_name": "Acme", "metadata": {"mfa": "true"}}}),
            want: "require_mfa",
        },
        Case {
            policy: "declare client.metadata.mfa: bool\nrequire mfa when client.metadata.mfa\n",
            code: "mfapol::metadata_not_string",
            says: &["declare client.metadata.mfa: string", "client.metadata.mfa == \"true\""],
            edits: &[
                ("mfa: bool", "mfa: string"),
                ("when client.metadata.mfa", "when client.metadata.mfa == \"true\""),
            ],
            event: json!({"client": {"metadata": {"mfa": "true"}}}),
            want: "require_mfa",
        },
        Case {
            policy: "declare user.app_metadata.vip: bool\nrequire mfa when user.app_metadata.vpi == true\n",
            code: "mfapol::undeclared_metadata",
            says: &[],
            edits: &[("vpi", "vip")],
            event: json!({"user": {"app_metadata": {"vip": true}}}),
            want: "require_mfa",
        },
        Case {
            policy: "declare user.user_metdata.mfa: bool\nrequire mfa when user.user_metadata.mfa\n",
            code: "mfapol::unknown_field",
            says: &[],
            edits: &[("user_metdata", "user_metadata")],
            event: json!({"user": {"user_metadata": {"mfa": true}}}),
            want: "require_mfa",
        },
    ]);
}

/// Issue 20: a declare suggested for an undeclared key compared with a
/// literal offers every type the comparison allows; each offer, followed,
/// decides as meant for the value it names, with no run-time error.
#[test]
fn type_hints_offer_every_type() {
    let vip = "require mfa when user.app_metadata.vip == \"true\"\ndefault skip mfa\n";
    let as_bool: &[(&str, &str)] = &[
        ("require", "declare user.app_metadata.vip: bool\nrequire"),
        ("vip == \"true\"", "vip == true"),
    ];
    let as_bool_says: &[&str] = &[
        "`declare user.app_metadata.vip: bool`",
        "`user.app_metadata.vip == true`",
    ];
    run(&[
        // A JSON boolean: `vip: false` skips MFA (no run-time error that
        // would make the require rule apply), `vip: true` requires it.
        Case {
            policy: vip,
            code: "mfapol::undeclared_metadata",
            says: as_bool_says,
            edits: as_bool,
            event: json!({"user": {"app_metadata": {"vip": false}}}),
            want: "skip_mfa",
        },
        Case {
            policy: vip,
            code: "mfapol::undeclared_metadata",
            says: as_bool_says,
            edits: as_bool,
            event: json!({"user": {"app_metadata": {"vip": true}}}),
            want: "require_mfa",
        },
        // The text "true".
        Case {
            policy: vip,
            code: "mfapol::undeclared_metadata",
            says: &["`declare user.app_metadata.vip: string` if it holds the text \"true\""],
            edits: &[("require", "declare user.app_metadata.vip: string\nrequire")],
            event: json!({"user": {"app_metadata": {"vip": "true"}}}),
            want: "require_mfa",
        },
        // Written `== true` for a key that holds the text.
        Case {
            policy: "require mfa when user.app_metadata.vip == true\ndefault skip mfa\n",
            code: "mfapol::undeclared_metadata",
            says: &[
                "`declare user.app_metadata.vip: string`",
                "`user.app_metadata.vip == \"true\"`",
            ],
            edits: &[
                ("require", "declare user.app_metadata.vip: string\nrequire"),
                ("vip == true", "vip == \"true\""),
            ],
            event: json!({"user": {"app_metadata": {"vip": "true"}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when user.app_metadata.vip == true\ndefault skip mfa\n",
            code: "mfapol::undeclared_metadata",
            says: &["`declare user.app_metadata.vip: bool` if it holds a JSON boolean"],
            edits: &[("require", "declare user.app_metadata.vip: bool\nrequire")],
            event: json!({"user": {"app_metadata": {"vip": false}}}),
            want: "skip_mfa",
        },
        // A number in quotes, and an ordering (int or float).
        Case {
            policy: "require mfa when user.app_metadata.level == \"3\"\ndefault skip mfa\n",
            code: "mfapol::undeclared_metadata",
            says: &[
                "`declare user.app_metadata.level: int`",
                "`user.app_metadata.level == 3`",
            ],
            edits: &[
                ("require", "declare user.app_metadata.level: int\nrequire"),
                ("level == \"3\"", "level == 3"),
            ],
            event: json!({"user": {"app_metadata": {"level": 3}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when user.app_metadata.level > 3\ndefault skip mfa\n",
            code: "mfapol::undeclared_metadata",
            says: &["`declare user.app_metadata.level: float` if it may hold a fraction"],
            edits: &[("require", "declare user.app_metadata.level: float\nrequire")],
            event: json!({"user": {"app_metadata": {"level": 3.5}}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when user.app_metadata.level > 3\ndefault skip mfa\n",
            code: "mfapol::undeclared_metadata",
            says: &["`declare user.app_metadata.level: int` if it holds whole numbers"],
            edits: &[("require", "declare user.app_metadata.level: int\nrequire")],
            event: json!({"user": {"app_metadata": {"level": 2}}}),
            want: "skip_mfa",
        },
    ]);
}

/// Organization, client and connection metadata are strings in Auth0: the
/// declare offered there is `string` only, never `bool`.
#[test]
fn string_metadata_is_offered_string_only() {
    let found = helps("require mfa when organization.metadata.vip == \"true\"\n");
    let help = found
        .iter()
        .find(|(code, _, _)| code == "mfapol::undeclared_metadata")
        .map(|(_, h, _)| h.clone())
        .unwrap();
    assert!(
        help.contains("`declare organization.metadata.vip: string`") && !help.contains("bool"),
        "{help}"
    );
    run(&[Case {
        policy: "require mfa when organization.metadata.vip == \"true\"\n",
        code: "mfapol::undeclared_metadata",
        says: &["`declare organization.metadata.vip: string`"],
        edits: &[(
            "require",
            "declare organization.metadata.vip: string\nrequire",
        )],
        event: json!({"organization": {"id": "org_1", "name": "acme", "display_name": "Acme", "metadata": {"vip": "true"}}}),
        want: "require_mfa",
    }]);
}

#[test]
fn value_helps() {
    run(&[
        Case {
            policy: "skip mfa when ip in \"198.51.100.0/24\"\ndefault require mfa\n",
            code: "mfapol::type_mismatch",
            says: &[],
            edits: &[("\"198.51.100.0/24\"", "198.51.100.0/24")],
            event: json!({}),
            want: "skip_mfa",
        },
        Case {
            policy: "let office = [\"198.51.100.0/24\", \"10.0.0.1\"]\nskip mfa when ip in office\ndefault require mfa\n",
            code: "mfapol::type_mismatch",
            says: &[],
            edits: &[(
                "[\"198.51.100.0/24\", \"10.0.0.1\"]",
                "[198.51.100.0/24, 10.0.0.1]",
            )],
            event: json!({}),
            want: "skip_mfa",
        },
        Case {
            policy: "require mfa using \"webauthn\" when true\n",
            code: "mfapol::unknown_provider",
            says: &[],
            edits: &[(
                "\"webauthn\"",
                "factors [\"webauthn-roaming\", \"webauthn-platform\"]",
            )],
            event: json!({}),
            want: "require_mfa",
        },
        Case {
            policy: "deny when country == \"UK\"\n",
            code: "mfapol::unknown_value",
            says: &[],
            edits: &[("\"UK\"", "\"GB\"")],
            event: json!({"request": {"geoip": {"countryCode": "GB"}}}),
            want: "deny",
        },
        Case {
            policy: "deny when country in [\"SYR\", \"ir\"]\n",
            code: "mfapol::unknown_value",
            says: &[],
            edits: &[("\"SYR\"", "\"SY\""), ("\"ir\"", "\"IR\"")],
            event: json!({"request": {"geoip": {"countryCode": "IR"}}}),
            want: "deny",
        },
        Case {
            policy: "require mfa when connection.strategy == \"azure-ad\"\n",
            code: "mfapol::unknown_value",
            says: &[],
            edits: &[("\"azure-ad\"", "\"waad\"")],
            event: json!({"connection": {"strategy": "waad"}}),
            want: "require_mfa",
        },
        // Issue 20: a country by name, a continent as a country, and a
        // value written as a word of the real one.
        Case {
            policy: "deny when country in [\"Russia\", \"KP\"]\n",
            code: "mfapol::unknown_value",
            says: &["did you mean `\"RU\"`"],
            edits: &[("\"Russia\"", "\"RU\"")],
            event: json!({"request": {"geoip": {"countryCode": "RU"}}}),
            want: "deny",
        },
        Case {
            policy: "deny when country == \"EU\"\n",
            code: "mfapol::unknown_value",
            says: &["`continent == \"EU\"`"],
            edits: &[("country == \"EU\"", "continent == \"EU\"")],
            event: json!({"request": {"geoip": {"countryCode": "FR", "continentCode": "EU"}}}),
            want: "deny",
        },
        Case {
            policy: "skip mfa when transaction.protocol == \"refresh_token\"\ndefault require mfa\n",
            code: "mfapol::unknown_value",
            says: &[],
            edits: &[("\"refresh_token\"", "\"oauth2-refresh-token\"")],
            event: json!({"transaction": {"protocol": "oauth2-refresh-token"}}),
            want: "skip_mfa",
        },
        Case {
            policy: "require mfa when continent == \"Europe\"\n",
            code: "mfapol::unknown_value",
            says: &[],
            edits: &[("\"Europe\"", "\"EU\"")],
            event: json!({"request": {"geoip": {"continentCode": "EU"}}}),
            want: "require_mfa",
        },
    ]);
}

#[test]
fn syntax_helps() {
    run(&[
        Case {
            policy: "rulle staff: require mfa when connection == \"corp-ad\"\n",
            code: "mfapol::syntax",
            says: &[],
            edits: &[("rulle", "rule")],
            event: json!({"connection": {"name": "corp-ad"}}),
            want: "require_mfa",
        },
        Case {
            policy: "requir mfa when connection == \"corp-ad\"\n",
            code: "mfapol::syntax",
            says: &[],
            edits: &[("requir ", "require ")],
            event: json!({"connection": {"name": "corp-ad"}}),
            want: "require_mfa",
        },
        Case {
            policy: "rule staff: require mfa when connection == \"corp-ad\"\nasert staff: require mfa when connection == \"corp-ad\"\n",
            code: "mfapol::syntax",
            says: &[],
            edits: &[("asert", "assert")],
            event: json!({"connection": {"name": "corp-ad"}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when user.created_at > now - 24hours\n",
            code: "mfapol::syntax",
            says: &[],
            edits: &[("24hours", "24h")],
            event: json!({"user": {"created_at": "2025-06-01T11:00:00Z"}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when user.created_at > now - 7 days\n",
            code: "mfapol::syntax",
            says: &[],
            edits: &[("7 days", "7d")],
            event: json!({"user": {"created_at": "2025-06-01T11:00:00Z"}}),
            want: "require_mfa",
        },
        Case {
            policy: "require mfa when email ends_with \"@corp.example\" user.email_verified\n",
            code: "mfapol::syntax",
            says: &["with `and` (both must hold)"],
            edits: &[("\" user.", "\" and user.")],
            event: json!({}),
            want: "require_mfa",
        },
    ]);
}

/// Issue 20: a missing `and` before `not`, and a keyword as a name.
#[test]
fn slip_helps() {
    let missing_and =
        "require mfa when connection == \"corp-ad\" not ip in 10.0.0.0/8\ndefault skip mfa\n";
    run(&[
        // `and not`: corp-ad logins off the 10/8 network.
        Case {
            policy: missing_and,
            code: "mfapol::syntax",
            says: &["`and not` (both must hold)"],
            edits: &[("\"corp-ad\" not", "\"corp-ad\" and not")],
            event: json!({"connection": {"name": "corp-ad"}, "request": {"ip": "198.51.100.7"}}),
            want: "require_mfa",
        },
        Case {
            policy: missing_and,
            code: "mfapol::syntax",
            says: &["`and not` (both must hold)"],
            edits: &[("\"corp-ad\" not", "\"corp-ad\" and not")],
            event: json!({"connection": {"name": "corp-ad"}, "request": {"ip": "10.1.2.3"}}),
            want: "skip_mfa",
        },
        // ...or `or not`: either one.
        Case {
            policy: missing_and,
            code: "mfapol::syntax",
            says: &["`or not` (either holds)"],
            edits: &[("\"corp-ad\" not", "\"corp-ad\" or not")],
            event: json!({"connection": {"name": "db"}, "request": {"ip": "198.51.100.7"}}),
            want: "require_mfa",
        },
        Case {
            policy: "rule mfa: require mfa when connection == \"corp-ad\"\n",
            code: "mfapol::keyword_as_name",
            says: &["`rule mfa_rule:`"],
            edits: &[("rule mfa:", "rule mfa_rule:")],
            event: json!({"connection": {"name": "corp-ad"}}),
            want: "require_mfa",
        },
        Case {
            policy: "let deny = connection == \"corp-ad\"\nrule staff: require mfa when deny\n",
            code: "mfapol::keyword_as_name",
            says: &["`let deny_value`", "use that name where the value is read"],
            edits: &[
                ("let deny ", "let deny_value "),
                ("when deny", "when deny_value"),
            ],
            event: json!({"connection": {"name": "corp-ad"}}),
            want: "require_mfa",
        },
    ]);
}

#[test]
fn lint_helps() {
    run(&[
        // The side without `r` meant on its own: true for a contractor with no roles.
        Case {
            policy: "require mfa when any r in roles: r starts_with \"admin\" or email ends_with \"@contractor.example\"\n",
            code: "mfapol::quantifier_scope",
            says: &[],
            edits: &[(
                "any r in roles: r starts_with \"admin\" or email ends_with \"@contractor.example\"",
                "(any r in roles: r starts_with \"admin\") or email ends_with \"@contractor.example\"",
            )],
            event: json!({"user": {"email": "bo@contractor.example"}, "authorization": {"roles": []}}),
            want: "require_mfa",
        },
        // Or meant inside: the same decision as before, without the warning.
        Case {
            policy: "require mfa when any r in roles: r starts_with \"admin\" or email ends_with \"@contractor.example\"\n",
            code: "mfapol::quantifier_scope",
            says: &[],
            edits: &[(
                "any r in roles: r starts_with \"admin\" or email ends_with \"@contractor.example\"",
                "any r in roles: (r starts_with \"admin\" or email ends_with \"@contractor.example\")",
            )],
            event: json!({"user": {"email": "bo@contractor.example"}, "authorization": {"roles": ["dev"]}}),
            want: "require_mfa",
        },
        Case {
            policy: "skip mfa when connection == \"con_A1b2C3d4E5f6G7h8\"\ndefault require mfa\n",
            code: "mfapol::compared_with_id",
            says: &[],
            edits: &[(
                "connection == \"con_A1b2C3d4E5f6G7h8\"",
                "connection.id == \"con_A1b2C3d4E5f6G7h8\"",
            )],
            event: json!({"connection": {"id": "con_A1b2C3d4E5f6G7h8"}}),
            want: "skip_mfa",
        },
        Case {
            policy: "require mfa when connection == \"corp-ad\"\nskip mfa when connection == \"partner-sso\"\ndeny when not (connection == \"corp-ad\" or connection == \"partner-sso\")\n",
            code: "mfapol::deny_complement",
            says: &["default deny"],
            edits: &[(
                "deny when not (connection == \"corp-ad\" or connection == \"partner-sso\")",
                "default deny",
            )],
            event: json!({"connection": {"name": "other"}}),
            want: "deny",
        },
        Case {
            policy: "declare user.app_metadata.vip: bool\nrequire mfa when user.app_metadata.vpi == true\n",
            code: "mfapol::undeclared_metadata",
            says: &[],
            edits: &[("vpi", "vip")],
            event: json!({"user": {"app_metadata": {"vip": true}}}),
            want: "require_mfa",
        },
        // Office logins through corp-ad were meant to skip MFA.
        Case {
            policy: "rule corp: require mfa when connection == \"corp-ad\"\nrule office: skip mfa when ip in 198.51.100.0/24\n",
            code: "mfapol::skip_overlap",
            says: &["add `unless ip in 198.51.100.0/24` to rule `corp`"],
            edits: &[(
                "\"corp-ad\"\n",
                "\"corp-ad\" unless ip in 198.51.100.0/24\n",
            )],
            event: json!({"connection": {"name": "corp-ad"}}),
            want: "skip_mfa",
        },
    ]);
}

/// The skip-overlap fix keeps MFA for the stronger rule outside the skip's logins.
#[test]
fn skip_overlap_fix_keeps_mfa_elsewhere() {
    run(&[Case {
        policy: "rule corp: require mfa when connection == \"corp-ad\"\nrule office: skip mfa when ip in 198.51.100.0/24\n",
        code: "mfapol::skip_overlap",
        says: &["add `unless ip in 198.51.100.0/24` to rule `corp`"],
        edits: &[(
            "\"corp-ad\"\n",
            "\"corp-ad\" unless ip in 198.51.100.0/24\n",
        )],
        event: json!({"connection": {"name": "corp-ad"}, "request": {"ip": "203.0.113.9"}}),
        want: "require_mfa",
    }]);
}

/// The other fix the skip-overlap help offers: make the skip rule an
/// exemption. It then decides the office logins, and only those.
#[test]
fn skip_overlap_exemption_fix() {
    let policy = "rule corp: require mfa when connection == \"corp-ad\"\nrule office: skip mfa when ip in 198.51.100.0/24\n";
    let says: &[&str] = &["make `office` an exemption (write `exempt` for `skip mfa`"];
    let edits: &[(&str, &str)] = &[("skip mfa when ip", "exempt when ip")];
    run(&[
        Case {
            policy,
            code: "mfapol::skip_overlap",
            says,
            edits,
            event: json!({"connection": {"name": "corp-ad"}, "request": {"ip": "198.51.100.7"}}),
            want: "skip_mfa",
        },
        Case {
            policy,
            code: "mfapol::skip_overlap",
            says,
            edits,
            event: json!({"connection": {"name": "corp-ad"}, "request": {"ip": "203.0.113.9"}}),
            want: "require_mfa",
        },
    ]);
}

/// The help lines of enrollment, sequences and named factor lists (issue 10).
#[test]
fn factor_list_and_enrollment_fixes() {
    run(&[
        // A one-factor `let` written as a bare string: make it a list.
        Case {
            policy: "let strong = \"webauthn-roaming\"\nrule admins: require mfa using factors strong when \"admin\" in roles\n",
            code: "mfapol::factors_not_a_list",
            says: &["`let strong = [\"webauthn-roaming\"]`"],
            edits: &[("\"webauthn-roaming\"\n", "[\"webauthn-roaming\"]\n")],
            event: json!({"authorization": {"roles": ["admin"]}}),
            want: "require_mfa",
        },
        // `email` cannot be enrolled: drop it and enroll the rest.
        Case {
            policy: "rule e: enroll mfa using factors [\"email\", \"otp\"] when len(user.multifactor) == 0\n",
            code: "mfapol::cannot_enroll_email",
            says: &["enroll another factor such as `\"otp\"`"],
            edits: &[("[\"email\", \"otp\"]", "[\"otp\"]")],
            event: json!({"user": {"multifactor": []}}),
            want: "enroll_mfa",
        },
        // ...or challenge with email instead, as the help also says.
        Case {
            policy: "rule e: enroll mfa using factors [\"email\"] when len(user.multifactor) == 0\n",
            code: "mfapol::cannot_enroll_email",
            says: &["`require mfa using factors [\"email\"]`"],
            edits: &[("enroll mfa using factors [\"email\"]", "require mfa using factors [\"email\"]")],
            event: json!({"user": {"multifactor": []}}),
            want: "require_mfa",
        },
    ]);
}
