//! Admins, `/me`, teams.

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
    pub async fn get_admin(&self, admin_id: &str) -> Result<Admin> {
        self.call(Call::get(&["admins", admin_id]).resource("admin", admin_id))
            .await
    }

    /// `GET /teams`.
    pub async fn list_teams(&self) -> Result<Page<Team>> {
        self.fetch_list(Call::get(&["teams"]), "teams").await
    }

    /// `GET /teams/{id}`.
    pub async fn get_team(&self, team_id: &str) -> Result<Team> {
        self.call(Call::get(&["teams", team_id]).resource("team", team_id))
            .await
    }
}
