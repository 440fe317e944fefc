import Checker

/// Usage of `keelsim check-bench`.
let checkBenchUsage = """
    usage: keelsim check-bench [--ops N] [--keys K] [--processes P] [--info-percent I] [--seed S]
                               [--timeout SECONDS] [--states-max N] [--write FILE] [--hard]
      Generates linearizable histories and times the checker on them (build with -c release).
      With no --ops: the suite 10k ops/100 keys, 100k/1000, 1M/1000 and 1M/100 (50 processes, 5 % info).
      --hard: one hot key, 5 distinct values and long indeterminate operations (default 2000 ops,
              20 % info, each open for 500 operations), then the same with one read of a value never written,
              then with one read of another written value; reports the time to a verdict or to "unknown"
              within the budget (default --timeout 10).
      --write FILE: also write the (last) generated history to FILE, for `keelsim check FILE`.

    """

/// `keelsim check-bench`: the checker's benchmark; returns the exit status.
func runCheckBenchCommand(_ arguments: [String]) -> Int32 {
    var ops: Int?
    var keys: Int?
    var processes = 50
    var infoPercent: Int?
    var seed: UInt64 = 1
    var timeoutSeconds: Double?
    var statesMax: Int?
    var writePath: String?
    var hard = false
    var index = 0
    while index < arguments.count {
        let flag = arguments[index]
        if flag == "--hard" {
            hard = true
            index += 1
            continue
        }
        let valued = ["--ops", "--keys", "--processes", "--info-percent", "--seed", "--timeout", "--states-max",
                      "--write"]
        guard valued.contains(flag) else { return usageError("unknown flag \(flag)", checkBenchUsage) }
        guard index + 1 < arguments.count else { return usageError("\(flag) needs a value", checkBenchUsage) }
        let value = arguments[index + 1]
        index += 2
        switch flag {
        case "--ops":
            guard let count = Int(value), count > 0 else {
                return usageError("--ops must be positive", checkBenchUsage)
            }
            ops = count
        case "--keys":
            guard let count = Int(value), count > 0 else {
                return usageError("--keys must be positive", checkBenchUsage)
            }
            keys = count
        case "--processes":
            guard let count = Int(value), count > 0 else {
                return usageError("--processes must be positive", checkBenchUsage)
            }
            processes = count
        case "--info-percent":
            guard let percent = Int(value), (0...100).contains(percent) else {
                return usageError("--info-percent must be 0 to 100", checkBenchUsage)
            }
            infoPercent = percent
        case "--seed":
            guard let number = UInt64(value) else { return usageError("--seed must be an integer", checkBenchUsage) }
            seed = number
        case "--timeout":
            guard let seconds = Double(value), seconds > 0 else {
                return usageError("--timeout must be a positive number of seconds", checkBenchUsage)
            }
            timeoutSeconds = seconds
        case "--states-max":
            guard let count = Int(value), count > 0 else {
                return usageError("--states-max must be positive", checkBenchUsage)
            }
            statesMax = count
        case "--write":
            writePath = value
        default:
            return usageError("unknown flag \(flag)", checkBenchUsage)
        }
    }
    if hard {
        var bench = BenchHistory(
            operationsCount: ops ?? 2000, keysCount: keys ?? 1, processesCount: processes,
            indeterminatePercent: infoPercent ?? 20, seed: seed)
        bench.valuesCount = 5
        bench.indeterminateSlots = 500
        let budget = Budget(timeoutSeconds: timeoutSeconds ?? 10, statesMax: statesMax, memoryBytesMax: 2 << 30)
        let history = runBench(bench, budget: budget, label: "hard case", writePath: writePath)
        print("  the same with its last read changed to return a value never written:")
        runCheck(changeLastRead(history) { _ in "never-written" }, budget: budget, generateSeconds: 0)
        print("  the same with its last read changed to return another written value:")
        runCheck(changeLastRead(history) { "v\((Int($0.dropFirst())! + 1) % 5)" }, budget: budget, generateSeconds: 0)
        return 0
    }
    let budget = Budget(timeoutSeconds: timeoutSeconds ?? 300, statesMax: statesMax, memoryBytesMax: 4 << 30)
    let suite: [(Int, Int)] = ops.map { [($0, keys ?? 1000)] } ?? [(10_000, 100), (100_000, 1000), (1_000_000, 1000),
                                                                 (1_000_000, 100)]
    var failed = false
    for (count, keysCount) in suite {
        let bench = BenchHistory(
            operationsCount: count, keysCount: keysCount, processesCount: processes,
            indeterminatePercent: infoPercent ?? 5, seed: seed)
        let history = runBench(bench, budget: budget, label: "check-bench", writePath: writePath)
        failed = failed || history.events.isEmpty
    }
    return failed ? 1 : 0
}

/// Generates `bench`'s history, checks it and prints the figures; returns the history.
private func runBench(_ bench: BenchHistory, budget: Budget, label: String, writePath: String?) -> History {
    print("\(label): \(bench.operationsCount) operations, \(bench.keysCount) keys, \(bench.processesCount) processes,"
        + " \(bench.indeterminatePercent) % indeterminate, seed \(bench.seed)")
    let start = ContinuousClock.now
    let history = bench.generate()
    let generateSeconds = seconds(since: start)
    if let writePath {
        if let problem = writeFile(writePath, history.jsonLines()) {
            writeError("keelsim check-bench: \(problem)\n")
        } else {
            print("  written to \(writePath)")
        }
    }
    runCheck(history, budget: budget, generateSeconds: generateSeconds)
    return history
}

/// Checks `history` and prints throughput, the verdict and the slowest key.
private func runCheck(_ history: History, budget: Budget, generateSeconds: Double) {
    let start = ContinuousClock.now
    let report = Linearizability.report(history, budget: budget)
    let checkSeconds = seconds(since: start)
    let rate = Double(report.operationsCount) / max(checkSeconds, 1e-9)
    var line = "  checked \(report.operationsCount) operations in \(format(checkSeconds)) s"
    line += " (\(Int(rate)) operations/s"
    if generateSeconds > 0 { line += "; generated in \(format(generateSeconds)) s" }
    print(line + "): \(report.verdict.summary)")
    if let slowest = report.keys.max(by: { $0.seconds < $1.seconds }) {
        print("  slowest key \(jsonQuoted(slowest.key)): \(slowest.operationsCount) operations"
            + " (\(slowest.searchedCount) searched), \(slowest.statesCount) states,"
            + " \(slowest.memoBytes / 1024) KiB memo, \(format(slowest.seconds)) s")
    }
    if case .notLinearizable(let violation) = report.verdict {
        print(violation.explanation.split(separator: "\n").prefix(3).map { "    " + $0 }.joined(separator: "\n"))
    }
}

/// `history` with the result of its last ok read of a value replaced by `change(result)`.
private func changeLastRead(_ history: History, _ change: (String) -> String) -> History {
    var events = history.events
    guard let index = events.indices.last(where: {
        events[$0].f == .read && events[$0].type == .ok && events[$0].value != .null
    }), case .string(let read) = events[index].value else { return history }
    events[index].value = .string(change(read))
    return History(events: events)
}
