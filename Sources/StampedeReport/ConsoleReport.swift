public import StampedeCore

/// The end-of-run summary for a terminal, rendered from the ``RunReport`` alone.
public enum ConsoleReport {
    public static func render(_ report: RunReport) -> String {
        var out = ""
        let run = report.run
        let why = run.stopReason.map { ": \($0)" } ?? ": stopped before the end of the plan"
        out += "Stampede rehearsal \(run.id)\(run.interrupted ? "  (INTERRUPTED\(why))" : "")\n"
        out += "  profile   \(run.profile): \(run.profileTitle)\n"
        out +=
            "  played    \(run.window) (\(run.timeZone)) in \(Format.seconds(run.plannedSeconds)) at "
            + "\(Format.fixed(run.speed, run.speed < 10 ? 2 : 0))x; ran \(Format.seconds(run.actualSeconds))\n"
        out +=
            "  load      peak \(Format.rate(run.peakRate))/s, \(run.arrivals.rawValue) arrivals, seed \(run.seed), "
            + "\(run.workers) worker\(run.workers == 1 ? "" : "s"), at most \(Format.count(run.maxShoppers)) shoppers "
            + "and \(run.connections) connections\n"
        out += "  target    \(run.target) (scenario \(run.scenario))\n\n"

        let shoppers = report.totals.shoppers
        let requests = report.totals.requests
        out +=
            "Shoppers  expected \(Format.count(report.totals.expected))  planned \(Format.count(shoppers.planned))  "
            + "started \(Format.count(shoppers.started))  dropped \(Format.count(shoppers.dropped))\n"
        out +=
            "          succeeded \(Format.count(shoppers.succeeded))  failed \(Format.count(shoppers.failed))"
            // Why, by label: a shopper still going when the run ended (`cancelled`) is not the target's failure.
            + (shoppers.failures.isEmpty ? "" : " (\(Format.errors(shoppers.failures)))")
            + "  throttled \(Format.count(shoppers.throttled))  (scheduler lag max "
            + "\(Format.milliseconds(Double(shoppers.maxStartLagMicros) / 1000)) ms)\n"
        out +=
            "Requests  \(Format.count(requests.requests))  ok \(Format.count(requests.ok))  "
            + "failed \(Format.count(requests.failed))  throttled (429) \(Format.count(requests.throttled))\n"
        out += "Errors    \(Format.errors(requests.errors))\n"
        for note in RunNotes.of(report) { out += "NOTE      \(note)\n" }
        for sample in report.errorSamples ?? [] {
            out +=
                "          first \(sample.label) at \(sample.flow)/\(sample.step) (\(Format.seconds(sample.at))): \(sample.detail)\n"
        }
        out += "\n"
        // A run stopped before its first arrival (Ctrl-C while workers were awaited) has nothing to tabulate: its
        // tables were a page of zeros.
        guard shoppers.planned > 0 || requests.requests > 0 else {
            out += "Nothing was played: the run ended before its first arrival.\n"
            return out
        }

        out +=
            "Latency per step, ms. Corrected: from the intended start to the end, whatever the outcome (includes "
            + "queueing, stalls and timeouts). Uncorrected: responses only, from the actual send.\n"
        var steps = TextTable(
            [
                "step", "requests", "p50", "p90", "p99", "p99.9", "max", "| unc p50", "unc p99", "unc max", "errors",
                "429",
            ])
        for step in report.steps {
            let c = step.corrected
            let u = step.uncorrected
            // A step nobody reached has no latency: "-", not 0.
            let cms = { (value: Double) in c.count > 0 ? Format.milliseconds(value) : "-" }
            let ums = { (value: Double) in u.count > 0 ? Format.milliseconds(value) : "-" }
            steps.add([
                "\(step.flow)/\(step.step)", Format.count(step.requests.requests), cms(c.p50), cms(c.p90), cms(c.p99),
                cms(c.p999), cms(c.max), "| " + ums(u.p50), ums(u.p99), ums(u.max), Format.count(step.requests.failed),
                Format.count(step.requests.throttled),
            ])
        }
        let t = report.totals
        steps.add([
            "all steps", Format.count(t.requests.requests), Format.milliseconds(t.corrected.p50),
            Format.milliseconds(t.corrected.p90), Format.milliseconds(t.corrected.p99),
            Format.milliseconds(t.corrected.p999), Format.milliseconds(t.corrected.max),
            "| " + Format.milliseconds(t.uncorrected.p50), Format.milliseconds(t.uncorrected.p99),
            Format.milliseconds(t.uncorrected.max), Format.count(t.requests.failed), Format.count(t.requests.throttled),
        ])
        out += steps.render() + "\n"

        out +=
            "Per \(report.periods.count > 0 && report.periods[0].label.contains(":") ? "hour of the profile clock" : "stage"): "
            + "arrivals against the plan, latency of all steps (ms)\n"
        let busiest = report.periods.map { Double($0.shoppers.started) }.max() ?? 0
        let startedTotal = Double(max(1, shoppers.started))
        let expectedTotal = max(1e-9, report.totals.expected)
        var periods = TableOfPeriods.make()
        for period in report.periods {
            periods.add([
                period.label, Format.count(period.expected), Format.count(period.shoppers.planned),
                Format.count(period.shoppers.started), Format.count(period.shoppers.dropped),
                Format.percent(period.expected / expectedTotal),
                Format.percent(Double(period.shoppers.started) / startedTotal),
                Format.count(period.shoppers.failed), Format.count(period.shoppers.throttled),
                Format.milliseconds(period.corrected.p50), Format.milliseconds(period.corrected.p99),
                Format.milliseconds(period.uncorrected.p99),
                Format.bar(busiest > 0 ? Double(period.shoppers.started) / busiest : 0),
            ])
        }
        out += periods.render()

        if report.workers.count > 1 || !report.gaps.isEmpty {
            out += "\nWorkers\n"
            var workers = TextTable(["worker", "status", "intervals", "planned", "started", "dropped", "failed"])
            for worker in report.workers {
                workers.add([
                    worker.name, worker.status.rawValue, Format.count(worker.intervals),
                    Format.count(worker.shoppers.planned),
                    Format.count(worker.shoppers.started), Format.count(worker.shoppers.dropped),
                    Format.count(worker.shoppers.failed),
                ])
            }
            out += workers.render()
            for gap in report.gaps {
                out +=
                    "  GAP: \(gap.worker) lost at \(Format.fixed(gap.lostAt, 1)) s; its share "
                    + "(\(Format.percent(gap.share))) went to the others from \(Format.fixed(gap.to, 0)) s; "
                    + "\(Format.count(gap.plannedNotSent)) planned arrivals due in [\(Format.fixed(gap.from, 0)), "
                    + "\(Format.fixed(gap.to, 0))) s were not sent (or their results were lost); "
                    + "\(Format.count(gap.unfinishedShoppers)) shoppers it had going count as failed (worker_lost)\n"
            }
        }

        if !report.bursts.isEmpty {
            out += "\nFlash sales: each crowd against its stock\n"
            var bursts = TextTable(
                [
                    "burst", "at", "sku", "crowd", "started", "stock", "confirmed", "sold out", "sold out after",
                    "p99 ms",
                    "errors", "429",
                ], leftColumns: 3)
            for burst in report.bursts {
                bursts.add([
                    burst.label, burst.at, burst.sku, Format.count(burst.crowd), Format.count(burst.shoppers.started),
                    Format.count(burst.stock), Format.count(burst.confirmations), Format.count(burst.soldOutTold),
                    burst.timeToSellOut.map { Format.seconds($0) } ?? "never", Format.milliseconds(burst.corrected.p99),
                    Format.count(burst.requests.failed), Format.count(burst.requests.throttled),
                ])
            }
            out += bursts.render()
        }

        if !report.inventory.isEmpty {
            out += "\nInventory: what shoppers were told against the target's books (\(report.books.count) readings)\n"
            var table = TextTable(
                [
                    "sku", "stock at start", "confirmed", "booked", "released", "sold out", "stock at end", "reserved",
                    "oversold", "first oversold at", "verdict",
                ])
            for verdict in report.inventory {
                table.add([
                    verdict.sku, verdict.initialStock.map(Format.count) ?? "?", Format.count(verdict.confirmedUnits),
                    verdict.bookedByTarget.map(Format.count) ?? "?", verdict.released.map(Format.count) ?? "-",
                    Format.count(verdict.soldOutTold),
                    verdict.finalStock.map(Format.count) ?? "?", verdict.reservedAtEnd.map(Format.count) ?? "-",
                    Format.count(verdict.oversold), verdict.firstOversoldAt.map { Format.seconds($0) } ?? "-",
                    verdict.summary,
                ])
            }
            out += table.render()
        }

        if let payments = report.payments {
            out += "\nPayment drill (primary \(payments.primary)): \(payments.summary)\n"
            for fault in payments.faults {
                out +=
                    "  fault     \(fault.channel) \(fault.kind.rawValue) from \(Format.seconds(fault.from)) "
                    + "to \(Format.seconds(fault.until))\n"
            }
            out +=
                "  failover  "
                + (payments.failoverSeconds.map {
                    "first payment through a backup \(Format.seconds($0)) after the fault began"
                } ?? String(payments.failover.dropFirst("failover ".count)))
                + (payments.successRateBefore.map {
                    "; success rate back within 1% of \(Format.percent($0)) "
                        + (payments.recoverySeconds.map { "after \(Format.seconds($0))" } ?? "never")
                } ?? "; \(payments.recovery)") + "\n"
            out +=
                "  told      paid \(Format.count(payments.paid)), failed \(Format.count(payments.failed)), "
                + "no answer \(Format.count(payments.unknown)); during the fault failed \(Format.count(payments.failedDuringFault)), "
                + "no answer \(Format.count(payments.unknownDuringFault))\n"
            out +=
                "  charged   "
                + payments.chargesByChannel.keys.sorted().map {
                    "\($0) \(Format.count(payments.chargesByChannel[$0]!))"
                }.joined(separator: ", ")
                + "; double charges \(Format.count(payments.doubleCharges)) (\(Format.count(payments.extraCharges)) extra), "
                + "orphan charges \(Format.count(payments.orphanCharges)), "
                + "uncharged orders \(payments.unchargedOrders.map(Format.count) ?? "?"), "
                + "coupons \(payments.coupons.map(Format.count) ?? "?")\n"
            if let statuses = payments.orderStatuses, !statuses.isEmpty {
                out +=
                    "  books     "
                    + statuses.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map {
                        "\($0.key) \(Format.count($0.value))"
                    }.joined(separator: ", ")
                    + (statuses.keys.contains { OrderRecord(id: "", status: $0).isPaid }
                        ? ""
                        : " (no order's status is \"paid\", which is what the drill reads as paid: a charge for any "
                            + "of them counts as an orphan)") + "\n"
            }
            if let attempts = payments.attempts {
                for channel in attempts.keys.sorted() {
                    out +=
                        "  attempts  \(channel): "
                        + attempts[channel]!.keys.sorted().map {
                            "\($0) \(Format.count(attempts[channel]![$0]!))"
                        }.joined(separator: ", ") + "\n"
                }
            }
        }

        if !report.spikes.isEmpty {
            out += "\nSpikes: achieved arrival rate inside the spike against the rest of its hour\n"
            var spikes = TextTable(
                ["spike", "at", "lasted", "expected", "started", "rate/s", "base/s", "x", "p99 ms"],
                leftColumns: 2)
            for spike in report.spikes {
                spikes.add([
                    spike.label, spike.at, Format.seconds(spike.realSeconds), Format.count(spike.expected),
                    Format.count(spike.shoppers.started), Format.fixed(spike.achievedRate, 0),
                    Format.fixed(spike.baseRate, 0),
                    spike.baseRate > 0 ? Format.fixed(spike.achievedRate / spike.baseRate, 1) : "-",
                    Format.milliseconds(spike.corrected.p99),
                ])
            }
            out += spikes.render()
        }
        if let unknowns = report.unknowns, !unknowns.isEmpty {
            out += "\nWhat this report could not know\n"
            for unknown in unknowns { out += "  - \(unknown)\n" }
        }
        return out
    }

    private enum TableOfPeriods {
        static func make() -> TextTable {
            TextTable([
                "period", "expected", "planned", "started", "dropped", "plan%", "got%", "failed", "429", "p50",
                "p99", "unc p99", "started",
            ])
        }
    }
}
