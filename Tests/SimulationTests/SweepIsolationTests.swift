import Foundation  // Process: the test runs `keelsim sweep` (debug build).
import Testing

/// A trap inside Core in one seed is that seed's failure, reported with its reproduce command, and the sweep
/// goes on with the next seeds (issue 16): `keelsim sweep` runs its seeds in child processes.
@Suite struct SweepIsolationTests {
    @Test("a seed that traps fails alone: reported with its reproduce line, the other seeds still run")
    func trapIsOneSeedsFailure() throws {
        let keelsim = JepsenTests.buildDir.appendingPathComponent("keelsim").path
        try #require(FileManager.default.isExecutableFile(atPath: keelsim), "build first: swift build")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: keelsim)
        process.arguments = ["sweep", "--seeds", "6", "--from", "1", "--faults", "none", "--ops", "30"]
        var environment = ProcessInfo.processInfo.environment
        environment["KEELSIM_TRAP_SEED"] = "3"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 129, "\(text)")
        #expect(text.contains("FAILED seed=3: correctness check 'trap' failed"), "\(text)")
        #expect(text.contains("KEELSIM_TRAP_SEED=3: a deliberate trap"), "\(text)")
        #expect(text.contains("reproduce: swift run -c release keelsim replay --seed 3 "), "\(text)")
        #expect(text.contains("sweep done: 6 seeds, 1 failed"), "\(text)")
        #expect(text.contains("histories: linearizable 5, trapped 1"), "\(text)")
        #expect(text.contains("failing seeds: 3\n"), "\(text)")
    }
}
