import Foundation  // Process: the test runs `keelsim jepsen` against real keel processes.
import Testing

/// The real-cluster fault test, short: three keel processes on loopback, a seeded nemesis, 30 s of load,
/// with the clients and watches over gRPC (the default) and over the JSON gateway. The long run is
/// `keelsim jepsen --duration 600` (README).
@Suite(.serialized) struct JepsenTests {
    static let buildDir: URL = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent(".build/debug")
    }()

    @Test("keelsim jepsen: 30 s of kill -9, SIGSTOP, restarts and leadership transfers; every check passes",
          arguments: [UInt64(7)], ["grpc", "json"])
    func shortRun(seed: UInt64, protocol kind: String) throws {
        let keelsim = Self.buildDir.appendingPathComponent("keelsim").path
        let keel = Self.buildDir.appendingPathComponent("keel").path
        try #require(FileManager.default.isExecutableFile(atPath: keelsim), "build first: swift build")
        try #require(FileManager.default.isExecutableFile(atPath: keel), "build first: swift build")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: keelsim)
        process.arguments = ["jepsen", "--seed", "\(seed)", "--duration", "30", "--binary", keel,
                             "--base-port", "\(17500 + Int(getpid() % 50) * 10)", "--protocol", kind]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The run is bounded inside (30 s of load, 30 s to converge, 120 s to check); this is a backstop.
        let deadline = Date().addingTimeInterval(300)
        var text = Data()
        let reader = output.fileHandleForReading
        while process.isRunning && Date() < deadline {
            text.append(reader.availableData)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        text.append(reader.readDataToEndOfFile())
        let log = String(decoding: text, as: UTF8.self)
        #expect(process.terminationStatus == 0, "keelsim jepsen failed:\n\(log)")
        #expect(log.contains("PASS seed=\(seed)"))
        #expect(log.contains("lost: 0"))
        #expect(log.contains("clients and watches over \(kind)"))
        // Every member's watch opened during the run saw the whole history (the check fails the run otherwise;
        // this guards against a run whose watches printed nothing).
        let watches = log.split(separator: "\n").filter { $0.hasPrefix("watch m") }
        #expect(watches.count == 3, "expected one watch line per member:\n\(log)")
        if kind == "grpc" { #expect(watches.allSatisfy { $0.contains("watch calls") }) }
        // The members run with small snapshot settings: the off-thread snapshot path is part of the test.
        let taken = log.split(separator: "\n").first { $0.hasPrefix("snapshots: ") }
            .flatMap { Int($0.dropFirst("snapshots: ".count).prefix { $0.isNumber }) }
        #expect((taken ?? 0) > 0, "no snapshot was taken:\n\(log)")
    }
}
