/// The search for one key: Wing–Gong backtracking with Lowe's memoization, in Porcupine's shape.
///
/// Every invocation and completion is an entry in a doubly linked list sorted by real time. Walking from
/// the head, a call entry is an operation that may take effect next (no completion precedes it); the
/// first completion entry met ends the candidates. Linearizing an operation lifts both its entries out
/// of the list; backtracking puts them back. A (linearized set, value) pair already explored is never
/// explored again, which bounds the work by the number of distinct such pairs.
///
/// An optional (indeterminate) operation's completion entry is its deadline: reaching it unplaced, the
/// search decides the operation never took effect (a "skip", which joins the linearized set without
/// changing the value) and carries on; backtracking over a skip backtracks further. A deadline of
/// `Int.max` sorts after every definite completion, so reaching one means the search is done.
///
/// Three rules cut the search without changing its verdict: a candidate read of the current value is placed
/// at once (see `run`); a placement that leaves a value still needed with nothing to produce it is
/// refused (`ValueLiveness`); and on a key with appends, a state whose value no read ahead can grow out of
/// is refused, and a value nothing left can observe is stored as `RegisterValues.unobservable`, so that
/// the orders of appends a write later hides share one memo entry (`AppendPrefix`).
struct LinearizationSearch {
    /// How a search ended.
    enum Outcome: Equatable {
        /// Every definite operation was placed.
        case linearizable
        /// Every order was tried; `bestPrefix` is the longest linearizable prefix found.
        case violation
        /// A budget ran out; the reason names it.
        case unknown(String)
    }

    /// Limits for one search; `deadline` is checked every few thousand steps.
    struct Limits {
        var statesMax: Int?
        var memoryBytesMax: Int?
        var deadline: ContinuousClock.Instant?
    }

    private var model: [ModelOperation]
    private var optional: [Bool]
    /// True for an optional operation with no deadline.
    private var infinite: [Bool]
    /// The next and previous entry of each entry; entry `2i` is the call of operation `i`, `2i + 1` its
    /// completion, and entry `2n` is the head of the circular list.
    private var next: [Int32]
    private var previous: [Int32]
    private let head: Int
    private(set) var values: RegisterValues
    private var linearized: LinearizedSet
    private var liveness: ValueLiveness
    private var appendPrefix: AppendPrefix
    private var memo = MemoTable()
    /// The placed operations, in order; a skipped operation `i` is stored as `~i`.
    private var stackOperations: [Int32] = []
    /// The value before each placement.
    private var stackStates: [Int32] = []
    /// True for a placement with no alternative to try on backtracking (a skip or a dominant read).
    private var stackFinal: [Bool] = []
    /// The longest linearization found (skips as `~i`), kept incrementally: its first `bestAgree` entries
    /// equal the stack's.
    private(set) var bestPrefix: [Int32] = []
    private var bestAgree = 0

    /// The number of states explored.
    var statesCount: Int { memo.count }
    /// The bytes held by the memo and the interned values (what `memoryBytesMax` limits).
    var memoBytes: Int { memo.bytes + values.bytes + appendPrefix.bytes }

    /// A search over `history`.
    init(_ history: KeyHistory) {
        let count = history.model.count
        precondition(count < Int(Int32.max) / 2 - 1, "operation count fits the entry numbering")
        model = history.model
        optional = history.optional
        infinite = history.returnTimes.map { $0 == Int.max }
        values = history.values
        linearized = LinearizedSet(count: count)
        liveness = ValueLiveness(
            history.model, optional: history.optional, valuesCount: history.values.strings.count)
        appendPrefix = AppendPrefix(history, values: history.values)
        head = 2 * count
        // Sort entries by real time; completions at the same position (bounds) keep entry order.
        var entries = [Int32](repeating: 0, count: 2 * count)
        for index in 0..<count {
            entries[2 * index] = Int32(2 * index)
            entries[2 * index + 1] = Int32(2 * index + 1)
        }
        func time(_ entry: Int32) -> Int {
            let index = Int(entry >> 1)
            if entry & 1 == 0 { return history.callTimes[index] }
            return history.returnTimes[index]
        }
        entries.sort { time($0) != time($1) ? time($0) < time($1) : $0 < $1 }
        next = [Int32](repeating: 0, count: 2 * count + 1)
        previous = [Int32](repeating: 0, count: 2 * count + 1)
        var last = Int32(head)
        for entry in entries {
            next[Int(last)] = entry
            previous[Int(entry)] = last
            last = entry
        }
        next[Int(last)] = Int32(head)
        previous[head] = last
        stackOperations.reserveCapacity(count)
        stackStates.reserveCapacity(count)
    }

