//! The selection plan over the in-memory drive.

use std::future::Future;

use time::Duration;

use super::*;
use crate::domain::{DocumentId, DocumentStatus, FolderId};
use crate::model::{Document, Folder, UploaderKind};
use crate::visibility::model::DriveModel;

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

struct Setup {
    model: DriveModel,
    contact: ContactId,
    staff: UserSub,
    now: OffsetDateTime,
}

impl Setup {
    fn new() -> Self {
        Self {
            model: DriveModel::new(TenantId::new()),
            contact: ContactId::new(),
            staff: "me".parse().unwrap(),
            now: OffsetDateTime::now_utc(),
        }
    }

    fn document(&mut self, name: &str) -> ItemRef {
        let mut document = Document::pending(
            self.model.tenant(),
            name.parse().unwrap(),
            "application/pdf".parse().unwrap(),
            1,
            self.staff.clone(),
            UploaderKind::Staff,
        );
        document.status = DocumentStatus::Available;
        let id = document.id;
        self.model.put_document(document);
        ItemRef::Document(id)
    }

    fn folder(&mut self, name: &str) -> ItemRef {
        let folder = Folder {
            id: FolderId::new(),
            name: name.parse().unwrap(),
            parent_id: None,
            created_at: self.now,
            created_by: self.staff.clone(),
        };
        let id = folder.id;
        self.model.put_folder(folder);
        ItemRef::Folder(id)
    }

    /// An existing share, made by someone else an hour ago.
    fn shared(&mut self, item: ItemRef, until: Option<OffsetDateTime>) -> Share {
        let share = Share {
            contact_id: self.contact,
            item,
            shared_by: "colleague".parse().unwrap(),
            shared_at: self.now - Duration::hours(1),
            available_until: until,
        };
        self.model.put_share(share.clone());
        share
    }

    fn plan(&self, items: &[(ItemRef, Option<OffsetDateTime>)]) -> Result<Plan, PlanError<std::convert::Infallible>> {
        let wanted = Wanted::parse(items, self.now).unwrap();
        block_on(plan(&self.model, self.model.tenant(), self.contact, &self.staff, &wanted, self.now))
    }
}

fn sorted(mut items: Vec<ItemRef>) -> Vec<ItemRef> {
    items.sort();
    items
}

#[test]
fn a_selection_adds_removes_updates_and_keeps() {
    let mut setup = Setup::new();
    let (kept, retimed, removed, added, folder) = (
        setup.document("kept.pdf"),
        setup.document("retimed.pdf"),
        setup.document("removed.pdf"),
        setup.document("added.pdf"),
        setup.folder("Added folder"),
    );
    let later = Some(setup.now + Duration::days(3));
    setup.shared(kept, None);
    let before = setup.shared(retimed, Some(setup.now + Duration::days(1)));
    setup.shared(removed, None);

    let plan = setup.plan(&[(folder, None), (added, later), (retimed, later), (kept, None)]).unwrap();

    assert_eq!(plan.removals, [Removal { item: removed, name: String::new() }]);
    assert_eq!(plan.unchanged, [kept]);
    // Writes in item order whatever order the selection came in.
    let written: Vec<ItemRef> = plan.writes.iter().map(|write| write.share.item).collect();
    assert_eq!(written, sorted(vec![folder, added, retimed]));
    let write = |item| plan.writes.iter().find(|write| write.share.item == item).unwrap();
    // A new expiry keeps who shared and when.
    assert_eq!(write(retimed).share, Share { available_until: later, ..before });
    assert!(!write(retimed).new);
    assert_eq!(write(retimed).name, "retimed.pdf");
    // New shares are the saver's, now.
    for (item, until, name) in [(added, later, "added.pdf"), (folder, None, "Added folder")] {
        let write = write(item);
        assert!(write.new);
        assert_eq!(write.name, name);
        assert_eq!(
            write.share,
            Share {
                contact_id: setup.contact,
                item,
                shared_by: setup.staff.clone(),
                shared_at: setup.now,
                available_until: until
            }
        );
    }
    // Only the new shares go into the contact's email.
    let announced: Vec<ItemRef> = plan.announced().map(|write| write.share.item).collect();
    assert_eq!(announced, sorted(vec![folder, added]));
    assert!(plan.opens_access);
}

#[test]
fn the_same_selection_saved_again_changes_nothing() {
    let mut setup = Setup::new();
    let (a, b) = (setup.document("a.pdf"), setup.folder("B"));
    let until = Some(setup.now + Duration::days(1));
    setup.shared(a, until);
    setup.shared(b, None);
    let plan = setup.plan(&[(b, None), (a, until)]).unwrap();
    assert!(plan.removals.is_empty() && plan.writes.is_empty());
    assert_eq!(plan.unchanged, sorted(vec![a, b]));
    assert_eq!(plan.announced().count(), 0);
}

