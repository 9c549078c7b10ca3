//! The examples in docs/expressions.md are exercised here, so the page cannot go stale.

mod common;

use serde_json::Value;

fn page() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/expressions.md");
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The lines of each ```text block.
fn text_blocks(page: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in page.lines() {
        match (&mut current, line.trim()) {
            (None, "```text") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), _) => block.push(line.to_string()),
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn evaluation_examples_give_the_documented_results() {
    let page = page();
    let mut checked = 0;
    for line in text_blocks(&page)
        .iter()
        .flatten()
        .filter(|line| line.starts_with('@'))
    {
        // "EXPRESSION   RESULT": the result is after the last run of two or more spaces.
        let split = line
            .rfind("  ")
            .unwrap_or_else(|| panic!("no result in {line:?}"));
        let (text, expected) = (line[..split].trim_end(), line[split..].trim());
        let actual = common::eval(text).unwrap_or_else(|error| panic!("{error}"));
        let actual = match actual {
            Value::String(text) => text,
            other => other.to_string(),
        };
        assert_eq!(actual, expected, "{text}");
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} examples found");
}

#[test]
fn error_examples_are_the_real_messages() {
    let page = page();
    let mut checked = 0;
    for line in text_blocks(&page)
        .iter()
        .flatten()
        .filter(|line| line.starts_with("in \""))
    {
        let end = line
            .find("\": ")
            .unwrap_or_else(|| panic!("no expression in {line:?}"));
        let text = &line[4..end];
        let error = common::eval(text).expect_err(text);
        assert_eq!(error.to_string(), *line);
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} examples found");
}

#[test]
fn escaping_table_holds() {
    for (text, expected) in [
        ("@@", "@"),
        ("@@concat('a')", "@concat('a')"),
        ("Answer: @@{x}", "Answer: @{x}"),
        (" @x", " @x"),
        ("user@example.com", "user@example.com"),
        ("@concat('it''s')", "it's"),
    ] {
        assert_eq!(
            common::eval(text).unwrap_or_else(|error| panic!("{error}")),
            Value::from(expected),
            "{text}"
        );
    }
    assert_eq!(
        common::eval("@formatDateTime('3/15/2018 1:00 PM')")
            .unwrap_or_else(|error| panic!("{error}")),
        Value::from("2018-03-15T13:00:00.0000000Z")
    );
}
