//! The monitor page in a real browser: headless Chromium (Debian's `chromium` package) loads it
//! from an emulator that has run the quickstart (once failing, once succeeding) and the ForEach
//! example, and the DOM is checked once the page's script has run; a screenshot is kept under
//! target/ (CI keeps it as an artifact). Skips, saying so, without Chromium or Azurite.

use crate::support::{EmulatorProcess, run_bounded, text, workspace_root};
use adf_emulator::blob::{BlobAccount, BlobClient};
use adf_testkit::{Azurite, skip};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const ENV: &[(&str, &str)] = &[
    ("STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"),
    ("NO_COLOR", "1"),
];

/// Chromium on PATH, under the names Debian and others give it.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Headless Chromium with a profile of its own (runs as root in CI containers: no sandbox).
struct Browser {
    binary: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    fn command(&self, extra: &[&str], url: &str) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                // Lets the page's fetches and first draw finish before the DOM is taken.
                "--virtual-time-budget=5000",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .args(extra)
            .arg(url)
            .stdin(Stdio::null());
        run_bounded(command, Duration::from_secs(90))
    }

    /// The DOM after the page's script drew it.
    fn dom(&self, url: &str) -> String {
        let output = self.command(&["--dump-dom"], url);
        let (stdout, stderr) = text(&output);
        assert!(
            stdout.contains("data-state=\"ready\""),
            "the page did not finish drawing {url}\nDOM:\n{stdout}\nstderr:\n{stderr}"
        );
        stdout
    }

    fn screenshot(&self, url: &str, file: &Path, size: &str) {
        let shot = format!("--screenshot={}", file.display());
        let window = format!("--window-size={size}");
        let output = self.command(&[&shot, &window], url);
        let (_, stderr) = text(&output);
        assert!(file.is_file(), "no screenshot of {url}: {stderr}");
    }
}

fn upload(azurite: &Azurite, container: &str, blob: &str, data: &[u8]) {
    let account =
        BlobAccount::from_connection_string("UseDevelopmentStorage=true", &azurite.endpoint())
            .expect("account");
    let client = BlobClient::connect(account).expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        client.create_container(container).await.expect("container");
        client
            .put_blob(container, blob, data.to_vec())
            .await
            .expect("upload");
    });
}

