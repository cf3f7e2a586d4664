//! The demo's errors that stop it before any work.

use recur_engine::prelude::*;

/// The demo's observer for tests: silent.
struct Quiet;

impl DemoObserver for Quiet {
    fn stage(&self, _: &str) {}
    fn import_progress(&self) -> &dyn Progress {
        &NoProgress
    }
}

fn options(dir: &std::path::Path) -> DemoOptions {
    DemoOptions {
        dir: dir.to_owned(),
        source: DemoSource::Synthetic(SynthConfig::default()),
        llm: None,
        llm_drafts: 0,
        device: Default::default(),
    }
}

#[test]
fn a_demo_folder_that_is_a_file_or_holds_something_else_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    for target in [file.clone(), dir.path().to_owned()] {
        let e = run_demo(&options(&target), &Quiet).unwrap_err();
        assert!(matches!(e, Error::DemoDirTaken(_)), "{target:?}: {e}");
        assert!(e.is_user_error());
        assert!(
            e.to_string().contains("choose another folder with --dir"),
            "{e}"
        );
    }
    // Under a file: the workspace cannot be created there.
    let e = run_demo(&options(&file.join("demo")), &Quiet).unwrap_err();
    assert!(matches!(e, Error::NotAFolder { .. }), "{e}");
    assert!(e.is_user_error());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "mine",
        "left alone"
    );
}
