import Foundation
import Testing

@testable import StampedeConfig
@testable import StampedeCore

/// The repository's own files, found from this source file's place in the tree.
enum RepositoryFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

struct ShippedProfileTests {
    @Test(arguments: ["double11", "double12", "aliexpress-us", "ci-gate"])
    func everyShippedProfileLoadsAndPlans(name: String) throws {
        let profile = try ProfileLoader.load(path: RepositoryFiles.path("profiles/\(name).yaml"))
        #expect(profile.name == name)
        _ = try Plan(profile: profile, scale: RunScale(peakRate: 100, compression: .duration(60)))
    }

    @Test func double11FollowsTheSeedsWindows() throws {
        let profile = try ProfileLoader.load(path: RepositoryFiles.path("profiles/double11.yaml"))
        #expect(profile.timeZone == "Asia/Shanghai")
        #expect(profile.source?.contains("003_ca2043b4cb8fa77f.txt") == true)
        guard case .hourly(let weights) = profile.shape else {
            Issue.record("double11 must be hourly")
            return
        }
        #expect(weights.count == 24)
        let total = weights.reduce(0, +)
        let share = { (hours: [Int]) in hours.map { weights[$0] }.reduce(0, +) / total }
        // The five windows carry 90% of the day in the proportions 25:20:20:20:15.
        #expect(abs(share([0]) + 75 / total - 0.225) < 1e-9)
        #expect(abs(share([9, 10]) - 0.18) < 1e-9)
        #expect(abs(share([15, 16]) - 0.18) < 1e-9)
        #expect(abs(share([20, 21]) - 0.18) < 1e-9)
        #expect(abs(share([23]) - 0.135) < 1e-9)
        // 10:00 and 21:00 are the peaks of their windows and among the four busiest hours.
        let ranked = weights.indices.sorted { weights[$0] > weights[$1] }
        #expect(Set(ranked.prefix(4)).isSuperset(of: [10, 21]))
        #expect(weights[10] > weights[9] && weights[21] > weights[20])
        #expect(profile.spikes.map { ProfileClock.label($0.start) } == ["00:00", "10:00", "20:00"])
        // Planned: each hour's expected arrivals match its weight.
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 600, compression: .duration(90)))
        let spikeFree = try Plan(
            profile: Profile(name: "base", shape: profile.shape),
            scale: RunScale(peakRate: 200, compression: .duration(90)))
        for hour in 0..<24 {
            let expected = spikeFree.expectedArrivals(profileFrom: Double(hour) * 3600, to: Double(hour + 1) * 3600)
            #expect(abs(expected / spikeFree.expectedTotal - weights[hour] / total) < 1e-9)
        }
        #expect(abs(plan.duration - 90) < 1e-9)
    }

    @Test func aliexpressIsFortyEightHoursInUSTime() throws {
        let profile = try ProfileLoader.load(path: RepositoryFiles.path("profiles/aliexpress-us.yaml"))
        #expect(profile.length == 48 * 3600)
        #expect(profile.timeZone == "America/Los_Angeles")
        #expect(profile.periods[30].label == "d2 06:00")
    }

    @Test func ciGateRampsHoldsAndStops() throws {
        let profile = try ProfileLoader.load(path: RepositoryFiles.path("profiles/ci-gate.yaml"))
        #expect(profile.length == 60)
        #expect(profile.periods.map(\.label) == ["ramp", "steady", "stop"])
    }
}

/// `stampede validate --profile P --scenario S`: the pair checked as a run plays it, after each file alone.
struct PairValidationTests {
    /// The pairs the README, the docs and the scripts play.
    @Test(arguments: [
        ("double11", "reference-shop"), ("double12", "reference-shop"), ("aliexpress-us", "reference-shop"),
        ("ci-gate", "ci-gate"), ("flash-sale", "flash-sale"), ("payment-failover-drill", "payment-failover-drill"),
        ("storefront", "storefront"),
    ])
    func theShippedPairsFitTogether(profile: String, scenario: String) {
        let problems = ConfigValidator.validate(
            profile: RepositoryFiles.path("profiles/\(profile).yaml"),
            scenario: RepositoryFiles.path("scenarios/\(scenario).yaml"))
        #expect(problems.isEmpty, "\(problems)")
    }

