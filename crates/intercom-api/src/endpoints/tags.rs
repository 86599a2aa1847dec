//! Tags and segments.

use serde_json::json;

use intercom_core::ids::Id;

use crate::error::{Error, Result};
use crate::http::{Call, Client};
use crate::models::{Page, Segment, Tag};

/// The tag among `tags` named by `needle`: its id, or its name in any case.
pub fn find_tag<'a>(tags: &'a [Tag], needle: &str) -> Option<&'a Tag> {
    let needle = needle.trim();
    tags.iter()
        .find(|t| t.id.as_deref() == Some(needle))
        .or_else(|| {
            tags.iter().find(|t| {
                t.name
                    .as_deref()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(needle))
            })
        })
}

impl Client {
    /// The one way a tag given by name or id becomes an [`Id`], for every caller (tools,
    /// bulk jobs): looked up in `tags` (the workspace's tags, from [`Client::list_tags`] or a
    /// cache of it); when absent and `create` is set, created with `POST /tags`. `Ok(None)`
    /// when absent and not created. A tag whose record (or creation answer) has no id is an
    /// [`Error::InvalidId`] naming the tag, never an empty id.
    pub async fn resolve_tag_in(
        &self,
        tags: &[Tag],
        name_or_id: &str,
        create: bool,
    ) -> Result<Option<(Id, String)>> {
        let needle = name_or_id.trim();
        if needle.is_empty() {
            return Err(Error::InvalidRequest(
                "the tag is empty; give a tag name or id".into(),
            ));
        }
        if let Some(tag) = find_tag(tags, needle) {
            let id = Id::required(tag.id.as_deref(), format!("the tag `{needle}`"))?;
            let name = tag.name.clone().unwrap_or_else(|| needle.to_owned());
            return Ok(Some((id, name)));
        }
        if !create {
            return Ok(None);
        }
        let tag = self.create_tag(needle).await?;
        let id =
            Id::required(tag.id.as_deref(), format!("the new tag `{needle}`")).map_err(|e| {
                Error::Decode {
                    method: "POST".into(),
                    path: "/tags".into(),
                    expected: "Tag",
                    message: e.to_string(),
                    id: None,
                }
            })?;
        Ok(Some((id, tag.name.unwrap_or_else(|| needle.to_owned()))))
    }

    /// [`Client::resolve_tag_in`] over the workspace's current tags.
    pub async fn resolve_tag(
        &self,
        name_or_id: &str,
        create: bool,
    ) -> Result<Option<(Id, String)>> {
        let tags = self.list_tags().await?;
        self.resolve_tag_in(&tags, name_or_id, create).await
    }

    /// The admin writes are made as: `explicit` (an admin id), else the token's own admin
    /// (`GET /me`). A `/me` answer without an admin id is an error, never an empty id.
    pub async fn acting_admin_id(&self, explicit: Option<&str>) -> Result<Id> {
        if let Some(id) = explicit.map(str::trim).filter(|s| !s.is_empty()) {
            return Ok(Id::named(id, "the acting admin")?);
        }
        let me = self.me().await?;
        Ok(Id::required(
            me.admin.id.as_deref(),
            "the token's admin (Intercom's /me answer; pass an admin id instead)",
        )?)
    }

    /// `GET /tags`: every tag of the workspace.
    pub async fn list_tags(&self) -> Result<Page<Tag>> {
        self.fetch_list(Call::get(&["tags"]), "data").await
    }

    /// `GET /tags/{id}`.
    pub async fn get_tag(&self, tag_id: &Id) -> Result<Tag> {
        self.call(Call::get(&["tags", tag_id.as_str()]).resource("tag", tag_id))
            .await
    }

    /// `POST /tags {name}`: creates the tag, or returns the existing one of that name (upsert).
    pub async fn create_tag(&self, name: &str) -> Result<Tag> {
        // Keyed on the name, so repeating it cannot create a duplicate.
        self.call(
            Call::post(&["tags"])
                .body(json!({"name": name}))
                .idempotent(),
        )
        .await
    }

    /// `POST /tags {name, companies: [{id, untag}]}`: tags (or, with `untag`, untags) one
    /// company with the tag of that name.
    pub async fn tag_company(&self, name: &str, company_id: &Id, untag: bool) -> Result<Tag> {
        let mut company = json!({"id": company_id});
        if untag {
            company["untag"] = json!(true);
        }
        self.call(
            Call::post(&["tags"])
                .body(json!({"name": name, "companies": [company]}))
                .resource("company", company_id),
        )
        .await
    }

    /// `POST /tags {id, name}`: renames a tag.
    pub async fn rename_tag(&self, tag_id: &Id, name: &str) -> Result<Tag> {
        self.call(
            Call::post(&["tags"])
                .body(json!({"id": tag_id, "name": name}))
                .idempotent()
                .resource("tag", tag_id),
        )
        .await
    }

    /// `DELETE /tags/{id}`.
    pub async fn delete_tag(&self, tag_id: &Id) -> Result<()> {
        self.execute(Call::delete(&["tags", tag_id.as_str()]).resource("tag", tag_id))
            .await
            .map(|_| ())
    }

    /// `GET /segments` (with member counts when `include_count`).
    pub async fn list_segments(&self, include_count: bool) -> Result<Page<Segment>> {
        let call =
            Call::get(&["segments"]).query_opt("include_count", include_count.then_some(true));
        self.fetch_list(call, "segments").await
    }

    /// `GET /segments/{id}`.
    pub async fn get_segment(&self, segment_id: &Id) -> Result<Segment> {
        self.call(Call::get(&["segments", segment_id.as_str()]).resource("segment", segment_id))
            .await
    }
}
