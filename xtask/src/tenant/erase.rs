//! `tenant delete`: erases a company completely, and can be run again after a crash midway.
//!
//! **What belongs to a company** (the key shapes of `shared/src/keys.rs`, see
//! `docs/data-model.md`): every item of its partition `TENANT#{id}` (profile, contacts and
//! their email guards, organizations, folders, documents, shares, the activity trail,
//! invitation requests, pending logos, selection leases, the notification outbox and share
//! batches), and outside it: the slug guard `SLUG#{slug}`, the staff memberships
//! `USER#{sub}`/`STAFF`, the customer links `USER#{sub}`/`CUSTOMER#{id}#…`, invitation tokens
//! `INVITE#{hash}`, sign-ups waiting for confirmation `SIGNUP#{email}`/`CONTACT#{id}#…`, and
//! the customers' preferences that mute it (`mutedCompanies`). Every item outside the
//! partition carries a `tenantId` attribute, so one consistent Scan filtered on
//! `PK = TENANT#{id} OR tenantId = {id} OR contains(mutedCompanies, {id})` finds them all,
//! whatever new item type is added (the rule: an item of a company outside its partition
//! carries `tenantId`). Rate-limit counters belong to no company. The index entries are the
//! items themselves (GSI1/GSI2 project them), so deleting an item removes them.
//!
//! **Order**, so that a re-run finds what a crash left: the company is marked `deleting`
//! first (every request refused from then on); staff accounts go from Cognito before their
//! membership items (the membership is how a re-run finds the account); a customer's account
//! goes (when no other company has them) before their links; then the other items; then the
//! bucket prefix (every version and delete marker); the profile and the slug guard last (how a
//! re-run finds the company by its slug). Every step is idempotent: deleting what is gone is
//! a no-op.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use portal_shared::domain::{ContactId, Slug, TenantId, TenantStatus};
use portal_shared::keys;
use portal_shared::model::{CustomerLink, Tenant};
use portal_shared::object_key::ObjectKey;

use super::Operator;
use super::args::CompanyRef;

type Item = HashMap<String, AttributeValue>;

/// An item's table key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

