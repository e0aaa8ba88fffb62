//! The reference policy in every engine: load, convert an event to the
//! engine's native input, decide. `true` means "require MFA".

use serde_json::Value;

/// The policy texts, read from `policies/`.
pub struct Sources {
    pub mfapol: String,
    #[cfg_attr(not(feature = "cedar"), allow(dead_code))]
    pub cedar: String,
    #[cfg_attr(not(feature = "regorus"), allow(dead_code))]
    pub rego: String,
    #[cfg_attr(not(feature = "cel"), allow(dead_code))]
    pub cel: String,
}

// ---------------------------------------------------------------- hand-written

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut v = v;
    for k in path {
        v = v.as_object()?.get(*k)?;
    }
    Some(v)
}

fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path)?.as_str()
}

/// 203.0.113.0/24, also as an IPv4-mapped IPv6 address (as mfapol matches it).
/// An unparsable address is "not in the office" (mfapol: a runtime error, which
/// fails closed, i.e. the `require` rule applies: the same outcome here).
fn in_office(ip: &str) -> bool {
    let v4 = match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => a,
        Ok(std::net::IpAddr::V6(a)) => match a.to_ipv4_mapped() {
            Some(a) => a,
            None => return false,
        },
        Err(_) => return false,
    };
    let o = v4.octets();
    o[0] == 203 && o[1] == 0 && o[2] == 113
}

/// The reference policy written by hand over `serde_json::Value`.
pub fn hand_written(ev: &Value) -> bool {
    let connection = get_str(ev, &["connection", "name"]);
    let flagged = get(ev, &["user", "app_metadata", "require_mfa"]) == Some(&Value::Bool(true));
    let corp = connection == Some("corp-ad")
        && !get_str(ev, &["request", "ip"]).is_some_and(in_office);
    let staff = matches!(
        get_str(ev, &["organization", "name"]),
        Some("acme-internal" | "acme-staff")
    ) && get_str(ev, &["request", "geoip", "continentCode"]) != Some("EU");
    let external_customer = connection == Some("google-oauth2")
        && get_str(ev, &["user", "email"]).is_some_and(|e| e.ends_with("@customer.example"));
    (corp || flagged || staff) && !(external_customer && !flagged)
}

/// Raw text -> decision for the hand-written function.
pub fn hand_written_raw(text: &str) -> bool {
    let v: Value = serde_json::from_str(text).expect("valid JSON");
    hand_written(&v)
}

// ---------------------------------------------------------------- mfapol

pub mod mfa {
    use mfapol::eval::{self, DecisionKind};
    use mfapol::ir::Policy;
    use mfapol::source::SourceFile;
    use serde_json::Value;

    pub fn load(text: &str) -> Policy {
        let src = SourceFile::new("reference.mfapolicy", text.to_string());
        let compiled = mfapol::compile(&src, mfapol::schema::auth0_post_login());
        let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| !d.is_warning()).collect();
        assert!(errors.is_empty(), "mfapol policy does not check: {errors:?}");
        compiled.policy.expect("checked policy")
    }

    pub fn decide(policy: &Policy, ev: &Value) -> bool {
        let d = eval::evaluate(policy, ev, 0);
        debug_assert!(d.errors.is_empty(), "runtime errors: {:?}", d.errors);
        d.kind == DecisionKind::RequireMfa
    }

    pub fn decide_raw(policy: &Policy, text: &str) -> bool {
        let ev = eval::parse_event(text).expect("valid event");
        decide(policy, &ev)
    }

    /// `eval::decide`, the allocation-free path (no report of applying rules).
    pub fn fast(policy: &Policy, ev: &Value) -> bool {
        let o = eval::decide(policy, ev, 0);
        debug_assert_eq!(o.errors, 0);
        o.kind == DecisionKind::RequireMfa
    }

    /// `Projection::parse` (builds only the parts of the event the policy
    /// reads) + `evaluate`.
    pub fn projected_raw(policy: &Policy, pr: &eval::Projection, text: &str) -> bool {
        let ev = pr.parse(text).expect("valid event");
        decide(policy, &ev)
    }

    /// `Projection::parse` + `decide`.
    pub fn projected_fast_raw(policy: &Policy, pr: &eval::Projection, text: &str) -> bool {
        let ev = pr.parse(text).expect("valid event");
        fast(policy, &ev)
    }
}

// ---------------------------------------------------------------- cedar

#[cfg(feature = "cedar")]
pub mod cedar {
    use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
    use serde_json::Value;
    use std::str::FromStr;

