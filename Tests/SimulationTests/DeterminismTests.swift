import Foundation  // Process and file access, to run keelsim in separate processes.
import SimNet
import Testing

@Suite struct DeterminismTests {
    @Test("one seed run twice in one process gives one digest")
    func sameProcess() {
        var options = SimOptions(seed: 99)
        options.faults = .all
        let a = Simulator(options: options).run()
        let b = Simulator(options: options).run()
        #expect(a.digest.value == b.digest.value)
        #expect(a.history.events.count == b.history.events.count)
    }

    @Test("different seeds give different runs")
    func differentSeeds() {
        let a = Simulator(options: SimOptions(seed: 1)).run()
        let b = Simulator(options: SimOptions(seed: 2)).run()
        #expect(a.digest.value != b.digest.value)
    }

    @Test("one seed in two separate processes (different hash seeds) gives one digest")
    func twoProcesses() throws {
        let binary = try keelsimPath()
        let first = try run(binary, ["run", "--seed", "4242", "--faults", "all", "--members", "5"])
        let second = try run(binary, ["run", "--seed", "4242", "--faults", "all", "--members", "5"])
        let digest = { (out: String) in out.split(separator: "\n").first { $0.hasPrefix("digest: ") } }
        #expect(digest(first) != nil)
        #expect(digest(first) == digest(second))
    }
}

/// The keelsim binary built next to the tests (`swift build` precedes `swift test` in the README).
func keelsimPath() throws -> String {
    var dir = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { dir.deleteLastPathComponent() }
    for config in ["debug", "release"] {
        let path = dir.appendingPathComponent(".build/\(config)/keelsim").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw CocoaError(.fileNoSuchFile)
}

func run(_ binary: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
