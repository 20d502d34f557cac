// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "stampede",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stampede", targets: ["stampede"]),
        .executable(name: "stampede-coordinator", targets: ["stampede-coordinator"]),
        .executable(name: "stampede-worker", targets: ["stampede-worker"]),
        // No library products: the engine is built with an unsafe flag (below), which SwiftPM refuses in a
        // package used as a dependency. The libraries are for this repository's executables and tests.
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", exact: "1.46.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", exact: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
    ],
    targets: [
        // Pure: profiles, plans, pacing, scenarios, histograms, the result model. No I/O, no clock reads.
        .target(
            name: "StampedeCore",
            swiftSettings: swiftSettings
        ),
        // The monotonic clock every process on a machine shares (nanoseconds), for instants that cross processes.
        .target(name: "StampedeClock", dependencies: ["StampedeCore"], swiftSettings: swiftSettings),
        // Child processes (the run's workers, the tests' peers), started with posix_spawn, not Foundation's Process.
        .target(name: "StampedeProcess", swiftSettings: swiftSettings),
        // YAML → core types, every problem reported at once with file:line:column and path; access logs (plain or
        // gzip) read as lines.
        .target(
            name: "StampedeConfig",
            dependencies: ["StampedeCore", "StampedeCompression", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // gzip and zlib streams inflated: access logs (StampedeConfig), responses a shopper reads (StampedeWorker).
        .target(name: "StampedeCompression", dependencies: ["CZlib"], swiftSettings: swiftSettings),
        // zlib, for StampedeCompression only (scripts/setup installs zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // libnghttp2 and OpenSSL's libssl, for StampedeHTTP only (scripts/setup installs the -dev packages).
        .systemLibrary(
            name: "CNghttp2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"]), .brew(["nghttp2"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        // The client engine on SwiftNIO: HTTP/1.1, HTTP/2 through nghttp2, TLS through OpenSSL.
        .target(
            name: "StampedeHTTP",
            dependencies: [
                "CNghttp2", "COpenSSL", "StampedeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            // The engine's handlers are confined to their event loops; dynamic exclusivity checks cost ~4% of
            // its CPU per request (perf, scripts/bench) and find nothing the static checks do not.
            swiftSettings: swiftSettings + [
                .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        // The coordinator-worker protocol: the .proto, its generated code (scripts/generate-protocol), conversions.
        .target(
            name: "StampedeProtocol",
            dependencies: [
                "StampedeCore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"],
            swiftSettings: swiftSettings
        ),
        // Scheduler, shoppers, recorder; the worker agent (a Service around one state machine).
        .target(
            name: "StampedeWorker",
            dependencies: [
                "StampedeCore", "StampedeHTTP", "StampedeProtocol", "StampedeClock", "StampedeProcess",
                "StampedeCompression",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            // As in StampedeHTTP: no dynamic exclusivity checks in release (~1 % of the shopper path's CPU at
            // 45,000 requests/s, perf); the debug builds' tests keep them.
            swiftSettings: swiftSettings + [
                .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        // What the coordinator reads from the target: setup requests, the books (HTTP or SQL), the drill's
        // simulators. Plain values the coordinator calls from its actions.
        .target(
            name: "StampedeVerify",
            dependencies: [
                "StampedeCore", "StampedeHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs a rehearsal: a Service around one state machine that drives workers, merges their intervals, writes
        // the run directory and tells what happens as typed events.
        .target(
            name: "StampedeCoordinator",
            dependencies: [
                "StampedeCore", "StampedeReport", "StampedeProtocol", "StampedeClock", "StampedeHTTP", "StampedeVerify",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Scenario drafts from browser recordings (HAR): steps, think times, correlated values.
        .target(name: "StampedeRecorder", dependencies: ["StampedeCore"], swiftSettings: swiftSettings),
        // Console and JSON renderers of the result model.
        .target(
            name: "StampedeReport",
            dependencies: [
                "StampedeCore", .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings),
        // Payment channel simulators with faults on the drill's clock, and a ledger of every charge.
        .target(
            name: "StampedePayments",
            dependencies: [
                "StampedeCore", "StampedeClock",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The reference checkout shop.
        .target(
            name: "StampedeShop",
            dependencies: [
                "StampedeClock", "StampedeCore", "StampedeHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StampedeTestKit",
            dependencies: [
                "StampedeCore", "StampedeClock", "StampedeShop", "StampedeWorker", "StampedeCoordinator",
                "StampedePayments", "StampedeProcess",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line interface: argument parsing and wiring only.
        .target(
            name: "StampedeCLI",
            dependencies: [
                "StampedeCore", "StampedeConfig", "StampedeCoordinator", "StampedeWorker", "StampedeReport",
                "StampedeShop", "StampedeHTTP", "StampedePayments", "StampedeRecorder", "StampedeProtocol",
                "StampedeClock", "StampedeProcess",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "stampede",
            dependencies: ["StampedeCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "stampede-coordinator",
            dependencies: ["StampedeCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "stampede-worker",
            dependencies: ["StampedeCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeCoreTests",
            dependencies: ["StampedeCore", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeConfigTests", dependencies: ["StampedeConfig", "StampedeCore", "StampedeTestKit"],
            resources: [.copy("Malformed")], swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeHTTPTests",
            dependencies: [
                "StampedeHTTP", "StampedeTestKit", "StampedeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeRecorderTests", dependencies: ["StampedeRecorder", "StampedeCore", "StampedeConfig"],
            exclude: ["Recordings"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeReportTests", dependencies: ["StampedeReport", "StampedeCore", "StampedeProcess"],
            exclude: ["Schemas"], swiftSettings: swiftSettings),
        .testTarget(name: "StampedeProcessTests", dependencies: ["StampedeProcess"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeShopTests",
            dependencies: [
                "StampedeShop", "StampedeTestKit", "StampedeHTTP", "StampedePayments", "StampedeCore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeWorkerTests",
            dependencies: [
                "StampedeWorker", "StampedeCore", "StampedeHTTP", .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeCoordinatorTests",
            dependencies: [
                "StampedeCoordinator", "StampedeReport", "StampedeCore", "StampedeTestKit", "StampedeShop",
                "StampedeWorker", "StampedeHTTP", "StampedeProtocol", "StampedeClock", "StampedePayments",
                "StampedeConfig", "StampedeVerify", "StampedeRecorder", "StampedeProcess",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
    ]
)
