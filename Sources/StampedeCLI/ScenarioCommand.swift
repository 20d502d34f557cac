public import ArgumentParser
import Foundation
import StampedeConfig
import StampedeCore
import StampedeRecorder

/// `stampede scenario …`: working with scenario files.
public struct ScenarioCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "scenario", abstract: "Work with scenario files.", subcommands: [FromHARCommand.self])

    public init() {}
}

/// `stampede scenario from-har RECORDING.har`: a scenario draft from a browser recording.
public struct FromHARCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "from-har",
        abstract: "Draft a scenario from a browser recording (a HAR file from Chrome, Firefox or Chromium).",
        discussion: """
            One step per request a page made: static assets dropped, redirects folded into the request that \
            caused them, think times from the pauses, and every value a response handed out and a later request \
            sent back (CSRF tokens, ids, URLs) extracted and sent as a placeholder. Each guess is marked with a \
            comment and listed on standard error. The draft is checked by loading it before it is written.
            """)

    @Argument(help: "The recording (.har).") var recording: String
    @Option(help: "Write the scenario here instead of standard output.") var output: String?
    @Option(help: "The scenario's name (default: the recording's file name).") var name: String?
    @Option(help: "The shop's origin in the recording (default: the first page's).") var target: String?

    public init() {}

    public func run() async throws {
        try await failing("stampede scenario from-har", Self.self) { try await work() }
    }

    public func validate() throws {
        try OutputFile.check(output, option: "--output")
    }

    private func work() async throws {
        guard let data = FileManager.default.contents(atPath: recording) else {
            throw CommandFailure(.usage, "cannot read \(recording)")
        }
        let har: HARFile
        do {
            har = try HARFile.decode(data)
        } catch {
            throw CommandFailure(
                .usage, "\(recording) is not a HAR file: \(DecodingError.plainDescription(of: error))")
        }
        let origin = try target.map(PlanOptions.origin)
        let base = ((recording as NSString).lastPathComponent as NSString).deletingPathExtension
        let draft = ScenarioDraft.from(har, name: name ?? base, target: origin)
        guard !draft.steps.isEmpty else {
            throw CommandFailure(.usage, "\(recording) has no requests besides static assets")
        }
        let text = draft.yaml(source: (recording as NSString).lastPathComponent)
        do {
            _ = try ScenarioLoader.parse(text, file: output ?? "draft.yaml")
        } catch {
            throw CommandFailure(
                .internalError, "the draft does not load (a bug; please report it with the recording):\n\(error)")
        }
        if let output {
            try OutputFile.write(text, to: output, option: "--output")
            printError(
                "wrote \(output): \(draft.steps.count) steps from \(draft.entries) requests (\(draft.assets) assets "
                    + "dropped, \(draft.hops) redirect hops folded)")
        } else {
            print(text, terminator: "")
        }
        for guess in draft.guesses { printError("guess: \(guess)") }
    }
}
