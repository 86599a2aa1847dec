//! Tags and segments.

use serde_json::json;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{Page, Segment, Tag};

impl Client {
    /// `GET /tags`: every tag of the workspace.
    pub async fn list_tags(&self) -> Result<Page<Tag>> {
        self.fetch_list(Call::get(&["tags"]), "data").await
    }

    /// `GET /tags/{id}`.
    pub async fn get_tag(&self, tag_id: &str) -> Result<Tag> {
        self.call(Call::get(&["tags", tag_id]).resource("tag", tag_id))
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

    /// `POST /tags {id, name}`: renames a tag.
    pub async fn rename_tag(&self, tag_id: &str, name: &str) -> Result<Tag> {
        self.call(
            Call::post(&["tags"])
                .body(json!({"id": tag_id, "name": name}))
                .idempotent()
                .resource("tag", tag_id),
        )
        .await
    }

    /// `DELETE /tags/{id}`.
    pub async fn delete_tag(&self, tag_id: &str) -> Result<()> {
        self.execute(Call::delete(&["tags", tag_id]).resource("tag", tag_id))
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
    pub async fn get_segment(&self, segment_id: &str) -> Result<Segment> {
        self.call(Call::get(&["segments", segment_id]).resource("segment", segment_id))
            .await
    }
}
