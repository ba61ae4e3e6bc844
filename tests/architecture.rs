//! The rooms keep their doors: runs `scripts/module-diagram --check` (which rooms may import
//! which, no import cycles, no file over 1,200 lines, no store trait over 20 methods, no
//! `ctx.store` in the web layer; see docs/architecture.md) and fails with what it found.

use std::path::Path;
use std::process::Command;

#[test]
fn the_rooms_keep_their_doors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .arg(root.join("scripts/module-diagram"))
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("python3 runs scripts/module-diagram (install Python 3 to run this test)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "scripts/module-diagram --check found broken rules:\n\n{report}"
    );
}
