//! The directory: org units (head office → branch → team) and users, managed by
//! administrators one by one or imported whole from a bank's existing directory (JSON, or
//! CSV for users). An import is checked completely first, every problem with its path,
//! and applied in one transaction: all of it or nothing. Users already there are updated.

use sea_orm::sea_query::Alias;
use serde::Deserialize;

mod apply;
mod check;
mod read;
mod save;

pub use apply::{Written, import, user_id};
pub use check::users_from_csv;
pub use read::{UnitNode, below, display_names, org_units, unit_and_below, unit_exists, units_from, units_led, users};
pub use save::{end_session, own_settings, save, sessions, set_language, set_time_zone, shut_out, summary, unlock};

/// The shortest password a user may be given.
pub const MIN_PASSWORD: usize = 12;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// An org unit: `parent` is the key of the unit above it (none for the head office);
/// `manager` the user name of who leads it (tasks escalate to them).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUnit {
    pub key: String,
    pub name: String,
    pub parent: Option<String>,
    #[serde(default)]
    pub manager: Option<String>,
}

/// A user as the directory describes them. Without a password, a new user cannot sign
/// in until an administrator sets one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: String,
    pub display_name: Option<String>,
    /// administrator, designer or user (default).
    pub platform_role: Option<String>,
    /// The key of the user's org unit.
    pub org_unit: Option<String>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
    /// The language they read Trellis in: zh-CN or en.
    pub language: Option<String>,
    /// The user's roles per app (`{"bank_crm": ["relationship_manager"]}`); given for an
    /// app, they replace the user's roles in it.
    #[serde(default)]
    pub app_roles: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

/// A user's details as `PUT /api/v1/users/{username}` sets them: the path names the user.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub display_name: Option<String>,
    /// administrator, designer or user (default).
    pub platform_role: Option<String>,
    /// The key of the user's org unit.
    pub org_unit: Option<String>,
    /// A new password, at least 12 characters.
    pub password: Option<String>,
    pub disabled: Option<bool>,
    /// The language they read Trellis in: zh-CN or en.
    pub language: Option<String>,
    /// The user's roles per app; given for an app, they replace the user's roles in it.
    #[serde(default)]
    pub app_roles: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

impl UserChange {
    pub fn of(self, username: &str) -> UserEntry {
        UserEntry {
            username: username.to_owned(),
            display_name: self.display_name,
            platform_role: self.platform_role,
            org_unit: self.org_unit,
            password: self.password,
            disabled: self.disabled,
            language: self.language,
            app_roles: self.app_roles,
        }
    }
}

/// A directory to import.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Import {
    #[serde(default)]
    pub org_units: Vec<OrgUnit>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
}

/// The roles of each published app, by app key.
pub type AppRoles = std::collections::BTreeMap<String, Vec<String>>;
