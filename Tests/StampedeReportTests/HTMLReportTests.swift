import Foundation
import Testing

@testable import StampedeCore
@testable import StampedeReport

#if canImport(FoundationXML)
import FoundationXML
#endif

struct HTMLReportTests {
    static func summary(_ ms: Double) -> LatencySummary {
        LatencySummary(count: 10, p50: ms, p90: ms * 2, p99: ms * 4, p999: ms * 8, max: ms * 10, mean: ms)
    }

    /// A report of `seconds` seconds, one timeline point each, and its series at the aggregator's stride.
    static func run(seconds: Int, steps: Int = 5) throws -> (RunReport, RunSeries) {
        var report = try ConsoleReportTests.report(
            [], facts: [.ended(actualSeconds: Double(seconds), interrupted: false, reason: nil)])
        var counts = RequestCounts()
        counts.requests = 100
        counts.ok = 97
        counts.failed = 2
        counts.throttled = 1
        counts.errors = [.timeout: 1, .status5xx: 1]
        report.timeline = (0..<seconds).map { second in
            var shoppers = ArrivalCounts()
            shoppers.planned = 50
            shoppers.started = 50
            return TimelinePoint(
                second: second, clock: "", expected: 50, shoppers: shoppers, requests: counts, inFlight: 7, waiting: 0,
                corrected: summary(second == seconds / 2 ? 900 : 2), uncorrected: summary(1.5))
        }
        let stride = RunSeries.stride(forSeconds: Double(seconds))
        let series = RunSeries(
            stride: stride,
            steps: (0..<steps).map { index in
                RunSeries.StepSeries(
                    flow: "buyer", step: "step\(index)",
                    points: Swift.stride(from: 0, to: seconds, by: stride).map {
                        RunSeries.StepPoint(
                            second: $0, requests: 20, failed: 0, corrected: summary(3), uncorrected: summary(2))
                    })
            }, bursts: [], workers: [RunSeries.WorkerSpan(name: "w", first: 0, last: seconds - 1)])
        return (report, series)
    }

    static func charts(_ html: String) -> [(id: String, series: Int, points: [Int])] {
        html.components(separatedBy: "<svg class=\"chart\" id=\"").dropFirst().map { part in
            let id = String(part.prefix { $0 != "\"" })
            let svg = part.components(separatedBy: "</svg>")[0]
            let points = svg.components(separatedBy: "data-points=\"").dropFirst().map {
                Int($0.prefix { $0 != "\"" })!
            }
            return (id, points.count, points)
        }
    }

    @Test func aShortRunDrawsEverySecond() throws {
        let (report, series) = try Self.run(seconds: 90)
        let html = HTMLReport.render(report, series: series, judgement: RunJudgement.of(report))
        let charts = Self.charts(html)
        #expect(charts.map(\.id) == ["arrivals", "latency"] + (0..<5).map { "step-\($0)" } + ["errors"])
        let arrivals = try #require(charts.first { $0.id == "arrivals" })
        // Planned, started, dropped, in flight, waiting for a connection.
        #expect(arrivals.series == 5)
        #expect(arrivals.points == [90, 90, 90, 90, 90])
        let latency = try #require(charts.first { $0.id == "latency" })
        #expect(latency.series == 8)
        // Each step: p50, p99, p99.9 and max, corrected and uncorrected.
        #expect(charts.filter { $0.id.hasPrefix("step-") }.allSatisfy { $0.series == 8 && $0.points.count == 8 })
        // The errors chart has a series per label seen, and one for 429s.
        let errors = try #require(charts.first { $0.id == "errors" })
        #expect(errors.series == 3)
        #expect(html.contains("data-name=\"status_5xx\"") && html.contains("data-name=\"timeout\""))
        #expect(!html.contains("<script"), "report.html needs no script")
        #expect(!html.contains("http://") || !html.contains("src=\"http"), "nothing is fetched")
    }

