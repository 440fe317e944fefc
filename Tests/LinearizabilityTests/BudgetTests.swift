import Checker
import Testing

/// A hot key with many concurrent writers of few values and long indeterminate operations: the case
/// that is exponential for every known checker.
private func hardHistory(seed: UInt64, count: Int) -> History {
    var random = SplitMix64(seed: seed)
    var s = Script()
    var writers = Array(0..<12)
    for process in writers {
        s.invoke(process, .write, String(random.below(3)))
    }
    for step in 0..<count {
        let slot = step % writers.count
        if random.percent(20) { s.info(writers[slot]) } else { s.ok(writers[slot]) }
        writers[slot] = 100 + step
        s.invoke(writers[slot], .write, String(random.below(3)))
        s.read(100_000 + step, String(random.below(3)))
    }
    return s.history
}

@Suite struct BudgetTests {
    @Test("an exhausted states budget gives unknown, naming the budget and the key")
    func statesBudget() {
        let verdict = Linearizability.check(hardHistory(seed: 1, count: 60), budget: Budget(statesMax: 2000))
        let reason = verdict.unknownReason
        #expect(reason?.contains("states budget (2000 states)") == true)
        #expect(reason?.contains("key \"x\"") == true)
        #expect(verdict.exitCode == 3)
    }

    @Test("with only a states budget the verdict is the same on every run", arguments: [2, 3, 4, 5])
    func deterministic(seed: UInt64) {
        let history = hardHistory(seed: seed, count: 40)
        let budget = Budget(statesMax: 5000)
        let first = Linearizability.report(history, budget: budget)
        for _ in 0..<2 {
            let again = Linearizability.report(history, budget: budget)
            #expect(again.verdict.summary == first.verdict.summary)
            #expect(again.keys.map(\.statesCount) == first.keys.map(\.statesCount))
            #expect(again.verdict.violation?.explanation == first.verdict.violation?.explanation)
        }
    }

    @Test("a time budget stops a hopeless search promptly")
    func timeBudget() {
        let start = ContinuousClock.now
        let verdict = Linearizability.check(hardHistory(seed: 1, count: 400), budget: Budget(timeoutSeconds: 0.3))
        #expect(ContinuousClock.now - start < .seconds(10), "stops within the budget, allowing for a loaded machine")
        #expect(verdict.unknownReason?.contains("time budget (0.3 s)") == true)
    }

    @Test("a memory budget stops the memo from growing without bound")
    func memoryBudget() {
        let report = Linearizability.report(
            hardHistory(seed: 1, count: 400), budget: Budget(memoryBytesMax: 4 << 20))
        #expect(report.verdict.unknownReason?.contains("memory budget") == true)
        #expect(report.keys.allSatisfy { $0.memoBytes < 8 << 20 })
    }
}
