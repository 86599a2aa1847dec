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
