import Foundation  // Process: the test runs the keelsim binary (debug build).
import Testing

/// `keelsim --help` and `keelsim CMD --help` print usage on stdout and exit 0 (issue 17); an unknown command
/// is still an error.
@Suite struct KeelsimHelpTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let keelsim = JepsenTests.buildDir.appendingPathComponent("keelsim").path
        try #require(FileManager.default.isExecutableFile(atPath: keelsim), "build first: swift build")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: keelsim)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self),
                String(decoding: stderr, as: UTF8.self))
    }

    @Test("every command's --help prints its usage and exits 0", arguments: [
        "run", "replay", "sweep", "shrink", "check", "check-bench", "bench-store", "jepsen", "fuzz",
    ])
    func commandHelp(_ command: String) throws {
        for flag in ["--help", "-h"] {
            let result = try Self.run([command, flag])
            #expect(result.status == 0)
            #expect(result.out.hasPrefix("usage: keelsim \(command) "), "\(result.out)")
            #expect(result.err.isEmpty)
        }
        if ["sweep", "replay", "shrink"].contains(command) {
            #expect(try Self.run([command, "--help"]).out.contains("run options (as keelsim run): --seed S"))
        }
    }

    @Test("keelsim --help prints every command; an unknown command fails with exit 2")
    func topLevel() throws {
        let help = try Self.run(["--help"])
        #expect(help.status == 0 && help.out.contains("keelsim jepsen") && help.out.contains("keelsim fuzz"))
        let unknown = try Self.run(["nosuch", "--help"])
        #expect(unknown.status == 2 && unknown.err.contains("keelsim: unknown command 'nosuch'"))
    }
}