#[test]
fn expired_shares_are_shared_anew_when_wanted_and_tidied_when_not() {
    let mut setup = Setup::new();
    let (wanted, dropped) = (setup.document("wanted.pdf"), setup.document("dropped.pdf"));
    let past = Some(setup.now - Duration::minutes(1));
    setup.shared(wanted, past);
    setup.shared(dropped, past);
    let plan = setup.plan(&[(wanted, past.map(|_| setup.now + Duration::days(1)))]).unwrap();
    assert_eq!(plan.removals.iter().map(|r| r.item).collect::<Vec<_>>(), [dropped]);
    assert_eq!(plan.writes.len(), 1);
    assert!(plan.writes[0].new, "an expired share is gone: sharing it again is news");
    assert_eq!(plan.writes[0].share.shared_by, setup.staff);
    assert_eq!(plan.writes[0].share.shared_at, setup.now);
}

#[test]
fn an_empty_selection_removes_everything_and_opens_nothing() {
    let mut setup = Setup::new();
    let items = vec![setup.document("a.pdf"), setup.document("b.pdf"), setup.folder("C")];
    for item in &items {
        setup.shared(*item, None);
    }
    let plan = setup.plan(&[]).unwrap();
    assert_eq!(plan.removals.iter().map(|r| r.item).collect::<Vec<_>>(), sorted(items));
    assert!(plan.writes.is_empty() && plan.unchanged.is_empty());
    assert!(!plan.opens_access);
}

#[test]
fn other_contacts_shares_are_not_touched() {
    let mut setup = Setup::new();
    let item = setup.document("a.pdf");
    setup.model.put_share(Share {
        contact_id: ContactId::new(),
        item,
        shared_by: setup.staff.clone(),
        shared_at: setup.now,
        available_until: None,
    });
    let plan = setup.plan(&[]).unwrap();
    assert!(plan.removals.is_empty());
    let plan = setup.plan(&[(item, None)]).unwrap();
    assert!(plan.writes[0].new);
}

#[test]
fn a_missing_item_refuses_the_whole_selection() {
    let mut setup = Setup::new();
    let present = setup.document("a.pdf");
    let (gone_a, gone_b) = (ItemRef::Document(DocumentId::new()), ItemRef::Folder(FolderId::new()));
    let first_missing = *sorted(vec![gone_a, gone_b]).first().unwrap();
    match setup.plan(&[(present, None), (gone_a, None), (gone_b, None)]) {
        Err(PlanError::NoSuchItem(item)) => assert_eq!(item, first_missing),
        other => panic!("planned {other:?}"),
    }
    let err: ApiError = PlanError::<ApiError>::NoSuchItem(gone_a).into();
    assert_eq!(err.to_string(), ApiError::Invalid(format!("items: no such document {}", gone_a.id())).to_string());
    // Another company's item is missing too.
    let other = Setup::new();
    let wanted = Wanted::parse(&[(present, None)], other.now).unwrap();
    let result = block_on(plan(&setup.model, TenantId::new(), other.contact, &other.staff, &wanted, other.now));
    assert!(matches!(result, Err(PlanError::NoSuchItem(item)) if item == present));
}

#[test]
fn selections_with_duplicates_past_expiries_or_too_many_items_are_refused() {
    let now = OffsetDateTime::now_utc();
    let a = ItemRef::Document(DocumentId::new());
    let b = ItemRef::Folder(FolderId::new());
    let refused = |items: &[(ItemRef, Option<OffsetDateTime>)]| match Wanted::parse(items, now) {
        Err(ApiError::Invalid(detail)) => detail,
        other => panic!("accepted {other:?}"),
    };
    assert_eq!(refused(&[(a, None), (b, None), (a, None)]), "items[2]: listed twice");
    assert_eq!(refused(&[(a, None), (b, Some(now))]), "items[1].availableUntil: must be in the future");
    // An expiry is checked before the repeat it is on.
    assert_eq!(
        refused(&[(a, None), (a, Some(now - Duration::days(1)))]),
        "items[1].availableUntil: must be in the future"
    );
    let many: Vec<_> = (0..=MAX_ITEMS).map(|_| (ItemRef::Document(DocumentId::new()), None)).collect();
    assert_eq!(refused(&many), format!("items: at most {MAX_ITEMS} items"));
    assert_eq!(Wanted::parse(&many[..MAX_ITEMS], now).unwrap().len(), MAX_ITEMS);
    assert!(Wanted::parse(&[], now).unwrap().is_empty());
}
