import Foundation
import StampedeConfig
import Testing

@testable import StampedeCore

/// `stampede profile from-log`: a log written from a profile's own plan gives the profile back.
struct ProfileFromLogTests {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A combined-format line for a request at `second` of 11 Nov 2025 (Beijing time).
    static func combined(second: Int, path: String, on day: Int = 11) -> String {
        let time = String(
            format: "%02d/Nov/2025:%02d:%02d:%02d +0800", day, second / 3600, second / 60 % 60, second % 60)
        return
            "10.0.\(second % 250).\(second % 7) - - [\(time)] \"POST \(path)?id=\(second) HTTP/1.1\" 200 512 \"-\" \"app\""
    }

    /// Double 11 played at 12.5 arrivals/s in its spikes (a quiet hour still gets 400 requests), every arrival a
    /// checkout line, with static-asset lines between them and a few broken lines.
    static func double11Log() throws -> (profile: Profile, shape: TrafficShape) {
        let profile = try ProfileLoader.load(path: RepositoryFiles.path("profiles/double11.yaml"))
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 12.5, compression: .speed(1)))
        var shape = TrafficShape()
        let keep = { (path: Substring) in path.hasPrefix("/api/checkout") }
        for arrival in ArrivalSequence(plan: plan, process: .uniform, seed: 1) {
            let second = Int(arrival.time)
            shape.add(Substring(combined(second: second, path: "/api/checkout")), keep: keep)
            if arrival.index % 5 == 0 {
                shape.add(Substring(combined(second: second, path: "/static/app.js")), keep: keep)
            }
            if arrival.index % 20_000 == 0 { shape.add("garbage without a time", keep: keep) }
        }
        return (profile, shape)
    }

    @Test func aLogFromDouble11sPlanGivesBackItsWeightsAndSpikes() throws {
        let (profile, shape) = try Self.double11Log()
        guard case .hourly(let weights) = profile.shape else {
            Issue.record("double11 is hourly")
            return
        }
        let derived = try #require(DerivedProfile(shape))
        let scale = 1000 / weights.reduce(0, +)
        for (hour, (found, expected)) in zip(derived.weights, weights).enumerated() {
            #expect(abs(found - expected * scale) <= 0.01 * expected * scale, "hour \(hour): \(found) for \(expected)")
        }
        #expect(derived.spikes.map(\.hour) == profile.spikes.map { Int($0.start / 3600) })
        for (found, expected) in zip(derived.spikes, profile.spikes) {
            #expect(Double(found.minutes * 60) == expected.duration)
            #expect(abs(found.level - expected.level) <= 0.01 * expected.level, "\(found)")
        }
        // 10:00's spike is 3x the busiest hour (150), so 4.17x its own (108).
        #expect(abs(derived.spikes[1].timesItsHour - 3 * 150 / 108) < 0.05)
        #expect(shape.filteredOut > 0 && shape.skipped[.noTime, default: 0] > 0)
        #expect(shape.usualOffset == 8 * 3600)
        // What it writes loads as a profile, and plays the same day.
        let text = derived.yaml(name: "double11-again", timeZone: "Asia/Shanghai", derivation: ["a test"])
        let again = try ProfileLoader.parse(text, file: "derived.yaml")
        let original = RateCurve(profile: profile)
        let derivedCurve = RateCurve(profile: again)
        for hour in 0..<24 {
            let a = original.integral(from: Double(hour) * 3600, to: Double(hour + 1) * 3600) / original.total
            let b = derivedCurve.integral(from: Double(hour) * 3600, to: Double(hour + 1) * 3600) / derivedCurve.total
            #expect(abs(a - b) <= 0.01 * a, "hour \(hour): \(b) of the day against \(a)")
        }
    }

    @Test func aLogThatDoesNotCoverWholeDaysCountsEachMinuteByItsDays() {
        var shape = TrafficShape()
        // 12:00 on the 10th to 11:59 on the 11th, 2 requests a minute: one covered day for every minute.
        for minute in (12 * 60)..<(24 * 60) {
            for _ in 0..<2 { shape.add(Substring(Self.combined(second: minute * 60, path: "/a", on: 10))) }
        }
        for minute in 0..<(12 * 60) {
            for _ in 0..<2 { shape.add(Substring(Self.combined(second: minute * 60, path: "/a"))) }
        }
        #expect(shape.coverage.allSatisfy { $0 == 1 })
        let derived = DerivedProfile(shape)!
        #expect(derived.weights.allSatisfy { abs($0 - 1000.0 / 24) < 0.01 })
        #expect(derived.spikes.isEmpty)
    }

    @Test func combinedAndJSONLinesAreRead() {
        let combined = AccessLogLine.parse(
            #"203.0.113.9 - alice [11/Nov/2025:10:00:07 +0800] "POST https://shop.example/api/order/?x=1 HTTP/2.0" 201 9 "-" "ua""#
        )
        #expect(
            combined
                == .success(AccessLogLine(day: 20_251_111, secondOfDay: 36_007, utcOffset: 28_800, path: "/api/order/"))
        )
        let json = AccessLogLine.parse(#"{"time": "2025-11-11T10:00:07.250-05:30", "request": "GET /p?q HTTP/1.1"}"#)
        #expect(json == .success(AccessLogLine(day: 20_251_111, secondOfDay: 36_007, utcOffset: -19_800, path: "/p")))
        let epoch = AccessLogLine.parse(#"{"ts": 1762855207, "path": "/x"}"#, json: .init(time: "ts"))
        #expect(epoch == .success(AccessLogLine(day: 20_251_111, secondOfDay: 36_007, utcOffset: 0, path: "/x")))
        #expect(AccessLogLine.parse("no time here").failure == .noTime)
        #expect(AccessLogLine.parse(#"1.2.3.4 - - [31/Foo/2025:10:00:07 +0800] "GET / HTTP/1.1""#).failure == .badTime)
        #expect(AccessLogLine.parse(#"1.2.3.4 - - [11/Nov/2025:10:00:07 +0800] "-" 400"#).failure == .noRequest)
        #expect(AccessLogLine.parse(#"{"time": "#).failure == .notJSON)
        #expect(AccessLogLine.daysSinceEpoch(yyyymmdd: 20_251_111) == 20_403)
    }
}

extension Result where Failure == AccessLogLine.SkipError {
    var failure: AccessLogLine.Skip? {
        if case .failure(let error) = self { error.skip } else { nil }
    }
}