/// What one found item is, and so what delete does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The profile `TENANT#{id}`/`PROFILE` or the slug guard: deleted last.
    Anchor,
    /// An item of the company's partition.
    Partition { pending_email: bool },
    /// A staff membership: its Cognito account (staff pool) goes first.
    Staff { sub: String, email: String },
    /// A customer account's link to this company.
    CustomerLink { sub: String, contact: Option<ContactId> },
    /// A customer's preferences muting this company: the company is taken out of the list.
    Preferences { sub: String, muted: Vec<String> },
    /// A sign-up waiting for its email's confirmation: the account it made (unconfirmed)
    /// goes unless it is linked to, or signing up with, another company.
    Signup { sub: String, email: String },
    /// Anything else that names the company (`tenantId`): invitation tokens, and any later
    /// item type.
    Other,
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// What an item found by the scan is to this company's delete; `None` if it does not
/// belong to it after all (a filter match on another company's data is impossible with the
/// filter used, but the classification does not rely on it).
pub fn classify(tenant: TenantId, item: &Item) -> Option<(Key, Entry)> {
    let pk = text(item, keys::PK)?;
    let sk = text(item, keys::SK)?;
    let key = Key { pk: pk.to_owned(), sk: sk.to_owned() };
    let id = tenant.to_string();
    let names_it = text(item, "tenantId") == Some(id.as_str());
    let entry = if pk == keys::tenant_pk(tenant) {
        if sk == keys::TENANT_PROFILE_SK {
            Entry::Anchor
        } else {
            Entry::Partition { pending_email: sk.starts_with("NOTIFY#") }
        }
    } else if let Some(sub) = pk.strip_prefix("USER#") {
        let link_prefix = format!("{}{id}#", keys::CUSTOMER_LINK_PREFIX);
        if sk == keys::STAFF_MEMBERSHIP_SK && names_it {
            Entry::Staff { sub: sub.to_owned(), email: text(item, "email").unwrap_or_default().to_owned() }
        } else if let Some(contact) = sk.strip_prefix(&link_prefix) {
            Entry::CustomerLink { sub: sub.to_owned(), contact: contact.parse().ok() }
        } else if sk == keys::PREFERENCES_SK {
            let muted: Vec<String> = item
                .get("mutedCompanies")
                .and_then(|v| v.as_l().ok())
                .map(|list| list.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
                .unwrap_or_default();
            if !muted.contains(&id) {
                return None;
            }
            Entry::Preferences { sub: sub.to_owned(), muted }
        } else if names_it {
            Entry::Other
        } else {
            return None;
        }
    } else if pk.starts_with("SLUG#") && sk == keys::SLUG_SK && names_it {
        Entry::Anchor
    } else if let Some(email) = pk.strip_prefix("SIGNUP#")
        && names_it
        && let Some(sub) = text(item, "sub")
    {
        Entry::Signup { sub: sub.to_owned(), email: email.to_owned() }
    } else if names_it {
        Entry::Other
    } else {
        return None;
    };
    Some((key, entry))
}

/// Everything of one company, found (nothing changed yet).
#[derive(Debug, Clone)]
pub struct Found {
    pub tenant_id: TenantId,
    pub slug: Slug,
    pub status: Option<TenantStatus>,
    pub items: BTreeMap<Key, Entry>,
    /// Customer accounts linked to this company: whether each keeps its account (linked to
    /// another company where it is still that contact's customer).
    pub customers: BTreeMap<String, bool>,
    pub stored: super::census::Stored,
}

impl Found {
    fn count(&self, wanted: impl Fn(&Entry) -> bool) -> usize {
        self.items.values().filter(|e| wanted(e)).count()
    }

    /// What delete will remove (and, for a dry run, would).
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let status = self.status.map(|s| format!("{s:?}").to_lowercase()).unwrap_or_else(|| "profile gone".into());
        let _ = writeln!(out, "company {} ({}), {status}:", self.slug, self.tenant_id);
        let partition = self.count(|e| matches!(e, Entry::Partition { .. })) + 1;
        let emails = self.count(|e| matches!(e, Entry::Partition { pending_email: true }));
        let _ = writeln!(
            out,
            "  {partition} items in its partition (profile, contacts, documents, shares, activity, …), of which {emails} pending emails"
        );
        let _ = writeln!(
            out,
            "  {} staff memberships and their staff-pool accounts",
            self.count(|e| matches!(e, Entry::Staff { .. }))
        );
        let leaving = self.customers.values().filter(|keeps| !**keeps).count();
        let _ = writeln!(
            out,
            "  {} customer links; {} customer accounts ({} of no other company: deleted with their preferences)",
            self.count(|e| matches!(e, Entry::CustomerLink { .. })),
            self.customers.len(),
            leaving
        );
        let _ = writeln!(
            out,
            "  {} customers' preferences muting it (unmuted)",
            self.count(|e| matches!(e, Entry::Preferences { .. }))
        );
        let _ = writeln!(
            out,
            "  {} sign-ups waiting for confirmation; {} other items naming it (invitation tokens, slug guard, …)",
            self.count(|e| matches!(e, Entry::Signup { .. })),
            self.count(|e| matches!(e, Entry::Other)) + self.count(|e| matches!(e, Entry::Anchor)).saturating_sub(1)
        );
        let _ = writeln!(
            out,
            "  bucket: {} object versions ({} bytes) and {} delete markers under tenants/{}/",
            self.stored.versions, self.stored.bytes, self.stored.delete_markers, self.tenant_id
        );
        out
    }
}

