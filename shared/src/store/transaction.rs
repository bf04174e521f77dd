//! The one way the store writes several items together: a `Transaction` collects puts,
//! updates, deletes and condition checks, each condition with the `Clash` it means, and
//! commits them as one TransactWriteItems. DynamoDB reports a cancellation's reasons in
//! the order of the writes, so the failed condition names its clash.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};

use super::{Clash, Item, Store, StoreError};
use crate::keys::PK;

/// An expression (condition or update) with its placeholders' names and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Expr {
    text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), ..Self::default() }
    }

    /// `#placeholder` stands for the attribute `attribute`.
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    /// `:placeholder` stands for `value`.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    /// This expression and `clause`, both (`clause`'s placeholders are added with
    /// [`Expr::name`] and [`Expr::value`]).
    pub fn and(mut self, clause: &str) -> Self {
        self.text = format!("{} AND {clause}", self.text);
        self
    }

    /// The item exists.
    pub fn exists() -> Self {
        Self::new("attribute_exists(#pk)").name("#pk", PK)
    }

    /// No item has this key yet.
    pub fn absent() -> Self {
        Self::new("attribute_not_exists(#pk)").name("#pk", PK)
    }
}

#[derive(Debug)]
enum Write {
    Put { item: Item, condition: Option<Expr> },
    Update { key: Item, update: Expr, condition: Option<Expr> },
    Delete { key: Item, condition: Option<Expr> },
    Check { key: Item, condition: Expr },
}

/// What a failed condition means: a named clash, or (for a condition that holds by
/// construction, kept as a guard) a bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnFail {
    Clash(Clash),
    Bug,
    /// The write has no condition.
    Never,
}

/// Writes that succeed or fail together.
#[must_use = "a transaction does nothing until it is committed"]
#[derive(Debug)]
pub(super) struct Transaction {
    operation: &'static str,
    writes: Vec<(Write, OnFail)>,
}

impl Transaction {
    /// `operation` names the transaction in logs and errors.
    pub fn new(operation: &'static str) -> Self {
        Self { operation, writes: Vec::new() }
    }

