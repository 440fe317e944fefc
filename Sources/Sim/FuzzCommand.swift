import Fuzz
import Glibc

/// Usage of `keelsim fuzz`.
let fuzzUsage = """
    usage: keelsim fuzz [TARGET ...|--all] [--runs N] [--seed S] [--corpus DIR] [--artifacts DIR]
                        [--hang-seconds S] [--rss-mb MB]
      Feeds each target its corpus (DIR/<target>: seeds and regressions/), then N seeded mutations of it.
      Targets: \(FuzzTarget.allCases.map { $0.rawValue }.joined(separator: ", ")).
      --runs N          mutated inputs per target (default 1000000)
      --seed S          mutation seed (default 1): one seed, one sequence of inputs
      --corpus DIR      the corpus root (default fuzz-corpus)
      --artifacts DIR   where a crashing, hanging or memory-hungry input is written (default .build/fuzz)
      Exit: 0 nothing found; a crash dies of its signal (input in DIR/crash-<target>); 3 a hang; 4 memory.
      Keep what it finds: keelsim fuzz --keep TARGET FILE copies FILE into DIR/<target>/regressions/.

    """

/// `keelsim fuzz`: runs targets and prints, per target, inputs, time and rate.
func runFuzzCommand(_ arguments: [String]) -> Int32 {
    var targets: [FuzzTarget] = []
    var runs = 1_000_000
    var seed: UInt64 = 1
    var corpusRoot = "fuzz-corpus"
    var artifacts = ".build/fuzz"
    var hangSeconds: UInt32 = 10
    var rssMegabytes = 2048
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        let value = index + 1 < arguments.count ? arguments[index + 1] : nil
        switch argument {
        case "--all": targets = FuzzTarget.allCases
        case "--runs":
            guard let value, let count = Int(value), count >= 0 else {
                return usageError("--runs needs a count", fuzzUsage)
            }
            runs = count
            index += 1
        case "--seed":
            guard let value, let parsed = UInt64(value) else { return usageError("--seed needs a number", fuzzUsage) }
            seed = parsed
            index += 1
        case "--corpus":
            guard let value else { return usageError("--corpus needs a directory", fuzzUsage) }
            corpusRoot = value
            index += 1
        case "--artifacts":
            guard let value else { return usageError("--artifacts needs a directory", fuzzUsage) }
            artifacts = value
            index += 1
        case "--hang-seconds":
            guard let value, let s = UInt32(value), s > 0 else {
                return usageError("--hang-seconds needs seconds", fuzzUsage)
            }
            hangSeconds = s
            index += 1
        case "--rss-mb":
            guard let value, let mb = Int(value), mb > 0 else { return usageError("--rss-mb needs MiB", fuzzUsage) }
            rssMegabytes = mb
            index += 1
        case "--keep":
            guard index + 2 < arguments.count, let target = FuzzTarget(rawValue: arguments[index + 1]) else {
                return usageError("--keep needs a target and a file", fuzzUsage)
            }
            guard let bytes = readFile(arguments[index + 2]) else {
                return usageError("cannot read \(arguments[index + 2])", fuzzUsage)
            }
            print(Corpus.saveRegression(bytes, root: corpusRoot, target: target))
            return 0
        case "-h", "--help":
            print(fuzzUsage)
            return 0
        default:
            guard let target = FuzzTarget(rawValue: argument) else {
                return usageError("unknown fuzz target '\(argument)'", fuzzUsage)
            }
            targets.append(target)
        }
        index += 1
    }
    if targets.isEmpty { return usageError("name a target or --all", fuzzUsage) }
    var runner = FuzzRunner(artifacts: artifacts)
    runner.hangSeconds = hangSeconds
    runner.rssBytesMax = rssMegabytes << 20
    print("target             inputs     seconds   inputs/s   peak rss")
    fflush(nil)
    for target in targets {
        let corpus = Corpus(root: corpusRoot, target: target)
        let report = runner.run(corpus, runs: runs, seed: seed) { line in writeError(line + "\n") }
        let name = target.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
        print("\(name)  \(pad(report.runs, 9))  \(pad(Int(report.seconds.rounded()), 8))  "
              + "\(pad(Int(report.inputsPerSecond), 9))  \(report.peakRSSBytes >> 20) MiB")
        fflush(nil)  // A later target may die of a signal: what finished is on the terminal.
    }
    return 0
}

private func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

/// The whole file, nil if it cannot be read.
private func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return bytes
}
