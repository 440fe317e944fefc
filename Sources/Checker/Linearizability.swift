/// The linearizability checker for key-value register histories (HISTORY-FORMAT.md).
///
/// Keys are independent (P-compositionality), so each key's operations are checked on their own, in
/// `String` order of the keys; the first key that fails is reported, so it is the smallest failing key.
/// Within a key, `KeyHistory` drops what cannot matter and bounds indeterminate operations, and
/// `LinearizationSearch` does the memoized backtracking search, pruned by `ValueLiveness` and, on keys with
/// appends, by `AppendPrefix`.
///
/// Determinism: nothing depends on hashing order or on the clock except the `timeoutSeconds` budget, so
/// with `statesMax` and `memoryBytesMax` alone the verdict and the explanation are the same on every
/// run and in every process.
public enum Linearizability {
    /// Checks `history` within `budget`.
    /// - Precondition: `history` is well formed (`History.validate()`); histories from `HistoryReader`
    ///   always are. A malformed in-memory history is a bug in its producer and traps.
    public static func check(_ history: History, budget: Budget) -> Verdict {
        report(history, budget: budget).verdict
    }

    /// Checks `history` within `budget` and reports the work done per key.
    public static func report(_ history: History, budget: Budget) -> CheckReport {
        let start = ContinuousClock.now
        let table: OperationTable
        do {
            table = try OperationTable(history)
        } catch {
            fatalError("Linearizability.check: malformed history: \(error)")
        }
        let limits = LinearizationSearch.Limits(
            statesMax: budget.statesMax, memoryBytesMax: budget.memoryBytesMax,
            deadline: budget.timeoutSeconds.map { start + .seconds($0) })
        var report = CheckReport(verdict: .linearizable, keys: [], operationsCount: table.operations.count)
        var unknown: String?
        for keyIndex in table.keys.indices {
            if let deadline = limits.deadline, ContinuousClock.now >= deadline {
                let seconds = budget.timeoutSeconds ?? 0
                report.verdict = .unknown(reason: "the time budget (\(seconds) s) ran out before key"
                    + " \(quoted(table.keys[keyIndex])) was checked")
                return report
            }
            let keyStart = ContinuousClock.now
            let keyHistory = KeyHistory(table, indices: table.operationsByKey[keyIndex])
            var search = LinearizationSearch(keyHistory)
            let outcome = keyHistory.unproducible == nil ? search.run(limits) : .violation
            let elapsed = ContinuousClock.now - keyStart
            report.keys.append(KeyReport(
                key: table.keys[keyIndex], operationsCount: table.operationsByKey[keyIndex].count,
                searchedCount: keyHistory.model.count, statesCount: search.statesCount,
                memoBytes: search.memoBytes,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
            switch outcome {
            case .linearizable:
                continue
            case .violation:
                var explainer = ViolationExplainer(
                    history: history, table: table, keyHistory: keyHistory,
                    prefix: search.bestPrefix.filter { $0 >= 0 }.map { Int($0) },
                    skipped: search.bestPrefix.filter { $0 < 0 }.map { Int(~$0) }, values: search.values)
                report.verdict = .notLinearizable(explainer.violation(keyIndex: keyIndex))
                return report
            case .unknown(var reason):
                if reason == "the time budget ran out" {
                    reason = "the time budget (\(budget.timeoutSeconds ?? 0) s) ran out"
                }
                let message = "\(reason) on key \(quoted(table.keys[keyIndex]))"
                    + " (\(keyHistory.model.count) operations, \(search.statesCount) states explored)"
                unknown = unknown ?? message
                if reason.hasPrefix("the time budget") {
                    report.verdict = .unknown(reason: message)
                    return report
                }
            }
        }
        if let unknown {
            report.verdict = .unknown(reason: unknown)
        }
        return report
    }
}

/// What a check found and how much work each key took.
public struct CheckReport: Sendable {
    /// The verdict.
    public var verdict: Verdict
    /// The keys checked, in order (all of them unless the check stopped at a violation or the deadline).
    public var keys: [KeyReport]
    /// The operations in the history.
    public var operationsCount: Int
}

/// The work one key took.
public struct KeyReport: Sendable {
    /// The key.
    public var key: String
    /// Its operations in the history.
    public var operationsCount: Int
    /// Its operations left for the search after the reductions of `KeyHistory`.
    public var searchedCount: Int
    /// The search states explored.
    public var statesCount: Int
    /// The bytes the memo and the interned values of the search held at the end.
    public var memoBytes: Int
    /// Wall-clock seconds spent on the key (not deterministic; for reports only).
    public var seconds: Double
}
