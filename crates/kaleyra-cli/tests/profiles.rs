//! Profiles of the config file: where it is, what it may hold, and the precedence a flag, then
//! the environment, then the profile, then the defaults, checked by what reached an emulator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{emulator, kaleyra, render};

const SID: &str = "HXPROFILE071US";
const KEY: &str = "profile-test-key-0123456789";

fn write(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `number add` of a fresh number with the config file `config` and the environment `env`.
fn add(config: &Path, env: &[(&str, &str)], flags: &[&str], number: &str) -> std::process::Output {
    let mut command = kaleyra();
    command.env("KALEYRA_CONFIG", config).envs(env.iter().copied());
    command.args(["number", "add", "--display-name", "x", "--wa-number", number]);
    command.args(["--max-attempts", "1", "--timeout", "5"]).args(flags);
    command.output().unwrap()
}

#[test]
fn flag_then_environment_then_profile_then_defaults() {
    let (_runtime, emulator) = emulator(SID, KEY);
    let url = emulator.base_url();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    write(&key_file, &format!("{KEY}\n"), 0o600);
    let config = dir.path().join("config.toml");
    write(
        &config,
        &format!(
            "# my accounts\n[profiles.default]\nsid = \"{SID}\"\nbase_url = \"{url}\"\napi_key_file = \"{}\"\n\n\
             [profiles.staging]\nsid = \"{SID}\"\nbase_url = \"{url}\"\napi_key_command = \"printf '%s' {KEY}\"\n\n\
             [profiles.wrong]\nsid = \"HXWRONG\"\nregion = \"eu\"\napi_key_command = \"echo nope\"\n",
            key_file.display()
        ),
        0o644,
    );
    let code = |output: &std::process::Output| output.status.code();
    let numbers = ["+13236550011", "+13236550012", "+13236550013", "+13236550014"];

    // The profile alone: `default` when none is named.
    let output = add(&config, &[], &[], numbers[0]);
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    // Named by flag and by the environment; its key from a command.
    let output = add(&config, &[], &["--profile", "staging"], numbers[1]);
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    let output = add(&config, &[("KALEYRA_PROFILE", "staging")], &[], numbers[2]);
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    // The flag beats the environment.
    let output =
        add(&config, &[("KALEYRA_PROFILE", "nothing")], &["--profile", "staging"], numbers[3]);
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    assert_eq!(emulator.numbers().created, 4);

    // The environment beats the profile: a wrong SID there is refused by the server (exit 4)...
    let wrong_sid = [("KALEYRA_SID", "HXWRONG")];
    assert_eq!(code(&add(&config, &wrong_sid, &[], "+13236550015")), Some(4));
    // ...and a flag beats the environment.
    let output = add(&config, &wrong_sid, &["--sid", SID], "+13236550015");
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    // The key from the environment beats the profile's.
    assert_eq!(code(&add(&config, &[("KALEYRA_API_KEY", "wrong")], &[], "+13236550016")), Some(4));
    // The base URL from the environment beats the profile's; the flag beats the environment.
    let dead = [("KALEYRA_BASE_URL", "http://127.0.0.1:9")];
    assert_eq!(code(&add(&config, &dead, &[], "+13236550016")), Some(3));
    let output = add(&config, &dead, &["--base-url", &url], "+13236550016");
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    // The profile's region beats the default host; the flags beat the profile.
    let output = add(&config, &[], &["--profile", "wrong", "--dry-run"], "+13236550017");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("host: api.eu.kaleyra.io"),
        "{}",
        render(&output)
    );
    let output = add(
        &config,
        &[],
        &[
            "--profile",
            "wrong",
            "--sid",
            SID,
            "--base-url",
            &url,
            "--api-key-file",
            key_file.to_str().unwrap(),
        ],
        "+13236550017",
    );
    assert_eq!(code(&output), Some(0), "{}", render(&output));
    assert_eq!(emulator.numbers().created, 7);

    // No config file at all: the environment alone, as before profiles.
    let missing = dir.path().join("missing.toml");
    let output = add(
        &missing,
        &[("KALEYRA_SID", SID), ("KALEYRA_API_KEY", KEY)],
        &["--base-url", &url],
        "+13236550018",
    );
    assert_eq!(code(&output), Some(0), "{}", render(&output));
}

