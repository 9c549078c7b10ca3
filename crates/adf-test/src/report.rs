//! JUnit XML (`adfctl test --junit FILE`), the report GitHub Actions, Azure DevOps and GitLab
//! show as test results: one `<testsuite>` per test file, one `<testcase>` per test, a
//! `<failure>` with every expectation that did not hold.

use crate::runner::CaseResult;
use std::fmt::Write;

/// The results of one test file.
pub struct Suite<'a> {
    /// The test file's path, as given.
    pub file: &'a str,
    /// Its tests' results (a file that could not run has one failed pseudo-test).
    pub results: &'a [CaseResult],
}

/// The JUnit XML of several suites.
pub fn junit(suites: &[Suite<'_>]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in suites {
        let failures = suite.results.iter().filter(|r| !r.passed()).count();
        let time: f64 = suite.results.iter().map(|r| r.duration.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" time=\"{time:.3}\">",
            escape(suite.file),
            suite.results.len()
        );
        for result in suite.results {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(suite.file),
                escape(&result.name),
                result.duration.as_secs_f64()
            );
            if result.passed() {
                out.push_str("/>\n");
            } else {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(&result.failures[0]),
                    escape(&result.failures.join("\n"))
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_report_with_a_pass_and_a_failure() {
        let results = [
            CaseResult {
                name: "copies".into(),
                failures: vec![],
                duration: Duration::from_millis(1500),
                run_id: None,
            },
            CaseResult {
                name: "fails <loudly>".into(),
                failures: vec!["run: expected Succeeded, got Failed".into(), "b & c".into()],
                duration: Duration::from_millis(250),
                run_id: None,
            },
        ];
        let xml = junit(&[Suite {
            file: "specs/q.test.yaml",
            results: &results,
        }]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"specs/q.test.yaml\" tests=\"2\" failures=\"1\" time=\"1.750\">\n    <testcase classname=\"specs/q.test.yaml\" name=\"copies\" time=\"1.500\"/>\n    <testcase classname=\"specs/q.test.yaml\" name=\"fails &lt;loudly&gt;\" time=\"0.250\">\n      <failure message=\"run: expected Succeeded, got Failed\">run: expected Succeeded, got Failed\nb &amp; c</failure>\n    </testcase>\n  </testsuite>\n</testsuites>\n"
        );
    }
}
