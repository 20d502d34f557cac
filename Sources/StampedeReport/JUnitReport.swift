public import StampedeCore

/// The run as JUnit XML (`junit.xml`), for the test-report readers of Jenkins and GitLab: one test case per
/// threshold, per SKU verdict, for the payment verdict and for the run's completion, each failure with the
/// observed value and the bound.
public enum JUnitReport {
    public static func render(_ report: RunReport, judgement: RunJudgement) -> String {
        var suites: [Suite] = []
        let completion = judgement.findings.filter { $0.kind == .incomplete }.map(\.text)
        suites.append(
            Suite(
                name: "run",
                cases: [
                    Case(
                        name: "the run completed as planned", outcome: completion.isEmpty ? .passed : .failed,
                        message: completion.joined(separator: "; "))
                ]))
        if let thresholds = report.thresholds, !thresholds.isEmpty {
            suites.append(
                Suite(
                    name: "thresholds",
                    cases: thresholds.map { result in
                        let message =
                            "observed \(result.observedText), bound \(result.boundText)"
                            + (result.reason.map { " (\($0))" } ?? "")
                        switch result.outcome {
                        case .passed: return Case(name: result.threshold, outcome: .passed, message: message)
                        case .failed: return Case(name: result.threshold, outcome: .failed, message: message)
                        case .unverified: return Case(name: result.threshold, outcome: .error, message: message)
                        }
                    }))
        }
        if !report.inventory.isEmpty {
            suites.append(
                Suite(
                    name: "inventory",
                    cases: report.inventory.map { verdict in
                        let outcome: Case.Outcome = !verdict.verified ? .error : verdict.failed ? .failed : .passed
                        let message =
                            "\(verdict.summary): confirmed \(verdict.confirmedUnits), booked "
                            + "\(verdict.bookedByTarget.map(String.init) ?? "?"), stock at start "
                            + "\(verdict.initialStock.map(String.init) ?? "?")"
                        return Case(name: "oversell verdict for \(verdict.sku)", outcome: outcome, message: message)
                    }))
        }
        if let payments = report.payments {
            let outcome: Case.Outcome = !payments.verified ? .error : payments.failedVerdict ? .failed : .passed
            suites.append(
                Suite(
                    name: "payments",
                    cases: [Case(name: "payment verdict", outcome: outcome, message: payments.summary)]))
        }
        let seconds = format(report.run.actualSeconds)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<testsuites name=\"stampede \(escape(report.run.id))\" tests=\"\(suites.map(\.cases.count).reduce(0, +))\" "
            + "failures=\"\(suites.map(\.failures).reduce(0, +))\" errors=\"\(suites.map(\.errors).reduce(0, +))\" "
            + "time=\"\(seconds)\">\n"
        for suite in suites {
            out +=
                "  <testsuite name=\"\(suite.name)\" tests=\"\(suite.cases.count)\" failures=\"\(suite.failures)\" "
                + "errors=\"\(suite.errors)\" skipped=\"0\" time=\"\(seconds)\""
                + (report.run.startedAt.isEmpty ? "" : " timestamp=\"\(escape(report.run.startedAt))\"") + ">\n"
            for testCase in suite.cases {
                out +=
                    "    <testcase classname=\"stampede.\(suite.name)\" name=\"\(escape(testCase.name))\" time=\"0\""
                switch testCase.outcome {
                case .passed:
                    out += "/>\n"
                case .failed:
                    out +=
                        ">\n      <failure type=\"\(suite.name)\" message=\"\(escape(testCase.message))\">"
                        + "\(escape(testCase.message))</failure>\n    </testcase>\n"
                case .error:
                    out +=
                        ">\n      <error type=\"unverified\" message=\"\(escape(testCase.message))\">"
                        + "\(escape(testCase.message))</error>\n    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    private struct Suite {
        var name: String
        var cases: [Case]
        var failures: Int { cases.filter { $0.outcome == .failed }.count }
        var errors: Int { cases.filter { $0.outcome == .error }.count }
    }

    private struct Case {
        enum Outcome { case passed, failed, error }
        var name: String
        var outcome: Outcome
        var message: String
    }

    private static func format(_ seconds: Double) -> String {
        String((seconds * 1000).rounded() / 1000)
    }

    static func escape(_ text: String) -> String { Markup.escape(text) }
}
