//! End-to-end tests of `moderato serve` over real HTTP on an ephemeral port: Perspective
//! request and response shapes, batch scoring, every error case, shutdown.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn model() -> &'static str {
    common::trained_model()
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_moderato"))
            .args([
                "serve",
                "--model",
                model(),
                "--bind",
                "127.0.0.1:0",
                "--threads",
                "2",
            ])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        Server { child, addr }
    }

    /// Sends one request and returns (status, body).
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status: u16 = out.split(' ').nth(1).unwrap().parse().unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, body)
    }

    fn json(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let (status, text) = self.request(method, path, body);
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn perspective_request_and_response_shapes() {
    let s = Server::start(&[]);
    let (status, v) = s.json(
        "POST",
        "/v1alpha1/comments:analyze",
        r#"{"comment": {"text": "You are a stupid idiot. Have a nice day!"}, "requestedAttributes": {"TOXICITY": {}}, "languages": ["en"], "spanAnnotations": true, "doNotStore": true}"#,
    );
    assert_eq!(status, 200, "{v}");
    let t = &v["attributeScores"]["TOXICITY"];
    assert_eq!(t["summaryScore"]["type"], "PROBABILITY");
    let p = t["summaryScore"]["value"].as_f64().unwrap();
    assert!(p > 0.5 && p <= 1.0, "{v}");
    let spans = t["spanScores"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    assert_eq!(
        (spans[0]["begin"].as_u64(), spans[0]["end"].as_u64()),
        (Some(0), Some(23))
    );
    assert!(
        spans[0]["score"]["value"].as_f64().unwrap() > spans[1]["score"]["value"].as_f64().unwrap()
    );
    assert_eq!(v["languages"][0], "en");

    // Without spanAnnotations there are no span scores.
    let (_, v) = s.json(
        "POST",
        "/v1alpha1/comments:analyze",
        r#"{"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}, "SPAM": {}}}"#,
    );
    assert!(v["attributeScores"]["TOXICITY"].get("spanScores").is_none());
    assert!(v["attributeScores"]["SPAM"]["summaryScore"]["value"]
        .as_f64()
        .is_some());
}

#[test]
fn error_cases_answer_400_with_a_message() {
    let s = Server::start(&[
        "--max-comment-chars",
        "50",
        "--max-body-bytes",
        "2000",
        "--max-batch",
        "2",
    ]);
    let analyze = "/v1alpha1/comments:analyze";
    let cases = [
        (
            r#"{"comment": {"text": "hi"}, "requestedAttributes": {"FLIRTATION": {}}}"#,
            "FLIRTATION",
        ),
        (
            r#"{"comment": {"text": "hi"}, "requestedAttributes": {}}"#,
            "requestedAttributes",
        ),
        (
            r#"{"comment": {"text": 5}, "requestedAttributes": {"TOXICITY": {}}}"#,
            "Invalid JSON payload",
        ),
        (r#"{"comment": "#, "Invalid JSON payload"),
        (r#"{"requestedAttributes": {"TOXICITY": {}}}"#, "comment"),
    ];
    for (body, needle) in cases {
        let (status, v) = s.json("POST", analyze, body);
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
    let long = format!(
        r#"{{"comment": {{"text": "{}"}}, "requestedAttributes": {{"TOXICITY": {{}}}}}}"#,
        "a".repeat(60)
    );
    let (status, v) = s.json("POST", analyze, &long);
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("too long"),
        "{v}"
    );
    let (status, _) = s.request("POST", analyze, &"x".repeat(5000));
    assert_eq!(status, 413, "body over the limit");
    let (status, v) = s.json(
        "POST",
        "/v1/score",
        r#"[{"text": "a"}, {"text": "b"}, {"text": "c"}]"#,
    );
    assert_eq!(status, 400, "{v}");
    let (status, v) = s.json("POST", "/v1/score", r#"[{"id": [1], "text": "a"}]"#);
    assert_eq!(status, 400, "{v}");
    let (status, _) = s.json("GET", "/nowhere", "");
    assert_eq!(status, 404);
    // The server is still healthy after all of that.
    assert_eq!(s.json("GET", "/healthz", "").0, 200);
}

#[test]
fn score_endpoint_takes_one_comment_or_a_batch() {
    let s = Server::start(&[]);
    let (status, v) = s.json(
        "POST",
        "/v1/score",
        r#"{"id": "c1", "thread": "t", "text": "you are a pathetic loser"}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["id"], "c1");
    assert_eq!(v["thread"], "t");
    assert!(v["scores"]["toxic"].as_f64().unwrap() > 0.5);
    assert!(v["flags"].as_array().unwrap().contains(&"toxic".into()));
    let (status, v) = s.json("POST", "/v1/score", r#"{"comments": [{"text": "hello there"}, {"text": "subscribe to my channel http://bit.ly/x"}]}"#);
    assert_eq!(status, 200);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], "1");
    assert!(rows[1]["decision"].as_str().is_some());
    let (status, v) = s.json("GET", "/v1/model", "");
    assert_eq!(status, 200);
    assert_eq!(v["labels"], serde_json::json!(["toxic", "spam"]));
    assert_eq!(v["attributes"]["TOXICITY"], "toxic");
    assert!(v["thresholds"]["toxic"]["review"].as_f64().is_some());
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut s = Server::start(&[]);
    assert_eq!(s.json("GET", "/healthz", "").0, 200);
    let pid = s.child.id().to_string();
    let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(ok.success());
    let status = s.child.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
    let mut rest = String::new();
    s.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut rest)
        .unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}
