//! Help centers and their articles.

use serde_json::{Value, json};

use super::people::{Directory, numeric};
use super::random::{DAY, Gen, HOUR, IdSequence, paragraph, slug};
use super::vocab;

/// Returns `(help_centers, articles)`.
pub fn generate(
    rng: &mut Gen,
    app_id: &str,
    count: usize,
    directory: &Directory,
) -> (Vec<Value>, Vec<Value>) {
    let now = rng.now;
    let mut center_ids = IdSequence::starting_at(rng.between(90, 300));
    let centers = [
        (
            "lumen",
            "Lumen Help Center",
            vocab::HELP_CENTER_HOST.to_string(),
            true,
        ),
        (
            "lumen-developers",
            "Lumen Developer Docs",
            format!("{}/developers", vocab::HELP_CENTER_HOST),
            false,
        ),
    ];
    let help_centers: Vec<Value> = centers
        .iter()
        .enumerate()
        .map(|(offset, (identifier, display_name, url, default))| {
            let created_at = now - (700 - 200 * offset as i64) * DAY;
            json!({
                "id": center_ids.take(rng, 3).to_string(),
                "workspace_id": app_id,
                "created_at": created_at,
                "updated_at": now - rng.between(1, 30) * DAY,
                "identifier": identifier,
                "website_turned_on": *default || rng.chance(0.5),
                "display_name": display_name,
                "url": url,
                "custom_domain": default.then(|| vocab::HELP_CENTER_HOST.trim_start_matches("https://")),
                "default": default,
                "locales": if *default { json!(["en", "fr", "de"]) } else { json!(["en"]) },
            })
        })
        .collect();

    let mut article_ids = IdSequence::starting_at(rng.between(6_800_000, 6_900_000));
    let mut articles = Vec::with_capacity(count);
    for index in 0..count {
        let (base_title, description, paragraphs) = vocab::ARTICLES[index % vocab::ARTICLES.len()];
        // Beyond the base list, articles become localized or advanced variants.
        let title = match index / vocab::ARTICLES.len() {
            0 => base_title.to_string(),
            1 => format!("{base_title} (advanced)"),
            round => format!("{base_title} (part {round})"),
        };
        let id = article_ids.take(rng, 5).to_string();
        let author = rng.index(directory.admins.len());
        let author_id = numeric(&directory.admins[author].id);
        let created_at = now - rng.between(20, 600) * DAY;
        let updated_at = (created_at + rng.between(0, 200) * DAY).min(now - HOUR);
        // Every fifth article is still a draft.
        let published = index % 5 != 3;
        let body: String = paragraphs.iter().map(|text| paragraph(text)).collect();
        let markdown = format!("# {title}\n\n{}\n", paragraphs.join("\n\n"));
        let views = if published { rng.between(20, 5_000) } else { 0 };
        let reactions = views / rng.between(8, 20);
        let happy = if reactions > 0 {
            rng.between(40, 90)
        } else {
            0
        };
        let neutral = if reactions > 0 {
            rng.between(0, 100 - happy)
        } else {
            0
        };
        let sad = if reactions > 0 {
            100 - happy - neutral
        } else {
            0
        };
        let fin_involvements = views / rng.between(4, 12);
        let fin_resolutions = fin_involvements * rng.between(40, 90) / 100;
        let help_center = if index % 4 == 3 && title.contains("API") {
            1
        } else {
            0
        };
        let url = published.then(|| {
            let base = help_centers[help_center]["url"]
                .as_str()
                .unwrap_or_default();
            format!("{base}/en/articles/{id}-{}", slug(&title))
        });
        articles.push(json!({
            "type": "article",
            "id": id,
            "workspace_id": app_id,
            "title": title,
            "description": description,
            "body": body,
            "body_markdown": markdown,
            "author_id": author_id,
            "state": if published { "published" } else { "draft" },
            "created_at": created_at,
            "updated_at": updated_at,
            "has_unpublished_changes": !published || rng.chance(0.1),
            "draft_updated_at": null,
            "url": url,
            "parent_ids": [],
            "ai_chatbot_availability": published,
            "ai_copilot_availability": true,
            "ai_sales_agent_availability": false,
            "created_by_id": author_id,
            "updated_by_id": author_id,
            "exclude_from_article_suggestions": false,
            "help_center_audience": "everyone",
            "scheduled_publish_at": null,
            "scheduled_unpublish_at": null,
            "default_locale": "en",
            "statistics": {
                "type": "article_statistics",
                "views": views,
                "conversions": views / 50,
                "reactions": reactions,
                "happy_reaction_percentage": happy as f64,
                "neutral_reaction_percentage": neutral as f64,
                "sad_reaction_percentage": sad as f64,
                "fin_involvements": fin_involvements,
                "fin_resolutions": fin_resolutions,
                "fin_resolution_rate": if fin_involvements > 0 { (fin_resolutions * 1000 / fin_involvements) as f64 / 10.0 } else { 0.0 },
            },
            "tags": { "type": "tag.list", "tags": [] },
        }));
    }
    (help_centers, articles)
}
