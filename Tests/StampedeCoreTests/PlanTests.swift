import Testing

@testable import StampedeCore

/// The shape of a profile survives compression and windows, and spikes land where the profile says.
struct PlanTests {
    /// A day with a distinct weight every hour (so a misplaced hour shows).
    static let weights: [Double] = (0..<24).map { Double(($0 * 7) % 24 + 1) }
    static let day = Profile(name: "day", timeZone: "Asia/Shanghai", shape: .hourly(weights))

    @Test(arguments: [
        RunScale.Compression.speed(1), .speed(60), .speed(1440), .duration(90), .duration(3600 * 24 * 2),
    ])
    func eachHourGetsItsShare(compression: RunScale.Compression) throws {
        let plan = try Plan(profile: Self.day, scale: RunScale(peakRate: 500, compression: compression))
        let total = plan.expectedTotal
        let sum = Self.weights.reduce(0, +)
        for hour in 0..<24 {
            let share = plan.expectedArrivals(profileFrom: Double(hour) * 3600, to: Double(hour + 1) * 3600) / total
            #expect(abs(share - Self.weights[hour] / sum) < 1e-9, "hour \(hour)")
        }
    }

    @Test(arguments: [(1.0, 86_400.0), (1440.0, 60.0), (960.0, 90.0)])
    func compressionSetsTheDuration(speed: Double, seconds: Double) throws {
        let plan = try Plan(profile: Self.day, scale: RunScale(peakRate: 100, compression: .speed(speed)))
        #expect(abs(plan.duration - seconds) < 1e-9)
        let byDuration = try Plan(profile: Self.day, scale: RunScale(peakRate: 100, compression: .duration(seconds)))
        #expect(abs(byDuration.speed - speed) < 1e-9)
    }

    @Test func thePeakRateIsTheBusiestInstant() throws {
        let plan = try Plan(profile: Self.day, scale: RunScale(peakRate: 800, compression: .duration(240)))
        let busiest = Self.weights.firstIndex(of: Self.weights.max()!)!
        let rates = stride(from: 0.0, to: plan.duration, by: 0.5).map { plan.rate(atReal: $0) }
        #expect(abs(rates.max()! - 800) < 1e-9)
        #expect(abs(plan.rate(atReal: plan.realTime(atProfile: Double(busiest) * 3600 + 10)) - 800) < 1e-9)
    }

    @Test func aWindowKeepsTheShapeAndScalesToItsOwnPeak() throws {
        let window = ProfileWindow(start: 9 * 3600, end: 11 * 3600)
        let plan = try Plan(
            profile: Self.day, scale: RunScale(peakRate: 300, compression: .duration(20), window: window))
        #expect(abs(plan.duration - 20) < 1e-9)
        let hour9 = plan.rate(atReal: 5)
        let hour10 = plan.rate(atReal: 15)
        #expect(abs(hour9 / hour10 - Self.weights[9] / Self.weights[10]) < 1e-9)
        #expect(abs(max(hour9, hour10) - 300) < 1e-9)
        #expect(abs(plan.expectedTotal - 10 * (hour9 + hour10)) < 1e-6)
        #expect(plan.slots.map(\.period) == [9, 10])
    }

