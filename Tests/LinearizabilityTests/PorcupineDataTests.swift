import Checker
import Glibc
import Testing

/// Every history of Porcupine's public test data (Fixtures/porcupine, converted by
/// scripts/porcupine-convert.py) gets the verdict Porcupine's own tests assert, promptly.
///
/// The per-file time bound is 1 s in a release build and 3 s in a debug build (the default test run,
/// about ten times slower; measured at most 0.4 s there and 0.03 s in release). The states bound is the
/// deterministic guard: it fails the same way on a loaded machine and on an idle one.
@Suite struct PorcupineDataTests {
    /// The Jepsen etcd logs Porcupine's tests expect to be linearizable (porcupine_test.go); the other
    /// non-empty logs, 0 through 102 except the empty 95, are expected not to be.
    static let linearizableEtcdLogs: Set<Int> = [
        2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67, 75, 76, 80, 87, 92, 98, 100, 101, 102,
    ]

    /// Every fixture, with Porcupine's verdict.
    static let fixtures: [(name: String, linearizable: Bool)] =
        (0...102).filter { $0 != 95 }.map { number in
            let digits = String(number)
            return ("etcd_" + String(repeating: "0", count: 3 - digits.count) + digits,
                    linearizableEtcdLogs.contains(number))
        } + ["c01", "c10", "c50"].flatMap { clients in
            [("kv-\(clients)-ok", true), ("kv-\(clients)-bad", false)]
        }

    #if DEBUG
    static let secondsMax = 3.0
    #else
    static let secondsMax = 1.0
    #endif
    /// Far above the most any fixture takes (28,525 states for one key of etcd_099), far below what
    /// the checker took before append keys were pruned (kv-c50-bad ran out of 60 s at 16 million).
    static let statesMax = 200_000

    @Test("each of Porcupine's 108 histories gets Porcupine's verdict within the time and states bounds")
    func porcupineVerdicts() throws {
        #expect(Self.fixtures.count == 108)
        var seconds: [Double] = []
        for (name, linearizable) in Self.fixtures {
            let bytes = try #require(readFixture("porcupine/\(name).jsonl"), "fixture \(name) is missing")
            let history = try HistoryReader.parse(bytes)
            let start = ContinuousClock.now
            let report = Linearizability.report(history, budget: Budget(timeoutSeconds: 30, statesMax: Self.statesMax))
            let elapsed = ContinuousClock.now - start
            let taken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            seconds.append(taken)
            switch report.verdict {
            case .linearizable: #expect(linearizable, "\(name): linearizable, but Porcupine refutes it")
            case .notLinearizable: #expect(!linearizable, "\(name): refuted, but Porcupine accepts it")
            case .unknown(let reason): Issue.record("\(name): unknown: \(reason)")
            }
            #expect(taken < Self.secondsMax, "\(name) took \(taken) s")
        }
        let sorted = seconds.sorted()
        print("PorcupineDataTests: \(sorted.count) histories, median \(sorted[sorted.count / 2]) s,"
            + " max \(sorted.last ?? 0) s, total \(sorted.reduce(0, +)) s")
    }

    @Test("the 50-client append history is refuted on its smallest key with a short explanation")
    func appendHistoryRefutedOnFirstKey() throws {
        let bytes = try #require(readFixture("porcupine/kv-c50-bad.jsonl"))
        let report = Linearizability.report(try HistoryReader.parse(bytes), budget: Budget(statesMax: Self.statesMax))
        let violation = try #require(report.verdict.violation)
        // Every key of this history is broken, so the smallest failing key is the smallest key.
        #expect(violation.key == "0")
        #expect(report.keys.count == 1)
        #expect(!violation.unplacedEvents.isEmpty)
    }
}

/// The bytes of `Fixtures/<path>` beside this file, or nil if it cannot be read.
func readFixture(_ path: String, file: String = #filePath) -> [UInt8]? {
    let directory = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    guard let handle = fopen(directory + "/Fixtures/" + path, "rb") else { return nil }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&buffer, 1, buffer.count, handle)
        if count <= 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return ferror(handle) == 0 ? bytes : nil
}
