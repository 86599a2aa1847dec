//! The objects a piece of work wrote: [`recording_writes`] runs a future and returns,
//! beside its output, every object that a write call of the client made inside it
//! touched (`PUT /tickets/42` → ticket 42; `POST /conversations` → the new conversation).
//! A local mirror uses it to read its own writes: what a tool changed is refreshed before
//! the tool's answer returns. Calls made outside a recording note nothing.

use std::future::Future;
use std::sync::Mutex;

use serde_json::Value;

/// An object a write touched: its collection (`conversations`, `tickets`, `contacts`,
/// `companies`, …, the first segment of the path) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Written {
    pub collection: String,
    pub id: String,
}

tokio::task_local! {
    static WRITES: Mutex<Vec<Written>>;
}

/// Runs `work`, noting every object the client's write calls touched inside it (in the
/// same task), each once, in the order first written.
pub async fn recording_writes<F: Future>(work: F) -> (F::Output, Vec<Written>) {
    WRITES
        .scope(Mutex::new(Vec::new()), async move {
            let output = work.await;
            let written =
                WRITES.with(|w| std::mem::take(&mut *w.lock().unwrap_or_else(|e| e.into_inner())));
            (output, written)
        })
        .await
}

/// Notes the object of a write Intercom accepted: the path's first segment and the id
/// after it, or, for a create (`POST /conversations`), the id Intercom's answer names.
pub(crate) fn note(segments: &[String], answer: &Value) {
    let Some(collection) = segments.first() else {
        return;
    };
    let id = segments.get(1).cloned().or_else(|| {
        ["conversation_id", "id"]
            .iter()
            .find_map(|key| answer.get(*key).and_then(intercom_core::ids::id_text))
    });
    let Some(id) = id.filter(|id| !id.trim().is_empty() && id != "search") else {
        return;
    };
    let written = Written {
        collection: collection.clone(),
        id,
    };
    let _ = WRITES.try_with(|w| {
        let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
        if !w.contains(&written) {
            w.push(written);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segs(path: &str) -> Vec<String> {
        path.split('/').map(str::to_owned).collect()
    }

    #[tokio::test]
    async fn notes_path_ids_and_created_ids_once_and_only_inside_a_recording() {
        note(&segs("tickets/1"), &json!({}));
        let ((), written) = recording_writes(async {
            note(&segs("tickets/42"), &json!({"id": "42"}));
            note(&segs("tickets/42/reply"), &json!({}));
            note(
                &segs("conversations"),
                &json!({"type": "user_message", "conversation_id": 7}),
            );
            note(&segs("tags"), &json!({"type": "tag"}));
        })
        .await;
        let got: Vec<(String, String)> =
            written.into_iter().map(|w| (w.collection, w.id)).collect();
        assert_eq!(
            got,
            vec![
                ("tickets".to_owned(), "42".to_owned()),
                ("conversations".to_owned(), "7".to_owned()),
            ]
        );
    }
}
