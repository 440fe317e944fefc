import Checker
import Testing

/// The fast checker against the brute-force reference on thousands of small random histories.
@Suite struct CrossCheckTests {
    private static func fastVerdict(_ history: RandomHistory) -> Bool? {
        let events = history.events().events
        let verdict = Linearizability.check(History(events: events), budget: Budget(statesMax: 100_000))
        switch verdict {
        case .linearizable: return true
        case .notLinearizable: return false
        case .unknown: return nil
        }
    }

    @Test("valid histories are linearizable for both checkers", arguments: [0, 1, 2])
    func validHistories(block: UInt64) {
        for seed in block * 1000..<(block + 1) * 1000 {
            let history = RandomHistory(
                seed: seed, count: 2 + Int(seed % 7), keys: seed % 3 == 0 ? ["a", "b"] : ["a"], appends: seed % 2 == 0)
            #expect(History(events: history.events().events).validateSucceeds, "seed \(seed)")
            #expect(BruteForceChecker.isLinearizable(history), "seed \(seed)")
            #expect(Self.fastVerdict(history) == true, "seed \(seed)")
        }
    }

    @Test("mutated histories get the same verdict from both checkers", arguments: [0, 1, 2, 3])
    func mutatedHistories(block: UInt64) {
        var refused = 0
        for seed in block * 1000..<(block + 1) * 1000 {
            var history = RandomHistory(
                seed: seed, count: 2 + Int(seed % 7), keys: seed % 3 == 0 ? ["a", "b"] : ["a"], appends: seed % 2 == 0)
            history.mutate(seed: seed)
            guard History(events: history.events().events).validateSucceeds else { continue }
            let reference = BruteForceChecker.isLinearizable(history)
            #expect(Self.fastVerdict(history) == reference, "seed \(seed)")
            if !reference { refused += 1 }
        }
        // The mutations must actually break histories often, or agreement would prove little.
        #expect(refused > 150)
    }

    @Test("histories with unique values get the same verdict from both checkers", arguments: [0, 1])
    func uniqueValueHistories(block: UInt64) {
        var refused = 0
        for seed in 20_000 + block * 1000..<20_000 + (block + 1) * 1000 {
            var history = RandomHistory(
                seed: seed, count: 3 + Int(seed % 7), keys: ["a"], appends: false, uniqueValues: true)
            if seed % 4 != 0 { history.mutate(seed: seed) }
            guard History(events: history.events().events).validateSucceeds else { continue }
            let reference = BruteForceChecker.isLinearizable(history)
            #expect(Self.fastVerdict(history) == reference, "seed \(seed)")
            if !reference { refused += 1 }
        }
        #expect(refused > 150)
    }

    @Test("longer mutated histories get the same verdict from both checkers")
    func longerMutatedHistories() {
        var refused = 0
        for seed in UInt64(10_000)..<10_300 {
            var history = RandomHistory(seed: seed, count: 8 + Int(seed % 4), keys: ["a"], appends: seed % 2 == 0)
            if seed % 5 != 0 { history.mutate(seed: seed) }
            guard History(events: history.events().events).validateSucceeds else { continue }
            let reference = BruteForceChecker.isLinearizable(history)
            #expect(Self.fastVerdict(history) == reference, "seed \(seed)")
            if !reference { refused += 1 }
        }
        #expect(refused > 50)
    }
}

extension History {
    var validateSucceeds: Bool {
        do {
            try validate()
            return true
        } catch {
            return false
        }
    }
}

@Suite struct LongHistoryTests {
    @Test("long generated histories are linearizable, with indeterminate operations left far behind",
          arguments: [UInt64(1), 2, 3])
    func longValidHistories(seed: UInt64) {
        let history = RandomHistory(seed: seed, count: 4000, keys: ["a"], appends: false)
        let events = history.events().events
        let verdict = Linearizability.report(History(events: events), budget: Budget(statesMax: 2_000_000))
        #expect(verdict.verdict.isLinearizable, "\(verdict.verdict.summary)")
        // Indeterminate operations pending to the end keep the window of the memo wide.
        #expect(history.ops.contains { $0.outcome == .pending && $0.f != .read })
    }
}
