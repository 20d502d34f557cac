import Mustache
public import StampedeCore

/// `report.html`: the run as one self-contained page (styles inline, charts as SVG drawn here, no script), and
/// the same page live on the coordinator's dashboard, where a few lines of inline script swap in the body sent
/// every second and offer a Stop button.
public enum HTMLReport {
    /// The live dashboard's parts: where its events come from and where Stop goes.
    public struct Live: Sendable {
        public var events: String
        public var stop: String

        public init(events: String = "events", stop: String = "stop") {
            self.events = events
            self.stop = stop
        }
    }

    /// The whole page.
    public static func render(
        _ report: RunReport, series: RunSeries, judgement: RunJudgement?, live: Live? = nil
    ) -> String {
        var context: [String: Any] = [
            "title": "Stampede \(report.run.id) — \(report.run.profileTitle)",
            "body": body(report, series: series, judgement: judgement),
            "style": style,
        ]
        if let live {
            context["live"] = ["events": live.events, "stop": live.stop, "script": script]
        }
        return page.render(context)
    }

    /// The page's body: what the dashboard sends every second.
    public static func body(_ report: RunReport, series: RunSeries, judgement: RunJudgement?) -> String {
        let charts = RunCharts(report: report, series: series)
        let sections = charts.sections
        let context: [String: Any] = [
            "header": header(report, judgement: judgement),
            "nav": sections.map { ["id": $0.id, "title": $0.title] },
            "sections": sections.map { section in
                [
                    "id": section.id, "title": section.title,
                    "charts": section.charts.map { $0.svg() }.joined(), "note": section.note ?? "",
                ]
            },
            "tables": RunTables(report: report, series: series, final: judgement != nil).html,
        ]
        return bodyTemplate.render(context)
    }

    private static func header(_ report: RunReport, judgement: RunJudgement?) -> [String: Any] {
        let run = report.run
        var facts: [[String: String]] = [
            ["name": "profile", "value": "\(run.profile) — \(run.profileTitle)"],
            ["name": "window", "value": "\(run.window) (\(run.timeZone))"],
            [
                "name": "time",
                "value": "\(Format.seconds(run.actualSeconds)) of \(Format.seconds(run.plannedSeconds)) planned, "
                    + "\(Format.rate(run.speed))× the profile's speed",
            ],
            ["name": "target", "value": "\(run.target) (scenario \(run.scenario))"],
            ["name": "started", "value": run.startedAt],
            [
                "name": "load",
                "value":
                    "peak \(Format.count(run.peakRate))/s, \(run.arrivals), \(Format.count(report.totals.shoppers.started)) "
                    + "shoppers"
                    + (report.totals.shoppers.dropped > 0
                        ? " (\(Format.count(report.totals.shoppers.dropped)) dropped)" : "")
                    + ", \(Format.count(report.totals.requests.requests)) requests",
            ],
            [
                "name": "workers",
                "value": "\(run.workers)" + (report.gaps.isEmpty ? "" : ", \(report.gaps.count) lost"),
            ],
        ]
        if let reason = run.stopReason, judgement != nil { facts.append(["name": "stopped", "value": reason]) }
        var verdicts = report.inventory.filter { $0.failed || !$0.verified }.map { "\($0.sku): \($0.summary)" }
        if !report.inventory.isEmpty, verdicts.isEmpty {
            verdicts.append("inventory: every SKU ok (\(report.inventory.count))")
        }
        if let payments = report.payments { verdicts.append("payments: \(payments.summary)") }
        if judgement != nil { verdicts += report.unknowns ?? [] }
        let thresholds = (report.thresholds ?? []).map { result -> [String: String] in
            let mark =
                switch result.outcome {
                case .passed: "✓"
                case .failed: "✗"
                case .unverified: "?"
                }
            return [
                "mark": mark, "threshold": result.threshold, "bound": result.boundText,
                "observed": result.observedText + (result.reason.map { " (\($0))" } ?? ""),
                "class": "\(result.outcome)",
            ]
        }
        var header: [String: Any] = [
            "id": run.id, "facts": facts, "verdicts": verdicts, "thresholds": thresholds,
            "notes": judgement != nil ? RunNotes.of(report) : [], "reasons": [String](),
        ]
        if let judgement {
            header["headline"] = MarkdownSummary.headline(judgement)
            header["status"] = judgement.status == .ok ? "ok" : "failed"
            header["reasons"] = judgement.reasons
        } else {
            header["headline"] = "live"
            header["status"] = "live"
        }
        return header
    }

    // The page's templates (Mustache: `{{x}}` is escaped, `{{{x}}}` is HTML made here). A list's wrapper shows
    // unless `empty(list)`: a transform is called like a function (`list.first` looks up a member named `first`,
    // finds none, and hid every list of the header).

