import CKeelFuzz
import Foundation  // Clock and /proc reads for the report (keelsim and tests only).

/// Runs one target over mutations of its corpus: seeds and regressions first as they are, then `runs`
/// mutated inputs from `seed`. A trap or a fatal signal saves the input under `artifacts` (crash-<target>) and
/// kills the process; an input running over `hangSeconds` is saved (hang-<target>) and exits 3; a resident set
/// over `rssBytesMax` saves the last input (oom-<target>) and exits 4.
public struct FuzzRunner {
    public struct Report: Sendable {
        public var target: FuzzTarget
        public var runs: Int
        public var seconds: Double
        public var peakRSSBytes: Int
        public var inputsPerSecond: Double { seconds > 0 ? Double(runs) / seconds : 0 }
    }

    public var artifacts: String
    public var hangSeconds: UInt32 = 10
    public var rssBytesMax = 2 << 30

    public init(artifacts: String) { self.artifacts = artifacts }

    public func run(_ corpus: Corpus, runs: Int, seed: UInt64, progress: (String) -> Void = { _ in }) -> Report {
        let target = corpus.target
        try? FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let crashPath = artifacts + "/crash-" + target.rawValue
        let hangPath = artifacts + "/hang-" + target.rawValue
        guard keel_fuzz_arm(crashPath, hangPath, hangSeconds) == 0 else {
            fatalError("keelsim fuzz: could not install the crash handlers")
        }
        let start = Date()
        var peak = Self.residentBytes()
        var done = 0
        func one(_ input: [UInt8]) {
            input.withUnsafeBufferPointer { keel_fuzz_begin($0.baseAddress, $0.count) }
            target.run(input)
            keel_fuzz_end()
            done += 1
            if done % 4096 == 0 {
                let rss = Self.residentBytes()
                peak = max(peak, rss)
                if rss > rssBytesMax {
                    FileManager.default.createFile(atPath: artifacts + "/oom-" + target.rawValue, contents: Data(input))
                    progress("\(target.rawValue): resident set \(rss >> 20) MiB over the limit; last input saved")
                    exit(4)
                }
            }
            if done % 200_000 == 0 {
                let seconds = Date().timeIntervalSince(start)
                progress("\(target.rawValue): \(done) inputs, \(Int(Double(done) / max(seconds, 0.001)))/s, "
                         + "rss \(peak >> 20) MiB")
            }
        }
        let inputs = corpus.inputs
        for input in inputs { one(input) }
        var mutator = Mutator(seed: seed)
        var previous = inputs[0]
        for _ in 0..<runs {
            let base = inputs[mutator.pick(below: inputs.count)]
            let other = mutator.pick(below: 4) == 0 ? previous : inputs[mutator.pick(below: inputs.count)]
            let input = mutator.mutate(base, other: other)
            one(input)
            previous = input
        }
        return Report(target: target, runs: done, seconds: Date().timeIntervalSince(start),
                      peakRSSBytes: max(peak, Self.residentBytes()))
    }

    /// VmRSS of this process, in bytes (0 if /proc cannot be read).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}