    /// Each file validates alone; together a burst follows a flow the scenario lacks and a threshold names a burst
    /// the profile lacks. A pair with a broken file gives that file's located problems, and nothing about fitting.
    @Test func aPairThatDoesNotFitIsNamedFileByFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-pair-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let profile = try write(
            "sale.yaml",
            """
            name: sale
            stages:
              - {duration: 10s, from: 1, to: 1}
            bursts:
              - {at: "00:00:05", crowd: 100, within: 1s, flow: flash-buyer, sku: F, stock: 10, label: noon}
            """)
        let scenario = try write(
            "shop.yaml",
            """
            name: shop
            thresholds:
              - 'p99(all @ burst "midnight") < 1s'
            flows:
              - name: browser
                steps:
                  - {name: browse, get: /products}
            """)
        #expect(ConfigValidator.validate(path: profile).isEmpty)
        #expect(ConfigValidator.validate(path: scenario).isEmpty)
        let problems = ConfigValidator.validate(profile: profile, scenario: scenario)
        #expect(problems.count == 2, "\(problems)")
        #expect(
            problems.contains { $0.hasPrefix("\(profile): bursts[0].flow: no flow \"flash-buyer\" in \(scenario)") })
        #expect(problems.contains { $0.hasPrefix("\(scenario): thresholds: ") && $0.contains("no burst \"midnight\"") })

        let broken = try write("broken.yaml", "name: broken\nstages:\n  - {duration: soon, to: 1}\n")
        let located = ConfigValidator.validate(profile: broken, scenario: scenario)
        #expect(!located.isEmpty)
        #expect(located.allSatisfy { $0.hasPrefix("\(broken):3:") }, "\(located)")

        // The pair the other way round is said in three lines; loaded as the other kind, a page of "unknown field".
        #expect(
            ConfigValidator.validate(profile: scenario, scenario: profile) == [
                "\(scenario): given as --profile, it is a scenario (it has flows)",
                "\(profile): given as --scenario, it is a profile (it has hours or stages and no flows)",
                "--profile and --scenario are the other way round",
            ])
        #expect(ConfigValidator.misplaced(profile: scenario, scenario: scenario).count == 1)
        #expect(ConfigValidator.misplaced(profile: broken, scenario: nil).isEmpty)
    }
}

struct ProfileProblemTests {
    static func problems(_ yaml: String) -> [ConfigProblem] {
        do {
            _ = try ProfileLoader.parse(yaml, file: "p.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    @Test func theExampleFromTheIssue() {
        let yaml = """
            name: bad
            timezone: Asia/Shanghai
            hours:
              - {hour: 0, weight: 1}
              - {hour: 1, weight: 1}
              - {hour: 2, weight: 1}
              - hour: 3
                weight: high
            """
        let problems = Self.problems(yaml)
        #expect(
            problems.map(\.description).contains(#"p.yaml:8:13: hours[3].weight: expected a number ≥ 0, found "high""#),
            "\(problems)")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let yaml = """
            name: has spaces
            timezone: Mars/Olympus
            hourz: 3
            hours:
              - {hour: 0, weight: -1}
              - {hour: 0, weight: 2}
              - {weight: 1, note: 3}
            spikes:
              - {at: "25:99", lasting: 5m, level: 3}
              - {at: "00:00", lasting: never, level: 0}
            """
        let problems = Self.problems(yaml)
        let paths = Set(problems.map(\.path))
        #expect(
            paths.isSuperset(of: [
                "name", "timezone", "hourz", "hours[0].weight", "spikes[0].at", "spikes[1].lasting",
                "spikes[1].level",
            ]), "\(problems)")
        #expect(problems.allSatisfy { $0.line >= 1 && $0.column >= 1 && $0.file == "p.yaml" })
        #expect(problems.count >= 7)
    }

    @Test func missingAndExtraHoursAreNamed() {
        let yaml = "name: x\nhours:\n" + (0..<23).map { "  - {hour: \($0), weight: 1}\n" }.joined()
        #expect(Self.problems(yaml).contains { $0.path == "hours" && $0.message.contains("24 hours per day") })
        let gap = "name: x\nhours:\n" + (0..<24).map { "  - {hour: \($0 == 5 ? 6 : $0), weight: 1}\n" }.joined()
        let problems = Self.problems(gap)
        #expect(problems.contains { $0.message.contains("hour 6 appears twice") })

        // An hour past the day is named where it is written, not only as the hour it leaves missing.
        let past = "name: x\nhours:\n" + (0..<24).map { "  - {hour: \($0 == 23 ? 25 : $0), weight: 1}\n" }.joined()
        #expect(
            Self.problems(past).map(\.description) == [
                "p.yaml:26:12: hours[23].hour: hour 25 is beyond this profile's 24 entries, which are hours 0 to 23"
            ])
    }

