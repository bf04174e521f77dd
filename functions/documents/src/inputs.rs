//! The request bodies of the drive routes, parsed once into typed values.

use portal_shared::domain::{FileName, FolderId};
use portal_shared::http::present;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NewFolder {
    pub(crate) name: FileName,
    #[serde(default)]
    pub(crate) parent_id: Option<FolderId>,
}

/// A partial update; `parentId: null` / `folderId: null` moves to the drive's root.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FolderChanges {
    pub(crate) name: Option<FileName>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) parent_id: Option<Option<FolderId>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DocumentChanges {
    pub(crate) name: Option<FileName>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) folder_id: Option<Option<FolderId>>,
}
