//! `mfapol compile POLICY --target auth0-action`: the policy as an Auth0
//! post-login Action (SPEC §10), on stdout or as a Deploy CLI directory.

use super::eval::load_policy;
use super::files::io_reason;
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
    let target = Target {
        source_name: &src.name,
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
    for f in &files {
        let path = dir.join(&f.path);
        write(&path, f.contents.as_bytes()).map_err(|e| {
            errln!("error: cannot write {}: {}", path.display(), io_reason(&e));
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

fn write(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if path.exists() {
        super::files::write_atomic(path, data)
    } else {
        std::fs::write(path, data)
    }
}

/// `--check`: exit 1 when a file is missing or differs.
fn check(dir: &Path, files: &[deploy::DeployFile]) -> Result<u8, u8> {
    let mut stale = 0usize;
    for f in files {
        let path = dir.join(&f.path);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == f.contents.as_bytes() => {}
            Ok(_) => {
                stale += 1;
                outln!("differs: {}", path.display());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                stale += 1;
                outln!("missing: {}", path.display());
            }
            Err(e) => {
                errln!("error: cannot read {}: {}", path.display(), io_reason(&e));
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
