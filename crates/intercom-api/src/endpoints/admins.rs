//! Admins, `/me`, teams.

use intercom_core::ids::Id;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{Admin, Me, Page, Team};

impl Client {
    /// `GET /me`: the token's admin and its workspace (app). Cheapest way to test a token.
    pub async fn me(&self) -> Result<Me> {
        self.call(Call::get(&["me"])).await
    }

    /// The workspace's own time zone (`/me`'s `app.timezone`, an IANA name), when it says.
    pub async fn workspace_time_zone(&self) -> Result<Option<String>> {
        let me = self.me().await?;
        Ok(me
            .app
            .and_then(|app| app.timezone)
            .filter(|zone| !zone.trim().is_empty()))
    }

    /// `GET /admins`: all teammates.
    pub async fn list_admins(&self) -> Result<Page<Admin>> {
        self.fetch_list(Call::get(&["admins"]), "admins").await
    }

    /// `GET /admins/{id}`.
    pub async fn get_admin(&self, admin_id: &Id) -> Result<Admin> {
        self.call(Call::get(&["admins", admin_id.as_str()]).resource("admin", admin_id))
            .await
    }

    /// `GET /teams`.
    pub async fn list_teams(&self) -> Result<Page<Team>> {
        self.fetch_list(Call::get(&["teams"]), "teams").await
    }

    /// `GET /teams/{id}`.
    pub async fn get_team(&self, team_id: &Id) -> Result<Team> {
        self.call(Call::get(&["teams", team_id.as_str()]).resource("team", team_id))
            .await
    }
}
