//! The visibility rule over the in-memory drive: both walks, and that they agree.

use std::collections::HashSet;
use std::future::Future;

use time::{Duration, OffsetDateTime};

use super::model::DriveModel;
use super::*;
use crate::domain::{Email, Role, TenantStatus};
use crate::model::{Folder, UploaderKind};

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

struct Drive {
    model: DriveModel,
    contact: ContactId,
    staff: UserSub,
    now: OffsetDateTime,
}

impl Drive {
    fn new() -> Self {
        Self {
            model: DriveModel::new(TenantId::new()),
            contact: ContactId::new(),
            staff: "staff-sub".parse().unwrap(),
            now: OffsetDateTime::now_utc(),
        }
    }

    fn folder(&mut self, parent: Option<FolderId>, name: &str) -> FolderId {
        let folder = Folder {
            id: FolderId::new(),
            name: name.parse().unwrap(),
            parent_id: parent,
            created_at: self.now,
            created_by: self.staff.clone(),
        };
        let id = folder.id;
        self.model.put_folder(folder);
        id
    }

    fn document(&mut self, folder: Option<FolderId>, name: &str) -> DocumentId {
        self.document_with(folder, name, |_| {})
    }

    fn document_with(&mut self, folder: Option<FolderId>, name: &str, edit: impl FnOnce(&mut Document)) -> DocumentId {
        let mut document = Document::pending(
            self.model.tenant(),
            name.parse().unwrap(),
            "application/pdf".parse().unwrap(),
            10,
            self.staff.clone(),
            UploaderKind::Staff,
        );
        document.status = DocumentStatus::Available;
        document.folder_id = folder;
        edit(&mut document);
        let id = document.id;
        self.model.put_document(document);
        id
    }

    fn share_with(&mut self, contact: ContactId, item: ItemRef, until: Option<OffsetDateTime>) {
        self.model.put_share(Share {
            contact_id: contact,
            item,
            shared_by: self.staff.clone(),
            shared_at: self.now - Duration::hours(1),
            available_until: until,
        });
    }

    fn share(&mut self, item: ItemRef) {
        self.share_with(self.contact, item, None);
    }

    fn visible(&self) -> Visible {
        block_on(visible_documents(&self.model, self.model.tenant(), self.contact, self.now)).unwrap()
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.visible().documents.iter().map(|v| v.document.name.as_str().to_owned()).collect();
        names.sort();
        names
    }

    fn opens(&self, id: DocumentId) -> bool {
        block_on(shared_document(&self.model, self.model.tenant(), self.contact, id, self.now)).unwrap().is_some()
    }

    /// The walk up from each document answers exactly as the walk down listed.
    fn assert_walks_agree(&self, documents: &[DocumentId]) {
        let listed = self.visible().document_ids();
        for id in documents {
            assert_eq!(self.opens(*id), listed.contains(id), "the two walks disagree on {id}");
        }
    }
}

#[test]
fn a_shared_folder_shows_everything_below_it_with_its_path() {
    let mut drive = Drive::new();
    let root = drive.folder(None, "Clients");
    let year = drive.folder(Some(root), "2026");
    let march = drive.folder(Some(year), "March");
    let top = drive.document(Some(root), "top.pdf");
    let deep = drive.document(Some(march), "deep.pdf");
    let outside = drive.document(None, "outside.pdf");
    drive.share(ItemRef::Folder(root));

    assert_eq!(drive.names(), ["deep.pdf", "top.pdf"]);
    let visible = drive.visible();
    let deep_entry = visible.documents.iter().find(|v| v.document.id == deep).unwrap();
    assert_eq!(deep_entry.folder, Some(FolderRef { id: march, name: "March".parse().unwrap() }));
    assert_eq!(deep_entry.folder_ids, [root, year, march]);
    assert_eq!(deep_entry.share.item, ItemRef::Folder(root));
    let top_entry = visible.documents.iter().find(|v| v.document.id == top).unwrap();
    assert_eq!(top_entry.folder_ids, [root]);
    drive.assert_walks_agree(&[top, deep, outside]);
}

#[test]
fn a_shared_subfolder_shows_only_its_own_subtree() {
    let mut drive = Drive::new();
    let root = drive.folder(None, "Clients");
    let sub = drive.folder(Some(root), "Sub");
    let above = drive.document(Some(root), "above.pdf");
    let inside = drive.document(Some(sub), "inside.pdf");
    drive.share(ItemRef::Folder(sub));
    assert_eq!(drive.names(), ["inside.pdf"]);
    assert_eq!(drive.visible().documents[0].folder_ids, [sub]);
    drive.assert_walks_agree(&[above, inside]);
}