/// Finds everything of the company (a dry run stops here). A company named by its id whose
/// profile is already gone (a delete that stopped after removing it) is still searched.
pub async fn find(op: &Operator, company: &CompanyRef) -> Result<Found> {
    let (tenant_id, slug, status) = match op.company(company).await {
        Ok(tenant) => (tenant.id, tenant.slug, Some(tenant.status)),
        Err(err) => match company {
            CompanyRef::Id(id) => {
                let guard = scan(op, *id).await?.into_iter().find_map(|item| {
                    let slug = text(&item, keys::PK)?.strip_prefix("SLUG#")?.parse().ok()?;
                    Some(slug)
                });
                let Some(slug) = guard else { return Err(err) };
                (*id, slug, None)
            }
            CompanyRef::Slug(_) => return Err(err),
        },
    };
    let mut items = BTreeMap::new();
    for item in scan(op, tenant_id).await? {
        if let Some((key, entry)) = classify(tenant_id, &item) {
            items.insert(key, entry);
        }
    }
    let mut customers = BTreeMap::new();
    for entry in items.values() {
        if let Entry::CustomerLink { sub, .. } = entry
            && !customers.contains_key(sub)
        {
            customers.insert(sub.clone(), keeps_account(op, tenant_id, sub).await?);
        }
    }
    for entry in items.values() {
        if let Entry::Signup { sub, email } = entry
            && !customers.contains_key(sub)
        {
            let keeps = keeps_account(op, tenant_id, sub).await? || signs_up_elsewhere(op, tenant_id, email).await?;
            customers.insert(sub.clone(), keeps);
        }
    }
    let stored = super::census::stored(op, tenant_id).await?;
    Ok(Found { tenant_id, slug, status, items, customers, stored })
}

/// Whether a customer account stays: it is linked to another company where the linked
/// contact still exists with this account as its customer (its access may be closed now
/// and opened again later; a stale link to a deleted contact does not count).
async fn keeps_account(op: &Operator, tenant: TenantId, sub: &str) -> Result<bool> {
    let others: Vec<CustomerLink> = user_items(op, sub)
        .await?
        .into_iter()
        .filter(|item| text(item, keys::SK).is_some_and(|sk| sk.starts_with(keys::CUSTOMER_LINK_PREFIX)))
        .filter_map(|item| serde_dynamo::from_item::<_, CustomerLink>(item).ok())
        .filter(|link| link.tenant_id != tenant)
        .collect();
    if others.is_empty() {
        return Ok(false);
    }
    let linked = op.store.linked(&others).await?;
    Ok(linked.iter().any(|(_, contact)| contact.customer_sub.as_ref().is_some_and(|s| s.as_str() == sub)))
}

/// Whether an email is also waiting to confirm a sign-up with another company.
async fn signs_up_elsewhere(op: &Operator, tenant: TenantId, email: &str) -> Result<bool> {
    let own = format!("CONTACT#{tenant}#");
    let items = partition_items(op, format!("SIGNUP#{email}"), "sign-ups of an email").await?;
    Ok(items.iter().any(|item| text(item, keys::SK).is_some_and(|sk| !sk.starts_with(&own))))
}

/// Every item of a `USER#{sub}` partition (consistent; a handful of items).
async fn user_items(op: &Operator, sub: &str) -> Result<Vec<Item>> {
    partition_items(op, format!("USER#{sub}"), "a user's items").await
}

/// Every item of one small partition, read consistently (`what` names it in errors).
async fn partition_items(op: &Operator, partition: String, what: &str) -> Result<Vec<Item>> {
    op.dynamodb
        .query()
        .table_name(&op.resources.table)
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", keys::PK)
        .expression_attribute_values(":pk", AttributeValue::S(partition))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .with_context(|| format!("DynamoDB Query ({what})"))
}

/// Every item that names the company: its partition, or `tenantId`, or a muted list
/// holding it. One consistent Scan of the whole table, paged (1 MB a page).
pub async fn scan(op: &Operator, tenant: TenantId) -> Result<Vec<Item>> {
    op.dynamodb
        .scan()
        .table_name(&op.resources.table)
        .filter_expression("#pk = :partition OR tenantId = :id OR contains(mutedCompanies, :id)")
        .expression_attribute_names("#pk", keys::PK)
        .expression_attribute_values(":partition", AttributeValue::S(keys::tenant_pk(tenant)))
        .expression_attribute_values(":id", AttributeValue::S(tenant.to_string()))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .context("DynamoDB Scan (the company's items)")
}

/// What a delete removed.
#[derive(Debug, Default)]
pub struct Erased {
    pub items: usize,
    pub staff_accounts: usize,
    pub customer_accounts: usize,
    pub preferences: usize,
    pub object_versions: usize,
}

impl std::fmt::Display for Erased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "deleted: {} items, {} staff accounts, {} customer accounts, {} object versions and delete markers; {} customers' preferences updated",
            self.items, self.staff_accounts, self.customer_accounts, self.object_versions, self.preferences
        )
    }
}

