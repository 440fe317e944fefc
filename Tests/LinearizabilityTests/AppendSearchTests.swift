import Checker
import Testing

/// The search on keys with appends: the prefix rule and the merging of unobservable values
/// (`AppendPrefix`) against the brute-force reference, and at scale.
@Suite struct AppendSearchTests {
    @Test("append-heavy histories get the same verdict from both checkers", arguments: [0, 1, 2])
    func appendHeavyHistories(block: UInt64) {
        var refused = 0
        for seed in 30_000 + block * 1000..<30_000 + (block + 1) * 1000 {
            var history = RandomHistory(
                seed: seed, count: 3 + Int(seed % 7), keys: seed % 4 == 0 ? ["a", "b"] : ["a"], appends: true,
                appendHeavy: true)
            if seed % 3 != 0 { history.mutate(seed: seed) }
            guard History(events: history.events().events).validateSucceeds else { continue }
            let reference = BruteForceChecker.isLinearizable(history)
            let events = history.events().events
            let verdict = Linearizability.check(History(events: events), budget: Budget(statesMax: 100_000))
            #expect(verdict.isLinearizable == reference && verdict.unknownReason == nil, "seed \(seed)")
            if !reference { refused += 1 }
        }
        #expect(refused > 100)
    }

    @Test("fifty concurrent 200-character appends over ten keys or one: linearizable; a stale read refuted",
          arguments: [(UInt64(1), 10), (2, 1)])
    func concurrentLongAppends(seed: UInt64, keys: Int) throws {
        let history = longAppendHistory(seed: seed, count: 2000, keys: keys)
        let budget = Budget(statesMax: 200_000)
        let report = Linearizability.report(History(events: history.events().events), budget: budget)
        #expect(report.verdict.isLinearizable, "\(report.verdict.summary)")

        // A read late in the history returns what a read of its key 200 operations earlier did: what
        // happened to the key in between extended or replaced that value, which never comes back.
        var stale = history
        let reads = stale.ops.indices.filter { stale.ops[$0].f == .read && stale.ops[$0].read != nil }
        let late = try #require(reads.first { $0 >= 1800 })
        let early = try #require(reads.last { $0 <= late - 200 && stale.ops[$0].key == stale.ops[late].key })
        #expect(stale.ops[early].read != stale.ops[late].read)
        stale.ops[late].read = stale.ops[early].read
        let refuted = Linearizability.report(History(events: stale.events().events), budget: budget)
        #expect(refuted.verdict.violation?.key == stale.ops[late].key, "\(refuted.verdict.summary)")
        // Porcupine (55508eb) took 2.6 s on a like history of 4000 operations over ten keys, and ran out of
        // 10 s with three keys or one; here each key takes a few thousand states.
        #expect(report.keys.allSatisfy { $0.statesCount < 50_000 })
        #expect(refuted.keys.allSatisfy { $0.statesCount < 50_000 })
    }
}

/// `count` operations over `keys` keys, each by a process of its own and overlapping about fifty others:
/// 60% appends of 200-character values, 35% reads, 5% writes of unique 200-character values.
private func longAppendHistory(seed: UInt64, count: Int, keys: Int) -> RandomHistory {
    var random = SplitMix64(seed: seed)
    var history = RandomHistory(seed: 0, count: 0, keys: ["k"], appends: true)
    var state: [String: String] = [:]
    let pad = String(repeating: ".", count: 200)
    for index in 0..<count {
        let point = Int64(index * 10 + 5)
        let key = "k\(random.below(keys))"
        var op = RandomHistory.Op(
            process: index, f: .read, key: key, input: .null, read: nil, outcome: .ok,
            callTime: point - 1 - Int64(random.below(250)), returnTime: point + 1 + Int64(random.below(250)))
        let roll = random.below(100)
        let value = String("\(roll < 60 ? "a" : "w")\(index)-\(pad)".prefix(200))
        if roll < 60 {
            op.f = .append
            op.input = .string(value)
            state[key] = (state[key] ?? "") + value
        } else if roll < 95 {
            op.read = state[key]
        } else {
            op.f = .write
            op.input = .string(value)
            state[key] = value
        }
        history.ops.append(op)
    }
    return history
}
