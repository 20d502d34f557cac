/// The channel simulators' admin API as JSON types, shared by the simulators that serve it and the coordinator
/// that calls it (`POST /admin/faults`, `GET /admin/ledger`), and the target's attempt counts the drill reads.
public enum SimulatorAPI {
    /// `POST /admin/faults`: the faults, timed from the run's start, which is `startInMs` from now.
    public struct FaultsRequest: Codable, Sendable, Equatable {
        public struct Fault: Codable, Sendable, Equatable {
            public var kind: ChannelFault.Kind
            public var fromMs: Int
            public var forMs: Int
            public var extraMs: Int

            public init(kind: ChannelFault.Kind, fromMs: Int, forMs: Int, extraMs: Int = 0) {
                self.kind = kind
                self.fromMs = fromMs
                self.forMs = forMs
                self.extraMs = extraMs
            }

            enum CodingKeys: String, CodingKey {
                case kind
                case fromMs = "from_ms"
                case forMs = "for_ms"
                case extraMs = "extra_ms"
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                kind = try container.decode(ChannelFault.Kind.self, forKey: .kind)
                fromMs = try container.decode(Int.self, forKey: .fromMs)
                forMs = try container.decode(Int.self, forKey: .forMs)
                extraMs = try container.decodeIfPresent(Int.self, forKey: .extraMs) ?? 0
            }

            public var fault: ChannelFault {
                ChannelFault(
                    kind: kind, from: Double(fromMs) / 1000, duration: Double(forMs) / 1000,
                    extra: Double(extraMs) / 1000)
            }
        }

        public var faults: [Fault]
        public var startInMs: Int

        public init(faults: [Fault], startInMs: Int) {
            self.faults = faults
            self.startInMs = startInMs
        }

        enum CodingKeys: String, CodingKey {
            case faults
            case startInMs = "start_in_ms"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            faults = try container.decodeIfPresent([Fault].self, forKey: .faults) ?? []
            startInMs = try container.decodeIfPresent(Int.self, forKey: .startInMs) ?? 0
        }
    }

    /// `GET /admin/ledger`: every charge the channel made.
    public struct Ledger: Codable, Sendable, Equatable {
        public struct Charge: Codable, Sendable, Equatable {
            public var id: String
            public var order: String
            public var amount: Int
            public var idempotencyKey: String?
            public var succeeded: Bool

            enum CodingKeys: String, CodingKey {
                case id, order, amount
                case idempotencyKey = "idempotency_key"
                case succeeded
            }
        }

        public var channel: String
        public var charges: [Charge]

        public init(channel: String, charges: [ChargeRecord]) {
            self.channel = channel
            self.charges = charges.map {
                Charge(
                    id: $0.id, order: $0.order, amount: $0.amount, idempotencyKey: $0.idempotencyKey,
                    succeeded: $0.succeeded)
            }
        }

        /// The charges as the drill's verdict reads them, named by the channel the coordinator knows it as.
        public func records(channel name: String) -> [ChargeRecord] {
            charges.map {
                ChargeRecord(
                    id: $0.id, order: $0.order, amount: $0.amount, idempotencyKey: $0.idempotencyKey,
                    succeeded: $0.succeeded,
                    channel: name)
            }
        }
    }

    /// The target's payment attempts per channel by outcome (`{channels: {name: {outcome: n}}}`).
    public struct Attempts: Codable, Sendable, Equatable {
        public var channels: [String: [String: Int]]
    }
}

extension PaymentDrill {
    /// When each fault happens in run seconds, on a plan's clock.
    public func faultWindows(plan: Plan) -> [FaultWindow] {
        faults.map { fault in
            let from = plan.realTime(atProfile: fault.at)
            return FaultWindow(channel: fault.channel, kind: fault.kind, from: from, until: from + fault.lasting)
        }
    }

    /// What to tell one channel's simulator: its faults, timed from the run's start `startIn` from now.
    public func faultsRequest(channel: String, plan: Plan, startIn: Duration) -> SimulatorAPI.FaultsRequest {
        let requests = faults.filter { $0.channel == channel }.map { fault in
            SimulatorAPI.FaultsRequest.Fault(
                kind: fault.kind, fromMs: Int(plan.realTime(atProfile: fault.at) * 1000),
                forMs: Int(fault.lasting * 1000),
                extraMs: Int(fault.extra * 1000))
        }
        return SimulatorAPI.FaultsRequest(faults: requests, startInMs: max(0, Int(startIn.wholeMilliseconds)))
    }
}
