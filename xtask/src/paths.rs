//! Where things live in the repository.

use std::path::PathBuf;

/// The workspace root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Git-ignored local state: the virtualenv, emulator logs.
pub fn local_dir() -> PathBuf {
    repo_root().join(".local")
}

pub fn web_dir() -> PathBuf {
    repo_root().join("web")
}

pub fn openapi_path() -> PathBuf {
    repo_root().join("docs").join("openapi.yaml")
}

pub fn template_path() -> PathBuf {
    repo_root().join("infra").join("template.yaml")
}
