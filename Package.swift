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
        .library(name: "StampedeCore", targets: ["StampedeCore"]),
        .library(name: "StampedeTestKit", targets: ["StampedeTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
    ],
    targets: [
        // Pure: profiles, plans, pacing, scenarios, histograms, the result model. No I/O, no clock reads.
        .target(
            name: "StampedeCore",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: swiftSettings
        ),
        // YAML → core types, every problem reported at once with file:line:column and path.
        .target(
            name: "StampedeConfig",
            dependencies: ["StampedeCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // The client engine on SwiftNIO.
        .target(
            name: "StampedeHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Scheduler, shoppers, recorder.
        .target(
            name: "StampedeWorker",
            dependencies: [
                "StampedeCore", "StampedeHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs a rehearsal: drives workers, merges their intervals, writes the run directory.
        .target(
            name: "StampedeCoordinator",
            dependencies: [
                "StampedeCore", "StampedeWorker", "StampedeReport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Console and JSON renderers of the result model.
        .target(name: "StampedeReport", dependencies: ["StampedeCore"], swiftSettings: swiftSettings),
        // The reference checkout shop.
        .target(
            name: "StampedeShop",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StampedeTestKit",
            dependencies: [
                "StampedeCore", "StampedeShop", "StampedeWorker", "StampedeHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "stampede",
            dependencies: [
                "StampedeCore", "StampedeConfig", "StampedeCoordinator", "StampedeWorker", "StampedeReport",
                "StampedeShop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "StampedeCoreTests", dependencies: ["StampedeCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeConfigTests", dependencies: ["StampedeConfig", "StampedeCore"],
            resources: [.copy("Malformed")], swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeHTTPTests",
            dependencies: [
                "StampedeHTTP", "StampedeTestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StampedeShopTests",
            dependencies: [
                "StampedeShop", "StampedeTestKit", "StampedeHTTP",
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
            dependencies: ["StampedeCoordinator", "StampedeReport", "StampedeCore", "StampedeTestKit", "StampedeShop",
                           "StampedeWorker", "StampedeHTTP"],
            swiftSettings: swiftSettings),
    ]
)