#[test]
fn what_a_profile_may_not_be_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let refused = |text: &str, mode: u32, flags: &[&str]| {
        write(&config, text, mode);
        let output = add(&config, &[], flags, "+13236550017");
        assert_eq!(output.status.code(), Some(2), "{}", render(&output));
        String::from_utf8_lossy(&output.stderr).replace(&dir.path().display().to_string(), "[DIR]")
    };
    let inline = "[profiles.default]\nsid = \"HX1\"\nbase_url = \"http://127.0.0.1:9\"\napi_key = \"inline-s3cret\"\n";
    let error = refused(inline, 0o644, &[]);
    assert!(error.contains("chmod 600 [DIR]/config.toml") && error.contains("mode 644"), "{error}");
    assert!(!error.contains("inline-s3cret"), "{error}");
    // Mode 0600: accepted (the dry run shows the masked key, never the key).
    write(&config, inline, 0o600);
    let output = add(&config, &[], &["--dry-run"], "+13236550017");
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("api-key: *********cret") && !text.contains("inline-s3cret"), "{text}");

    let error = refused("[profiles.default]\nsid = \"HX1\"\napi_key_comand = \"x\"\n", 0o600, &[]);
    assert!(error.contains("unknown key `api_key_comand`"), "{error}");
    let error = refused(
        "[profiles.default]\nsid = \"HX1\"\napi_key_command = \"echo oops >&2; exit 3\"\n",
        0o600,
        &[],
    );
    assert!(
        error.contains("api_key_command `echo oops >&2; exit 3` failed") && error.contains("oops"),
        "{error}"
    );
    let error =
        refused("[profiles.default]\nsid = \"HX1\"\napi_key_command = \"true\"\n", 0o600, &[]);
    assert!(error.contains("printed no key"), "{error}");
    let error =
        refused("[profiles.default]\nregion = \"eu\"\nbase_url = \"http://x\"\n", 0o600, &[]);
    assert!(error.contains("set region or base_url, not both"), "{error}");
    let error = refused("[profiles.default\nsid = 1\n", 0o600, &[]);
    assert!(error.starts_with("error: [DIR]/config.toml: TOML parse error at line 1"), "{error}");
    let error = refused("[profiles.default]\nsid = 5\n", 0o600, &[]);
    assert!(error.contains("`sid` must be a string"), "{error}");
    let error = refused("[profiles.a]\nsid = \"x\"\n", 0o600, &["--profile", "b"]);
    assert!(error.contains("profile `b` is not in [DIR]/config.toml (profiles: a)"), "{error}");
}