    /// How many actions it holds (DynamoDB takes at most 100).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    fn push(mut self, write: Write, on_fail: OnFail) -> Self {
        self.writes.push((write, on_fail));
        self
    }

    /// Puts an item, whatever is there.
    pub fn put(self, item: Item) -> Self {
        self.push(Write::Put { item, condition: None }, OnFail::Never)
    }

    /// Puts a new item: one with its key existing already is `clash`.
    pub fn put_new(self, item: Item, clash: Clash) -> Self {
        self.put_if(item, Expr::absent(), clash)
    }

    /// Puts an item whose key is new by construction (a fresh id): the condition is only a
    /// guard, and its failing is a bug.
    pub fn append(self, item: Item) -> Self {
        self.push(Write::Put { item, condition: Some(Expr::absent()) }, OnFail::Bug)
    }

    /// Puts an item if `condition` holds (`clash` otherwise).
    pub fn put_if(self, item: Item, condition: Expr, clash: Clash) -> Self {
        self.push(Write::Put { item, condition: Some(condition) }, OnFail::Clash(clash))
    }

    /// Updates an item if `condition` holds (`clash` otherwise).
    pub fn update(self, key: Item, update: Expr, condition: Expr, clash: Clash) -> Self {
        self.push(Write::Update { key, update, condition: Some(condition) }, OnFail::Clash(clash))
    }

    /// Deletes an item, if there is one.
    pub fn delete(self, key: Item) -> Self {
        self.push(Write::Delete { key, condition: None }, OnFail::Never)
    }

    /// Deletes an item if `condition` holds (`clash` otherwise).
    pub fn delete_if(self, key: Item, condition: Expr, clash: Clash) -> Self {
        self.push(Write::Delete { key, condition: Some(condition) }, OnFail::Clash(clash))
    }

    /// Writes nothing, but the transaction happens only if `condition` holds on the item.
    pub fn require(self, key: Item, condition: Expr, clash: Clash) -> Self {
        self.push(Write::Check { key, condition }, OnFail::Clash(clash))
    }

    /// The transaction happens only if the item exists (`clash` otherwise).
    pub fn require_exists(self, key: Item, clash: Clash) -> Self {
        self.require(key, Expr::exists(), clash)
    }

    /// The SDK's items, for `table`.
    fn items(self, table: &str) -> Result<(Vec<TransactWriteItem>, Vec<OnFail>), StoreError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::internal("transaction item", e);
        let mut items = Vec::with_capacity(self.writes.len());
        let mut outcomes = Vec::with_capacity(self.writes.len());
        for (write, on_fail) in self.writes {
            let item = match write {
                Write::Put { item, condition } => {
                    let ([text], names, values) = parts([condition]);
                    let put = Put::builder()
                        .table_name(table)
                        .set_item(Some(item))
                        .set_condition_expression(text)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(built)?;
                    TransactWriteItem::builder().put(put).build()
                }
                Write::Update { key, update, condition } => {
                    let ([text, condition], names, values) = parts([Some(update), condition]);
                    let update = Update::builder()
                        .table_name(table)
                        .set_key(Some(key))
                        .set_update_expression(text)
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(built)?;
                    TransactWriteItem::builder().update(update).build()
                }
                Write::Delete { key, condition } => {
                    let ([text], names, values) = parts([condition]);
                    let delete = Delete::builder()
                        .table_name(table)
                        .set_key(Some(key))
                        .set_condition_expression(text)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(built)?;
                    TransactWriteItem::builder().delete(delete).build()
                }
                Write::Check { key, condition } => {
                    let ([text], names, values) = parts([Some(condition)]);
                    let check = ConditionCheck::builder()
                        .table_name(table)
                        .set_key(Some(key))
                        .set_condition_expression(text)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(built)?;
                    TransactWriteItem::builder().condition_check(check).build()
                }
            };
            items.push(item);
            outcomes.push(on_fail);
        }
        Ok((items, outcomes))
    }

    /// Writes everything or nothing. A failed condition is its named clash.
    pub async fn commit(self, store: &Store) -> Result<(), StoreError> {
        let operation = self.operation;
        let (items, outcomes) = self.items(&store.table)?;
        let Err(err) = store.client.transact_write_items().set_transact_items(Some(items)).send().await else {
            return Ok(());
        };
        let reasons: Vec<Option<String>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                cancelled.cancellation_reasons().iter().map(|r| r.code().map(str::to_owned)).collect()
            }
            _ => Vec::new(),
        };
        match failed_condition(operation, &outcomes, &reasons) {
            Some(outcome) => Err(outcome),
            None => Err(StoreError::from_sdk(operation, err)),
        }
    }
}

/// The texts of `expressions` (each in its position, `None` where there is none), and
/// their placeholders merged: an update and its condition share one map of names and one
/// of values.
#[allow(clippy::type_complexity)]
fn parts<const N: usize>(
    expressions: [Option<Expr>; N],
) -> ([Option<String>; N], Option<HashMap<String, String>>, Option<HashMap<String, AttributeValue>>) {
    let (mut names, mut values) = (HashMap::new(), HashMap::new());
    let texts = expressions.map(|expression| {
        expression.map(|expression| {
            names.extend(expression.names);
            values.extend(expression.values);
            expression.text
        })
    });
    (texts, (!names.is_empty()).then_some(names), (!values.is_empty()).then_some(values))
}

