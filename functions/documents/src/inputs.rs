//! The request bodies of the drive routes, parsed once into typed values.

use portal_shared::ApiError;
use portal_shared::domain::{FileName, FolderId};
use portal_shared::http::present;
use portal_shared::store::DocumentScope;
use portal_shared::words::Query;
use serde::Deserialize;

/// `GET /documents?q=&folderId=`: a search (`q`), anywhere or in one folder (`folderId`: a
/// folder's id, or `root` for the drive's root). `folderId` narrows a search only: a
/// folder's listing is `GET /folders/{folderId}/items`.
pub(crate) fn document_search(
    q: Option<&str>,
    folder: Option<&str>,
) -> Result<Option<(Query, DocumentScope)>, ApiError> {
    let query = Query::parse(q)?;
    let scope = match folder.map(str::trim).filter(|f| !f.is_empty()) {
        None => DocumentScope::Anywhere,
        Some("root") => DocumentScope::Root,
        Some(id) => DocumentScope::In(
            id.parse().map_err(|_| ApiError::Invalid("folderId: not a folder id (nor `root`)".into()))?,
        ),
    };
    match query {
        Some(query) => Ok(Some((query, scope))),
        None if scope == DocumentScope::Anywhere => Ok(None),
        None => Err(ApiError::Invalid("folderId: narrows a search; send q as well".into())),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_a_query_and_where_to_look() {
        assert_eq!(document_search(None, None).unwrap(), None);
        assert_eq!(document_search(Some("  "), Some("")).unwrap(), None);
        let (query, scope) = document_search(Some("Invoice"), None).unwrap().unwrap();
        assert_eq!(query.terms(), ["invoice"]);
        assert_eq!(scope, DocumentScope::Anywhere);
        assert_eq!(document_search(Some("x"), Some("root")).unwrap().unwrap().1, DocumentScope::Root);
        let folder = FolderId::new();
        assert_eq!(
            document_search(Some("x"), Some(&folder.to_string())).unwrap().unwrap().1,
            DocumentScope::In(folder)
        );
        for (q, folder) in
            [(None, Some("root")), (Some("x"), Some("ROOT")), (Some("x"), Some("nope")), (Some("--"), None)]
        {
            assert!(matches!(document_search(q, folder), Err(ApiError::Invalid(_))), "{q:?} {folder:?}");
        }
    }
}
