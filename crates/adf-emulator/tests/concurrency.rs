//! The store under concurrent clients: reads run on read-only connections beside the writer,
//! and still see every write acknowledged before they started; lists page by position, so a
//! page stays right when the collection changes between pages; one emulator per data directory.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{ADF, Emu};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

fn pipeline(description: &str) -> Value {
    json!({"properties": {"description": description, "activities": []}})
}

/// Every name of a list, following `nextLink` to its end.
async fn list_names(emu: &Emu, collection: &str) -> Vec<String> {
    let mut uri = format!("{collection}?{ADF}");
    let mut names = Vec::new();
    loop {
        let page = emu.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for item in page.body["value"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page.body["nextLink"].as_str() {
            Some(next) => uri = next.trim_start_matches("http://127.0.0.1:4000").to_owned(),
            None => return names,
        }
    }
}

/// Writers PUT pipelines while readers walk the list: each writer reads its own write back at
/// once (GET and list), every walk sees no duplicate, and the final list holds every write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_readers_see_every_acknowledged_write() {
    let emu = Arc::new(Emu::with(|c| c.page_size = 7));
    let factory = emu.factory("rg", "fac").await;
    let pipelines = format!("{factory}/pipelines");
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..6 {
        let emu = emu.clone();
        let pipelines = pipelines.clone();
        tasks.spawn(async move {
            for i in 0..8 {
                let name = format!("w{writer}p{i}");
                let uri = format!("{pipelines}/{name}?{ADF}");
                let put = emu.put(&uri, pipeline(&format!("v{i}"))).await;
                assert_eq!(put.status, StatusCode::OK, "{}", put.text);
                let get = emu.get(&uri).await;
                assert_eq!(get.status, StatusCode::OK, "{name}: {}", get.text);
                assert_eq!(get.body["etag"], put.body["etag"], "{name}");
                assert!(
                    list_names(&emu, &pipelines).await.contains(&name),
                    "{name} is missing from the list right after its PUT"
                );
            }
        });
    }
    for _ in 0..6 {
        let emu = emu.clone();
        let pipelines = pipelines.clone();
        tasks.spawn(async move {
            for _ in 0..8 {
                let names = list_names(&emu, &pipelines).await;
                let unique: HashSet<_> = names.iter().collect();
                assert_eq!(unique.len(), names.len(), "a duplicate in {names:?}");
            }
        });
    }
    while let Some(task) = tasks.join_next().await {
        task.unwrap();
    }
    let names = list_names(&emu, &pipelines).await;
    assert_eq!(names.len(), 48, "{names:?}");
}

/// A `nextLink` continues after the last item it returned: deleting an item of a page already
/// read does not shift the next page (an offset would skip an item), and items created
/// meanwhile come at the end.
#[tokio::test]
async fn a_next_link_continues_after_its_page_when_the_list_changes() {
    let emu = Emu::with(|c| c.page_size = 2);
    let factory = emu.factory("rg", "fac").await;
    for i in 0..5 {
        let put = emu
            .put(&format!("{factory}/pipelines/p{i}?{ADF}"), pipeline(""))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    }
    let first = emu.get(&format!("{factory}/pipelines?{ADF}")).await;
    let names: Vec<&str> = first.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["p0", "p1"]);
    let deleted = emu.delete(&format!("{factory}/pipelines/p0?{ADF}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    let put = emu
        .put(&format!("{factory}/pipelines/p5?{ADF}"), pipeline(""))
        .await;
    assert_eq!(put.status, StatusCode::OK);
    let mut uri = first.body["nextLink"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:4000")
        .to_owned();
    let mut rest = Vec::new();
    loop {
        let page = emu.get(&uri).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for item in page.body["value"].as_array().unwrap() {
            rest.push(item["name"].as_str().unwrap().to_owned());
        }
        match page.body["nextLink"].as_str() {
            Some(next) => uri = next.trim_start_matches("http://127.0.0.1:4000").to_owned(),
            None => break,
        }
    }
    assert_eq!(rest, ["p2", "p3", "p4", "p5"]);
    // An update keeps the item's place in the list.
    let put = emu
        .put(
            &format!("{factory}/pipelines/p2?{ADF}"),
            pipeline("changed"),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(
        list_names(&emu, &format!("{factory}/pipelines")).await,
        ["p1", "p2", "p3", "p4", "p5"]
    );
}

/// A read of a group whose deletion is due completes the deletion (the writer does it), as
/// before reads had their own connections.
#[tokio::test]
async fn a_read_completes_a_due_group_deletion() {
    let emu = Emu::with(|c| c.delete_delay = std::time::Duration::ZERO);
    emu.factory("rg", "fac").await;
    let deleted = emu.delete(&common::group_uri("rg")).await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.text);
    let group = emu.get(&common::group_uri("rg")).await;
    assert_eq!(group.status, StatusCode::NOT_FOUND, "{}", group.text);
    let factory = emu
        .get(&format!("{}?{ADF}", common::factory_path("rg", "fac")))
        .await;
    assert_eq!(factory.status, StatusCode::NOT_FOUND, "{}", factory.text);
}

/// The data directory stays exclusive with reader connections open: a second emulator is
/// refused (naming the holder's pid) while the first keeps serving reads and writes, and the
/// directory is free again, with its data, once the first closes.
#[tokio::test]
async fn a_second_emulator_is_refused_while_the_first_serves() {
    let emu = Emu::new();
    let factory = emu.factory("rg", "fac").await;
    let refused = adf_emulator::EmulatorState::open(common::config(emu.dir.path())).unwrap_err();
    let message = refused.to_string();
    assert!(message.contains("in use by another emulator"), "{message}");
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    let put = emu
        .put(&format!("{factory}/pipelines/p?{ADF}"), pipeline(""))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(
        list_names(&emu, &format!("{factory}/pipelines")).await,
        ["p"]
    );
    let emu = emu.reopen_clean();
    assert_eq!(
        list_names(&emu, &format!("{factory}/pipelines")).await,
        ["p"]
    );
}
