import Foundation
import NIOCore
import NIOHTTP1
public import StampedeCore
public import StampedeHTTP

/// A payment drill's side of the run, as plain calls: reset the channel simulators before the run, give them
/// their faults once the start instant is known, and afterwards read their ledgers and the target's orders and
/// attempts. The coordinator calls each from an action; nothing here keeps state between calls.
public struct DrillConductor: Sendable {
    public let drill: PaymentDrill
    public let plan: Plan
    private let target: Origin
    private let client: HTTPClient

    public init(drill: PaymentDrill, plan: Plan, target: Origin, client: HTTPClient) {
        self.drill = drill
        self.plan = plan
        self.target = target
        self.client = client
    }

    /// Empties every simulator's ledger and schedule; a simulator that cannot be reached stops the drill.
    public func prepare() async throws(VerifyError) {
        for channel in drill.channels {
            guard let (origin, path) = TargetURL.resolve("/admin/reset", under: channel.url, target: target) else {
                throw VerifyError("the drill channel \(channel.name) has no usable URL: \(channel.url)")
            }
            do {
                let response = try await post(origin, path, body: Data("{}".utf8))
                guard response.status == 200 else {
                    throw VerifyError(
                        "the drill channel \(channel.name) at \(channel.url) answered \(response.status) to a reset")
                }
            } catch let error as VerifyError {
                throw error
            } catch {
                let hint =
                    (error as? HTTPClientError)?.code == .connect
                    ? " (nothing listens there: `stampede payments` starts the simulators, docs/payments.md)" : ""
                throw VerifyError(
                    "the drill channel \(channel.name) at \(channel.url) cannot be reset: \(error)" + hint)
            }
        }
    }

    /// Gives each simulator its faults, timed from the run's start `startIn` from now. Returns the first problem.
    public func arm(startIn: Duration) async -> String? {
        var problem: String?
        for channel in drill.channels {
            guard let (origin, path) = TargetURL.resolve("/admin/faults", under: channel.url, target: target) else {
                continue
            }
            let request = drill.faultsRequest(channel: channel.name, plan: plan, startIn: startIn)
            do {
                let response = try await post(origin, path, body: try JSONEncoder().encode(request))
                if response.status != 200 {
                    problem = problem ?? "the faults of \(channel.name) were not accepted (\(response.status))"
                }
            } catch {
                problem = problem ?? "the faults of \(channel.name) could not be set: \(error)"
            }
        }
        return problem
    }

    /// Every channel's ledger, the target's orders and attempts. `problem` is what went wrong when arming.
    public func gather(problem armProblem: String?) async -> DrillRecord {
        var problem = armProblem
        func note(_ message: String) { problem = problem ?? message }
        var charges: [ChargeRecord]? = []
        for channel in drill.channels {
            guard let (origin, path) = TargetURL.resolve("/admin/ledger", under: channel.url, target: target),
                let body = await get(origin, path, what: "the ledger of \(channel.name)", note: note)
            else {
                charges = nil
                continue
            }
            do {
                let ledger = try JSONDecoder().decode(SimulatorAPI.Ledger.self, from: Data(body))
                charges?.append(contentsOf: ledger.records(channel: channel.name))
            } catch {
                note("the ledger of \(channel.name) is not a simulator's ledger: \(error)")
                charges = nil
            }
        }
        var orders: [OrderRecord]? = nil
        if let url = drill.orders {
            if let (origin, path) = TargetURL.resolve(url, target: target),
                let body = await get(origin, path, what: "the target's orders", note: note)
            {
                switch Self.orders(JSONValue(parsing: body)) {
                case .success(let parsed): orders = parsed
                case .failure(let why): note("the target's orders at \(url) could not be read: \(why)")
                }
            } else {
                note("the target's orders could not be read")
            }
        }
        var attempts: [String: [String: Int]]? = nil
        if let url = drill.attempts, let (origin, path) = TargetURL.resolve(url, target: target),
            let body = await get(origin, path, what: "the target's payment attempts", note: note)
        {
            attempts = try? JSONDecoder().decode(SimulatorAPI.Attempts.self, from: Data(body)).channels
        }
        return DrillRecord(
            primary: drill.primary, faults: drill.faultWindows(plan: plan), charges: charges, orders: orders,
            attempts: attempts, problem: problem)
    }

    /// `{orders: [{id, status, channel, coupon}]}`, ids and statuses as strings or numbers (a team's shop may
    /// number its orders). An order with no id or no status is a shape the drill cannot read: dropped, or read as
    /// unpaid, every charge for it counted as an orphan.
    static func orders(_ document: JSONValue?) -> Result<[OrderRecord], OrdersProblem> {
        let shape = #"expected {"orders": [{"id", "status", "channel", "coupon"}]}"#
        guard case .array(let items)? = document?["orders"] else { return .failure(OrdersProblem(shape)) }
        var records: [OrderRecord] = []
        for (index, item) in items.enumerated() {
            guard let id = item["id"]?.scalarText, let status = item["status"]?.scalarText else {
                var fields = ""
                if case .object(let members) = item { fields = members.map(\.0).joined(separator: ", ") }
                return .failure(
                    OrdersProblem(
                        "orders[\(index)] has no \(item["id"]?.scalarText == nil ? "id" : "status") (its fields: "
                            + (fields.isEmpty ? "none" : fields) + "); " + shape))
            }
            records.append(
                OrderRecord(
                    id: id, status: status, channel: item["channel"]?.scalarText,
                    coupon: item["coupon"]?.scalarText))
        }
        return .success(records)
    }

    /// Why the target's orders could not be read.
    struct OrdersProblem: Error, Equatable, CustomStringConvertible {
        var description: String

        init(_ description: String) { self.description = description }
    }

    private func post(_ origin: Origin, _ path: String, body: Data) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        return try await client.execute(
            HTTPRequest(method: .POST, target: path, headers: headers, body: ByteBuffer(bytes: body)), to: origin,
            timeout: .seconds(5))
    }

    private func get(_ origin: Origin, _ path: String, what: String, note: (String) -> Void) async -> [UInt8]? {
        do {
            let response = try await client.execute(HTTPRequest(target: path), to: origin, timeout: .seconds(5))
            guard response.status == 200 else {
                note("\(what) answered \(response.status)")
                return nil
            }
            return Array(response.body.readableBytesView)
        } catch {
            note("\(what) could not be read: \(error)")
            return nil
        }
    }
}
