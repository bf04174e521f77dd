//! `GET /me` and `PATCH /me`: the signed-in staff member with their company, and their own
//! choices (any role).

use portal_shared::ApiError;
use portal_shared::identity::{StaffChoices, StaffMember};
use portal_shared::model::Tenant;
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;
use crate::inputs::MyChanges;

#[derive(Debug, Serialize)]
pub struct Me {
    #[serde(flatten)]
    staff: StaffMember,
    tenant: Tenant,
}

impl App {
    /// The signed-in staff member with their tenant (the dashboard shows or hides write
    /// controls by role; the API refuses them anyway).
    pub(crate) async fn me(&self, staff: StaffMember) -> Result<Me, ApiError> {
        let tenant =
            self.store.tenant(staff.tenant_id).await?.ok_or_else(|| {
                ApiError::Internal(format!("tenant {} of a staff member is missing", staff.tenant_id))
            })?;
        Ok(Me { staff, tenant })
    }

    /// The caller's own choices (any role): whether they get submission emails, and up to
    /// when they have seen customer submissions.
    pub(crate) async fn update_me(&self, staff: &StaffMember, input: MyChanges) -> Result<Me, ApiError> {
        let choices = StaffChoices {
            name: input.name,
            notify_submissions: input.notify_submissions,
            submissions_seen_at: input.submissions_seen_at,
        }
        .for_member(staff, OffsetDateTime::now_utc())?;
        let staff = self.store.update_staff_choices(&staff.sub, &choices).await?;
        let tenant = self.store.tenant(staff.tenant_id).await?.ok_or(ApiError::NotFound("company"))?;
        Ok(Me { staff, tenant })
    }
}
