// swift-tools-version:6.0
// Keel: an etcd-compatible key-value store. No package dependencies (see README).
import PackageDescription

/// Release builds skip the runtime exclusivity checks (swift_beginAccess on every class property and global
/// access was about 3 % of the daemon's loop on the put path); debug builds, which the tests run, keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Keel",
    products: [
        .executable(name: "keel", targets: ["keel"]),
        .executable(name: "keelctl", targets: ["keelctl"]),
        .executable(name: "keelsim", targets: ["keelsim"]),
    ],
    targets: [
        // Pure, deterministic, stdlib only.
        .target(name: "Core", swiftSettings: hotPath),
        // Linearizability checker: stdlib only, imports nothing of ours.
        .target(name: "Checker"),
        // The service layer between decoded etcd RPCs and the Replica, shared by the daemon and the simulator: pure.
        .target(name: "Service", dependencies: ["Core"], swiftSettings: hotPath),
        // Deterministic simulator driving Core, through the service layer.
        .target(name: "SimNet", dependencies: ["Core", "Service", "Checker"]),
        // Our own C shim for epoll, eventfd, timerfd, fdatasync.
        .target(name: "CKeelLinux", linkerSettings: [.linkedLibrary("crypt")]),  // libxcrypt: bcrypt.
        // Our own C shim over OpenSSL's libcrypto (Debian's libssl-dev): JWT signatures.
        .target(name: "CKeelCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        // Our own C shim over OpenSSL's libssl: TLS sessions on memory buffers, for the loop and blocking clients.
        .target(name: "CKeelTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // Real network and disk driver of Core.
        .target(name: "RealNet", dependencies: ["Core", "Service", "CKeelLinux", "CKeelCrypto", "CKeelTLS"],
                swiftSettings: hotPath),
        .executableTarget(name: "keel", dependencies: ["Core", "RealNet"], path: "Sources/Daemon"),
        .executableTarget(name: "keelctl", dependencies: ["Core", "RealNet"], path: "Sources/Ctl"),
        // Crash and hang capture for keelsim fuzz (signal handlers, a watchdog thread).
        .target(name: "CKeelFuzz"),
        // Fuzz targets over every decoder of outside bytes, the mutator and the corpus (keelsim fuzz, FuzzTests).
        .target(name: "Fuzz", dependencies: ["Core", "SimNet", "RealNet", "CKeelFuzz"]),
        .executableTarget(name: "keelsim", dependencies: ["Core", "SimNet", "Checker", "RealNet", "Fuzz"],
                          path: "Sources/Sim"),
        .testTarget(name: "CoreTests", dependencies: ["Core", "SimNet"]),
        .testTarget(name: "SimulationTests", dependencies: ["Core", "Service", "SimNet", "Checker"]),
        // Fixtures/porcupine: Porcupine's test histories, read by path.
        .testTarget(name: "LinearizabilityTests", dependencies: ["Checker"], exclude: ["Fixtures"]),
        .testTarget(name: "TidyTests"),
        // Fixtures/etcd-api: etcd 3.4's captured transcripts, read by path (scripts/etcd-capture recaptures them).
        .testTarget(name: "RealNetTests", dependencies: ["RealNet", "Core"], exclude: ["Fixtures"]),
        .testTarget(name: "CtlTests"),
        .testTarget(name: "EtcdctlTests"),
        .testTarget(name: "FuzzTests", dependencies: ["Fuzz"]),
    ],
    swiftLanguageModes: [.v6]
)
