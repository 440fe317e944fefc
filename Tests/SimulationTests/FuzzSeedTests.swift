import Foundation  // Reading fuzz-seeds/ from the repository.
import SimNet
import Testing

/// Replays every seed that ever found a bug.
@Suite struct FuzzSeedTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var options: SimOptions
        var testDescription: String { file }
    }

    static func cases() -> [Case] {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        dir.appendPathComponent("fuzz-seeds")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().compactMap { name in
            guard let text = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) else { return nil }
            return parse(text).map { Case(file: name, options: $0) }
        }
    }

    static func parse(_ text: String) -> SimOptions? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let seed = fields["seed"].flatMap({ UInt64($0) }) else { return nil }
        var options = SimOptions(seed: seed)
        let words = (fields["args"] ?? "").split(separator: " ").map(String.init)
        var k = 0
        while k + 1 < words.count {
            let value = words[k + 1]
            switch words[k] {
            case "--members": options.members = Int(value) ?? options.members
            case "--ops": options.ops = Int(value) ?? options.ops
            case "--clients": options.clients = Int(value) ?? options.clients
            case "--keys": options.keys = Int(value) ?? options.keys
            case "--faults": options.faults = FaultProfile(rawValue: value) ?? options.faults
            case "--workload": options.workload = WorkloadKind(rawValue: value) ?? options.workload
            default: break
            }
            k += 2
        }
        return options
    }

    @Test("there are seeds to replay")
    func seedsExist() {
        #expect(Self.cases().count >= 3)
    }

    @Test("every recorded seed now passes", arguments: cases())
    func replay(_ c: Case) {
        let report = Simulator(options: c.options).run()
        #expect(report.failure == nil, "\(c.file): \(report.failure!)")
    }
}
