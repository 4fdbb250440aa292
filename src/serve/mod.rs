//! A self-hosted HTTP/1.1 JSON service: a Perspective-compatible `comments:analyze` endpoint,
//! moderato's own scoring endpoint, health and model information. Built on axum and tokio.

pub mod perspective;

use crate::io::{Comment, JsonlSink, ScoreSink};
use crate::model::{Model, ScoreScratch};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use perspective::{
    AnalyzeRequest, AnalyzeResponse, AttributeMap, AttributeScores, Score, SpanScore,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest comment accepted, in characters.
    pub max_comment_chars: usize,
    /// Most comments in one `/v1/score` request.
    pub max_batch: usize,
    /// Perspective attribute → model label.
    pub attributes: AttributeMap,
}

struct AppState {
    model: Model,
    labels: Vec<String>,
    config: ServeConfig,
    model_info: String,
}

thread_local! {
    // One scratch per server thread; a process serves one model, so caches stay valid.
    static SCRATCH: RefCell<ScoreScratch> = RefCell::new(ScoreScratch::default());
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Perspective's error shape: `{"error": {"code": 400, "message": ..., "status": "INVALID_ARGUMENT"}}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let kind = match status {
        StatusCode::BAD_REQUEST => "INVALID_ARGUMENT",
        StatusCode::PAYLOAD_TOO_LARGE => "OUT_OF_RANGE",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        _ => "INTERNAL",
    };
    let body = serde_json::json!({"error": {"code": status.as_u16(), "message": message.into(), "status": kind}});
    json(status, body.to_string())
}

/// The service's routes over a model.
pub fn router(model: Model, config: ServeConfig) -> Router {
    let labels: Vec<String> = model.label_names().into_iter().map(String::from).collect();
    let thresholds: BTreeMap<&str, serde_json::Value> = model
        .labels()
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                serde_json::json!({"review": l.thresholds.review, "block": l.thresholds.block}),
            )
        })
        .collect();
    let model_info = serde_json::json!({
        "labels": labels,
        "thresholds": thresholds,
        "attributes": config.attributes.0,
        "card": model.card_json(),
    })
    .to_string();
    let limit = config.max_body_bytes;
    let state = Arc::new(AppState {
        model,
        labels,
        config,
        model_info,
    });
    Router::new()
        .route("/v1alpha1/comments:analyze", post(analyze))
        .route("/v1/score", post(score))
        .route("/v1/model", get(model_endpoint))
        .route(
            "/healthz",
            get(|| async { json(StatusCode::OK, r#"{"status":"ok"}"#.to_string()) }),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight. `ready` is told the
/// bound address (useful with port 0).
pub async fn serve(
    model: Model,
    config: ServeConfig,
    bind: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, router(model, config))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn model_endpoint(State(state): State<Arc<AppState>>) -> Response {
    json(StatusCode::OK, state.model_info.clone())
}

/// The error message when a comment is over the length limit.
fn too_long(state: &AppState, text: &str) -> Option<String> {
    let n = text.chars().count();
    let limit = state.config.max_comment_chars;
    (n > limit).then(|| format!("Comment text too long: {n} characters; the limit is {limit}."))
}

async fn analyze(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let request: AnalyzeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Invalid JSON payload: {e}"),
            )
        }
    };
    if request.requested_attributes.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "requestedAttributes must name at least one attribute.",
        );
    }
    if let Some(m) = too_long(&state, &request.comment.text) {
        return error(StatusCode::BAD_REQUEST, m);
    }
    let mut wanted = Vec::new();
    for attribute in request.requested_attributes.keys() {
        match state.config.attributes.label(attribute) {
            Some(label) => wanted.push((
                attribute.clone(),
                state.model.label_index(label).unwrap_or(0),
            )),
            None => {
                let known: Vec<&String> = state.config.attributes.0.keys().collect();
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Attribute {attribute} does not exist or is not supported by this model. Supported attributes: {}.",
                        known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
    let text = request.comment.text;
    let spans = request.span_annotations;
    let state2 = state.clone();
    let scored = tokio::task::spawn_blocking(move || {
        SCRATCH.with(|s| {
            let mut scratch = s.borrow_mut();
            let mut whole = Vec::new();
            state2.model.probabilities(&text, &mut scratch, &mut whole);
            let mut sentences = Vec::new();
            if spans {
                let chars: Vec<char> = text.chars().collect();
                for (b, e) in perspective::sentence_spans(&text) {
                    let sentence: String = chars[b..e].iter().collect();
                    let mut p = Vec::new();
                    state2.model.probabilities(&sentence, &mut scratch, &mut p);
                    sentences.push((b, e, p));
                }
            }
            (whole, sentences)
        })
    })
    .await;
    let Ok((whole, sentences)) = scored else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "scoring failed");
    };
    let mut attribute_scores = BTreeMap::new();
    for (attribute, li) in wanted {
        let span_scores = sentences
            .iter()
            .map(|(b, e, p)| SpanScore {
                begin: *b,
                end: *e,
                score: Score::probability(p[li]),
            })
            .collect();
        attribute_scores.insert(
            attribute,
            AttributeScores {
                span_scores,
                summary_score: Score::probability(whole[li]),
            },
        );
    }
    let languages = if request.languages.is_empty() {
        let langs = &state.model.card().analyzer.languages;
        langs.iter().take(1).map(|l| l.code().to_string()).collect()
    } else {
        request.languages
    };
    let response = AnalyzeResponse {
        attribute_scores,
        languages,
        client_token: request.client_token,
    };
    json(
        StatusCode::OK,
        serde_json::to_string(&response).unwrap_or_default(),
    )
}