#[test]
fn expired_shares_show_nothing_and_current_ones_do_until_they_expire() {
    let mut drive = Drive::new();
    let folder = drive.folder(None, "Folder");
    let in_folder = drive.document(Some(folder), "in-folder.pdf");
    let single = drive.document(None, "single.pdf");
    let later = drive.document(None, "later.pdf");
    let now = drive.now;
    let contact = drive.contact;
    drive.share_with(contact, ItemRef::Folder(folder), Some(now - Duration::seconds(1)));
    drive.share_with(contact, ItemRef::Document(single), Some(now));
    drive.share_with(contact, ItemRef::Document(later), Some(now + Duration::days(1)));

    assert_eq!(drive.names(), ["later.pdf"], "a share ending at `now` has ended");
    assert_eq!(drive.visible().documents[0].share.available_until, Some(now + Duration::days(1)));
    drive.assert_walks_agree(&[in_folder, single, later]);

    drive.now = now + Duration::days(2);
    assert!(drive.names().is_empty());
    drive.assert_walks_agree(&[in_folder, single, later]);
}

#[test]
fn an_expired_document_share_still_shows_the_document_through_its_current_folder_share() {
    let mut drive = Drive::new();
    let folder = drive.folder(None, "Folder");
    let document = drive.document(Some(folder), "a.pdf");
    let (contact, now) = (drive.contact, drive.now);
    drive.share_with(contact, ItemRef::Document(document), Some(now - Duration::hours(1)));
    drive.share(ItemRef::Folder(folder));
    let visible = drive.visible();
    assert_eq!(visible.documents.len(), 1);
    assert_eq!(visible.documents[0].share.item, ItemRef::Folder(folder));
    drive.assert_walks_agree(&[document]);
}

#[test]
fn documents_added_to_a_shared_folder_later_are_shared_too() {
    let mut drive = Drive::new();
    let folder = drive.folder(None, "Folder");
    drive.share(ItemRef::Folder(folder));
    assert!(drive.names().is_empty());
    let sub = drive.folder(Some(folder), "Added later");
    let first = drive.document(Some(folder), "first.pdf");
    let second = drive.document(Some(sub), "second.pdf");
    assert_eq!(drive.names(), ["first.pdf", "second.pdf"]);
    drive.assert_walks_agree(&[first, second]);
}

#[test]
fn unshared_unfinished_and_other_peoples_items_stay_hidden() {
    let mut drive = Drive::new();
    let shared = drive.folder(None, "Shared");
    let unshared = drive.folder(None, "Unshared");
    let not_shared = drive.document(None, "not-shared.pdf");
    let in_unshared = drive.document(Some(unshared), "in-unshared.pdf");
    let pending = drive.document_with(Some(shared), "pending.pdf", |d| d.status = DocumentStatus::Pending);
    let rejected = drive.document_with(Some(shared), "rejected.pdf", |d| d.status = DocumentStatus::Rejected);
    let contact = drive.contact;
    let submission = drive.document_with(None, "submission.pdf", |d| {
        d.uploader_kind = UploaderKind::Customer;
        d.contact_id = Some(contact);
    });
    let for_someone_else = drive.document(None, "someone-else.pdf");
    let visible = drive.document(Some(shared), "visible.pdf");
    drive.share(ItemRef::Folder(shared));
    drive.share(ItemRef::Document(submission));
    drive.share_with(ContactId::new(), ItemRef::Document(for_someone_else), None);
    drive.share_with(ContactId::new(), ItemRef::Folder(unshared), None);

    assert_eq!(drive.names(), ["visible.pdf"]);
    drive.assert_walks_agree(&[not_shared, in_unshared, pending, rejected, submission, for_someone_else, visible]);

    // Another company's reads find nothing of this one.
    let elsewhere =
        block_on(visible_documents(&drive.model, TenantId::new(), drive.contact, drive.now)).unwrap().documents;
    assert!(elsewhere.is_empty());
    assert!(
        block_on(shared_document(&drive.model, TenantId::new(), drive.contact, visible, drive.now)).unwrap().is_none()
    );
}

#[test]
fn a_folder_and_a_document_in_it_both_shared_show_the_document_once() {
    let mut drive = Drive::new();
    let folder = drive.folder(None, "Folder");
    let document = drive.document(Some(folder), "both.pdf");
    let other = drive.document(Some(folder), "other.pdf");
    drive.share(ItemRef::Folder(folder));
    drive.share(ItemRef::Document(document));

    let visible = drive.visible();
    assert_eq!(drive.names(), ["both.pdf", "other.pdf"]);
    let both: Vec<_> = visible.documents.iter().filter(|v| v.document.id == document).collect();
    assert_eq!(both.len(), 1);
    // The first share in the table's order (by item id) shows it.
    let first =
        if folder.to_string() < document.to_string() { ItemRef::Folder(folder) } else { ItemRef::Document(document) };
    assert_eq!(both[0].share.item, first);
    assert_eq!(both[0].folder.is_some(), first == ItemRef::Folder(folder));

    // Unsharing the folder leaves the document shared by itself.
    drive.model.delete_share(drive.contact, ItemRef::Folder(folder));
    assert_eq!(drive.names(), ["both.pdf"]);
    drive.assert_walks_agree(&[document, other]);
    // And the other way round.
    drive.share(ItemRef::Folder(folder));
    drive.model.delete_share(drive.contact, ItemRef::Document(document));
    assert_eq!(drive.names(), ["both.pdf", "other.pdf"]);
    drive.assert_walks_agree(&[document, other]);
}

