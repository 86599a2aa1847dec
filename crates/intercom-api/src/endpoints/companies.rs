//! Companies: list, lookup, upsert, update, delete, contacts, segments, notes, scroll.

use futures::Stream;

use intercom_core::ids::Id;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::{Company, CompanyInput, CompanyLookup, Contact, Deleted, Note, Page, Segment};

impl Client {
    /// `POST /companies/list?page=&per_page=`: one page of all companies (max 60 per page).
    pub async fn list_companies(
        &self,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Page<Company>> {
        let call = Call::post(&["companies", "list"])
            .query_opt("page", page)
            .query_opt("per_page", per_page)
            .idempotent();
        self.fetch_page(call, "data").await
    }

    /// All companies by page number, at most `cap` items. For very large workspaces prefer
    /// [`Client::scroll_companies`].
    pub fn list_companies_stream(
        &self,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Company>> + Send + 'static {
        self.page_number_stream(
            move |page| {
                Call::post(&["companies", "list"])
                    .query("page", page)
                    .query_opt("per_page", per_page)
                    .idempotent()
            },
            "data",
            cap,
        )
    }

    /// `GET /companies/{id}` (Intercom id).
    pub async fn get_company(&self, id: &Id) -> Result<Company> {
        self.call(Call::get(&["companies", id.as_str()]).resource("company", id))
            .await
    }

    /// `GET /companies?company_id=|name=|tag_id=|segment_id=&page=&per_page=`. A lookup by
    /// `company_id` or `name` gives one company; by tag or segment, a page of them.
    pub async fn find_companies(
        &self,
        lookup: &CompanyLookup,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Page<Company>> {
        let described = lookup
            .company_id
            .as_deref()
            .or(lookup.name.as_deref())
            .or(lookup.tag_id.as_deref())
            .or(lookup.segment_id.as_deref())
            .unwrap_or("?")
            .to_owned();
        let call = Call::get(&["companies"])
            .query_opt("company_id", lookup.company_id.as_deref())
            .query_opt("name", lookup.name.as_deref())
            .query_opt("tag_id", lookup.tag_id.as_deref())
            .query_opt("segment_id", lookup.segment_id.as_deref())
            .query_opt("page", page)
            .query_opt("per_page", per_page)
            .resource("company", &described);
        let value = self.execute(call).await?;
        if value.get("type").and_then(|t| t.as_str()) == Some("company") {
            let company: Company = crate::pagination::parse_single(value)?;
            return Ok(Page {
                items: vec![company],
                total_count: Some(1),
                ..Page::default()
            });
        }
        crate::pagination::parse_page(value, "data")
    }

    /// The company named by its Intercom id, your `company_id`, or its exact name, tried
    /// in that order; `None` when none matches.
    pub async fn find_company(&self, needle: &str) -> Result<Option<Company>> {
        let needle = needle.trim();
        if needle.is_empty() {
            return Ok(None);
        }
        // A name such as "Acme / EU" is not an id: skip the lookup by id for it.
        if let Ok(id) = Id::new(needle) {
            match self.get_company(&id).await {
                Ok(company) => return Ok(Some(company)),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(company) = self.find_company_by_company_id(needle).await? {
            return Ok(Some(company));
        }
        let by_name = CompanyLookup {
            name: Some(needle.to_owned()),
            ..CompanyLookup::default()
        };
        match self.find_companies(&by_name, None, Some(1)).await {
            Ok(page) => Ok(page.items.into_iter().next()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The company with your `company_id`, or `None` when Intercom has none.
    pub async fn find_company_by_company_id(&self, company_id: &str) -> Result<Option<Company>> {
        self.find_one_company(CompanyLookup {
            company_id: Some(company_id.to_owned()),
            ..CompanyLookup::default()
        })
        .await
    }

    /// The company with this exact name, or `None`.
    pub async fn find_company_by_name(&self, name: &str) -> Result<Option<Company>> {
        self.find_one_company(CompanyLookup {
            name: Some(name.to_owned()),
            ..CompanyLookup::default()
        })
        .await
    }

    /// First match of a lookup; a 404 means "none".
    async fn find_one_company(&self, lookup: CompanyLookup) -> Result<Option<Company>> {
        match self.find_companies(&lookup, None, None).await {
            Ok(page) => Ok(page.items.into_iter().next()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /companies`: creates or updates the company keyed on `company_id` (upsert, so safe
    /// to repeat when `company_id` is set).
    pub async fn upsert_company(&self, company: &CompanyInput) -> Result<Company> {
        let mut call = Call::post(&["companies"]).body(company);
        if company.company_id.is_some() {
            call = call.idempotent();
        }
        self.call(call).await
    }

    /// `PUT /companies/{id}` (Intercom id).
    pub async fn update_company(&self, id: &Id, update: &CompanyInput) -> Result<Company> {
        self.call(
            Call::put(&["companies", id.as_str()])
                .body(update)
                .resource("company", id),
        )
        .await
    }

    /// `DELETE /companies/{id}`.
    pub async fn delete_company(&self, id: &Id) -> Result<Deleted> {
        self.call(Call::delete(&["companies", id.as_str()]).resource("company", id))
            .await
    }

    /// `GET /companies/{id}/contacts?page=&per_page=`: one page of the company's contacts.
    pub async fn list_company_contacts(
        &self,
        id: &Id,
        page: Option<u32>,
        per_page: Option<u32>,
    ) -> Result<Page<Contact>> {
        let call = Call::get(&["companies", id.as_str(), "contacts"])
            .query_opt("page", page)
            .query_opt("per_page", per_page)
            .resource("company", id);
        self.fetch_page(call, "data").await
    }

    /// All contacts of a company by page number, at most `cap` items.
    pub fn list_company_contacts_stream(
        &self,
        id: &Id,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<Contact>> + Send + 'static {
        let id = id.to_owned();
        self.page_number_stream(
            move |page| {
                Call::get(&["companies", &id, "contacts"])
                    .query("page", page)
                    .query_opt("per_page", per_page)
                    .resource("company", &id)
            },
            "data",
            cap,
        )
    }

    /// `GET /companies/{id}/segments`.
    pub async fn list_company_segments(&self, id: &Id) -> Result<Page<Segment>> {
        let call = Call::get(&["companies", id.as_str(), "segments"]).resource("company", id);
        self.fetch_list(call, "data").await
    }

    /// `GET /companies/{id}/notes`.
    pub async fn list_company_notes(&self, id: &Id) -> Result<Page<Note>> {
        let call = Call::get(&["companies", id.as_str(), "notes"]).resource("company", id);
        self.fetch_page(call, "data").await
    }

    /// `GET /companies/scroll?scroll_param=`: one scroll page; `next_cursor` is the scroll param
    /// for the next call (`None` at the end). Only one scroll per app may be open at a time.
    pub async fn scroll_companies_page(&self, scroll_param: Option<&str>) -> Result<Page<Company>> {
        let call = Call::get(&["companies", "scroll"]).query_opt("scroll_param", scroll_param);
        self.fetch_page(call, "data").await
    }

    /// Every company through the scroll API (ends on an empty page), at most `cap` items.
    pub fn scroll_companies(
        &self,
        cap: usize,
    ) -> impl Stream<Item = Result<Company>> + Send + 'static {
        let first = Call::get(&["companies", "scroll"]);
        self.paged_stream(
            first,
            "data",
            Box::new(|page: &Page<Company>| {
                page.next_cursor
                    .as_deref()
                    .map(|p| Call::get(&["companies", "scroll"]).query("scroll_param", p))
            }),
            cap,
        )
    }
}
