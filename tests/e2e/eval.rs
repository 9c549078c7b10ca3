//! `adfctl eval`: one expression evaluated by the real binary, its output as users read it.

use assert_cmd::Command;

/// Runs `adfctl eval ARGS` with a fixed clock; returns the exit code, stdout and stderr.
fn eval(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_adfctl"))
        .arg("eval")
        .args(args)
        .args(["--now", "2026-01-31T08:00:00Z"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run adfctl eval");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A transcript: the command, its exit code, stdout and stderr.
fn transcript(args: &[&str]) -> String {
    let (code, stdout, stderr) = eval(args);
    format!(
        "$ adfctl eval {}\nexit: {code}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        args.join(" ")
    )
}

#[test]
fn values_print_as_json() {
    let cases: &[&[&str]] = &[
        &[
            "@concat('out/', pipeline().parameters.name, '_', utcNow('yyyyMMdd'), '.csv')",
            "--param",
            "name=sales",
        ],
        &["@add(pipeline().parameters.n, 1)", "--param", "n=41"],
        &[
            "@createArray(variables('v'), pipeline().globalParameters.env)",
            "--variable",
            "v=[1,2]",
            "--global",
            "env=dev",
        ],
        &[
            "@activity('Lookup').output.firstRow",
            "--activity-output",
            "Lookup={\"firstRow\":{\"id\":7,\"name\":\"a\"}}",
        ],
        &["in/@{item().name}", "--item", "{\"name\":\"a.csv\"}"],
        &["@convertFromUtc(utcNow(), 'Pacific Standard Time', 'yyyy-MM-dd HH:mm')"],
        &["@xpath(xml('<a><b>1</b><b>2</b></a>'), 'sum(/a/b)')"],
        &["plain text"],
    ];
    let all: Vec<String> = cases.iter().map(|args| transcript(args)).collect();
    insta::assert_snapshot!("eval_values", all.join("\n"));
}

#[test]
fn errors_point_at_the_position_with_a_hint() {
    let cases: &[&[&str]] = &[
        &["@concatt('a', 'b')"],
        &["@concat('a', )"],
        &["@pipeline().parameters.nam", "--param", "name=x"],
        &[
            "@activity('Copy').output.rowsCopied",
            "--activity-output",
            "Copy={\"rowsRead\":3}",
        ],
    ];
    let all: Vec<String> = cases.iter().map(|args| transcript(args)).collect();
    insta::assert_snapshot!("eval_errors", all.join("\n"));
    let (code, _, _) = eval(&["@div(1, 0)"]);
    assert_eq!(code, 1);
}