/// Erases what `find` found, in the order described at the top of this module.
pub async fn erase(op: &Operator, found: Found) -> Result<Erased> {
    let tenant = found.tenant_id;
    let mut done = Erased::default();
    // 1. Stopped: every staff and customer request is refused from now on.
    if found.status.is_some() {
        op.store.set_tenant_status(tenant, TenantStatus::Deleting).await?;
        op.copy_status_to_staff(tenant, TenantStatus::Deleting).await?;
    }
    // 2. Staff: the account, then the membership that names it.
    for (key, entry) in &found.items {
        if let Entry::Staff { email, .. } = entry {
            if delete_account(op, &op.resources.staff_pool_id, Account::Username(email)).await? {
                done.staff_accounts += 1;
            }
            delete_items(op, std::slice::from_ref(key)).await?;
            done.items += 1;
        }
    }
    // 3. Customers (linked, or signed up and not confirmed): the account when no other
    //    company has them (with everything under their `USER#`), else their links to this
    //    company only (their sign-ups here go in step 5).
    for (sub, keeps) in &found.customers {
        let links: Vec<Key> = found
            .items
            .iter()
            .filter(|(_, e)| matches!(e, Entry::CustomerLink { sub: s, .. } if s == sub))
            .map(|(k, _)| k.clone())
            .collect();
        if *keeps {
            delete_items(op, &links).await?;
            done.items += links.len();
        } else {
            if delete_account(op, &op.resources.customer_pool_id, Account::Sub(sub)).await? {
                done.customer_accounts += 1;
            }
            let all: Vec<Key> = user_items(op, sub)
                .await?
                .iter()
                .filter_map(|item| {
                    Some(Key { pk: text(item, keys::PK)?.to_owned(), sk: text(item, keys::SK)?.to_owned() })
                })
                .collect();
            delete_items(op, &all).await?;
            done.items += all.len();
        }
    }
    // 4. Preferences of customers who keep their account: this company unmuted.
    for (key, entry) in &found.items {
        if let Entry::Preferences { sub, muted } = entry
            && found.customers.get(sub) != Some(&false)
        {
            unmute(op, key, tenant, muted).await?;
            done.preferences += 1;
        }
    }
    // 5. The partition and everything else that names the company, but the anchors.
    let rest: Vec<Key> = found
        .items
        .iter()
        .filter(|(_, e)| matches!(e, Entry::Partition { .. } | Entry::Signup { .. } | Entry::Other))
        .map(|(k, _)| k.clone())
        .collect();
    delete_items(op, &rest).await?;
    done.items += rest.len();
    // 6. The bucket prefix: every version and delete marker (an upload that lands after
    //    this finds no document and is deleted by object-events as an orphan).
    done.object_versions = delete_prefix(op, tenant).await?;
    // 7. The anchors: the profile and the slug guard.
    let anchors: Vec<Key> =
        found.items.iter().filter(|(_, e)| matches!(e, Entry::Anchor)).map(|(k, _)| k.clone()).collect();
    delete_items(op, &anchors).await?;
    done.items += anchors.len();
    Ok(done)
}

/// Removes a company's profile and slug guard (a `create` whose first admin could not be
/// invited: nothing else of it exists yet).
pub async fn remove_profile_and_guard(op: &Operator, tenant: &Tenant) -> Result<()> {
    delete_items(
        op,
        &[
            Key { pk: keys::tenant_pk(tenant.id), sk: keys::TENANT_PROFILE_SK.into() },
            Key { pk: keys::slug_pk(&tenant.slug), sk: keys::SLUG_SK.into() },
        ],
    )
    .await
}

/// Deletes items by key, 25 per `BatchWriteItem`; unprocessed ones are sent again a
/// bounded number of times (with a pause), then it is an error (run the delete again).
async fn delete_items(op: &Operator, keys: &[Key]) -> Result<()> {
    for chunk in keys.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|key| {
                let delete = DeleteRequest::builder()
                    .key(keys::PK, AttributeValue::S(key.pk.clone()))
                    .key(keys::SK, AttributeValue::S(key.sk.clone()))
                    .build()?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<_>>()?;
        for attempt in 0..8 {
            if requests.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
            let output = op
                .dynamodb
                .batch_write_item()
                .request_items(&op.resources.table, requests)
                .send()
                .await
                .context("DynamoDB BatchWriteItem")?;
            requests = output.unprocessed_items.and_then(|mut u| u.remove(&op.resources.table)).unwrap_or_default();
        }
        if !requests.is_empty() {
            bail!("DynamoDB left {} deletes unprocessed (throttled): run the delete again", requests.len());
        }
    }
    Ok(())
}

