//! WebActivity and WebHook through the real binary: a spec applied to a real emulator process,
//! run with `adfctl run`, calling a small HTTP server this test starts on a free port (and
//! which calls the WebHook back, as a real endpoint would).

use crate::support::{EmulatorProcess, http_request, text};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request the server received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server with canned answers by path, recording what it receives.
struct Server {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Server { url, received }
    }

    fn received(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .expect("log")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn serve(mut stream: TcpStream, log: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let request = Received {
        method,
        path: path.split('?').next().unwrap_or_default().to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    log.lock().expect("log").push(request.clone());
    let route = path.split('?').next().unwrap_or_default();
    let (status, content_type, answer) = match route {
        "/api/items" => (
            "201 Created",
            "application/json",
            json!({"id": 42, "echo": serde_json::from_str::<Value>(&request.body).unwrap_or(Value::Null)}).to_string(),
        ),
        "/text" => ("200 OK", "text/plain", "plain words".to_string()),
        "/missing" => (
            "404 Not Found",
            "application/json",
            json!({"error": {"code": "NotFound", "message": "no such item"}}).to_string(),
        ),
        "/hook" | "/hook-failing" => {
            let callback = serde_json::from_str::<Value>(&request.body)
                .ok()
                .and_then(|b| b["callBackUri"].as_str().map(str::to_owned));
            let payload = if route == "/hook" {
                json!({"result": "done"})
            } else {
                json!({"StatusCode": "500", "Error": {"ErrorCode": "JobFailed", "Message": "the job failed"}})
            };
            if let Some(callback) = callback {
                // Call back after answering, as a long-running job would.
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    http_request("POST", &callback, Some(&payload));
                });
            }
            ("202 Accepted", "application/json", "{}".to_string())
        }
        _ => ("404 Not Found", "text/plain", String::new()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nX-Server: e2e\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

fn spec(server: &str) -> String {
    let pipelines = json!({
        "webCalls": {"activities": [
            {"name": "create", "type": "WebActivity", "typeProperties": {
                "method": "POST", "url": format!("{server}/api/items"),
                "headers": {"X-Test": "@{pipeline().parameters.tag}", "Content-Type": "application/json"},
                "body": {"name": "@pipeline().parameters.tag"},
                "authentication": {"type": "Basic", "username": "user", "password": {"secretFromEnv": "WEB_PASSWORD"}}}},
            {"name": "read", "type": "WebActivity", "dependsOn": [{"activity": "create", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"method": "GET", "url": format!("{server}/text?sig=secret")}},
            {"name": "remember", "type": "SetVariable", "dependsOn": [{"activity": "read", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"variableName": "id", "value": "@{activity('create').output.id}/@{activity('read').output.Response}"}},
            {"name": "wait for job", "type": "WebHook", "dependsOn": [{"activity": "remember", "dependencyConditions": ["Succeeded"]}],
             "typeProperties": {"method": "POST", "url": format!("{server}/hook"), "body": {"job": "@variables('id')"}, "timeout": "00:01:00"}}
        ],
        "parameters": {"tag": {"type": "String", "defaultValue": "blue"}},
        "variables": {"id": {"type": "String"}}},
        "webFailures": {"activities": [
            {"name": "missing", "type": "WebActivity", "typeProperties": {"method": "GET", "url": format!("{server}/missing")}},
            {"name": "failing job", "type": "WebHook", "typeProperties": {
                "method": "POST", "url": format!("{server}/hook-failing"), "body": {}, "reportStatusOnCallBack": true, "timeout": "00:01:00"}},
            {"name": "certificate", "type": "WebActivity", "typeProperties": {
                "method": "GET", "url": format!("{server}/text"), "authentication": {"type": "ClientCertificate", "pfx": "x"}}}
        ]}
    });
    format!(
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {{name: webRG, location: eastus, managed: true}}\nfactory: {{name: webDF, location: eastus}}\npipelines: {pipelines}\n"
    )
}

const ENV: &[(&str, &str)] = &[("WEB_PASSWORD", "p4ss"), ("NO_COLOR", "1")];

fn run_json(emulator: &EmulatorProcess, file: &str, pipeline: &str) -> Value {
    let output = emulator.adfctl(&["run", "-f", file, pipeline, "--format", "json"], ENV);
    let (stdout, stderr) = text(&output);
    serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("stdout:\n{stdout}\nstderr:\n{stderr}"))
}

fn activity<'a>(document: &'a Value, name: &str) -> &'a Value {
    document["activityRuns"]
        .as_array()
        .and_then(|runs| runs.iter().find(|a| a["activityName"] == name))
        .unwrap_or_else(|| panic!("no activity {name} in {document:#}"))
}

#[test]
fn web_and_webhook_activities_call_a_real_endpoint() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, spec(&server.url)).expect("write spec");
    let file = file.display().to_string();
    let emulator = EmulatorProcess::start(&[]);
    let output = emulator.adfctl(&["apply", "-f", &file, "--auto-approve"], ENV);
    assert!(output.status.success(), "{:?}", text(&output));

    let document = run_json(&emulator, &file, "webCalls");
    assert_eq!(document["run"]["status"], "Succeeded", "{document:#}");
    // The request: method, headers (expressions evaluated), JSON body, basic authentication.
    let created = server.received("/api/items");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].method, "POST");
    assert_eq!(created[0].header("X-Test"), Some("blue"));
    assert_eq!(
        created[0].header("Authorization"),
        Some("Basic dXNlcjpwNHNz")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&created[0].body).expect("json body"),
        json!({"name": "blue"})
    );
    // The output: the JSON response with its headers, or the text as Response.
    let create = activity(&document, "create");
    assert_eq!(create["output"]["id"], 42);
    assert_eq!(create["output"]["echo"], json!({"name": "blue"}));
    assert_eq!(
        create["output"]["ADFWebActivityResponseHeaders"]["x-server"],
        "e2e"
    );
    assert_eq!(
        activity(&document, "read")["output"]["Response"],
        "plain words"
    );
    assert_eq!(
        activity(&document, "remember")["output"]["value"],
        "42/plain words"
    );
    // The password never reaches the recorded input.
    assert!(!document.to_string().contains("p4ss"), "{document:#}");
    // The WebHook: callBackUri in the body, output from the callback.
    let hook = server.received("/hook");
    assert_eq!(hook.len(), 1);
    let body: Value = serde_json::from_str(&hook[0].body).expect("json body");
    assert_eq!(body["job"], "42/plain words");
    let callback = body["callBackUri"].as_str().expect("callBackUri");
    assert!(
        callback.starts_with(&format!("{}/_emulator/webhooks/", emulator.endpoint)),
        "{callback}"
    );
    assert_eq!(
        activity(&document, "wait for job")["output"]["result"],
        "done"
    );
    // The callback was consumed: a second call finds nothing waiting.
    assert_eq!(http_request("POST", callback, Some(&json!({}))).0, 404);

    let document = run_json(&emulator, &file, "webFailures");
    assert_eq!(document["run"]["status"], "Failed", "{document:#}");
    let missing = activity(&document, "missing");
    assert_eq!(missing["status"], "Failed");
    assert_eq!(missing["error"]["errorCode"], "2108");
    assert!(
        missing["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no such item")),
        "{missing:#}"
    );
    let failing = activity(&document, "failing job");
    assert_eq!(failing["error"]["errorCode"], "JobFailed", "{failing:#}");
    assert_eq!(failing["error"]["message"], "the job failed");
    let certificate = activity(&document, "certificate");
    assert_eq!(
        certificate["error"]["message"],
        "not supported by the emulator: authentication ClientCertificate"
    );
}
