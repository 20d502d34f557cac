import Foundation
import NIOCore
import NIOHTTP1
import StampedeClock
import StampedeCore
import StampedeHTTP

/// Runs a payment drill's side of the run: resets the channel simulators before it, arms their faults on the
/// run's clock once the start is known, and afterwards reads their ledgers and the target's orders and attempts.
actor DrillConductor {
    let drill: PaymentDrill
    private let plan: Plan
    private let target: Origin
    private let client: HTTPClient
    private var windows: [FaultWindow] = []
    private var problem: String?

    init(drill: PaymentDrill, plan: Plan, target: Origin, client: HTTPClient) {
        self.drill = drill
        self.plan = plan
        self.target = target
        self.client = client
    }

    /// Empties every simulator's ledger and schedule; a simulator that cannot be reached stops the drill.
    func prepare() async throws {
        for channel in drill.channels {
            guard let (origin, _) = TargetURL.resolve(channel.url, target: target) else {
                throw CoordinatorError("the drill channel \(channel.name) has no usable URL: \(channel.url)")
            }
            do {
                let response = try await post(origin, "/admin/reset", body: "{}")
                guard response.status == 200 else { throw CoordinatorError("answered \(response.status)") }
            } catch {
                throw CoordinatorError("the drill channel \(channel.name) at \(channel.url) cannot be reset: \(error)")
            }
        }
    }

    /// Gives each simulator its faults, timed from the run's start (monotonic nanoseconds on this machine).
    func arm(start: Int64) async {
        let startIn = max(0, Int((start - ProcessClock.now()) / 1_000_000))
        for channel in drill.channels {
            let faults = drill.faults.filter { $0.channel == channel.name }
            let entries = faults.map { fault -> [String: Any] in
                let from = plan.realTime(atProfile: fault.at)
                windows.append(FaultWindow(channel: fault.channel, kind: fault.kind, from: from, until: from + fault.lasting))
                return ["kind": fault.kind.rawValue, "from_ms": Int(from * 1000), "for_ms": Int(fault.lasting * 1000),
                        "extra_ms": Int(fault.extra * 1000)]
            }
            let body = (try? JSONSerialization.data(withJSONObject: ["faults": entries, "start_in_ms": startIn]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            guard let (origin, _) = TargetURL.resolve(channel.url, target: target) else { continue }
            do {
                let response = try await post(origin, "/admin/faults", body: body)
                if response.status != 200 { note("the faults of \(channel.name) were not accepted (\(response.status))") }
            } catch {
                note("the faults of \(channel.name) could not be set: \(error)")
            }
        }
    }

    /// Every simulator's ledger, the target's orders and attempts.
    func gather() async -> DrillRecord {
        var charges: [ChargeRecord]? = []
        for channel in drill.channels {
            guard let (origin, _) = TargetURL.resolve(channel.url, target: target),
                let document = await get(origin, "/admin/ledger", what: "the ledger of \(channel.name)"),
                case .array(let items)? = document.value(at: try! ValuePath(parsing: "$.charges"))
            else {
                charges = nil
                continue
            }
            for item in items {
                guard let id = item.value(at: try! ValuePath(parsing: "id"))?.scalarText,
                    let order = item.value(at: try! ValuePath(parsing: "order"))?.scalarText
                else { continue }
                charges?.append(ChargeRecord(
                    id: id, order: order, amount: item.value(at: try! ValuePath(parsing: "amount"))?.integer ?? 0,
                    idempotencyKey: item.value(at: try! ValuePath(parsing: "idempotency_key"))?.scalarText,
                    succeeded: item.value(at: try! ValuePath(parsing: "succeeded")) == .bool(true), channel: channel.name))
            }
        }
        var orders: [OrderRecord]? = nil
        if let url = drill.orders, let (origin, path) = TargetURL.resolve(url, target: target),
            let document = await get(origin, path, what: "the target's orders"),
            case .array(let items)? = document.value(at: try! ValuePath(parsing: "$.orders"))
        {
            orders = items.compactMap { item in
                guard let id = item.value(at: try! ValuePath(parsing: "id"))?.scalarText else { return nil }
                return OrderRecord(
                    id: id, status: item.value(at: try! ValuePath(parsing: "status"))?.scalarText ?? "?",
                    channel: item.value(at: try! ValuePath(parsing: "channel"))?.scalarText,
                    coupon: item.value(at: try! ValuePath(parsing: "coupon"))?.scalarText)
            }
        } else if drill.orders != nil {
            note("the target's orders could not be read")
        }
        var attempts: [String: [String: Int]]? = nil
        if let url = drill.attempts, let (origin, path) = TargetURL.resolve(url, target: target),
            let document = await get(origin, path, what: "the target's payment attempts"),
            case .object(let channels)? = document.value(at: try! ValuePath(parsing: "$.channels"))
        {
            attempts = [:]
            for (name, value) in channels {
                guard case .object(let outcomes) = value else { continue }
                attempts?[name] = Dictionary(outcomes.compactMap { key, count in count.integer.map { (key, $0) } },
                                             uniquingKeysWith: +)
            }
        }
        return DrillRecord(
            primary: drill.primary, faults: windows, charges: charges, orders: orders, attempts: attempts, problem: problem)
    }

    private func note(_ message: String) {
        if problem == nil { problem = message }
    }

    private func post(_ origin: Origin, _ path: String, body: String) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        return try await client.execute(
            HTTPRequest(method: .POST, target: path, headers: headers, body: ByteBuffer(string: body)), to: origin,
            timeout: .seconds(5))
    }

    private func get(_ origin: Origin, _ path: String, what: String) async -> JSONValue? {
        do {
            let response = try await client.execute(HTTPRequest(target: path), to: origin, timeout: .seconds(5))
            guard response.status == 200, let document = JSONValue(parsing: Array(response.body.readableBytesView)) else {
                note("\(what) answered \(response.status)")
                return nil
            }
            return document
        } catch {
            note("\(what) could not be read: \(error)")
            return nil
        }
    }
}