/// Takes the company out of a customer's muted list, if the list is still the one read.
async fn unmute(op: &Operator, key: &Key, tenant: TenantId, muted: &[String]) -> Result<()> {
    let id = tenant.to_string();
    let list = |ids: Vec<&String>| AttributeValue::L(ids.into_iter().map(|i| AttributeValue::S(i.clone())).collect());
    let result = op
        .dynamodb
        .update_item()
        .table_name(&op.resources.table)
        .key(keys::PK, AttributeValue::S(key.pk.clone()))
        .key(keys::SK, AttributeValue::S(key.sk.clone()))
        .update_expression("SET mutedCompanies = :after")
        .condition_expression("mutedCompanies = :before")
        .expression_attribute_values(":after", list(muted.iter().filter(|m| **m != id).collect()))
        .expression_attribute_values(":before", list(muted.iter().collect()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
            bail!("{}'s preferences changed meanwhile: run the delete again", key.pk)
        }
        Err(err) => Err(err).context("DynamoDB UpdateItem (preferences)"),
    }
}

enum Account<'a> {
    /// The sign-in name (staff: the email).
    Username(&'a str),
    /// The account's `sub` (customers: found with ListUsers, whatever their email).
    Sub(&'a str),
}

/// Deletes a Cognito account; `false` when there is none (deleted already).
async fn delete_account(op: &Operator, pool: &str, account: Account<'_>) -> Result<bool> {
    let username = match account {
        Account::Username(name) => name.to_owned(),
        Account::Sub(sub) => {
            let found = op
                .cognito
                .list_users()
                .user_pool_id(pool)
                .filter(format!("sub = \"{sub}\""))
                .limit(1)
                .send()
                .await
                .context("Cognito ListUsers")?;
            match found.users().first().and_then(|u| u.username()) {
                Some(name) => name.to_owned(),
                None => return Ok(false),
            }
        }
    };
    match op.cognito.admin_delete_user().user_pool_id(pool).username(&username).send().await {
        Ok(_) => Ok(true),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_user_not_found_exception()) => Ok(false),
        Err(err) => Err(err).context("Cognito AdminDeleteUser"),
    }
}

