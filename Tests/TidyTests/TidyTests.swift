import Foundation  // Reading source files.
import Testing

/// Determinism is correctness, so the rules that keep Core pure are a test (TigerBeetle's tidy.zig).
@Suite struct TidyTests {
    static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir
    }()

    static func sources(in folder: String) -> [(path: String, lines: [Substring])] {
        let base = root.appendingPathComponent("Sources/\(folder)")
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var files: [(String, [Substring])] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let path = base.appendingPathComponent(relative).path
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            files.append(("\(folder)/\(relative)", text.split(separator: "\n", omittingEmptySubsequences: false)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// Code lines only: comment lines are skipped.
    static func codeLines(_ lines: [Substring]) -> [(Int, Substring)] {
        lines.enumerated().compactMap { k, line in
            let trimmed = line.drop { $0 == " " }
            return trimmed.hasPrefix("//") ? nil : (k + 1, line)
        }
    }

    /// Whether `token` occurs in `line` not as the tail of a longer identifier (`isUpToDate(` is no `Date(`).
    static func contains(_ line: Substring, _ token: String) -> Bool {
        var search = line[...]
        while let range = search.range(of: token) {
            let startsWord = token.first.map { $0.isLetter } ?? false
            if !startsWord || range.lowerBound == line.startIndex { return true }
            let before = line[line.index(before: range.lowerBound)]
            if !(before.isLetter || before.isNumber || before == "_") { return true }
            search = line[range.upperBound...]
        }
        return false
    }

    @Test("Core imports nothing")
    func coreImportsNothing() {
        for file in Self.sources(in: "Core") {
            for (number, line) in Self.codeLines(file.lines) where line.hasPrefix("import ") {
                Issue.record("\(file.path):\(number): Core must import nothing (stdlib only): \(line)")
            }
        }
        #expect(!Self.sources(in: "Core").isEmpty)
    }

    @Test("Foundation stays out of Core, Checker and SimNet")
    func noFoundation() {
        for folder in ["Core", "Checker", "SimNet"] {
            for file in Self.sources(in: folder) {
                for (number, line) in Self.codeLines(file.lines) where line.contains("import Foundation") {
                    Issue.record("\(file.path):\(number): no Foundation in \(folder)")
                }
            }
        }
    }

    static let bans: [(token: String, instead: String)] = [
        ("Date(", "time arrives as ticks (Input.tick)"),
        ("ContinuousClock", "time arrives as ticks"),
        ("SuspendingClock", "time arrives as ticks"),
        (".random(", "the seeded Prng"),
        ("SystemRandomNumberGenerator", "the seeded Prng"),
        ("Dispatch", "Core is single-threaded; the driver owns threads"),
        ("Thread", "Core is single-threaded; the driver owns threads"),
        ("Task {", "no concurrency in Core"),
        ("async ", "no concurrency in Core"),
        ("await ", "no concurrency in Core"),
        ("print(", "return effects; drivers log"),
        ("Hasher(", "an explicit hash (FNV) whose value does not change per process"),
        ("hashValue", "an explicit hash (FNV) whose value does not change per process"),
    ]

    @Test("Core uses no clock, system randomness, threads, async, printing or per-process hashing")
    func coreBans() {
        for file in Self.sources(in: "Core") {
            for (number, line) in Self.codeLines(file.lines) {
                for ban in Self.bans where Self.contains(line, ban.token) {
                    Issue.record("\(file.path):\(number): '\(ban.token)' is banned in Core; use \(ban.instead)")
                }
            }
        }
    }

    @Test("SimNet is as deterministic as Core: no clocks or system randomness")
    func simNetBans() {
        for file in Self.sources(in: "SimNet") {
            for (number, line) in Self.codeLines(file.lines) {
                for ban in Self.bans.prefix(5) where Self.contains(line, ban.token) {
                    Issue.record("\(file.path):\(number): '\(ban.token)' is banned in SimNet; use \(ban.instead)")
                }
            }
        }
    }

    @Test("Package.swift names no package dependency")
    func noDependencies() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(!manifest.contains(".package("))
    }

    @Test("lines stay within 120 columns in Sources")
    func lineLength() {
        for folder in ["Core", "SimNet", "Checker", "RealNet", "Sim", "Daemon", "Ctl"] {
            for file in Self.sources(in: folder) {
                for (k, line) in file.lines.enumerated() where line.count > 120 {
                    Issue.record("\(file.path):\(k + 1): \(line.count) columns")
                }
            }
        }
    }
}
