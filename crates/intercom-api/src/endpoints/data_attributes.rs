//! Data attributes.

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{ConversationAttribute, DataAttribute, DataAttributeModel, Page};

impl Client {
    /// `GET /data_attributes?model=&include_archived=`.
    pub async fn list_data_attributes(
        &self,
        model: Option<DataAttributeModel>,
        include_archived: bool,
    ) -> Result<Page<DataAttribute>> {
        let call = Call::get(&["data_attributes"])
            .query_opt("model", model.map(DataAttributeModel::as_str))
            .query_opt("include_archived", include_archived.then_some(true));
        self.fetch_list(call, "data").await
    }

    /// `GET /conversations/attributes?include_archived=`: the conversation attributes, which
    /// `GET /data_attributes` does not list in 2.16.
    pub async fn list_conversation_attributes(
        &self,
        include_archived: bool,
    ) -> Result<Page<ConversationAttribute>> {
        let call = Call::get(&["conversations", "attributes"])
            .query_opt("include_archived", include_archived.then_some(true));
        self.fetch_list(call, "data").await
    }
}