/// What a cancelled transaction means: the clash of the first write whose condition
/// failed; `None` when no condition failed (a conflict with another transaction, a
/// throttled item: the SDK error tells).
fn failed_condition(operation: &str, outcomes: &[OnFail], reasons: &[Option<String>]) -> Option<StoreError> {
    let index = reasons.iter().position(|code| code.as_deref() == Some("ConditionalCheckFailed"))?;
    Some(match outcomes.get(index) {
        Some(OnFail::Clash(clash)) => StoreError::Clash(*clash),
        Some(OnFail::Bug) => StoreError::Internal(format!("{operation}: the guard of write {index} failed")),
        Some(OnFail::Never) | None => {
            StoreError::Internal(format!("{operation}: write {index} failed a condition it does not have"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Entity;

    fn key(sk: &str) -> Item {
        Store::key("TENANT#t".into(), sk.into())
    }

    fn reasons(codes: &[&str]) -> Vec<Option<String>> {
        codes.iter().map(|c| (!c.is_empty()).then(|| (*c).to_owned())).collect()
    }

    fn outcomes(transaction: Transaction) -> Vec<OnFail> {
        transaction.items("table").unwrap().1
    }

    #[test]
    fn the_failed_condition_names_its_clash() {
        let transaction = Transaction::new("CreateContact")
            .put_new(key("CONTACT#1"), Clash::ContactEmailTaken)
            .put(key("EMAIL#a"))
            .require_exists(key("ORG#1"), Clash::Missing(Entity::Organization));
        let outcomes = outcomes(transaction);
        let none = "None";
        assert_eq!(
            failed_condition("CreateContact", &outcomes, &reasons(&[none, none, "ConditionalCheckFailed"])),
            Some(StoreError::Clash(Clash::Missing(Entity::Organization)))
        );
        assert_eq!(
            failed_condition("CreateContact", &outcomes, &reasons(&["ConditionalCheckFailed", none, none])),
            Some(StoreError::Clash(Clash::ContactEmailTaken))
        );
    }

    #[test]
    fn the_first_failed_condition_decides() {
        let outcomes = outcomes(
            Transaction::new("Claim")
                .put_new(key("SLUG#a"), Clash::SlugTaken)
                .put_new(key("SIGNUP#a"), Clash::SignupEmailTaken),
        );
        let both = reasons(&["ConditionalCheckFailed", "ConditionalCheckFailed"]);
        assert_eq!(failed_condition("Claim", &outcomes, &both), Some(StoreError::Clash(Clash::SlugTaken)));
    }

    #[test]
    fn a_failed_guard_is_a_bug_and_other_cancellations_are_not_clashes() {
        let outcomes = outcomes(Transaction::new("RecordEvent").append(key("EVENT#1")));
        assert!(matches!(
            failed_condition("RecordEvent", &outcomes, &reasons(&["ConditionalCheckFailed"])),
            Some(StoreError::Internal(message)) if message.contains("RecordEvent")
        ));
        // Another transaction on the same item, or throttling: no condition failed.
        assert_eq!(failed_condition("RecordEvent", &outcomes, &reasons(&["TransactionConflict"])), None);
        assert_eq!(failed_condition("RecordEvent", &outcomes, &[]), None);
    }

    #[test]
    fn an_update_and_its_condition_share_their_placeholders() {
        let transaction = Transaction::new("Change").update(
            key("CONTACT#1"),
            Expr::new("SET accessStatus = :next").value(":next", AttributeValue::S("active".into())),
            Expr::exists().name("#s", "accessStatus").value(":expected", AttributeValue::S("pending".into())),
            Clash::AccessChanged,
        );
        let (items, _) = transaction.items("table").unwrap();
        let update = items[0].update().unwrap();
        assert_eq!(update.update_expression(), "SET accessStatus = :next");
        assert_eq!(update.condition_expression(), Some("attribute_exists(#pk)"));
        let names = update.expression_attribute_names().unwrap();
        assert_eq!(names.get("#pk").map(String::as_str), Some(PK));
        assert_eq!(names.len(), 2);
        assert_eq!(update.expression_attribute_values().unwrap().len(), 2);
        assert_eq!(update.table_name(), "table");
    }

    #[test]
    fn writes_without_a_condition_carry_none() {
        let (items, _) = Transaction::new("Tidy").delete(key("EMAIL#a")).put(key("LINK#a")).items("table").unwrap();
        let delete = items[0].delete().unwrap();
        assert_eq!(delete.condition_expression(), None);
        assert_eq!(delete.expression_attribute_names(), None);
        assert_eq!(items[1].put().unwrap().condition_expression(), None);
    }
}