    pub struct Cedar {
        pub policies: PolicySet,
        authorizer: Authorizer,
        entities: Entities,
        principal: EntityUid,
        action: EntityUid,
        resource: EntityUid,
    }

    pub fn load(text: &str) -> PolicySet {
        PolicySet::from_str(text).expect("cedar policy parses")
    }

    /// Cedar's JSON has no null and no floating-point numbers: drop nulls
    /// (Auth0 omits absent fields, so null means absent) and turn floats
    /// (geoip latitude/longitude) into strings. Without this, the fixture
    /// events are rejected.
    pub fn sanitize(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, sanitize(v)))
                    .collect(),
            ),
            Value::Array(a) => {
                Value::Array(a.into_iter().filter(|v| !v.is_null()).map(sanitize).collect())
            }
            Value::Number(n) if !n.is_i64() => Value::String(n.to_string()),
            v => v,
        }
    }

    impl Cedar {
        pub fn new(text: &str) -> Self {
            Cedar {
                policies: load(text),
                authorizer: Authorizer::new(),
                entities: Entities::empty(),
                principal: EntityUid::from_str(r#"User::"user""#).expect("uid"),
                action: EntityUid::from_str(r#"Action::"login""#).expect("uid"),
                resource: EntityUid::from_str(r#"Application::"app""#).expect("uid"),
            }
        }

        /// The event as a Cedar request (the whole event is the context).
        pub fn request(&self, ev: &Value) -> Request {
            let context = Context::from_json_value(sanitize(ev.clone()), None).expect("context");
            Request::new(
                self.principal.clone(),
                self.action.clone(),
                self.resource.clone(),
                context,
                None,
            )
            .expect("request")
        }

        pub fn decide(&self, req: &Request) -> bool {
            let r = self.authorizer.is_authorized(req, &self.policies, &self.entities);
            debug_assert!(
                r.diagnostics().errors().next().is_none(),
                "cedar errors: {:?}",
                r.diagnostics().errors().collect::<Vec<_>>()
            );
            r.decision() == Decision::Allow
        }

        /// The number of policy evaluation errors Cedar reports (skipped policies).
        pub fn errors(&self, req: &Request) -> usize {
            let r = self.authorizer.is_authorized(req, &self.policies, &self.entities);
            r.diagnostics().errors().count()
        }

        /// Raw text -> decision with a context of only the six fields the
        /// policy reads (what an integrator would hand-write for Cedar).
        pub fn decide_raw_projected(&self, text: &str) -> bool {
            let v: Value = serde_json::from_str(text).expect("valid JSON");
            let mut cx = serde_json::Map::new();
            // Auth0 always sends these objects; the policy reads into them
            // directly (`context.user has email`), so keep them even if empty.
            for root in ["connection", "request", "user"] {
                cx.insert(root.to_string(), Value::Object(serde_json::Map::new()));
            }
            let mut pick = |path: &[&str]| {
                let mut from = &v;
                for k in path {
                    match from.get(*k) {
                        Some(x) => from = x,
                        None => return,
                    }
                }
                if from.is_null() {
                    return;
                }
                let mut to = &mut cx;
                for k in &path[..path.len() - 1] {
                    to = match to
                        .entry(k.to_string())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()))
                    {
                        Value::Object(m) => m,
                        _ => unreachable!(),
                    };
                }
                to.insert(path[path.len() - 1].to_string(), from.clone());
            };
            pick(&["connection", "name"]);
            pick(&["request", "ip"]);
            pick(&["request", "geoip", "continentCode"]);
            pick(&["organization", "name"]);
            pick(&["user", "email"]);
            pick(&["user", "app_metadata", "require_mfa"]);
            let context = Context::from_json_value(sanitize(Value::Object(cx)), None).expect("context");
            let req = Request::new(
                self.principal.clone(),
                self.action.clone(),
                self.resource.clone(),
                context,
                None,
            )
            .expect("request");
            self.decide(&req)
        }

        pub fn decide_raw(&self, text: &str) -> bool {
            let v: Value = serde_json::from_str(text).expect("valid JSON");
            let context = Context::from_json_value(sanitize(v), None).expect("context");
            let req = Request::new(
                self.principal.clone(),
                self.action.clone(),
                self.resource.clone(),
                context,
                None,
            )
            .expect("request");
            self.decide(&req)
        }
    }
}

// ---------------------------------------------------------------- regorus

#[cfg(feature = "regorus")]
pub mod rego {
    use regorus::languages::rego::compiler::Compiler;
    use regorus::rvm::program::Program;
    use regorus::rvm::vm::RegoVM;
    use regorus::{Engine, Rc, Value};
    use std::sync::Arc;

