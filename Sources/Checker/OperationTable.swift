/// How an operation ended.
enum Outcome: Equatable {
    /// Completed `ok`: it took effect, with the completion's result.
    case ok
    /// Completed `fail`: it never took effect.
    case fail
    /// Completed `info`: unknown.
    case info
    /// No completion before the end of the history: counts as `info`.
    case pending
}

/// One operation: an invocation paired with its completion.
struct Operation {
    /// The issuing client.
    var process: Int
    /// What it does.
    var f: Function
    /// Index of its key in `OperationTable.keys`.
    var keyIndex: Int
    /// The invocation's value (the argument).
    var input: Value
    /// The completion's value (the result of an `ok` read); `.null` when there is no completion.
    var output: Value
    /// How it ended.
    var outcome: Outcome
    /// Index of the invocation in `History.events`.
    var invokeIndex: Int
    /// Index of the completion in `History.events`, or -1 when pending.
    /// Invariant: -1, or greater than `invokeIndex`.
    var completeIndex: Int
}

/// The operations of a history, paired and grouped by key, after checking the history is well formed.
struct OperationTable {
    /// All operations, in invocation order.
    var operations: [Operation]
    /// The distinct keys, sorted.
    var keys: [String]
    /// For each key in `keys`, the indices of its operations in invocation order.
    var operationsByKey: [[Int]]

    /// Pairs the events of `history`, or says which line is malformed and why.
    init(_ history: History) throws(HistoryParseError) {
        var operations: [Operation] = []
        operations.reserveCapacity(history.events.count / 2 + 1)
        var inFlight: [Int: Int] = [:]
        var retired: Set<Int> = []
        var groupOfKey: [String: Int] = [:]
        var groups: [[Int]] = []
        var firstKeys: [String] = []
        var timePrevious = Int64.min
        for (index, event) in history.events.enumerated() {
            let line = history.line(ofEvent: index)
            if let problem = event.valueProblem() {
                throw HistoryParseError(line: line, message: problem)
            }
            if event.time < timePrevious {
                throw HistoryParseError(
                    line: line, message: "time \(event.time) is before the previous \(timePrevious)")
            }
            timePrevious = event.time
            if event.type == .invoke {
                if let open = inFlight[event.process] {
                    let openLine = history.line(ofEvent: operations[open].invokeIndex)
                    throw HistoryParseError(
                        line: line, message: "process \(event.process) invokes while its line \(openLine) is in flight")
                }
                if retired.contains(event.process) {
                    throw HistoryParseError(
                        line: line, message: "process \(event.process) invokes again after an info")
                }
                let group: Int
                if let known = groupOfKey[event.key] {
                    group = known
                } else {
                    group = groups.count
                    groupOfKey[event.key] = group
                    groups.append([])
                    firstKeys.append(event.key)
                }
                groups[group].append(operations.count)
                inFlight[event.process] = operations.count
                operations.append(Operation(
                    process: event.process, f: event.f, keyIndex: group, input: event.value, output: .null,
                    outcome: .pending, invokeIndex: index, completeIndex: -1))
                continue
            }
            guard let open = inFlight.removeValue(forKey: event.process) else {
                throw HistoryParseError(
                    line: line, message: "\(event.type.name) for process \(event.process), which has nothing in flight")
            }
            try Self.complete(&operations[open], with: event, at: index, line: line, history: history)
            if event.type == .info {
                retired.insert(event.process)
            }
        }
        self.operations = operations
        // Sort keys so that output never depends on hashing; renumber the groups to match.
        let order = firstKeys.indices.sorted { firstKeys[$0] < firstKeys[$1] }
        var rank = [Int](repeating: 0, count: order.count)
        for (sortedIndex, group) in order.enumerated() {
            rank[group] = sortedIndex
        }
        keys = order.map { firstKeys[$0] }
        operationsByKey = order.map { groups[$0] }
        for index in self.operations.indices {
            self.operations[index].keyIndex = rank[self.operations[index].keyIndex]
        }
        assert(operationsByKey.reduce(0) { $0 + $1.count } == self.operations.count)
    }

    /// Records `event` as the completion of `operation`, checking that it matches the invocation.
    private static func complete(
        _ operation: inout Operation, with event: Event, at index: Int, line: Int, history: History
    ) throws(HistoryParseError) {
        let invokeLine = history.line(ofEvent: operation.invokeIndex)
        if event.f != operation.f || event.key != history.events[operation.invokeIndex].key {
            throw HistoryParseError(
                line: line, message: "\(event.type.name) does not match the invocation on line \(invokeLine)"
                    + " (\(operation.f.name) of the same key expected)")
        }
        if operation.f != .read && operation.f != .delete && event.value != operation.input {
            throw HistoryParseError(
                line: line, message: "\(event.f.name) completes with a value other than its invocation's"
                    + " on line \(invokeLine)")
        }
        switch event.type {
        case .ok: operation.outcome = .ok
        case .fail: operation.outcome = .fail
        case .info: operation.outcome = .info
        case .invoke: preconditionFailure("invocations are handled by the caller")
        }
        operation.output = event.value
        operation.completeIndex = index
        assert(operation.completeIndex > operation.invokeIndex)
    }
}
