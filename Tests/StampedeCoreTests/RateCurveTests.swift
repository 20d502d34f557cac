import Testing

@testable import StampedeCore

struct RateCurveTests {
    static let curve = RateCurve(segments: [
        .init(start: 0, end: 10, from: 0, to: 1),  // ramp: area 5
        .init(start: 10, end: 30, from: 1, to: 1),  // steady: area 20
        .init(start: 30, end: 35, from: 1, to: 0),  // down: area 2.5
    ])

    @Test(arguments: [
        (0.0, 0.0), (5.0, 1.25), (10.0, 5.0), (20.0, 15.0), (30.0, 25.0), (32.5, 25.0 + 1.875), (35.0, 27.5),
        (99.0, 27.5),
    ])
    func integralIsExact(t: Double, expected: Double) {
        #expect(abs(Self.curve.integral(upTo: t) - expected) < 1e-12)
    }

    @Test(arguments: stride(from: 0.0, through: 35.0, by: 0.7).map { $0 })
    func inverseUndoesTheIntegral(t: Double) throws {
        let area = Self.curve.integral(upTo: t)
        let back = try #require(Self.curve.time(reachingIntegral: area))
        #expect(abs(back - t) < 1e-6, "t=\(t) area=\(area) back=\(back)")
    }

    @Test func inversePastTheTotalIsNil() {
        #expect(Self.curve.time(reachingIntegral: 27.6) == nil)
    }

    @Test func levelsAndMaximum() {
        #expect(Self.curve.level(at: 5) == 0.5)
        #expect(abs(Self.curve.level(at: 33) - 0.4) < 1e-12)
        #expect(Self.curve.level(at: 36) == 0)
        #expect(Self.curve.maxLevel(from: 0, to: 5) == 0.5)
        #expect(Self.curve.maxLevel(from: 0, to: 35) == 1)
    }

    @Test func spikesReplaceTheBaseInsideTheirWindow() {
        let profile = Profile(
            name: "p", shape: .hourly([1, 2, 4]),
            spikes: [Spike(label: "s", start: 3600, duration: 600, level: 3)])
        let curve = RateCurve(profile: profile)
        #expect(curve.level(at: 3599) == 0.25)
        #expect(curve.level(at: 3600) == 3)
        #expect(curve.level(at: 4199) == 3)
        #expect(curve.level(at: 4200) == 0.5)
        // The hour's integral: 10 minutes at 3, 50 minutes at 0.5.
        #expect(abs(curve.integral(from: 3600, to: 7200) - (600 * 3 + 3000 * 0.5)) < 1e-9)
    }
}