/// One comment of `/v1/score`: the fields of a JSON Lines input row.
fn comment_of(value: &serde_json::Value, index: usize) -> Result<Comment, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| format!("comment {index} is not a JSON object"))?;
    let text = match obj.get("text") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(format!("comment {index}: field 'text' is not a string")),
        None => return Err(format!("comment {index}: missing field 'text'")),
    };
    let field = |name: &str| -> Result<Option<String>, String> {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(format!(
                "comment {index}: field '{name}' is not a string or number"
            )),
        }
    };
    Ok(Comment {
        id: field("id")?.unwrap_or_else(|| (index + 1).to_string()),
        text,
        line: index as u64 + 1,
        thread: field("thread")?,
        parent: field("parent")?,
        author: field("author")?,
    })
}

async fn score(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Invalid JSON payload: {e}"),
            )
        }
    };
    let (items, batch) = match value {
        serde_json::Value::Array(items) => (items, true),
        serde_json::Value::Object(ref o) if o.get("comments").is_some_and(|c| c.is_array()) => {
            (o["comments"].as_array().cloned().unwrap_or_default(), true)
        }
        serde_json::Value::Object(_) => (vec![value], false),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "expected a comment object, an array of them, or {\"comments\": [...]}",
            )
        }
    };
    if items.len() > state.config.max_batch {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "{} comments in one request; the limit is {}",
                items.len(),
                state.config.max_batch
            ),
        );
    }
    let mut comments = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match comment_of(item, i) {
            Ok(c) => {
                if let Some(m) = too_long(&state, &c.text) {
                    return error(StatusCode::BAD_REQUEST, m);
                }
                comments.push(c)
            }
            Err(m) => return error(StatusCode::BAD_REQUEST, m),
        }
    }
    let state2 = state.clone();
    let rows = tokio::task::spawn_blocking(move || {
        SCRATCH.with(|s| {
            let mut scratch = s.borrow_mut();
            let mut sink = JsonlSink::new(Vec::new(), state2.labels.clone());
            for c in &comments {
                let scored = state2.model.score(&c.text, &mut scratch, 5);
                sink.write(c, &scored)?;
            }
            sink.finish()?;
            Ok::<Vec<u8>, crate::Error>(sink.into_inner())
        })
    })
    .await;
    let bytes = match rows {
        Ok(Ok(b)) => b,
        _ => return error(StatusCode::INTERNAL_SERVER_ERROR, "scoring failed"),
    };
    let text = String::from_utf8(bytes).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let body = if batch {
        format!("[{}]", lines.join(","))
    } else {
        lines.first().copied().unwrap_or("{}").to_string()
    };
    json(StatusCode::OK, body)
}
