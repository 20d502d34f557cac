public import StampedeCore

/// A run's events as console lines: what the coordinator's operator reads while the run goes.
public enum RunEventLine {
    /// The line for an event, or nil for one the console does not show (`quiet` hides the progress lines; the
    /// end is shown by the report itself).
    public static func render(_ event: RunEvent, quiet: Bool = false) -> String? {
        switch event {
        case .listening(let host, let port, let metricsPort, let dashboard, let expected):
            return "coordinator listening on \(host):\(port)"
                + (metricsPort.map { ", metrics on http://\(host):\($0)/metrics" } ?? "")
                + (dashboard.map { ", dashboard on \($0)" } ?? "")
                + "; waiting for \(expected) worker\(expected == 1 ? "" : "s")"
        case .targetSetUp(let requests):
            return "target set up (\(requests) request\(requests == 1 ? "" : "s"))"
        case .drillPrepared(let channels, let primary, let faults):
            return "payment drill: \(channels) channels reset, primary \(primary), "
                + "\(faults) fault\(faults == 1 ? "" : "s") to inject"
        case .joined(let worker, let present, let expected):
            return "worker \(worker) joined (\(present) of \(expected))"
        case .starting(let workers, let startsIn):
            return "all \(workers) worker\(workers == 1 ? "" : "s") here; the run starts in "
                + "\(Format.fixed(startsIn.seconds, 1)) s"
        case .joinedLate(let worker, let fromSecond, let share):
            return "worker \(worker) joins the run from second \(fromSecond) with \(Format.percent(share)) of it"
        case .lost(let gap):
            return "worker \(gap.worker) lost at \(Format.fixed(gap.lostAt, 1)) s; its share goes to the others from "
                + "second \(Int(gap.to)); \(gap.plannedNotSent) planned arrivals in [\(Int(gap.from)), \(Int(gap.to))) s not sent"
        case .progress(let progress):
            return quiet ? nil : ProgressLine.render(progress)
        case .stopping(let reason):
            return "stopping: \(reason)"
        case .verifying(let what):
            return "reading \(what)"
        case .problem(let problem):
            return problem.message
        case .finished:
            return nil
        }
    }
}