    @Test func aWindowOutsideTheProfileIsRefused() {
        #expect(throws: PlanError.self) {
            try Plan(
                profile: Self.day,
                scale: RunScale(
                    peakRate: 1, compression: .speed(1), window: ProfileWindow(start: 23 * 3600, end: 25 * 3600)))
        }
        #expect(throws: PlanError.self) {
            try Plan(profile: Self.day, scale: RunScale(peakRate: 0, compression: .speed(1)))
        }
    }

    /// A rate no fleet plays, and a run shorter than a second or longer than a week, are refused with what they
    /// would have been: `--peak-rate 1e300/s` trapped, `--speed 1e-300x` planned 10^300 years, and `--duration
    /// 0.0001s` a run that measured nothing.
    @Test func aScaleNoRunCanPlayIsRefused() throws {
        func message(_ scale: RunScale) -> String {
            do {
                _ = try Plan(profile: Self.day, scale: scale)
                return ""
            } catch {
                return error.message
            }
        }
        #expect(
            message(RunScale(peakRate: 1e300, compression: .duration(90)))
                == "the peak rate is more than a plan can count: at most 10,000,000,000 arrivals a second")
        #expect(message(RunScale(peakRate: 10_000_000_000, compression: .duration(90))).isEmpty)
        #expect(message(RunScale(peakRate: 10_000_000_000, compression: .speed(1.0 / 7))).isEmpty)
        #expect(
            message(RunScale(peakRate: 100, compression: .speed(1e-300)))
                == "the run would last more than a week; a run lasts from 1 s to 7 days: play it faster or shorter")
        #expect(
            message(RunScale(peakRate: 100, compression: .duration(0.5)))
                == "the run would last less than a second; a run lasts from 1 s to 7 days: play it slower or longer")
        #expect(message(RunScale(peakRate: 100, compression: .duration(1))).isEmpty)
        #expect(message(RunScale(peakRate: 100, compression: .speed(1.0 / 7))).isEmpty)
        #expect(!message(RunScale(peakRate: 100, compression: .speed(1.0 / 7.01))).isEmpty)
    }

    /// A crowd arrives over `within` real seconds. One still arriving when the run ends is waited for (the
    /// coordinator ended the run 30 s after its end, without the rest of the crowd, and said it had finished); one
    /// that would arrive for more than a week is refused, as such a run is. A crowd outside the window is not
    /// played, and not waited for.
    @Test func aCrowdStillArrivingWhenTheRunEndsIsWaitedForUpToAWeek() throws {
        func plan(at: Double, within: Double, window: ProfileWindow? = nil) throws(PlanError) -> Plan {
            let burst = Burst(label: "earbuds", at: at, crowd: 300, within: within, flow: "f", sku: "E", stock: 20)
            let profile = Profile(name: "day", timeZone: "Asia/Shanghai", shape: .hourly(Self.weights), bursts: [burst])
            // A day in 10 s: 8,640 profile seconds a real second; 23:00 is 9.58 s in.
            return try Plan(profile: profile, scale: RunScale(peakRate: 20, compression: .duration(10), window: window))
        }
        let late = try plan(at: 23 * 3600, within: 20)
        #expect(late.duration == 10)
        #expect(abs(late.arrivalsEnd - (23 * 3600 / 8_640 + 20)) < 1e-9)
        #expect(try plan(at: 3600, within: 2).arrivalsEnd == 10)
        #expect(try plan(at: 23 * 3600, within: 20, window: ProfileWindow(start: 0, end: 22 * 3600)).arrivalsEnd == 10)
        #expect(abs(try plan(at: 0, within: 7 * 86_400).arrivalsEnd - 7 * 86_400) < 1e-9)
        #expect(throws: PlanError.self) { try plan(at: 3600, within: 7 * 86_400) }
        do {
            _ = try plan(at: 23 * 3600, within: 3.6e9)
            Issue.record("a crowd arriving over 114 years was taken")
        } catch {
            #expect(
                error.message
                    == "the crowd of \"earbuds\" (23:00, within 41666.7 days) would still be arriving 41666.7 days "
                    + "after the run began; a run lasts from 1 s to 7 days: give it a shorter within")
        }
        #expect(Plan.seconds(19.58) == "19.6 s")
        #expect(Plan.seconds(150) == "2.5 min")
        #expect(Plan.seconds(10_800) == "3 h")
    }

    /// `--window 11:00-09:00` ends the next day, past a one-day profile: the message says why "d2" appears.
    @Test func aWindowEndingTheNextDaySaysSo() throws {
        func message(_ window: ProfileWindow) -> String {
            do {
                _ = try Plan(profile: Self.day, scale: RunScale(peakRate: 1, compression: .speed(1), window: window))
                return ""
            } catch {
                return error.message
            }
        }
        let wrapped = message(try #require(ProfileWindow.parse("11:00-09:00")))
        #expect(
            wrapped
                == "the window 11:00-d2 09:00 is not inside the profile, which runs from 00:00 to d2 00:00 "
                + "(an end earlier than the start is the next day's)")
        let late = message(ProfileWindow(start: 25 * 3600, end: 26 * 3600))
        #expect(late == "the window d2 01:00-d2 02:00 is not inside the profile, which runs from 00:00 to d2 00:00")
    }

    @Test(arguments: [0.0, 36_000.0, 72_000.0])
    func spikesLandAtTheirInstant(at start: Double) throws {
        var profile = Self.day
        profile.spikes = [Spike(label: "flash", start: start, duration: 300, level: 3)]
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 600, compression: .speed(960)))
        let instant = plan.realTime(atProfile: start)
        #expect(plan.rate(atReal: instant + 1e-6) == 600)
        #expect(plan.rate(atReal: instant + 300 / 960 - 1e-6) == 600)
        #expect(plan.rate(atReal: instant + 300 / 960 + 1e-6) < 600 / 3 + 1e-9)
        if start > 0 { #expect(plan.rate(atReal: instant - 1e-6) < 600 / 3 + 1e-9) }
        let spikeSlots = plan.slots.filter { $0.spike == 0 }
        #expect(spikeSlots.count == 1)
        #expect(spikeSlots.first?.start == start)
        #expect(spikeSlots.first?.end == start + 300)
    }

    @Test func slotsPartitionTheWindow() throws {
        var profile = Self.day
        profile.spikes = [
            Spike(label: "a", start: 0, duration: 300, level: 2),
            Spike(label: "b", start: 3600 * 9.5, duration: 3600, level: 2),
        ]
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 10, compression: .speed(1000)))
        #expect(plan.slots.first?.start == 0)
        #expect(plan.slots.last?.end == 86_400)
        for (a, b) in zip(plan.slots, plan.slots.dropFirst()) { #expect(a.end == b.start) }
        // Spike b crosses from hour 9 into hour 10: one slot in each.
        #expect(plan.slots.filter { $0.spike == 1 }.map(\.period) == [9, 10])
        #expect(plan.slots.map(\.index) == Array(0..<plan.slots.count))
        let t = plan.realTime(atProfile: 9.75 * 3600)
        #expect(plan.slots[plan.slotIndex(atReal: t)].spike == 1)
    }

    @Test func stagesRampLinearly() throws {
        let profile = Profile(
            name: "gate",
            shape: .stages([
                Stage(duration: 10, from: 0, to: 1), Stage(duration: 20, to: 1), Stage(duration: 10, to: 0),
            ]))
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 100, compression: .speed(1)))
        #expect(plan.duration == 40)
        #expect(abs(plan.rate(atReal: 5) - 50) < 1e-9)
        #expect(abs(plan.rate(atReal: 20) - 100) < 1e-9)
        #expect(abs(plan.expectedTotal - (500 + 2000 + 500)) < 1e-9)
        #expect(profile.periods.map(\.label) == ["stage 1", "stage 2", "stage 3"])
    }
}