    /// Runs the search to a verdict or until a limit is reached.
    ///
    /// Candidates are tried in invocation order (Porcupine's walk), with one dominance rule first: a
    /// candidate read that returned the current value is placed at once, without trying alternatives.
    /// A read changes nothing and nothing unplaced has to precede it, so if any linearization of the
    /// rest exists, one that starts with that read exists too. The same holds for an append no read can
    /// see, while the value is unobservable (`AppendPrefix.isHidden`).
    mutating func run(_ limits: Limits) -> Outcome {
        var state = RegisterValues.absent
        var entry = Int(next[head])
        var steps = 0
        var arrived = true
        while entry != head {
            // The clock and memory are read every few thousand steps, whatever the steps do.
            steps &+= 1
            if steps & 4095 == 0, let reason = exhausted(limits) { return .unknown(reason) }
            if arrived {
                arrived = false
                if let dominant = matchingRead(state) ?? hiddenAppend(state) {
                    linearized.insert(dominant)
                    if memo.insert(linearized, state: state) {
                        liveness.place(model[dominant], definite: !optional[dominant])
                        if let reason = statesExhausted(limits) { return .unknown(reason) }
                        push(Int32(dominant), state: state, final: true)
                        lift(dominant)
                        entry = Int(next[head])
                        arrived = true
                        continue
                    }
                    linearized.remove(dominant)
                    guard let resume = backtrack(&state) else { return .violation }
                    entry = resume
                    continue
                }
            }
            let operation = entry >> 1
            if entry & 1 == 0 {
                var after = KVModel.step(state, model[operation], values: &values)
                if after != KVModel.impossible && !kills(operation, state: state, after: after) {
                    linearized.insert(operation)
                    after = appendPrefix.canonical(after, linearized: linearized, values: values)
                    if memo.insert(linearized, state: after)
                        && !appendPrefix.refutes(after, linearized: linearized, values: values) {
                        liveness.place(model[operation], definite: !optional[operation])
                        if let reason = statesExhausted(limits) { return .unknown(reason) }
                        push(Int32(operation), state: state, final: false)
                        state = after
                        lift(operation)
                        entry = Int(next[head])
                        arrived = true
                        continue
                    }
                    linearized.remove(operation)
                }
                entry = Int(next[entry])
            } else if optional[operation] {
                // A deadline of Int.max: every definite operation is placed, and the rest may never have
                // taken effect. Otherwise the deadline has come: the operation never took effect.
                if infinite[operation] { return .linearizable }
                let produced = ValueLiveness.produced(model[operation])
                liveness.place(model[operation], definite: false)
                let kills = produced.map { $0 != state && liveness.isDead($0) } ?? false
                liveness.unplace(model[operation], definite: false)
                linearized.insert(operation)
                if !kills && memo.insert(linearized, state: state)
                    && !appendPrefix.refutes(state, linearized: linearized, values: values) {
                    liveness.place(model[operation], definite: false)
                    if let reason = statesExhausted(limits) { return .unknown(reason) }
                    push(~Int32(operation), state: state, final: true)
                    lift(operation)
                    entry = Int(next[head])
                    arrived = true
                    continue
                }
                linearized.remove(operation)
                guard let resume = backtrack(&state) else { return .violation }
                entry = resume
            } else {
                // A definite operation not placed before its completion: undo the last choice.
                guard let resume = backtrack(&state) else { return .violation }
                entry = resume
            }
        }
        return .linearizable
    }