    private static let page = try! MustacheTemplate(
        string: """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <link rel="icon" href="data:,"><title>{{title}}</title><style>{{{style}}}</style></head>
            <body>{{#live}}<div class="live-bar"><span id="live-state">live</span>
            <input id="token" type="password" placeholder="the run's token" autocomplete="off">
            <button id="stop" data-stop="{{stop}}">Stop the run</button><span id="stop-result"></span></div>{{/live}}
            <main id="content">{{{body}}}</main>
            {{#live}}<script data-events="{{events}}">{{{script}}}</script>{{/live}}
            </body></html>
            """)

    private static let bodyTemplate = try! MustacheTemplate(
        string: """
            {{#header}}<header class="{{status}}"><h1>Stampede — {{headline}}</h1><p class="run-id">{{id}}</p>
            <dl>{{#facts}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/facts}}</dl>
            {{^empty(reasons)}}<ul class="reasons">{{#reasons}}<li>{{.}}</li>{{/reasons}}</ul>{{/empty(reasons)}}
            {{^empty(verdicts)}}<ul class="verdicts">{{#verdicts}}<li>{{.}}</li>{{/verdicts}}</ul>{{/empty(verdicts)}}
            {{^empty(notes)}}<ul class="notes">{{#notes}}<li>{{.}}</li>{{/notes}}</ul>{{/empty(notes)}}
            {{^empty(thresholds)}}<table class="thresholds"><tr><th></th><th>threshold</th><th>observed</th><th>bound</th></tr>
            {{#thresholds}}<tr class="{{class}}"><td>{{mark}}</td><td><code>{{threshold}}</code></td><td>{{observed}}</td><td>{{bound}}</td></tr>{{/thresholds}}
            </table>{{/empty(thresholds)}}</header>{{/header}}
            <nav>{{#nav}}<a href="#{{id}}">{{title}}</a> {{/nav}}<a href="#tables">Tables</a></nav>
            {{#sections}}<section id="{{id}}"><h2>{{title}}</h2>{{{charts}}}{{{note}}}</section>{{/sections}}
            <section id="tables">{{{tables}}}</section>
            """)

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
        main{max-width:1000px;margin:0 auto;padding:12px}
        header{border-left:6px solid #888;padding:4px 12px;background:#fff}
        header.ok{border-color:#2ca02c}header.failed{border-color:#d62728}header.live{border-color:#1f77b4}
        h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:18px 0 6px}.run-id{color:#666;margin:0}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}dt{color:#666}dd{margin:0}
        nav{margin:10px 0}nav a{margin-right:10px}
        section{background:#fff;padding:6px 12px;margin:10px 0}
        svg.chart{width:100%;height:auto;display:block;margin:6px 0}
        svg .title{font-weight:600;font-size:13px}svg text{font-size:11px;fill:#333}
        svg .plot{fill:none;stroke:#ccc}svg .grid{stroke:#eee}svg .band{fill:#d62728;opacity:.12}
        svg .mark{stroke:#444;stroke-dasharray:2 2}svg .level{stroke:#d62728;stroke-width:1.5}
        svg .level-label{fill:#d62728;text-anchor:end}svg .mark-label{font-size:10px}
        table{border-collapse:collapse;margin:8px 0;width:100%}td,th{padding:2px 6px;border-bottom:1px solid #eee;text-align:right}
        td:first-child,th:first-child{text-align:left}.bar{display:inline-block;height:8px;background:#1f77b4;vertical-align:middle}
        .bar.p99{background:#ff7f0e}tr.failed td{color:#d62728}.verdicts li,.reasons li,.notes li{margin:2px 0}
        .live-bar{position:sticky;top:0;background:#1f77b4;color:#fff;padding:6px 12px;z-index:1}
        .live-bar button{margin-left:8px}
        """

    private static let script = """
        (function(){
          var tag=document.currentScript, state=document.getElementById('live-state');
          var source=new EventSource(tag.getAttribute('data-events'));
          source.onmessage=function(e){var m=JSON.parse(e.data);
            document.getElementById('content').innerHTML=m.html;state.textContent=m.state;
            document.body.setAttribute('data-updates',+(document.body.getAttribute('data-updates')||0)+1);
            if(m.state!=='running'){source.close();}};
          source.onerror=function(){state.textContent='disconnected';};
          var stop=document.getElementById('stop'), hash=/token=([^&]+)/.exec(location.hash);
          if(hash){document.getElementById('token').value=decodeURIComponent(hash[1]);}
          stop.onclick=function(){
            var token=document.getElementById('token').value;
            fetch(stop.getAttribute('data-stop'),{method:'POST',headers:{'Authorization':'Bearer '+token}})
              .then(function(r){return r.text().then(function(t){
                document.getElementById('stop-result').textContent=' '+r.status+' '+t;});})
              .catch(function(e){document.getElementById('stop-result').textContent=' '+e;});
          };
        })();
        """
}