    @Test func overlappingSpikesAreRefused() {
        let yaml = """
            name: x
            hours: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
            spikes:
              - {at: "10:00", lasting: 10m, level: 2}
              - {at: "10:05", lasting: 10m, level: 2}
              - {at: "23:58", lasting: 5m, level: 2}
            """
        let problems = Self.problems(yaml)
        #expect(problems.contains { $0.path == "spikes[1]" && $0.message.contains("overlap") })
        #expect(problems.contains { $0.path == "spikes[2]" && $0.message.contains("end of the profile") })
    }

    @Test func stagesAreChecked() {
        let yaml =
            "name: x\nstages:\n  - {duration: 0s, to: 1}\n  - {duration: 5s}\n  - {duration: 5s, to: 1, from: -2}\n"
        let paths = Set(Self.problems(yaml).map(\.path))
        #expect(paths.isSuperset(of: ["stages[0].duration", "stages[1].to", "stages[2].from"]))
    }

    /// No duration in a profile is longer than a run may last: a crowd's `within: 1000000h` held the run open for
    /// as long as it was let be, and a stage of 10^20 hours squeezed every other stage to nothing.
    @Test func aDurationLongerThanAWeekIsRefused() {
        let yaml = """
            name: x
            stages:
              - {duration: 7d, to: 1}
              - {duration: 1e20h, to: 1}
            bursts:
              - {at: "00:00:01", crowd: 10, within: 1000000h, flow: buyer, sku: A, stock: 1}
              - {at: "00:00:02", crowd: 10, within: 168h, flow: buyer, sku: B, stock: 1}
            """
        #expect(
            Self.problems(yaml).map(\.description) == [
                "p.yaml:4:16: stages[1].duration: expected a duration such as 90s, 250ms, 5m or 1.5h above zero, "
                    + "at most 7d, found \"1e20h\"",
                "p.yaml:6:41: bursts[0].within: expected a duration such as 90s, 250ms, 5m or 1.5h, at most 7d, "
                    + "found \"1000000h\"",
            ])
    }
}

struct MalformedInputTests {
    static let directory = Bundle.module.url(forResource: "Malformed", withExtension: nil)!

    static var files: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.sorted() ?? []
    }

    @Test func everyMalformedFileGivesLocatedProblemsAndNoCrash() throws {
        #expect(Self.files.count >= 20)
        for name in Self.files {
            let problems = ConfigValidator.validate(path: Self.directory.appendingPathComponent(name).path)
            #expect(!problems.isEmpty, "\(name) was accepted")
            for problem in problems {
                #expect(problem.line >= 1 && problem.column >= 1)
                #expect(!problem.message.isEmpty)
            }
        }
    }

    /// Cuts and byte flips of the shipped files: whatever comes out, no crash, and problems carry positions.
    @Test(arguments: ["profiles/double11.yaml", "profiles/ci-gate.yaml", "scenarios/reference-shop.yaml"])
    func mutationsOfShippedFilesNeverCrash(file: String) throws {
        let original = try Array(Data(contentsOf: URL(fileURLWithPath: RepositoryFiles.path(file))))
        var random = SeededRandom(seed: 42)
        var variants: [[UInt8]] = []
        for cut in stride(from: 0, to: original.count, by: max(1, original.count / 60)) {
            variants.append(Array(original[..<cut]))
        }
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(bytes.count))
                let replacement: [UInt8] = [
                    0x3A, 0x2D, 0x20, 0x7B, 0x7D, 0x5B, 0x5D, 0x22, 0x26, 0x2A, 0x0A, 0x09, 0x23, 0x41,
                ]
                bytes[position] = replacement[Int(random.next() % UInt64(replacement.count))]
            }
            variants.append(bytes)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-mutant-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for variant in variants {
            _ = FileManager.default.createFile(atPath: path, contents: Data(variant))
            for problem in ConfigValidator.validate(path: path) {
                #expect(problem.line >= 1 && problem.column >= 1 && !problem.message.isEmpty)
            }
        }
    }

    @Test func aMissingFileIsAProblemNotACrash() {
        let problems = ConfigValidator.validate(path: "/nonexistent/stampede.yaml")
        #expect(problems.count == 1)
        #expect(problems[0].message == "no such file")
    }
}
