//! Help-center articles.

use futures::Stream;
use serde_json::Value;

use intercom_core::ids::Id;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{Article, ArticleInput, ArticleSearch, ArticleSearchResult, Deleted, Page};

impl Client {
    /// `GET /articles?page=&per_page=`: one page.
    pub async fn list_articles(
        &self,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Page<Article>> {
        let call = Call::get(&["articles"])
            .query_opt("page", page)
            .query_opt("per_page", per_page);
        self.fetch_page(call, "data").await
    }

    /// All articles by page number, at most `cap` items.
    pub fn list_articles_stream(
        &self,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Article>> + Send + 'static {
        self.page_number_stream(
            move |page| {
                Call::get(&["articles"])
                    .query("page", page)
                    .query_opt("per_page", per_page)
            },
            "data",
            cap,
        )
    }

    /// `GET /articles/search?phrase=&state=&help_center_id=&highlight=`.
    pub async fn search_articles(&self, search: &ArticleSearch) -> Result<ArticleSearchResult> {
        let call = Call::get(&["articles", "search"])
            .query_opt("phrase", search.phrase.as_deref())
            .query_opt("state", search.state.as_deref())
            .query_opt("help_center_id", search.help_center_id)
            .query_opt("highlight", search.highlight);
        let value = self.execute(call).await?;
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        let articles = match data.get("articles") {
            Some(v) => crate::pagination::parse_single(v.clone())?,
            None => Vec::new(),
        };
        let highlights = data
            .get("highlights")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let pages: crate::models::Pages = value
            .get("pages")
            .cloned()
            .and_then(|p| serde_json::from_value(p).ok())
            .unwrap_or_default();
        Ok(ArticleSearchResult {
            total_count: value.get("total_count").and_then(Value::as_i64),
            articles,
            highlights,
            next_cursor: pages.next_cursor(),
            extra: Default::default(),
        })
    }

    /// `GET /articles/{id}`.
    pub async fn get_article(&self, article_id: &Id) -> Result<Article> {
        self.call(Call::get(&["articles", article_id.as_str()]).resource("article", article_id))
            .await
    }

    /// `POST /articles`. Never retried after the request may have reached Intercom.
    pub async fn create_article(&self, article: &ArticleInput) -> Result<Article> {
        self.call(Call::post(&["articles"]).body(article)).await
    }

    /// `PUT /articles/{id}`.
    pub async fn update_article(&self, article_id: &Id, update: &ArticleInput) -> Result<Article> {
        self.call(
            Call::put(&["articles", article_id.as_str()])
                .body(update)
                .resource("article", article_id),
        )
        .await
    }

    /// `DELETE /articles/{id}`.
    pub async fn delete_article(&self, article_id: &Id) -> Result<Deleted> {
        self.call(Call::delete(&["articles", article_id.as_str()]).resource("article", article_id))
            .await
    }
}
