//! `npx @vscode/vsce package` in editors/vscode works as it is (issue 20):
//! without `--allow-missing-repository`, `--skip-license` or
//! `--baseContentUrl`, vsce stops at a manifest with no `repository`, a
//! folder with no LICENSE, or a README with a relative link out of the
//! package. Running vsce needs npm, so this test holds those preconditions;
//! the packaging itself was run by hand (docs/editors.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/editors/vscode");

#[test]
fn the_extension_packages_without_bypass_flags() {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(DIR).join("package.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest["repository"]["url"].is_string(),
        "package.json needs a repository field"
    );
    let script = manifest["scripts"]["package"].as_str().unwrap();
    for flag in [
        "--allow-missing-repository",
        "--skip-license",
        "--baseContentUrl",
    ] {
        assert!(!script.contains(flag), "{script}");
    }
    let license = std::fs::read_to_string(Path::new(DIR).join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0"));
    assert_eq!(manifest["license"], "Apache-2.0");
    // vsce rewrites relative links against a GitHub or GitLab repository
    // only; any other relative link stops it.
    let readme = std::fs::read_to_string(Path::new(DIR).join("README.md")).unwrap();
    let link = regex::Regex::new(r"\]\(([^)]+)\)").unwrap();
    for c in link.captures_iter(&readme) {
        let target = &c[1];
        assert!(
            target.starts_with('#') || target.contains("://") || target.starts_with("mailto:"),
            "relative link `{target}` in editors/vscode/README.md"
        );
    }
}
