//! JUnit XML for a job: one test case per step, which CI systems show as tests.
//! Kept by hand: quick-junit would bring quick-xml, chrono and uuid into the package for
//! this one file; the escaping below is checked by parsing the reports (roxmltree) in
//! the tests, hostile step names included.

use std::time::Duration;

use super::StepReport;
use crate::output::StepStatus;

fn escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

pub fn junit_xml(job: &str, steps: &[StepReport], total: Duration) -> String {
    junit_suites(&[(job.to_string(), steps, total)])
}

/// How many steps failed and how many were skipped.
fn counts(steps: &[StepReport]) -> (usize, usize) {
    let failures = steps
        .iter()
        .filter(|s| {
            matches!(
                s.status,
                StepStatus::Failed(_) | StepStatus::TimedOut | StepStatus::Stopped
            )
        })
        .count();
    let skipped = steps
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Skipped | StepStatus::NotRun))
        .count();
    (failures, skipped)
}

/// One JUnit document, a test suite per run (a matrix's combinations), a test case per
/// step.
pub fn junit_suites(suites: &[(String, &[StepReport], Duration)]) -> String {
    let all: Vec<StepReport> = suites.iter().flat_map(|s| s.1.iter().cloned()).collect();
    let (failures, skipped) = counts(&all);
    let total: Duration = suites.iter().map(|s| s.2).sum();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sidepod\" tests=\"{n}\" \
         failures=\"{failures}\" skipped=\"{skipped}\" time=\"{t}\">\n",
        n = all.len(),
        t = secs(total),
    );
    for (name, steps, took) in suites {
        xml.push_str(&suite(name, steps, *took));
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn suite(job: &str, steps: &[StepReport], total: Duration) -> String {
    let (failures, skipped) = counts(steps);
    let job = escape(job);
    let mut xml = format!(
        "  <testsuite name=\"{job}\" tests=\"{n}\" failures=\"{failures}\" skipped=\"{skipped}\" \
         time=\"{t}\">\n",
        n = steps.len(),
        t = secs(total),
    );
    for s in steps {
        xml.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{job}\" time=\"{}\"",
            escape(&s.name),
            secs(s.duration)
        ));
        let output = escape(&s.output.join("\n"));
        match &s.status {
            StepStatus::Passed => xml.push_str(&format!(">\n      <system-out>{output}</system-out>\n    </testcase>\n")),
            StepStatus::Stopped | StepStatus::Started => xml.push_str(&format!(
                ">\n      <failure message=\"stopped\" type=\"stopped\">{output}</failure>\n    </testcase>\n"
            )),
            StepStatus::Failed(code) => xml.push_str(&format!(
                ">\n      <failure message=\"exit code {code}\" type=\"exit\">{output}</failure>\n    </testcase>\n"
            )),
            StepStatus::TimedOut => xml.push_str(&format!(
                ">\n      <failure message=\"timed out\" type=\"timeout\">{output}</failure>\n    </testcase>\n"
            )),
            StepStatus::Skipped => xml.push_str(">\n      <skipped message=\"not selected with --step\"/>\n    </testcase>\n"),
            StepStatus::NotRun => xml.push_str(">\n      <skipped message=\"not run: the job had already failed\"/>\n    </testcase>\n"),
        }
    }
    xml.push_str("  </testsuite>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_become_test_cases_with_their_results() {
        let step = |name: &str, result, output: &[&str]| StepReport {
            name: name.into(),
            status: result,
            duration: Duration::from_millis(1500),
            output: output.iter().map(|s| s.to_string()).collect(),
        };
        let xml = junit_xml(
            "shop <ci>",
            &[
                step("Migrate", StepStatus::Passed, &["ok"]),
                step(
                    "Test & lint",
                    StepStatus::Failed(7),
                    &["1 failed", "<boom>"],
                ),
                step("Deploy", StepStatus::NotRun, &[]),
            ],
            Duration::from_secs(3),
        );
        assert!(xml.contains("<testsuite name=\"shop &lt;ci&gt;\" tests=\"3\" failures=\"1\" skipped=\"1\" time=\"3.000\">"), "{xml}");
        assert!(xml.contains("<testcase name=\"Test &amp; lint\""), "{xml}");
        assert!(
            xml.contains(
                "<failure message=\"exit code 7\" type=\"exit\">1 failed\n&lt;boom&gt;</failure>"
            ),
            "{xml}"
        );
        assert!(xml.contains("time=\"1.500\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"not run: the job had already failed\"/>"),
            "{xml}"
        );
    }
}
