import Foundation  // Process: a sweep runs its seeds in child keelsim processes.
import SimNet

/// One seed's outcome, as a child sweep reports it: one JSON line per seed, written as the seed finishes.
struct SeedOutcome: Codable {
    var seed: UInt64
    var failure: SimFailure?
    var stats: SimStats
    var verdict: String
}

/// Runs a sweep's seeds in child processes (`keelsim sweep --child-report FILE`), a batch per child, so that a
/// trap inside Core in one seed is that seed's failure: the seed after the last one its child reported is
/// the one that trapped; it is reported with its reproduce command and a new child goes on from the next.
enum IsolatedSweep {
    /// Seeds per child: a process start costs far less than 100 runs.
    static let batchSeeds = 100
    /// A child that reports no seed for this long is stuck in one (a hang in Core): it is killed, and the seed
    /// fails as a hang.
    static let hangSeconds = 120.0

    /// Runs `count` seeds from `from` in one child; returns what it reported and, if it died before reporting
    /// them all, the seed it was running and why (the end of its standard error).
    static func runBatch(from: UInt64, count: Int, flags: SimFlags) -> (outcomes: [SeedOutcome],
                                                                          trap: SeedOutcome?) {
        let dir = NSTemporaryDirectory() + "keelsim-sweep-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = dir + "/report.jsonl", errors = dir + "/stderr"
        FileManager.default.createFile(atPath: report, contents: nil)
        FileManager.default.createFile(atPath: errors, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["sweep", "--seeds", String(count), "--from", String(from), "--child-report", report]
            + flags.runOptionArguments
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle(forWritingAtPath: errors)
        child.standardInput = FileHandle.nullDevice
        do { try child.run() } catch {
            return ([], trapOutcome(seed: from, message: "cannot start a child keelsim: \(error)"))
        }
        var reported = 0, lastProgress = Date()
        var hung = false
        while child.isRunning {
            usleep(200_000)
            let size = (try? FileManager.default.attributesOfItem(atPath: report)[.size] as? Int) ?? 0
            if size != reported {
                reported = size
                lastProgress = Date()
            } else if Date().timeIntervalSince(lastProgress) > hangSeconds {
                hung = true
                kill(child.processIdentifier, SIGKILL)
            }
        }
        child.waitUntilExit()
        let decoder = JSONDecoder()
        let lines = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        let outcomes = lines.split(separator: "\n").compactMap {
            try? decoder.decode(SeedOutcome.self, from: Data($0.utf8))
        }
        guard outcomes.count < count else { return (outcomes, nil) }
        let tail = ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { !$0.hasPrefix("seed ") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }.prefix(3)
        let why = hung ? "no seed finished for \(Int(hangSeconds)) s: a hang, killed"
            : child.terminationReason == .uncaughtSignal ? "signal \(child.terminationStatus)"
            : "exit \(child.terminationStatus)"
        let message = "the process died (\(why)): " + tail.joined(separator: " | ")
        return (outcomes, trapOutcome(seed: from &+ UInt64(outcomes.count), message: message))
    }

    static func trapOutcome(seed: UInt64, message: String) -> SeedOutcome {
        let failure = SimFailure(kind: .correctness, check: "trap", detail: message, time: 0, event: 0,
                                 eventDescription: "(the run trapped: replay the seed with --trace to see where)")
        return SeedOutcome(seed: seed, failure: failure, stats: SimStats(), verdict: "trapped")
    }

    /// A child's report: appends one line per seed and flushes it, so a trap loses only the seed running.
    final class Reporter {
        let handle: FileHandle
        let encoder = JSONEncoder()

        init?(path: String) {
            guard let handle = FileHandle(forWritingAtPath: path) else { return nil }
            self.handle = handle
        }

        func write(_ outcome: SeedOutcome) {
            guard let data = try? encoder.encode(outcome) else { return }
            handle.write(data + Data("\n".utf8))
            try? handle.synchronize()
        }
    }
}