    /// True if placing `operation`, taking the register from `state` to `after`, leaves a value that is still
    /// needed with nothing to produce it.
    private mutating func kills(_ operation: Int, state: Int32, after: Int32) -> Bool {
        guard liveness.enabled && after != state else { return false }
        liveness.place(model[operation], definite: !optional[operation])
        let dead = liveness.isDead(state)
        liveness.unplace(model[operation], definite: !optional[operation])
        return dead
    }

    /// The first candidate read (a call before the first completion in the list) that returned `state`.
    private func matchingRead(_ state: Int32) -> Int? {
        var entry = Int(next[head])
        while entry != head && entry & 1 == 0 {
            let operation = entry >> 1
            if model[operation].f == .read && model[operation].first == state { return operation }
            entry = Int(next[entry])
        }
        return nil
    }

    /// The first candidate append that changes nothing observable from `state` (`AppendPrefix.isHidden`).
    private func hiddenAppend(_ state: Int32) -> Int? {
        guard state == RegisterValues.unobservable else { return nil }
        var entry = Int(next[head])
        while entry != head && entry & 1 == 0 {
            if appendPrefix.isHidden(entry >> 1) { return entry >> 1 }
            entry = Int(next[entry])
        }
        return nil
    }

    /// Undoes placements up to and including the last one that has alternatives (skips and dominant
    /// reads have none) and returns the entry to try next, or nil when nothing is left to undo.
    private mutating func backtrack(_ state: inout Int32) -> Int? {
        while let (popped, before, final) = pop() {
            let operation = popped >= 0 ? Int(popped) : Int(~popped)
            linearized.remove(operation)
            liveness.unplace(model[operation], definite: popped >= 0 && !optional[operation])
            unlift(operation)
            state = before
            if !final {
                return Int(next[2 * operation])
            }
        }
        return nil
    }

    /// The name of the limit that ran out, if one did.
    private func exhausted(_ limits: Limits) -> String? {
        if let bytesMax = limits.memoryBytesMax, memoBytes > bytesMax {
            return "the memory budget (\(bytesMax) bytes) ran out"
        }
        if let deadline = limits.deadline, ContinuousClock.now >= deadline {
            return "the time budget ran out"
        }
        return nil
    }

    private func statesExhausted(_ limits: Limits) -> String? {
        guard let statesMax = limits.statesMax, memo.count > statesMax else { return nil }
        return "the states budget (\(statesMax) states) ran out"
    }

    private mutating func push(_ operation: Int32, state: Int32, final: Bool) {
        let depth = stackOperations.count
        if depth == bestAgree && depth < bestPrefix.count && bestPrefix[depth] == operation {
            bestAgree += 1
        }
        stackOperations.append(operation)
        stackStates.append(state)
        stackFinal.append(final)
        if stackOperations.count > bestPrefix.count {
            bestPrefix.removeSubrange(bestAgree...)
            bestPrefix.append(contentsOf: stackOperations[bestAgree...])
            bestAgree = stackOperations.count
        }
        assert(bestAgree <= stackOperations.count && bestPrefix.count >= stackOperations.count)
    }

    private mutating func pop() -> (Int32, Int32, Bool)? {
        guard let operation = stackOperations.popLast(), let state = stackStates.popLast(),
              let final = stackFinal.popLast() else { return nil }
        bestAgree = min(bestAgree, stackOperations.count)
        return (operation, state, final)
    }

    /// Unlinks the call and the completion of `operation` (they stay linked to their old neighbours).
    private mutating func lift(_ operation: Int) {
        unlink(2 * operation)
        unlink(2 * operation + 1)
    }

    /// Relinks what `lift` unlinked, in reverse order.
    private mutating func unlift(_ operation: Int) {
        relink(2 * operation + 1)
        relink(2 * operation)
    }

    private mutating func unlink(_ entry: Int) {
        next[Int(previous[entry])] = next[entry]
        previous[Int(next[entry])] = previous[entry]
    }

    private mutating func relink(_ entry: Int) {
        next[Int(previous[entry])] = Int32(entry)
        previous[Int(next[entry])] = Int32(entry)
    }
}
