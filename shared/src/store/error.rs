//! What a store call can end in besides success: storage outcomes, not HTTP ones. The API
//! turns them into problems once, at the edge (`impl From<StoreError> for ApiError` in
//! `crate::error`), and a handler that expects a clash maps it to its own wording first
//! (a 409 or 422 naming the request's field). Absence is an `Option`, never an error.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A condition of the write failed: which one is named.
    #[error("{0}")]
    Clash(Clash),
    /// A listing's start position is not one of this listing's (a client's cursor from
    /// elsewhere): nothing was read.
    #[error("cursor is not valid")]
    ForeignCursor,
    /// Throttled, timed out or unreachable: the same call can be made again.
    #[error("the table is temporarily unavailable")]
    Unavailable,
    /// The request was not sent: the work it belongs to used up its cap of AWS requests
    /// (`metering::capped`).
    #[error("the cap of AWS requests of this work is used up")]
    BudgetExceeded,
    /// A bug or a misconfiguration; the message is for the log.
    #[error("{0}")]
    Internal(String),
}

/// The kinds of stored things a clash can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Company,
    Contact,
    Organization,
    Folder,
    Document,
    Share,
    StaffMember,
    InvitationRequest,
    InvitationToken,
    VerificationToken,
    InviteCode,
    PendingLogo,
    Notification,
    Job,
}

impl Entity {
    /// How the API names it in a 404 (`ApiError::NotFound`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Contact => "contact",
            Self::Organization => "organization",
            Self::Folder => "folder",
            Self::Document => "document",
            Self::Share => "share",
            Self::StaffMember => "staff member",
            Self::InvitationRequest => "invitation request",
            Self::InvitationToken => "invitation token",
            Self::VerificationToken => "verification token",
            Self::InviteCode => "invite code",
            Self::PendingLogo => "logo upload",
            Self::Notification => "notification",
            Self::Job => "job",
        }
    }
}

/// The named condition that failed. The `Display` is the plain-words description the API
/// uses when a handler has nothing more specific to say; it never names a request field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Clash {
    /// The item to create exists already (its key is taken).
    #[error("{}", exists(*.0))]
    Exists(Entity),
    /// The item written (updated, deleted) is not there.
    #[error("{} not found", .0.name())]
    Missing(Entity),
    /// An item the write refers to (checked alongside: a contact's organization, a
    /// document's folder, a shared item) is not there.
    #[error("no such {}", .0.name())]
    Unknown(Entity),
    /// The portal slug belongs to a company already.
    #[error("this portal link is already taken")]
    SlugTaken,
    /// Another contact of the tenant has this email.
    #[error("a contact with this email already exists")]
    ContactEmailTaken,
    /// The contact is not as it was read (edited or deleted meanwhile).
    #[error("the contact was changed or deleted meanwhile; reload it")]
    ContactChanged,
    /// The contact's access is not the state it was read in.
    #[error("the contact's access was changed meanwhile; reload it")]
    AccessChanged,
    /// The access an activation needs is no longer pending (the company closed it).
    #[error("the company closed this access meanwhile")]
    AccessNotPending,
    /// The invitation token was used up before.
    #[error("this invitation has been used already")]
    InvitationUsed,
    /// The account has a staff membership already.
    #[error("this account is already a staff member")]
    StaffMemberExists,
    /// The company is suspended or being deleted by the operator.
    #[error("this company's portal is suspended")]
    CompanyStopped,
    /// The organization still has contacts.
    #[error("the organization still has contacts; move or delete them first")]
    OrganizationNotEmpty,
    /// The organization is not as it was read (renamed or deleted meanwhile): a contact's
    /// search words hold its name.
    #[error("the organization was renamed or deleted meanwhile; try again")]
    OrganizationChanged,
    /// The folder still holds folders or documents.
    #[error("the folder is not empty; move or delete what it holds first")]
    FolderNotEmpty,
    /// The document is no longer `pending` (settled by another delivery).
    #[error("the document has already been settled")]
    DocumentSettled,
    /// Staff have seen the submission (or it is not this contact's).
    #[error("the company has already seen this document")]
    SubmissionSeen,
    /// Another save of the contact's selection holds its lease.
    #[error("another save of this contact's selection is in progress; reload it and try again")]
    SelectionBusy,
    /// A company sign-up with this email exists.
    #[error("a sign-up with this email exists")]
    SignupEmailTaken,
    /// The invite code is unknown, expired or used.
    #[error("this invite code is not valid, has expired or has been used")]
    InviteCodeRefused,
    /// The sign-up record is no longer the one read.
    #[error("the sign-up changed meanwhile; retry")]
    SignupChanged,
    /// The verification link was used before.
    #[error("this link has been used already; sign in")]
    VerificationUsed,
    /// The company's email was verified before.
    #[error("this company's email is verified already; sign in")]
    AlreadyVerified,
}

fn exists(entity: Entity) -> String {
    match entity {
        Entity::Organization | Entity::Document | Entity::Folder => format!("this {} already exists", entity.name()),
        other => format!("this {} exists already", other.name()),
    }
}

impl From<Clash> for StoreError {
    fn from(clash: Clash) -> Self {
        Self::Clash(clash)
    }
}

impl StoreError {
    /// Maps a failed DynamoDB call: throttling, timeouts and unreachable endpoints are
    /// `Unavailable`; anything else is a bug or a misconfiguration.
    pub fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if crate::metering::RequestBudgetExceeded::find(&err).is_some() {
            return Self::BudgetExceeded;
        }
        if crate::error::is_transient(&err) {
            let error = DisplayErrorContext(&err).to_string();
            tracing::warn!(operation, error = %crate::telemetry::clip(&error), "transient AWS error");
            Self::Unavailable
        } else {
            Self::Internal(format!("{operation}: {}", DisplayErrorContext(&err)))
        }
    }

    /// A value that could not be turned into or out of an item.
    pub(super) fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {err}"))
    }

    /// The clash, if this is one.
    pub fn clash(&self) -> Option<Clash> {
        match self {
            Self::Clash(clash) => Some(*clash),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashes_read_in_plain_words_without_request_fields() {
        assert_eq!(Clash::Exists(Entity::Organization).to_string(), "this organization already exists");
        assert_eq!(Clash::Exists(Entity::PendingLogo).to_string(), "this logo upload exists already");
        assert_eq!(Clash::Missing(Entity::StaffMember).to_string(), "staff member not found");
        assert_eq!(StoreError::from(Clash::SlugTaken).to_string(), "this portal link is already taken");
    }
}