#[test]
fn folders_are_walked_to_the_depth_bound_each_once() {
    let mut drive = Drive::new();
    let mut chain = vec![drive.folder(None, "level-1")];
    for level in 2..=MAX_FOLDER_DEPTH + 1 {
        let parent = *chain.last().unwrap();
        chain.push(drive.folder(Some(parent), &format!("level-{level}")));
    }
    let deepest_visible = drive.document(Some(chain[MAX_FOLDER_DEPTH - 1]), "at-bound.pdf");
    let too_deep = drive.document(Some(chain[MAX_FOLDER_DEPTH]), "too-deep.pdf");
    drive.share(ItemRef::Folder(chain[0]));
    assert_eq!(drive.names(), ["at-bound.pdf"]);
    assert_eq!(drive.model.children_reads(), MAX_FOLDER_DEPTH);
    drive.assert_walks_agree(&[deepest_visible, too_deep]);

    // Shared lower down, the once-too-deep document is within reach.
    drive.share(ItemRef::Folder(chain[2]));
    assert_eq!(drive.names(), ["at-bound.pdf", "too-deep.pdf"]);
    drive.assert_walks_agree(&[deepest_visible, too_deep]);
}

#[test]
fn sharers_are_named_by_the_company_s_own_members_only() {
    let mut drive = Drive::new();
    let company: DisplayName = "Acme".parse().unwrap();
    let member = |sub: &str, tenant: TenantId, name: Option<&str>| StaffMember {
        sub: sub.parse().unwrap(),
        tenant_id: tenant,
        email: format!("{sub}@acme.example").parse::<Email>().unwrap(),
        name: name.map(|n| n.parse().unwrap()),
        role: Role::Member,
        notify_submissions: None,
        submissions_seen_at: None,
        company_status: TenantStatus::default(),
    };
    let tenant = drive.model.tenant();
    drive.model.put_staff(member("named", tenant, Some("Dana Scully")));
    drive.model.put_staff(member("unnamed", tenant, None));
    drive.model.put_staff(member("elsewhere", TenantId::new(), Some("Other Company's Member")));
    let mut ids = HashSet::new();
    for sub in ["named", "unnamed", "elsewhere", "left"] {
        let document = drive.document(None, &format!("{sub}.pdf"));
        drive.staff = sub.parse().unwrap();
        drive.share(ItemRef::Document(document));
        ids.insert(document);
    }
    let visible = drive.visible();
    assert_eq!(visible.document_ids(), ids);
    let shown = |sub: &str| visible.shown_sharer(&sub.parse().unwrap(), &company).to_string();
    assert_eq!(shown("named"), "Dana Scully");
    assert_eq!(shown("unnamed"), "Acme");
    assert_eq!(shown("elsewhere"), "Acme");
    assert_eq!(shown("left"), "Acme");
}

#[test]
fn both_walks_agree_on_arbitrary_drives() {
    // A small deterministic generator (xorshift), so a failure replays.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for _ in 0..60 {
        let mut drive = Drive::new();
        let mut folders: Vec<FolderId> = Vec::new();
        let mut documents = Vec::new();
        for index in 0..12 {
            let parent = if folders.is_empty() || next(4) == 0 { None } else { Some(folders[next(folders.len())]) };
            folders.push(drive.folder(parent, &format!("f{index}")));
        }
        for index in 0..20 {
            let folder = if next(5) == 0 { None } else { Some(folders[next(folders.len())]) };
            documents.push(drive.document(folder, &format!("d{index}.pdf")));
        }
        let now = drive.now;
        for _ in 0..next(6) {
            let item = if next(2) == 0 {
                ItemRef::Folder(folders[next(folders.len())])
            } else {
                ItemRef::Document(documents[next(documents.len())])
            };
            let until = match next(3) {
                0 => Some(now - Duration::minutes(1)),
                1 => Some(now + Duration::minutes(1)),
                _ => None,
            };
            let contact = if next(5) == 0 { ContactId::new() } else { drive.contact };
            drive.share_with(contact, item, until);
        }
        drive.assert_walks_agree(&documents);
        let visible = drive.visible();
        assert_eq!(visible.document_ids().len(), visible.documents.len(), "a document listed twice");
    }
}
