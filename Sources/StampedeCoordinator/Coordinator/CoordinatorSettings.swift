/// How the coordinator runs its workers.
public struct CoordinatorSettings: Sendable, Equatable {
    public var expectedWorkers: Int
    /// A worker that hears nothing for this long stops on its own.
    public var lease: Duration
    public var heartbeat: Duration
    public var silenceBeforeLost: Duration
    /// From the last expected worker's hello to the shared start instant.
    public var startDelay: Duration
    /// A lost worker's share goes to the others from the first whole second at least this far away.
    public var handoverMargin: Duration
    public var maxShoppersPerWorker: Int
    public var connectionsPerWorker: Int
    public var requestTimeout: Duration
    /// How long shoppers may go on after a stop before they are cancelled.
    public var stopDrain: Duration
    /// After a stop, how long to wait for the workers' last intervals.
    public var stopTimeout: Duration
    /// How often the coordinator looks at the time: heartbeats, losses and deadlines are checked on this tick.
    public var tick: Duration
    /// How long to wait for every expected worker; then the run ends without starting. Nil waits for ever.
    public var registrationTimeout: Duration?
    /// How long after the first request ended the run goes on while not one request has had an answer; then it
    /// stops (``TargetReach``). Nil goes on to the end.
    public var unreachedAfter: Duration?

    public init(
        expectedWorkers: Int, lease: Duration = .seconds(3), heartbeat: Duration = .milliseconds(500),
        silenceBeforeLost: Duration = .seconds(2), startDelay: Duration = .seconds(1),
        handoverMargin: Duration = .milliseconds(500), maxShoppersPerWorker: Int = 10_000,
        connectionsPerWorker: Int = 256, requestTimeout: Duration = .seconds(10),
        stopDrain: Duration = .milliseconds(500),
        stopTimeout: Duration = .seconds(3), tick: Duration = .milliseconds(100),
        registrationTimeout: Duration? = .seconds(60), unreachedAfter: Duration? = .seconds(10)
    ) {
        self.unreachedAfter = unreachedAfter
        self.registrationTimeout = registrationTimeout
        self.expectedWorkers = expectedWorkers
        self.lease = lease
        self.heartbeat = heartbeat
        self.silenceBeforeLost = silenceBeforeLost
        self.startDelay = startDelay
        self.handoverMargin = handoverMargin
        self.maxShoppersPerWorker = maxShoppersPerWorker
        self.connectionsPerWorker = connectionsPerWorker
        self.requestTimeout = requestTimeout
        self.stopDrain = stopDrain
        self.stopTimeout = stopTimeout
        self.tick = tick
    }

    /// After the plan's end, how long to wait for the workers' last intervals: their drain (15 s), a request
    /// timeout, and a margin.
    public var finishTimeout: Duration { requestTimeout + .seconds(20) }
}
