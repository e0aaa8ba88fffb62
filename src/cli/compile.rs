//! `mfapol compile POLICY --target auth0-action`: the policy as an Auth0
//! post-login Action (SPEC §10), on stdout or as a Deploy CLI directory.

use super::deploy_dir::{Found, OutDir};
use super::eval::load_policy;
use super::render::{self, color};
use super::{EXIT_REJECTED, EXIT_USAGE};
use clap::ValueEnum;
use mfapol::action::{self, deploy, Target};
use std::path::{Path, PathBuf};

/// What `compile` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompileTarget {
    /// an Auth0 post-login Action (trigger post-login v3, runtime node22)
    Auth0Action,
}

#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// The policy file
    policy: PathBuf,
    /// What to compile to
    #[arg(long, value_enum)]
    target: CompileTarget,
    /// The Action's name (default: mfapol-<policy file name>)
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Write an Auth0 Deploy CLI directory (actions/, terraform/) instead of printing the code
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// With --out: also write triggers/triggers.json, which REPLACES the tenant's post-login bindings
    #[arg(long, requires = "out")]
    bind: bool,
    /// With --out: write nothing; exit 1 if the files in DIR differ from what would be written
    #[arg(long, requires = "out")]
    check: bool,
}

pub fn run(args: &CompileArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(code) => code,
    }
}

fn run_inner(args: &CompileArgs) -> Result<u8, u8> {
    let CompileTarget::Auth0Action = args.target;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(&args.policy),
    };
    if !deploy::valid_name(&name) {
        errln!(
            "error: `--name {name}` is not a valid Action name: use 1 to 64 letters, digits, `_` or `-`, starting with a letter"
        );
        return Err(EXIT_USAGE);
    }
    let (policy, src) = load_policy(&args.policy)?;
    let shown = header_name(&args.policy);
    let target = Target {
        source_name: &shown,
        source_text: &src.text,
    };
    let code = action::compile(&policy, target).map_err(|e| {
        err!("{}", render::render(&src, &e, color()));
        EXIT_REJECTED
    })?;
    let Some(dir) = &args.out else {
        out!("{code}");
        return Ok(0);
    };
    let files = deploy::files(&name, &code, args.bind);
    if args.check {
        return check(dir, &files);
    }
    let out = OutDir::create(dir).map_err(|why| {
        errln!("error: cannot write {}: {why}", dir.display());
        EXIT_USAGE
    })?;
    for f in &files {
        let path = dir.join(&f.path);
        out.write(&f.path, f.contents.as_bytes()).map_err(|why| {
            errln!("error: cannot write {}: {why}", path.display());
            EXIT_USAGE
        })?;
        outln!("wrote {}", path.display());
    }
    if args.bind {
        errln!(
            "warning: {} binds only `{name}` to post-login: importing it REPLACES every post-login binding of the tenant; add your other post-login Actions to it, in order",
            dir.join("triggers/triggers.json").display()
        );
    }
    Ok(0)
}

/// `mfapol-` and the policy file's name without its extension, made valid.
fn default_name(policy: &Path) -> String {
    let stem = policy
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(57)
        .collect();
    format!("mfapol-{clean}")
}

/// The policy as the generated header names it: its file name alone. An
/// absolute path never ends up in deployed code, and `./p.mfapolicy`,
/// `p.mfapolicy`, `/abs/p.mfapolicy` or a run from another directory give
/// the same bytes, so `--check` sees no drift where there is none.
fn header_name(policy: &Path) -> String {
    policy
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| policy.display().to_string())
}

/// `--check`: exit 1 when a file is missing or differs.
fn check(dir: &Path, files: &[deploy::DeployFile]) -> Result<u8, u8> {
    let mut stale = 0usize;
    let root = OutDir::open(dir).map_err(|why| {
        errln!("error: cannot read {}: {why}", dir.display());
        EXIT_USAGE
    })?;
    for f in files {
        let path = dir.join(&f.path);
        let found = match &root {
            Some(root) => root.compare(&f.path, f.contents.as_bytes()),
            None => Ok(Found::Missing),
        };
        match found {
            Ok(Found::Same) => {}
            Ok(Found::Differs) => {
                stale += 1;
                outln!("differs: {}", path.display());
            }
            Ok(Found::Missing) => {
                stale += 1;
                outln!("missing: {}", path.display());
            }
            Err(why) => {
                errln!("error: cannot read {}: {why}", path.display());
                return Err(EXIT_USAGE);
            }
        }
    }
    if stale > 0 {
        errln!(
            "{stale} of {} files in {} are not what `mfapol compile` writes; run it without --check to update them",
            files.len(),
            dir.display()
        );
        return Ok(EXIT_REJECTED);
    }
    outln!("{} files in {} are up to date", files.len(), dir.display());
    Ok(0)
}
