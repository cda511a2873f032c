//! Puts the commit the binary is built from into `kaleyra --version`.

use std::process::Command;

fn main() {
    // Rebuilt when HEAD moves or the index changes (a checkout, a commit, a staged edit).
    for path in
        ["../../.git/HEAD", "../../.git/index", "../../.git/refs/heads", "../../.git/packed-refs"]
    {
        println!("cargo:rerun-if-changed={path}");
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    // A build from a source archive (crates.io, a tarball) has no repository to ask.
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|changes| !changes.is_empty());
            if dirty { format!("{commit}-modified") } else { commit }
        }
        None => "unknown commit".to_owned(),
    };
    println!("cargo:rustc-env=KALEYRA_COMMIT={commit}");
}