    /// A 24 h run at one point per second stays light: min/max per pixel column, every chart under 4 points a column.
    @Test func aDayAtOnePointPerSecondStaysUnderFiveMegabytes() throws {
        let (report, series) = try Self.run(seconds: 86_400)
        #expect(series.stride == 87)
        let html = HTMLReport.render(report, series: series, judgement: RunJudgement.of(report))
        #expect(html.utf8.count < 5_000_000, "\(html.utf8.count) bytes")
        print("a 24 h report.html: \(html.utf8.count) bytes")
        let columns = Int(LineChart.width - LineChart.margin.left - LineChart.margin.right)
        for chart in Self.charts(html) {
            for points in chart.points { #expect(points <= 4 * columns, "\(chart.id): \(points)") }
        }
        // The one slow second at noon survives the thinning: the chart's scale reaches its max (9,000 ms).
        let latency = try #require(html.components(separatedBy: "id=\"latency\"").last)
        #expect(latency.contains(">10k<"), "the log axis reaches 10 s")
    }

    @Test func theThinningKeepsEachColumnsExtremes() {
        var points = (0..<10_000).map { ChartPoint(x: Double($0), y: 1) }
        points[5_000].y = 500
        points[7_000].y = -3
        let thinned = Downsample.minMax(points, columns: 100, from: 0, to: 10_000)
        #expect(thinned.count <= 400)
        #expect(thinned.contains(ChartPoint(x: 5_000, y: 500)))
        #expect(thinned.contains(ChartPoint(x: 7_000, y: -3)))
        #expect(thinned.first == points.first && thinned.last == points.last)
        #expect(zip(thinned, thinned.dropFirst()).allSatisfy { $0.x < $1.x }, "in order")
        // Few points are drawn as they are.
        #expect(Downsample.minMax(Array(points.prefix(300)), columns: 100, from: 0, to: 300).count == 300)
    }

    @Test func namesFromTheScenarioAreEscaped() throws {
        var (report, series) = try Self.run(seconds: 10, steps: 1)
        series.steps[0].step = "<script>alert(1)</script>"
        report.run.target = "http://127.0.0.1:1/?a=1&b=\"2\""
        let html = HTMLReport.render(report, series: series, judgement: nil)
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a=1&amp;b=&quot;2&quot;"))
    }

    /// Every chart is well-formed SVG (XML), whatever its data.
    @Test func everyChartIsWellFormedXML() throws {
        let (report, series) = try Self.run(seconds: 30)
        let html = HTMLReport.render(report, series: series, judgement: RunJudgement.of(report))
        let svgs = html.components(separatedBy: "<svg ").dropFirst().map {
            "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>"
        }
        #expect(svgs.count == 8)
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? ""): \(svg.prefix(200))")
        }
    }

    @Test func aFlashSaleIsZoomedAgainstItsStock() throws {
        var (report, series) = try Self.run(seconds: 60)
        report.bursts = [
            BurstSummary(
                label: "10:00 flash sale", at: "10:00", sku: "FLASH-1", crowd: 500, stock: 3,
                shoppers: ArrivalCounts(), requests: RequestCounts(), confirmations: 3, soldOutTold: 497,
                timeToSellOut: 0.05, corrected: Self.summary(4))
        ]
        series.bursts = [
            RunSeries.BurstSeries(
                label: "10:00 flash sale", sku: "FLASH-1", stock: 3, start: 20, within: 0.5,
                confirmedAt: [20.01, 20.03, 20.05])
        ]
        let html = HTMLReport.render(report, series: series, judgement: nil)
        let burst = try #require(Self.charts(html).first { $0.id == "burst-0" })
        // Confirmations as a step line: the start, each confirmation, the end of the window.
        #expect(burst.points == [5])
        #expect(html.contains("stock 3") && html.contains("sold out after 0.05 s"))
        #expect(Self.charts(html).contains { $0.id == "burst-0-latency" })
    }

    @Test func theDrillShowsEachChannelWithTheFaultShaded() throws {
        var (report, series) = try Self.run(seconds: 60)
        report.payments = PaymentVerdict(
            primary: "alipay", faults: [FaultWindow(channel: "alipay", kind: .timeout, from: 20, until: 40)],
            failoverSeconds: 1.5, recoverySeconds: 21, successRateBefore: 1, paid: 100, failed: 3, unknown: 0,
            failedDuringFault: 3, unknownDuringFault: 0, doubleCharges: 0, extraCharges: 0, orphanCharges: 1,
            unchargedOrders: 2,
            coupons: nil, orderStatuses: nil, chargesByChannel: [:],
            channelShare: (0..<60).map {
                PaymentVerdict.ChannelSecond(
                    second: $0, paid: ($0 >= 20 && $0 < 40) ? ["wechat": 2] : ["alipay": 2], failed: $0 == 20 ? 3 : 0)
            }, attempts: nil, verified: true, problem: nil)
        let html = HTMLReport.render(report, series: series, judgement: nil)
        let drill = try #require(Self.charts(html).first { $0.id == "drill" })
        #expect(drill.series == 3, "alipay, wechat, failed")
        #expect(drill.points == [60, 60, 60])
        #expect(html.contains("failover +1.50 s") && html.contains("recovered +21.0 s"))
        #expect(html.contains("class=\"band\""))
        #expect(html.contains("orphan charges: 1; uncharged orders: 2"))
    }

    /// The tables: a lost worker's row and its gap in red; an SKU's verdict only once the run is over.
    @Test func theTablesMarkWhatFailedAndWaitForTheVerdicts() throws {
        var (report, series) = try Self.run(seconds: 10, steps: 1)
        report.workers = [
            WorkerSummary(name: "w1", status: .finished, intervals: 10, shoppers: ArrivalCounts()),
            WorkerSummary(name: "w2", status: .lost, intervals: 4, shoppers: ArrivalCounts()),
        ]
        report.gaps = [GapSummary(worker: "w2", lostAt: 4.5, from: 3.9, to: 5.2, share: 0.5, plannedNotSent: 30)]
        let html = HTMLReport.render(report, series: series, judgement: RunJudgement.of(report))
        #expect(html.contains("<table class=\"workers\"><tr><th>worker</th><th>status</th>"))
        #expect(html.contains("<tr class=\"\"><td>w1</td><td>finished</td><td>10</td>"))
        #expect(html.contains("<tr class=\"failed\"><td>w2</td><td>lost</td><td>4</td>"))
        #expect(html.contains("w2 lost at 4.50 s; arrivals of its share not sent from 3.90 s to 5.20 s"))
        #expect(html.contains("<table class=\"periods\">") && html.contains("<span class=\"bar p99\""))
    }

    /// What the console notes under its errors, the page says under its verdicts: here, arrivals dropped at the cap.
    @Test func droppedArrivalsAreNamedInTheHeader() throws {
        var (report, series) = try Self.run(seconds: 10, steps: 1)
        for second in 5..<10 {
            report.timeline[second].shoppers.started = 20
            report.timeline[second].shoppers.dropped = 30
        }
        report.totals.shoppers.planned = 500
        report.totals.shoppers.started = 350
        report.totals.shoppers.dropped = 150
        report.run.maxShoppers = 40
        let html = HTMLReport.render(report, series: series, judgement: RunJudgement.of(report))
        #expect(html.contains("<dt>load</dt><dd>peak"), "\(html.prefix(3_000))")
        #expect(html.contains("350 shoppers (150 dropped), "), "\(html.prefix(3_000))")
        // The run's middle second waited 900 ms in the generator: that note comes first, as on the console.
        #expect(html.contains("<ul class=\"notes\"><li>the generator, not the target, was the bottleneck in 1 of 10"))
        #expect(
            html.contains("<li>150 of 500 planned arrivals (30.0%) were dropped, not sent, in 5 of 10 seconds"),
            "\(html.prefix(3_000))")
        // Nothing dropped, nor waited: neither.
        var (calm, calmSeries) = try Self.run(seconds: 10, steps: 1)
        calm.timeline[5].corrected = Self.summary(2)
        let quiet = HTMLReport.render(calm, series: calmSeries, judgement: RunJudgement.of(calm))
        #expect(!quiet.contains(" dropped)") && !quiet.contains("class=\"notes\""))
    }

    /// The header lists why the run failed, its verdicts and its thresholds. They were written for the header from
    /// the start, but behind `{{#list.first}}`, which the template library reads as a member lookup that finds
    /// nothing: no report.html ever showed them.
    @Test func theHeaderListsTheReasonsTheVerdictsAndTheThresholds() throws {
        var report = try CIReportTests.report()
        report.inventory = [
            InventoryVerdict(
                sku: "X", verified: true, problem: nil, initialStock: 1, confirmedUnits: 2, confirmations: 2,
                soldOutTold: 0, failedAttempts: 0, bookedByTarget: 2, released: nil, finalStock: -1, reservedAtEnd: 0,
                oversold: 1, negativeStock: true, phantom: 0, unannounced: 0, leaked: 0, soldOutAt: nil,
                firstOversoldAt: nil)
        ]
        let (_, series) = try Self.run(seconds: 3, steps: 1)
        let html = HTMLReport.render(report, series: series, judgement: RunJudgement.of(report))
        #expect(html.contains("<ul class=\"reasons\"><li>"), "\(html.prefix(3_000))")
        #expect(html.contains("<ul class=\"verdicts\"><li>X: OVERSOLD"), "\(html.prefix(3_000))")
        #expect(html.contains("<table class=\"thresholds\">"), "\(html.prefix(3_000))")
        #expect(html.contains("<td><code>p99(buyer/order) &lt; 300ms</code></td><td>312 ms</td>"))
        // The reason is escaped like any text from a run.
        #expect(html.contains("the books were not read &lt;after&gt; &amp; &quot;gone&quot;"))
        // A live page has no verdicts yet, and no empty lists stand in for them.
        let live = HTMLReport.render(report, series: series, judgement: nil, live: HTMLReport.Live())
        #expect(!live.contains("class=\"reasons\"") && !live.contains("class=\"notes\""))
    }

    @Test func theLivePageListensAndOffersStop() throws {
        let (report, series) = try Self.run(seconds: 5)
        let page = HTMLReport.render(report, series: series, judgement: nil, live: HTMLReport.Live())
        #expect(page.contains("new EventSource"))
        #expect(page.contains("id=\"stop\""))
        #expect(page.contains("<h1>Stampede — live</h1>"))
        #expect(!HTMLReport.render(report, series: series, judgement: nil).contains("EventSource"))
    }

    @Test func ticksAreRoundNumbersAndClocks() {
        #expect(Ticks.niceCeiling(73) == 100)
        #expect(Ticks.niceCeiling(0.0031) == 0.005)
        #expect(Ticks.linear(0...100, count: 5) == [0, 20, 40, 60, 80, 100])
        #expect(Ticks.decades(1...1000) == [1, 10, 100, 1000])
        #expect(Ticks.clock(45) == "45s")
        #expect(Ticks.clock(754) == "12:34")
        #expect(Ticks.clock(86_399) == "23:59:59")
        #expect(Ticks.label(25_000) == "25k")
    }
}
