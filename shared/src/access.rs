//! The portal-access lifecycle of a contact: `none` → `pending` (invited) → `active`
//! (registered) → `closed`, and reopening. Pure rules here; the writes are in the store.

use crate::domain::AccessStatus;
use crate::error::ApiError;
use crate::model::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Open,
    Close,
}

/// What a change does to an access in a given state: the next state and whether an
/// invitation is queued, or `None` when there is nothing to do.
pub fn transition(
    current: AccessStatus,
    registered: bool,
    change: Change,
) -> Result<Option<(AccessStatus, bool)>, ApiError> {
    use AccessStatus::{Active, Closed, None as NoAccess, Pending};
    Ok(match (change, current) {
        // A customer who registered before gets their access back at once.
        (Change::Open, NoAccess | Closed) if registered => Some((Active, false)),
        (Change::Open, NoAccess | Closed) => Some((Pending, true)),
        // Opening a pending access again sends the invitation again.
        (Change::Open, Pending) => Some((Pending, true)),
        (Change::Open, Active) => None,
        (Change::Close, Pending | Active) => Some((Closed, false)),
        (Change::Close, Closed) => None,
        (Change::Close, NoAccess) => {
            return Err(ApiError::Conflict("the contact has no portal access to close".into()));
        }
    })
}

/// The activity-trail action of moving to `next`.
pub fn action(next: AccessStatus) -> Action {
    match next {
        AccessStatus::Active => Action::AccessActivated,
        AccessStatus::Closed | AccessStatus::None => Action::AccessClosed,
        AccessStatus::Pending => Action::AccessOpened,
    }
}

/// What applying a change did.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The contact as it is now.
    pub contact: crate::model::Contact,
    pub changed: bool,
    /// An invitation was queued: the caller emails it.
    pub invite: bool,
}

/// Applies `change` to a contact as read: the access write, the invitation request and
/// its activity entry, in one transaction (409 if the access changed meanwhile; 404 if the
/// contact was deleted right after).
#[cfg(feature = "dynamodb")]
pub async fn apply(
    store: &crate::store::Store,
    staff: &crate::identity::StaffMember,
    contact: crate::model::Contact,
    change: Change,
) -> Result<Applied, ApiError> {
    use crate::model::{ActivityEvent, InvitationRequest};
    let Some((next, invite)) = transition(contact.access_status, contact.customer_sub.is_some(), change)? else {
        return Ok(Applied { contact, changed: false, invite: false });
    };
    let now = time::OffsetDateTime::now_utc();
    let invitation = invite.then(|| InvitationRequest {
        tenant_id: staff.tenant_id,
        contact_id: contact.id,
        email: contact.email.clone(),
        requested_at: now,
        requested_by: staff.sub.clone(),
        sent_at: None,
    });
    let event = ActivityEvent::new(action(next), staff.actor(), now).contact(contact.id);
    let changed = store
        .change_access(staff.tenant_id, contact.id, contact.access_status, next, now, invitation.as_ref(), &event)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    tracing::info!(tenant = %staff.tenant_id, contact = %contact.id, from = ?contact.access_status, to = ?next, "portal access changed");
    Ok(Applied { contact: changed, changed: true, invite })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessStatus::{Active, Closed, None as NoAccess, Pending};

    #[test]
    fn opening_invites_unless_the_customer_already_registered() {
        assert_eq!(transition(NoAccess, false, Change::Open).unwrap(), Some((Pending, true)));
        assert_eq!(transition(Closed, false, Change::Open).unwrap(), Some((Pending, true)));
        assert_eq!(transition(Closed, true, Change::Open).unwrap(), Some((Active, false)));
        assert_eq!(transition(Pending, false, Change::Open).unwrap(), Some((Pending, true)));
        assert_eq!(transition(Active, true, Change::Open).unwrap(), None);
    }

    #[test]
    fn closing_closes_what_is_open_and_refuses_what_never_was() {
        assert_eq!(transition(Pending, false, Change::Close).unwrap(), Some((Closed, false)));
        assert_eq!(transition(Active, true, Change::Close).unwrap(), Some((Closed, false)));
        assert_eq!(transition(Closed, true, Change::Close).unwrap(), None);
        assert!(matches!(transition(NoAccess, false, Change::Close), Err(ApiError::Conflict(_))));
    }
}
