/// Turns a failed search into a `Violation` a person can follow.
struct ViolationExplainer {
    let history: History
    let table: OperationTable
    let keyHistory: KeyHistory
    /// Indices into `keyHistory` of the longest linearizable prefix, in order (without skips).
    let prefix: [Int]
    /// Indices into `keyHistory` of the indeterminate operations the prefix decided never took effect.
    let skipped: [Int]
    var values: RegisterValues

    /// How many prefix operations the explanation lists.
    static let prefixShownMax = 12
    /// How many unplaceable operations the explanation lists.
    static let unplacedShownMax = 12

    /// Builds the violation of key `keyIndex`.
    mutating func violation(keyIndex: Int) -> Violation {
        let key = table.keys[keyIndex]
        if let index = keyHistory.unproducible {
            let model = keyHistory.model[index]
            var text = "Key \(quoted(key)) is not linearizable.\n"
            text += "\(describe(index)): no operation on the key ever wrote \(describeValue(model.first))"
            text += " (failed ones never took effect), so this \(model.f.name) cannot take effect at any point.\n"
            return Violation(key: key, explanation: text, prefixEvents: [], unplacedEvents: [invokeIndex(index)])
        }
        var states: [Int32] = []
        var state = RegisterValues.absent
        for index in prefix {
            state = KVModel.step(state, keyHistory.model[index], values: &values)
            precondition(state != KVModel.impossible, "the search only keeps linearizable prefixes")
            states.append(state)
        }
        let placed = Set(prefix + skipped)
        let unplaced = keyHistory.model.indices.filter { !placed.contains($0) }
        let required = unplaced.filter { !keyHistory.optional[$0] }
        precondition(!required.isEmpty, "a violation leaves a definite operation unplaced")
        let must = required.min { keyHistory.returnTimes[$0] < keyHistory.returnTimes[$1] }!
        let horizon = keyHistory.returnTimes[must]
        let candidates = unplaced.filter { keyHistory.callTimes[$0] < horizon }

        var text = "Key \(quoted(key)) is not linearizable.\n"
        text += "Longest linearizable prefix found: \(prefix.count) of \(keyHistory.model.count) operations"
        if keyHistory.droppedCount > 0 {
            let count = keyHistory.droppedCount
            text += " (\(count) failed or unobservable operation\(count == 1 ? "" : "s") left out)"
        }
        text += prefix.count > Self.prefixShownMax ? ", the last \(Self.prefixShownMax) shown:\n" : ":\n"
        for position in max(0, prefix.count - Self.prefixShownMax)..<prefix.count {
            let number = "\(position + 1)."
            text += "  " + String(repeating: " ", count: max(0, 6 - number.count)) + number + " "
            text += describe(prefix[position]) + " -> value " + describeValue(states[position]) + "\n"
        }
        text += "After it the value is \(describeValue(state)).\n"
        text += "No remaining operation can take effect next:\n"
        var failing: [Int] = []
        for candidate in candidates.prefix(Self.unplacedShownMax) {
            let reason = self.reason(candidate, state: state, unplaced: unplaced)
            if reason.impossible { failing.append(candidate) }
            if let starved = reason.starved, !failing.contains(starved) { failing.append(starved) }
            text += "  - \(describe(candidate)): \(reason.text)\n"
        }
        if candidates.count > Self.unplacedShownMax {
            text += "  - … and \(candidates.count - Self.unplacedShownMax) more\n"
        }
        let mustLine = history.line(ofEvent: horizon)
        if table.operations[keyHistory.operations[must]].outcome == .ok {
            text += "\(describe(must)) completed on line \(mustLine), so it had to take effect by then,"
        } else {
            text += "\(describe(must)) had to take effect by line \(mustLine), where its value was observed,"
        }
        text += " but no order of the operations invoked before that allows it.\n"
        if !failing.contains(must) { failing.append(must) }
        return Violation(
            key: key, explanation: text,
            prefixEvents: prefix.map { invokeIndex($0) },
            unplacedEvents: failing.map { invokeIndex($0) })
    }

    private func invokeIndex(_ index: Int) -> Int {
        table.operations[keyHistory.operations[index]].invokeIndex
    }

    /// Why `index` cannot take effect in `state`, or that it could but leads nowhere.
    private mutating func reason(
        _ index: Int, state: Int32, unplaced: [Int]
    ) -> (impossible: Bool, starved: Int?, text: String) {
        let model = keyHistory.model[index]
        let after = KVModel.step(state, model, values: &values)
        if after != KVModel.impossible {
            if let starved = starved(by: index, state: state, after: after, unplaced: unplaced) {
                return (true, starved, "it could take effect, but then nothing left could make the value"
                    + " \(describeValue(state)) again, which \(describe(starved)) needs")
            }
            return (false, nil, "it could take effect, but no order of the rest works after it")
        }
        switch model.f {
        case .read:
            return (true, nil, "it read \(describeValue(model.first)), but the value is \(describeValue(state))")
        case .cas:
            return (true, nil, "it expected \(describeValue(model.first)), but the value is \(describeValue(state))")
        case .write, .delete, .append:
            preconditionFailure("\(model.f.name) always takes effect")
        }
    }

    /// The definite operation (earliest to complete) that needs `state`, if placing `index` (which moves
    /// the register from `state` to `after`) leaves nothing that could produce `state` again.
    private func starved(by index: Int, state: Int32, after: Int32, unplaced: [Int]) -> Int? {
        let model = keyHistory.model
        guard after != state, !model.contains(where: { $0.f == .append }) else { return nil }
        let others = unplaced.filter { $0 != index }
        if others.contains(where: { ValueLiveness.produced(model[$0]) == state }) { return nil }
        return others.filter { !keyHistory.optional[$0] && ValueLiveness.needed(model[$0]) == state }
            .min { keyHistory.returnTimes[$0] < keyHistory.returnTimes[$1] }
    }

    private func describeValue(_ id: Int32) -> String {
        values.string(id).map { quoted($0) } ?? "absent"
    }

    /// `process 3 read -> "7" (ok, lines 2-4)`.
    private func describe(_ index: Int) -> String {
        let operation = table.operations[keyHistory.operations[index]]
        var text = "process \(operation.process) \(operation.f.name)"
        switch (operation.f, operation.input, operation.output) {
        case (.read, _, .string(let read)): text += " -> \(quoted(read))"
        case (.read, _, _): text += " -> absent"
        case (.write, .string(let value), _), (.append, .string(let value), _): text += " \(quoted(value))"
        case (.cas, .pair(let expected, let new), _): text += " \(quoted(expected)) to \(quoted(new))"
        default: break
        }
        let invokeLine = history.line(ofEvent: operation.invokeIndex)
        switch operation.outcome {
        case .ok: text += " (ok, lines \(invokeLine)-\(history.line(ofEvent: operation.completeIndex)))"
        case .info: text += " (info, lines \(invokeLine)-\(history.line(ofEvent: operation.completeIndex)))"
        case .pending: text += " (pending from line \(invokeLine))"
        case .fail: preconditionFailure("failed operations are never searched")
        }
        return text
    }
}