    pub const RULE: &str = "data.mfa.require";

    pub fn load_engine(text: &str) -> Engine {
        let mut engine = Engine::new();
        engine
            .add_policy("reference.rego".to_string(), text.to_string())
            .expect("rego policy parses");
        engine
    }

    pub fn load_program(text: &str) -> Arc<Program> {
        let mut engine = load_engine(text);
        let rule: Rc<str> = RULE.into();
        let compiled = engine.compile_with_entrypoint(&rule).expect("rego compiles");
        Compiler::compile_from_policy(&compiled, &[RULE]).expect("rvm program")
    }

    pub fn input(text: &str) -> Value {
        Value::from_json_str(text).expect("valid JSON")
    }

    fn truth(v: Value) -> bool {
        match v {
            Value::Bool(b) => b,
            other => panic!("data.mfa.require is not a boolean: {other:?}"),
        }
    }

    /// `input` is a `regorus::Value` (reference-counted: cloning it is a
    /// pointer copy), set as the engine's input before the evaluation.
    pub fn engine_decide(engine: &mut Engine, input: &Value) -> bool {
        engine.set_input(input.clone());
        truth(engine.eval_rule(RULE.to_string()).expect("rego evaluates"))
    }

    pub fn engine_decide_raw(engine: &mut Engine, text: &str) -> bool {
        engine.set_input_json(text).expect("valid JSON");
        truth(engine.eval_rule(RULE.to_string()).expect("rego evaluates"))
    }

    pub fn vm(program: &Arc<Program>) -> RegoVM {
        let mut vm = RegoVM::new();
        vm.load_program(program.clone());
        vm
    }

    pub fn vm_decide(vm: &mut RegoVM, input: &Value) -> bool {
        vm.set_input(input.clone());
        truth(vm.execute().expect("rvm executes"))
    }

    pub fn vm_decide_raw(vm: &mut RegoVM, text: &str) -> bool {
        vm.set_input(input(text));
        truth(vm.execute().expect("rvm executes"))
    }
}

// ---------------------------------------------------------------- CEL

/// cel-interpreter 0.10.
#[cfg(feature = "cel")]
pub mod cel010 {
    use cel_interpreter::{Context, Program, Value};

    pub fn load(text: &str) -> Program {
        Program::compile(text).expect("CEL compiles")
    }

    /// The event converted to a CEL value, bound to `event` in a context.
    pub fn context(ev: &serde_json::Value) -> Context<'static> {
        let mut cx = Context::default();
        cx.add_variable_from_value("event", cel_interpreter::to_value(ev).expect("CEL value"));
        cx
    }

    /// An evaluation error (or a non-boolean result) counts as "no MFA",
    /// as an integrator that only acts on `true` would do; the agreement
    /// check counts such errors separately ([`failed`]).
    pub fn decide(program: &Program, cx: &Context) -> bool {
        matches!(program.execute(cx), Ok(Value::Bool(true)))
    }

    /// Whether the evaluation failed or did not give a boolean.
    pub fn failed(program: &Program, cx: &Context) -> bool {
        !matches!(program.execute(cx), Ok(Value::Bool(_)))
    }

    pub fn decide_raw(program: &Program, text: &str) -> bool {
        let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        decide(program, &context(&v))
    }
}

/// cel 0.15, the successor of cel-interpreter.
#[cfg(feature = "cel")]
pub mod cel015 {
    use cel::{Context, Program, Value};

    pub fn load(text: &str) -> Program {
        Program::compile(text).expect("CEL compiles")
    }

    pub fn context(ev: &serde_json::Value) -> Context<'static, 'static> {
        let mut cx = Context::default();
        cx.add_variable_from_value("event", cel::to_value(ev).expect("CEL value"));
        cx
    }

    /// An evaluation error (or a non-boolean result) counts as "no MFA",
    /// as an integrator that only acts on `true` would do; the agreement
    /// check counts such errors separately ([`failed`]).
    pub fn decide(program: &Program, cx: &Context) -> bool {
        matches!(program.execute(cx), Ok(Value::Bool(true)))
    }

    /// Whether the evaluation failed or did not give a boolean.
    pub fn failed(program: &Program, cx: &Context) -> bool {
        !matches!(program.execute(cx), Ok(Value::Bool(_)))
    }

    pub fn decide_raw(program: &Program, text: &str) -> bool {
        let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        decide(program, &context(&v))
    }
}
