//! Helpers shared by the fuzz targets.

use std::path::PathBuf;

/// A scratch file of this process, named `name`, holding `bytes` (in /dev/shm when it exists,
/// so each run costs no disk write).
#[allow(dead_code)] // not every target writes files
pub fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("syndup-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("scratch file");
    path
}

/// Removes `path` and the files SQLite keeps beside it.
#[allow(dead_code)]
pub fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// A message of a problem or an error: lower case where it starts, never with a mangled
/// capital ("eOF" for "EOF").
#[allow(dead_code)]
pub fn check_message(m: &str) {
    assert!(!m.is_empty());
    let mut c = m.chars();
    if let (Some(a), Some(b)) = (c.next(), c.next()) {
        assert!(
            !(a.is_lowercase() && b.is_uppercase()),
            "mangled capital: {m}"
        );
    }
}
