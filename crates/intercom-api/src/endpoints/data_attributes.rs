//! Data attributes.

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{DataAttribute, DataAttributeModel, Page};

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
}