/// Deletes every object version and delete marker under the company's prefix (1000 per
/// `DeleteObjects`), listing again until nothing is left (bounded). Returns how many.
async fn delete_prefix(op: &Operator, tenant: TenantId) -> Result<usize> {
    let prefix = ObjectKey::tenant_prefix(tenant);
    let mut deleted = 0;
    for _ in 0..100 {
        let page = op
            .s3
            .list_object_versions()
            .bucket(&op.resources.bucket)
            .prefix(&prefix)
            .send()
            .await
            .context("S3 ListObjectVersions")?;
        let mut targets = BTreeSet::new();
        for version in page.versions() {
            targets.insert((version.key().unwrap_or_default().to_owned(), version.version_id().map(str::to_owned)));
        }
        for marker in page.delete_markers() {
            targets.insert((marker.key().unwrap_or_default().to_owned(), marker.version_id().map(str::to_owned)));
        }
        if targets.is_empty() {
            return Ok(deleted);
        }
        let objects = targets
            .into_iter()
            .take(1000)
            .map(|(key, version)| ObjectIdentifier::builder().key(key).set_version_id(version).build())
            .collect::<Result<Vec<_>, _>>()?;
        let count = objects.len();
        let output = op
            .s3
            .delete_objects()
            .bucket(&op.resources.bucket)
            .delete(Delete::builder().set_objects(Some(objects)).quiet(true).build()?)
            .send()
            .await
            .context("S3 DeleteObjects")?;
        if let Some(error) = output.errors().first() {
            bail!("S3 DeleteObjects: {:?} {:?}: run the delete again", error.key(), error.message());
        }
        deleted += count;
    }
    bail!("more than 100,000 object versions under {prefix}: run the delete again to continue")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(fields: &[(&str, &str)]) -> Item {
        fields.iter().map(|(k, v)| ((*k).to_owned(), AttributeValue::S((*v).to_owned()))).collect()
    }

    #[test]
    fn every_key_shape_of_a_company_is_recognised() {
        let tenant = TenantId::new();
        let id = tenant.to_string();
        let partition = keys::tenant_pk(tenant);
        let contact = ContactId::new();
        let entry = |fields: &[(&str, &str)]| classify(tenant, &item(fields)).map(|(_, e)| e);
        assert_eq!(entry(&[("PK", &partition), ("SK", "PROFILE")]), Some(Entry::Anchor));
        assert_eq!(entry(&[("PK", "SLUG#acme"), ("SK", "SLUG"), ("tenantId", &id)]), Some(Entry::Anchor));
        for sk in ["CONTACT#x", "CONTACT_EMAIL#a@b.example", "DOC#x", "EVENT#x", "SHARE#x#y", "LOGO#x", "SELECTION#x"] {
            assert_eq!(
                entry(&[("PK", &partition), ("SK", sk)]),
                Some(Entry::Partition { pending_email: false }),
                "{sk}"
            );
        }
        for sk in ["NOTIFY#SUBMITTED#x", "NOTIFY#SHARES#x"] {
            assert_eq!(
                entry(&[("PK", &partition), ("SK", sk)]),
                Some(Entry::Partition { pending_email: true }),
                "{sk}"
            );
        }
        assert_eq!(
            entry(&[("PK", "USER#s1"), ("SK", "STAFF"), ("tenantId", &id), ("email", "ana@acme.example")]),
            Some(Entry::Staff { sub: "s1".into(), email: "ana@acme.example".into() })
        );
        assert_eq!(
            entry(&[("PK", "USER#c1"), ("SK", &format!("CUSTOMER#{id}#{contact}")), ("tenantId", &id)]),
            Some(Entry::CustomerLink { sub: "c1".into(), contact: Some(contact) })
        );
        assert_eq!(entry(&[("PK", "INVITE#abc"), ("SK", "INVITE"), ("tenantId", &id)]), Some(Entry::Other));
        assert_eq!(
            entry(&[
                ("PK", "SIGNUP#a@b.example"),
                ("SK", &format!("CONTACT#{id}#{contact}")),
                ("tenantId", &id),
                ("sub", "c2")
            ]),
            Some(Entry::Signup { sub: "c2".into(), email: "a@b.example".into() })
        );
    }

    #[test]
    fn nothing_of_another_company_is_taken() {
        let tenant = TenantId::new();
        let other = TenantId::new().to_string();
        let entry = |fields: &[(&str, &str)]| classify(tenant, &item(fields));
        assert_eq!(entry(&[("PK", &keys::tenant_pk(TenantId::new())), ("SK", "DOC#x")]), None);
        assert_eq!(entry(&[("PK", "USER#s1"), ("SK", "STAFF"), ("tenantId", &other)]), None);
        assert_eq!(entry(&[("PK", "USER#c1"), ("SK", &format!("CUSTOMER#{other}#x")), ("tenantId", &other)]), None);
        assert_eq!(entry(&[("PK", "SLUG#other"), ("SK", "SLUG"), ("tenantId", &other)]), None);
        assert_eq!(entry(&[("PK", "INVITE#abc"), ("SK", "INVITE"), ("tenantId", &other)]), None);
        assert_eq!(entry(&[("PK", "RATE#staff-login#EMAIL#x"), ("SK", "WINDOW#1")]), None);
        assert_eq!(entry(&[("PK", "USER#c1"), ("SK", "PREFERENCES")]), None, "preferences not muting it");
    }

    #[test]
    fn a_muted_list_naming_the_company_is_edited_not_deleted() {
        let tenant = TenantId::new();
        let other = TenantId::new().to_string();
        let mut preferences = item(&[("PK", "USER#c1"), ("SK", "PREFERENCES")]);
        preferences.insert(
            "mutedCompanies".into(),
            AttributeValue::L(vec![AttributeValue::S(tenant.to_string()), AttributeValue::S(other.clone())]),
        );
        let (_, entry) = classify(tenant, &preferences).unwrap();
        assert_eq!(entry, Entry::Preferences { sub: "c1".into(), muted: vec![tenant.to_string(), other] });
    }
}