#[test]
fn config_set_list_and_show_keep_the_file_private_and_its_comments() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let xdg = dir.path().join("xdg");
    let config = |args: &[&str]| {
        kaleyra().env("XDG_CONFIG_HOME", &xdg).env("HOME", dir.path()).args(args).output().unwrap()
    };
    let output = config(&["config", "list"]);
    assert_eq!(
        (output.status.code(), output.stdout.is_empty()),
        (Some(0), true),
        "{}",
        render(&output)
    );
    for args in [
        &["config", "set", "sid", "HXONE"][..],
        &["config", "set", "--profile", "two", "region", "eu"],
        &["config", "set", "--profile", "two", "api_key_file", "~/key"],
    ] {
        let output = config(args);
        assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    }
    let path = xdg.join("kaleyra/config.toml");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(xdg.join("kaleyra")).unwrap().permissions().mode() & 0o777, 0o700);
    // A comment written by hand stays through a set; the other key source is cleared.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("# hand-written\n{text}")).unwrap();
    assert_eq!(
        config(&["config", "set", "--profile", "two", "base_url", "https://api.kaleyra.io"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        config(&["config", "set", "--profile", "two", "api_key_command", "pass kaleyra"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# hand-written\n[profiles.default]\nsid = \"HXONE\"\n\n[profiles.two]\nbase_url = \"https://api.kaleyra.io\"\napi_key_command = \"pass kaleyra\"\n"
    );
    assert_eq!(String::from_utf8_lossy(&config(&["config", "list"]).stdout), "default\ntwo\n");
    let shown = render(&config(&["config", "show", "--profile", "two"]));
    assert_eq!(
        shown.replace(&dir.path().display().to_string(), "[DIR]"),
        "exit: 0\n--- stdout\nprofile two ([DIR]/xdg/kaleyra/config.toml)\n  base_url: https://api.kaleyra.io\n  api_key_command: pass kaleyra\n--- stderr\n"
    );
    let json = config(&["-o", "json", "config", "list"]);
    assert_eq!(String::from_utf8_lossy(&json.stdout), "[\"default\",\"two\"]\n");
    // Refused: a key on the command line, an unknown key, a bad region; the file unchanged.
    let before = std::fs::read_to_string(&path).unwrap();
    for args in [
        &["config", "set", "api_key", "s3cret"][..],
        &["config", "set", "sidd", "x"],
        &["config", "set", "region", "mars"],
    ] {
        assert_eq!(config(args).status.code(), Some(2), "{args:?}");
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    let mut left: Vec<_> = std::fs::read_dir(xdg.join("kaleyra"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, [".config.toml.lock", "config.toml"], "no temporary file is left behind");
    // A directory named as the config file is refused, and nothing is left beside it.
    let output = kaleyra()
        .env("KALEYRA_CONFIG", xdg.join("kaleyra"))
        .args(["config", "set", "sid", "HXONE"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", render(&output));
    assert!(render(&output).contains("is a directory, not a file"), "{}", render(&output));
    assert!(!xdg.join(".kaleyra.lock").exists());
}

#[test]
fn a_broken_config_file_matters_only_where_something_is_taken_from_it() {
    let (_runtime, emulator) = emulator(SID, KEY);
    let url = emulator.base_url();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    write(&config, "this is [ not toml\n", 0o600);
    let whole = [("KALEYRA_SID", SID), ("KALEYRA_API_KEY", KEY), ("KALEYRA_BASE_URL", &url)];
    // The SID, the key and the host all given: the file is not read.
    let output = add(&config, &whole, &[], "+13236550021");
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    assert_eq!(emulator.numbers().created, 1);
    // A profile named, or the host left to the profile: the file is read, and refused with its
    // path and the place of the error.
    let host_missing = &whole[..2];
    for (env, flags) in [(&whole[..], &["--profile", "default"][..]), (host_missing, &[][..])] {
        let output = add(&config, env, flags, "+13236550022");
        let shown = render(&output).replace(&dir.path().display().to_string(), "[DIR]");
        assert_eq!(output.status.code(), Some(2), "{shown}");
        assert!(shown.contains("[DIR]/config.toml: TOML parse error at line 1"), "{shown}");
    }
    assert_eq!(emulator.numbers().created, 1);
}

#[test]
fn config_set_from_many_processes_at_once_keeps_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf/config.toml");
    let children: Vec<_> = (0..12)
        .map(|n| {
            std::process::Command::new(env!("CARGO_BIN_EXE_kaleyra"))
                .env_clear()
                .env("KALEYRA_CONFIG", &path)
                .args(["config", "set", "--profile", &format!("p{n}"), "sid", &format!("HX{n}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    }
    let text = std::fs::read_to_string(&path).unwrap();
    for n in 0..12 {
        assert!(text.contains(&format!("[profiles.p{n}]\nsid = \"HX{n}\"")), "p{n} lost:\n{text}");
    }
}
