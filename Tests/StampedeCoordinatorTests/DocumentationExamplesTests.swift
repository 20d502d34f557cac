import Foundation
import Testing

/// The shell examples in README.md and docs/ are meant to be pasted into a shell. A line continued with `\` must end
/// there: a `\` followed by spaces and a comment (`--peak-rate 800/s \   # the busiest instant`) escapes a space and
/// ends the command, so the next line runs as a command of its own.
struct DocumentationExamplesTests {
    /// A problem in an example: the file, its 1-based line, and the line.
    struct BrokenContinuation: Equatable, CustomStringConvertible {
        let file: String
        let line: Int
        let text: String
        var description: String { "\(file):\(line): a `\\` that does not end its line: \(text)" }
    }

    /// The lines of the ```sh (or bash, shell) blocks in `markdown` where a `\` is followed by blanks, with or
    /// without a comment after them.
    static func brokenContinuations(in markdown: String, file: String) -> [BrokenContinuation] {
        var found: [BrokenContinuation] = []
        var inShell = false
        for (index, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inShell = !inShell && ["```sh", "```bash", "```shell"].contains(trimmed)
                continue
            }
            guard inShell, let slash = line.lastIndex(of: "\\") else { continue }
            let after = line[line.index(after: slash)...]
            let blanks = after.prefix { $0 == " " || $0 == "\t" }
            if !blanks.isEmpty, blanks.count == after.count || after.dropFirst(blanks.count).hasPrefix("#") {
                found.append(BrokenContinuation(file: file, line: index + 1, text: String(line)))
            }
        }
        return found
    }

    @Test func aCommentAfterAContinuationIsFound() {
        let markdown = """
            Text \\ with a backslash   # outside a block
            ```sh
            stampede run --profile p.yaml \\
                --peak-rate 800/s \\   # the busiest instant
                --duration 90s \\\u{20}
                --window 09:00-11:00   # a comment with a \\ in it
            echo "a \\ b"   # a backslash inside a line
            ```
            ```yaml
            key: a \\   # not shell
            ```
            """
        #expect(
            Self.brokenContinuations(in: markdown, file: "x.md").map(\.line) == [4, 5])
    }

    @Test func everyShellExampleContinuesItsLines() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let docs = root.appendingPathComponent("docs")
        let pages = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
            .sorted().map { "docs/\($0)" }
        #expect(pages.count > 5)
        var blocks = 0
        for page in ["README.md"] + pages {
            let markdown = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
            blocks += markdown.components(separatedBy: "```sh\n").count - 1
            for broken in Self.brokenContinuations(in: markdown, file: page) {
                Issue.record("\(broken)")
            }
        }
        #expect(blocks > 10)
    }
}
