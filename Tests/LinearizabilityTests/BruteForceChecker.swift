import Checker

/// The reference: tries every subset of the indeterminate operations and every order of the chosen ones
/// plus the ok ones that respects real time, over all keys at once, with a plain dictionary model.
///
/// Exponential and obviously right; it shares nothing with the checker but the `Function` enum.
enum BruteForceChecker {
    static func isLinearizable(_ history: RandomHistory) -> Bool {
        let (_, call, ret) = history.events()
        // Operations that may matter: ok ones, and indeterminate writes (an indeterminate read has no effect).
        let definite = history.ops.indices.filter { history.ops[$0].outcome == .ok }
        let indeterminate = history.ops.indices.filter {
            let op = history.ops[$0]
            return (op.outcome == .info || op.outcome == .pending) && op.f != .read
        }
        precondition(indeterminate.count < 20)
        for mask in 0..<(1 << indeterminate.count) {
            var chosen = definite
            for (bit, index) in indeterminate.enumerated() where mask & (1 << bit) != 0 {
                chosen.append(index)
            }
            // An indeterminate operation never completed, so only definite completions constrain order.
            let deadline = history.ops.indices.map { history.ops[$0].outcome == .ok ? ret[$0] : Int.max }
            if search(history.ops, remaining: chosen, state: [:], call: call, deadline: deadline) {
                return true
            }
        }
        return false
    }

    private static func search(
        _ ops: [RandomHistory.Op], remaining: [Int], state: [String: String], call: [Int], deadline: [Int]
    ) -> Bool {
        if remaining.isEmpty { return true }
        let horizon = remaining.map { deadline[$0] }.min()!
        for candidate in remaining where call[candidate] < horizon {
            guard let after = apply(ops[candidate], to: state) else { continue }
            if search(ops, remaining: remaining.filter { $0 != candidate }, state: after, call: call,
                      deadline: deadline) {
                return true
            }
        }
        return false
    }

    /// The state after `op`, or nil if it cannot take effect with the result it reported.
    private static func apply(_ op: RandomHistory.Op, to state: [String: String]) -> [String: String]? {
        var after = state
        switch (op.f, op.input) {
        case (.read, _):
            return state[op.key] == op.read ? state : nil
        case (.write, .string(let value)):
            after[op.key] = value
        case (.cas, .pair(let expected, let new)):
            guard state[op.key] == expected else { return nil }
            after[op.key] = new
        case (.delete, _):
            after[op.key] = nil
        case (.append, .string(let suffix)):
            after[op.key] = (state[op.key] ?? "") + suffix
        default:
            preconditionFailure("generated values fit their functions")
        }
        return after
    }
}
