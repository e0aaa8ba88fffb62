//! Check errors and warnings. Every variant has a stable code (documented in
//! `docs/diagnostics.md`), a label on the offending span and, where one
//! helps, a fix.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// An error or warning found by the checker.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum CheckError {
    /// A field that the record does not have.
    #[error("unknown field `{field}` on `{parent}`")]
    #[diagnostic(code(mfapol::unknown_field))]
    UnknownField {
        /// The field as written.
        field: String,
        /// The path it was looked up on.
        parent: String,
        /// Where.
        #[label("not a field of `{parent}`")]
        span: SourceSpan,
        /// Did you mean / how to declare it.
        #[help]
        help: Option<String>,
    },

    /// A bare name that is not a `let`, a schema root, a shorthand or a variable.
    #[error("unknown name `{name}`")]
    #[diagnostic(code(mfapol::unknown_name))]
    UnknownName {
        /// The name as written.
        name: String,
        /// Where.
        #[label("not defined")]
        span: SourceSpan,
        /// Did you mean.
        #[help]
        help: Option<String>,
    },

    /// A field policies may not read.
    #[error("`{path}` cannot be read by policies")]
    #[diagnostic(
        code(mfapol::hidden_field),
        help("secrets stay in the Action; decide on the login's own data")
    )]
    HiddenField {
        /// The path.
        path: String,
        /// Where.
        #[label("not readable")]
        span: SourceSpan,
    },

    /// Operands whose types the operator does not accept.
    #[error("{message}")]
    #[diagnostic(code(mfapol::type_mismatch))]
    TypeMismatch {
        /// What is wrong, with the types.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label text.
        label: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// A `when`/`unless` condition that is not a boolean.
    #[error("condition has type `{ty}`, expected `bool`")]
    #[diagnostic(
        code(mfapol::condition_not_bool),
        help("compare the value, e.g. `... == \"value\"`, or test presence with `exists(...)`")
    )]
    ConditionNotBool {
        /// The type found.
        ty: String,
        /// Where.
        #[label("not a condition")]
        span: SourceSpan,
    },

    /// A string compared with a field that only takes a closed set of values.
    #[error("`{value}` is not a possible value of `{path}`")]
    #[diagnostic(code(mfapol::unknown_value))]
    UnknownValue {
        /// The literal.
        value: String,
        /// The field.
        path: String,
        /// Where.
        #[label("never equal")]
        span: SourceSpan,
        /// Did you mean / the allowed values.
        #[help]
        help: Option<String>,
    },

    /// `using "..."` with a provider Auth0 does not have.
    #[error("unknown MFA provider `{provider}`")]
    #[diagnostic(code(mfapol::unknown_provider))]
    UnknownProvider {
        /// As written.
        provider: String,
        /// Where.
        #[label("not a provider")]
        span: SourceSpan,
        /// Did you mean / the allowed values.
        #[help]
        help: Option<String>,
    },

    /// `using factors [...]` with a factor Auth0 does not have.
    #[error("unknown factor `{factor}`")]
    #[diagnostic(code(mfapol::unknown_factor))]
    UnknownFactor {
        /// As written.
        factor: String,
        /// Where.
        #[label("not a factor type")]
        span: SourceSpan,
        /// Did you mean / the allowed values.
        #[help]
        help: Option<String>,
    },

    /// `using factors []`.
    #[error("`using factors` needs at least one factor")]
    #[diagnostic(
        code(mfapol::empty_factors),
        help("list the factors to challenge with, e.g. `using factors [\"otp\"]`")
    )]
    EmptyFactors {
        /// Where.
        #[label("empty list")]
        span: SourceSpan,
    },

    /// `include "PATH"` naming a file that cannot be read.
    #[error("cannot include `{path}`")]
    #[diagnostic(code(mfapol::include_not_found))]
    IncludeNotFound {
        /// As written.
        path: String,
        /// The include.
        #[label("{reason}")]
        span: SourceSpan,
        /// Why (the OS error, or no file loader).
        reason: String,
        /// The include chain.
        #[help]
        help: Option<String>,
    },

    /// Files that include each other in a loop, or a chain too long.
    #[error("{message}")]
    #[diagnostic(code(mfapol::include_cycle))]
    IncludeCycle {
        /// What is wrong.
        message: String,
        /// The include that closes the loop.
        #[label("included from here")]
        span: SourceSpan,
        /// The chain.
        #[help]
        help: Option<String>,
    },

    /// An included file with syntax or check errors.
    #[error("`{path}` has {count} error{plural}")]
    #[diagnostic(code(mfapol::include_errors))]
    IncludeErrors {
        /// The included file.
        path: String,
        /// How many errors.
        count: usize,
        /// "s" or "".
        plural: &'static str,
        /// The include.
        #[label("included here")]
        span: SourceSpan,
        /// The first error, located in its file.
        #[help]
        help: Option<String>,
    },

    /// An included file with something other than `let`, `declare` and
    /// `include`.
    #[error(
        "`{path}` holds {what}; an included file may hold only `let`, `declare` and `include`"
    )]
    #[diagnostic(
        code(mfapol::include_not_definitions),
        help("move rules and `default` into the including policy; shared files define names and types only, so one policy's decision never depends on rules hidden in another file")
    )]
    IncludeNotDefinitions {
        /// The included file.
        path: String,
        /// What it holds ("a rule", "a `default`").
        what: String,
        /// The include.
        #[label("included here")]
        span: SourceSpan,
    },

    /// `enroll ... using factors ["email"]`.
    #[error("`email` cannot be enrolled")]
    #[diagnostic(
        code(mfapol::cannot_enroll_email),
        help("Auth0 cannot enroll email as a factor (`api.authentication.enrollWith` rejects it); enroll another factor such as `\"otp\"`, or challenge with email: `require mfa using factors [\"email\"]`")
    )]
    CannotEnrollEmail {
        /// Where.
        #[label("not enrollable")]
        span: SourceSpan,
    },

    /// A sequence of more than four steps.
    #[error("this sequence has {count} steps; Auth0 runs at most 4 per login")]
    #[diagnostic(
        code(mfapol::too_many_steps),
        help("Auth0 allows at most four challenges and enrollments in one login; drop or merge steps (one step may list several factors)")
    )]
    TooManySteps {
        /// How many.
        count: usize,
        /// The step beyond the fourth.
        #[label("the fifth step")]
        span: SourceSpan,
    },

    /// `using factors NAME` where NAME is not a `let` holding a literal
    /// list of factor strings.
    #[error("`{name}` is not a list of factor names")]
    #[diagnostic(code(mfapol::factors_not_a_list))]
    FactorsNotAList {
        /// The name.
        name: String,
        /// Where it is used.
        #[label("used as a factor list")]
        span: SourceSpan,
        /// What to write.
        #[help]
        help: Option<String>,
    },

    /// `with remember_browser` together with `using factors`.
    #[error("`with remember_browser` cannot be combined with `using factors`")]
    #[diagnostic(
        code(mfapol::remember_browser_with_factors),
        help("remember_browser belongs to `api.multifactor.enable`; use a provider (`using \"any\"`) or drop `with remember_browser`")
    )]
    RememberBrowserWithFactors {
        /// Where.
        #[label("only valid with a provider")]
        span: SourceSpan,
    },

    /// `let` definitions that refer to each other in a loop.
    #[error("`let {name}` depends on itself")]
    #[diagnostic(code(mfapol::let_cycle))]
    LetCycle {
        /// The let.
        name: String,
        /// Where the cycle closes.
        #[label("refers back to `{name}`")]
        span: SourceSpan,
        /// The chain.
        #[help]
        help: Option<String>,
    },

    /// A name defined twice.
    #[error("`{name}` is defined more than once")]
    #[diagnostic(
        code(mfapol::duplicate_name),
        help("rename one of them; names are unique per file")
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The second definition.
        #[label("defined again here")]
        span: SourceSpan,
        /// The first definition.
        #[label("first defined here")]
        first: SourceSpan,
    },

    /// A `let` or rule named like a schema root or shorthand.
    #[error("`{name}` is a name of the event and cannot be redefined")]
    #[diagnostic(
        code(mfapol::reserved_name),
        help("choose another name, e.g. `my_{name}`")
    )]
    ReservedName {
        /// The name.
        name: String,
        /// Where.
        #[label("shadows the event's `{name}`")]
        span: SourceSpan,
    },

    /// More than one `default`.
    #[error("a policy has at most one `default`")]
    #[diagnostic(code(mfapol::duplicate_default), help("remove one of them"))]
    DuplicateDefault {
        /// The second default.
        #[label("second default")]
        span: SourceSpan,
        /// The first.
        #[label("first default")]
        first: SourceSpan,
    },

    /// A regex that does not compile.
    #[error("invalid regular expression: {reason}")]
    #[diagnostic(
        code(mfapol::invalid_regex),
        help("the syntax is Rust's `regex` crate (no look-around or back-references); escape `\\` as `\\\\` inside the string")
    )]
    InvalidRegex {
        /// The compiler's message.
        reason: String,
        /// Where.
        #[label("does not compile")]
        span: SourceSpan,
    },

    /// `matches` with something other than a string literal.
    #[error("`matches` needs a string literal pattern")]
    #[diagnostic(
        code(mfapol::regex_not_literal),
        help("write the pattern inline, e.g. `email matches \"@example\\\\.com$\"`, so it is compiled and validated at check time")
    )]
    RegexNotLiteral {
        /// Where.
        #[label("not a string literal")]
        span: SourceSpan,
    },

    /// An IP address or range that does not parse.
    #[error("invalid {what} `{text}`")]
    #[diagnostic(code(mfapol::invalid_address))]
    InvalidAddress {
        /// "IP address" or "CIDR range".
        what: &'static str,
        /// As written.
        text: String,
        /// Where.
        #[label("{reason}")]
        span: SourceSpan,
        /// Why.
        reason: String,
    },

    /// A CIDR range with bits set below its prefix (warning).
    #[error("CIDR range `{text}` has host bits set; it means `{network}`")]
    #[diagnostic(code(mfapol::host_bits_set), severity(Warning))]
    HostBitsSet {
        /// As written.
        text: String,
        /// The network it denotes.
        network: String,
        /// Where.
        #[label("host bits set")]
        span: SourceSpan,
        /// Fix.
        #[help]
        help: Option<String>,
    },

    /// A metadata key that no `declare` gives a type (warning).
    #[error("metadata key `{key}` is not declared")]
    #[diagnostic(code(mfapol::undeclared_metadata), severity(Warning))]
    UndeclaredMetadata {
        /// The key.
        key: String,
        /// Where.
        #[label("undeclared: a typo here would silently never match")]
        span: SourceSpan,
        /// How to declare it.
        #[help]
        help: Option<String>,
    },

    /// A key of a map whose values are always strings (`organization.metadata`,
    /// `client.metadata`) declared or compared as another type (warning).
    #[error("values of `{map}` are always strings in Auth0")]
    #[diagnostic(code(mfapol::metadata_not_string), severity(Warning))]
    MetadataNotString {
        /// The map.
        map: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label.
        label: String,
        /// The fix.
        #[help]
        help: Option<String>,
    },

    /// `any r in L: A(r) or B`: a side of the body that does not use the
    /// variable, probably meant outside the quantifier (warning).
    #[error("this `{word}` is inside `{quant} {var}`, but its side does not use `{var}`")]
    #[diagnostic(code(mfapol::quantifier_scope), severity(Warning))]
    QuantifierScope {
        /// `or` or `and`.
        word: &'static str,
        /// `any` or `all`.
        quant: &'static str,
        /// The bound variable.
        var: String,
        /// The side that does not use it.
        #[label("does not use `{var}`, yet only counts inside the `{quant}`")]
        span: SourceSpan,
        /// The two readings, written out.
        #[help]
        help: Option<String>,
    },

    /// `connection == "con_..."`: a record compared by name with an id (warning).
    #[error("`{record}` compares its `{by}`, and `{value}` looks like an id")]
    #[diagnostic(code(mfapol::compared_with_id), severity(Warning))]
    ComparedWithId {
        /// The record (`connection`).
        record: String,
        /// The field it is compared by (`name`).
        by: String,
        /// The literal.
        value: String,
        /// Where.
        #[label("an id, never equal to a {by}")]
        span: SourceSpan,
        /// The id field to compare.
        #[help]
        help: Option<String>,
    },

    /// `deny when not (A or B)` where A and B are the other rules' conditions (warning).
    #[error("this `deny` applies whenever its condition fails, including on a run-time error")]
    #[diagnostic(code(mfapol::deny_complement), severity(Warning))]
    DenyComplement {
        /// The condition.
        #[label("a run-time error in here makes `not` true and the login is denied")]
        span: SourceSpan,
        /// Use `default deny`.
        #[help]
        help: Option<String>,
    },

    /// A `skip mfa` rule that a stronger rule overrides wherever both apply (warning).
    #[error("`skip mfa` rule {skip} never decides a login that {other} also applies to: `{effect}` is stronger")]
    #[diagnostic(code(mfapol::skip_overlap), severity(Warning))]
    SkipOverlap {
        /// The skip rule.
        skip: String,
        /// The stronger rules.
        other: String,
        /// Their effect.
        effect: &'static str,
        /// The skip rule's condition.
        #[label("where this holds and the other rule applies, the stronger effect wins")]
        span: SourceSpan,
        /// Add `unless`.
        #[help]
        help: Option<String>,
    },

    /// A `let` nothing uses (warning).
    #[error("`let {name}` is never used")]
    #[diagnostic(
        code(mfapol::unused_let),
        severity(Warning),
        help("use it in a rule, or remove it (a name starting with `_` is not reported)")
    )]
    UnusedLet {
        /// The name.
        name: String,
        /// Where.
        #[label("unused")]
        span: SourceSpan,
    },

    /// A `declare` no path reads (warning).
    #[error("`declare {path}` is never used")]
    #[diagnostic(
        code(mfapol::unused_declare),
        severity(Warning),
        help("no rule reads this key: check the spelling of the key where the rules read it, or remove the declare")
    )]
    UnusedDeclare {
        /// The declared path.
        path: String,
        /// Where.
        #[label("no rule reads this key")]
        span: SourceSpan,
    },

    /// A `declare` that cannot apply.
    #[error("{message}")]
    #[diagnostic(code(mfapol::invalid_declare))]
    InvalidDeclare {
        /// What is wrong.
        message: String,
        /// Where.
        #[label("{label}")]
        span: SourceSpan,
        /// The label.
        label: String,
        /// How to fix it.
        #[help]
        help: Option<String>,
    },

    /// A type name in a `declare` that does not exist.
    #[error("unknown type `{name}`")]
    #[diagnostic(code(mfapol::unknown_type))]
    UnknownType {
        /// As written.
        name: String,
        /// Where.
        #[label("not a type")]
        span: SourceSpan,
        /// Did you mean / the types.
        #[help]
        help: Option<String>,
    },

    /// A call to a function that does not exist.
    #[error("unknown function `{name}`")]
    #[diagnostic(code(mfapol::unknown_function))]
    UnknownFunction {
        /// As written.
        name: String,
        /// Where.
        #[label("not a function")]
        span: SourceSpan,
        /// Did you mean / the functions.
        #[help]
        help: Option<String>,
    },

    /// A call with the wrong number of arguments.
    #[error("`{name}` takes {expected} argument{plural}, got {got}")]
    #[diagnostic(code(mfapol::wrong_arguments))]
    WrongArguments {
        /// The function.
        name: String,
        /// How many it takes.
        expected: usize,
        /// "s" or "".
        plural: &'static str,
        /// How many were given.
        got: usize,
        /// Where.
        #[label("wrong number of arguments")]
        span: SourceSpan,
    },

    /// A list literal whose elements differ in type.
    #[error("list elements must have one type: found `{first}` and `{other}`")]
    #[diagnostic(
        code(mfapol::mixed_list),
        help("split the list, or make every element the same kind of value")
    )]
    MixedList {
        /// The first element's type.
        first: String,
        /// The odd one's type.
        other: String,
        /// Where the odd one is.
        #[label("this is `{other}`")]
        span: SourceSpan,
    },

    /// A string that should be a timestamp and is not one.
    #[error("`{text}` is not an RFC 3339 timestamp")]
    #[diagnostic(
        code(mfapol::invalid_timestamp),
        help("write timestamps like `\"2025-01-31T09:00:00Z\"`")
    )]
    InvalidTimestamp {
        /// As written.
        text: String,
        /// Where.
        #[label("not a timestamp")]
        span: SourceSpan,
    },

    /// A rule or `let` whose static cost bound is too high to evaluate per login.
    #[error("`{name}` may take up to {size} evaluation steps per login (the limit is {limit})")]
    #[diagnostic(
        code(mfapol::policy_too_large),
        help("each nested `any`/`all` multiplies the work by the length of its list (a list from the event counts as 100): nest at most two quantifiers over lists from the event")
    )]
    TooLarge {
        /// The rule.
        name: String,
        /// Its static cost bound.
        size: u64,
        /// The limit.
        limit: u64,
        /// Where.
        #[label("too large")]
        span: SourceSpan,
    },

    /// A rule or `let` whose evaluation would nest too deeply, counting the
    /// `let`s it uses.
    #[error("`{name}` nests {depth} levels deep with the `let`s it uses (the limit is {limit})")]
    #[diagnostic(
        code(mfapol::let_chain_too_deep),
        help("a `let` used inside another adds the depth of its value: make the chain shorter, e.g. join its conditions with `and`/`or` in one `let`")
    )]
    TooDeep {
        /// The rule or `let`.
        name: String,
        /// Its evaluation depth.
        depth: usize,
        /// The limit.
        limit: usize,
        /// Where.
        #[label("too deep")]
        span: SourceSpan,
    },
}

impl CheckError {
    /// Whether this is a warning (the policy still runs).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            CheckError::HostBitsSet { .. }
                | CheckError::UndeclaredMetadata { .. }
                | CheckError::MetadataNotString { .. }
                | CheckError::QuantifierScope { .. }
                | CheckError::ComparedWithId { .. }
                | CheckError::DenyComplement { .. }
                | CheckError::UnusedLet { .. }
                | CheckError::SkipOverlap { .. }
                | CheckError::UnusedDeclare { .. }
        )
    }

    /// The start of the main span, for sorting by position.
    pub fn offset(&self) -> usize {
        use miette::Diagnostic as _;
        self.labels()
            .and_then(|mut l| l.next())
            .map_or(0, |l| l.offset())
    }
}