fn adfctl_ok(emulator: &EmulatorProcess, args: &[&str]) -> (String, String) {
    let output = emulator.adfctl(args, ENV);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{args:?}\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The link `adfctl run --open` printed.
fn run_page(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("Run page: "))
        .unwrap_or_else(|| panic!("no run page link in:\n{stderr}"))
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

#[test]
fn the_monitor_page_shows_the_quickstart_and_foreach_runs_in_chromium() {
    let test = module_path!();
    let Some(binary) = chromium() else {
        skip(
            test,
            "Chromium is not installed (Debian: apt-get install chromium)",
        );
        return;
    };
    let Some(azurite) = Azurite::start(test) else {
        return;
    };
    let browser = Browser {
        binary,
        profile: tempfile::tempdir().expect("profile"),
    };
    let emulator = EmulatorProcess::start(&["--blob-endpoint", &azurite.endpoint()]);
    let base = emulator.endpoint.clone();

    // The quickstart, first without its input blob (the copy fails), then with it.
    adfctl_ok(
        &emulator,
        &["apply", "-f", "specs/quickstart.yaml", "--auto-approve"],
    );
    let failed = emulator.adfctl(
        &[
            "run",
            "-f",
            "specs/quickstart.yaml",
            "copyPipeline",
            "--open",
        ],
        ENV,
    );
    let (_, stderr) = text(&failed);
    assert!(!failed.status.success(), "{stderr}");
    let failed_page = run_page(&stderr);
    assert!(
        failed_page.starts_with(&format!("{base}/monitor/subscriptions/")),
        "{failed_page}"
    );
    upload(
        &azurite,
        "adfv2tutorial",
        "input/input.txt",
        b"Hello, Data Lab!\r\n",
    );
    adfctl_ok(
        &emulator,
        &["run", "-f", "specs/quickstart.yaml", "copyPipeline"],
    );

    // The ForEach example: three files, one child run each.
    for file in ["january.csv", "february.csv", "march.csv"] {
        let body = format!("month,amount\n{file},1\n");
        upload(
            &azurite,
            "sales",
            &format!("incoming/{file}"),
            body.as_bytes(),
        );
    }
    adfctl_ok(
        &emulator,
        &["apply", "-f", "specs/foreach.yaml", "--auto-approve"],
    );
    let (_, stderr) = adfctl_ok(
        &emulator,
        &["run", "-f", "specs/foreach.yaml", "copyAllFiles", "--open"],
    );
    let foreach_page = run_page(&stderr);
    let (stdout, _) = adfctl_ok(
        &emulator,
        &[
            "runs",
            "-f",
            "specs/foreach.yaml",
            "--pipeline",
            "copyOneFile",
            "--format",
            "json",
        ],
    );
    let children: serde_json::Value = serde_json::from_str(&stdout).expect("runs json");
    let child_id = children["runs"][0]["runId"]
        .as_str()
        .expect("a child run")
        .to_owned();

    // The factories.
    let home = browser.dom(&format!("{base}/"));
    assert!(
        home.contains("DianesDF") && home.contains("adfctl-foreach-example"),
        "{home}"
    );

    // The quickstart's factory: both runs listed, with their statuses as words.
    let factory_page = failed_page
        .split("/runs/")
        .next()
        .expect("factory part")
        .to_owned();
    let factory = browser.dom(&factory_page);
    assert_eq!(factory.matches("<tr class=\"run\"").count(), 2, "{factory}");
    assert!(
        factory.contains("✗ Failed") && factory.contains("✓ Succeeded"),
        "{factory}"
    );
    assert!(factory.contains("Manual"), "who triggered it: {factory}");

    // The failed run: its activity row, and the activity's error.
    let failed = browser.dom(&failed_page);
    assert!(
        failed.contains("data-activity=\"copyBlobtoBlob\"")
            && failed.contains("data-status=\"Failed\""),
        "{failed}"
    );
    assert!(
        failed.contains("class=\"inline-error\"") && failed.contains("UserErrorSourceBlobNotExist"),
        "{failed}"
    );

    // The ForEach run: the loop, one ExecutePipeline row per file, the Wait after it, and
    // links to the child runs.
    let foreach = browser.dom(&foreach_page);
    assert!(foreach.contains("data-activity=\"eachFile\""), "{foreach}");
    assert_eq!(
        foreach.matches("data-activity=\"copyFile\"").count(),
        3,
        "{foreach}"
    );
    assert!(foreach.contains("data-activity=\"done\""), "{foreach}");
    assert!(
        foreach.contains(&format!("/runs/{child_id}\"")),
        "{foreach}"
    );
    assert!(foreach.contains("Parameters"), "{foreach}");

    // A child run names its parent.
    let child_page =
        foreach_page.replace(foreach_page.rsplit('/').next().expect("run id"), &child_id);
    let child = browser.dom(&child_page);
    assert!(
        child.contains("PipelineActivity") && child.contains("copyAllFiles run"),
        "{child}"
    );
    assert!(child.contains("data-activity=\"copyCsv\""), "{child}");

    // The ForEach pipeline's graph: the loop holds its body; the Wait depends on it.
    let graph_page = format!(
        "{}/pipelines/copyAllFiles",
        foreach_page.split("/runs/").next().expect("factory part")
    );
    let graph = browser.dom(&graph_page);
    assert!(
        graph.contains("<svg") && graph.contains("data-activity=\"eachFile\""),
        "{graph}"
    );
    assert!(
        graph.contains("data-activity=\"copyFile\"") && graph.contains("data-activity=\"done\""),
        "{graph}"
    );
    assert!(graph.contains(">Succeeded</text>"), "{graph}");

    // `#NAME` opens that activity's rows: the screenshot shows an input, output and error.
    let opened = browser.dom(&format!("{failed_page}#copyBlobtoBlob"));
    assert!(
        opened.contains("data-status=\"Failed\" open=\"\""),
        "{opened}"
    );

    // Screenshots, kept for CI's artifacts (and looked at when docs/images is refreshed).
    let dir = target_dir();
    std::fs::create_dir_all(&dir).expect("target dir");
    browser.screenshot(
        &foreach_page,
        &dir.join("monitor-screenshot.png"),
        "1280,760",
    );
    browser.screenshot(
        &format!("{failed_page}#copyBlobtoBlob"),
        &dir.join("monitor-failed-run.png"),
        "1280,900",
    );
    browser.screenshot(&graph_page, &dir.join("monitor-graph.png"), "1280,640");
}
