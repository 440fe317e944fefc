/// The operations of one key, reduced to what the search must place, with their real-time bounds.
///
/// Reductions (each keeps the verdict):
/// - `fail` operations never took effect: dropped. Indeterminate reads have no effect: dropped.
/// - An indeterminate write, cas or delete whose resulting value nothing observes is dropped: had it
///   taken effect, removing it from a linearization leaves a valid one (every operation between it and
///   the next write ignores the value, or it would be an observer).
/// - By the same argument, an indeterminate operation taking effect after every observer of its value
///   might as well never have: it gets a deadline, the latest completion of an `ok` observer, and the
///   search either places it before that or decides at that point that it never took effect.
/// - An indeterminate write or cas that is the only producer of a value some `ok` operation observes
///   must have taken effect before the earliest such observer completed: it becomes a definite
///   operation completing there.
/// - Otherwise (appends on the key, or an indeterminate cas observes the value) an indeterminate
///   operation may take effect any time after its invocation, or never: its deadline is `Int.max`.
struct KeyHistory {
    /// Indices into `OperationTable.operations`, in invocation order.
    var operations: [Int] = []
    /// The model view of each operation.
    var model: [ModelOperation] = []
    /// Position of each invocation in real time (its event index).
    var callTimes: [Int] = []
    /// Position of each completion in real time: the completion, a bound or a deadline, or `Int.max`.
    /// Invariant: `callTimes[i] < returnTimes[i]`.
    var returnTimes: [Int] = []
    /// True if the operation may never have taken effect; its `returnTimes` entry is then its deadline.
    var optional: [Bool] = []
    /// The interned values of this key.
    var values = RegisterValues()
    /// How many operations the reductions removed.
    var droppedCount = 0
    /// How many indeterminate operations became definite.
    var boundedCount = 0
    /// The first (by completion) `ok` read or cas, as an index into `operations`, that observed a value no
    /// operation of the key produces: it cannot take effect anywhere, so no search is needed.
    var unproducible: Int?

    /// Prepares the operations `indices` (all of one key, in invocation order) of `table`.
    init(_ table: OperationTable, indices: [Int]) {
        var observedEarliest: [Int32: Int] = [:]
        var observedLatest: [Int32: Int] = [:]
        var absentObservedLatest = -1
        var observedByIndeterminate: Set<Int32> = []
        var producerCounts: [Int32: Int] = [:]
        var absentObserved = false
        var hasAppend = false
        var kept: [(index: Int, model: ModelOperation)] = []
        kept.reserveCapacity(indices.count)
        for index in indices {
            let operation = table.operations[index]
            if operation.outcome == .fail { continue }
            let definite = operation.outcome == .ok
            if operation.f == .read && !definite { continue }
            let model = Self.modelOperation(operation, values: &values)
            kept.append((index, model))
            switch operation.f {
            case .read:
                if model.first == RegisterValues.absent {
                    absentObserved = true
                    absentObservedLatest = max(absentObservedLatest, operation.completeIndex)
                } else {
                    Self.observe(model.first, at: operation.completeIndex, earliest: &observedEarliest,
                                 latest: &observedLatest)
                }
            case .cas:
                if definite {
                    Self.observe(model.first, at: operation.completeIndex, earliest: &observedEarliest,
                                 latest: &observedLatest)
                } else {
                    observedByIndeterminate.insert(model.first)
                }
                producerCounts[model.second, default: 0] += 1
            case .write: producerCounts[model.first, default: 0] += 1
            case .append: hasAppend = true
            case .delete: break
            }
        }
        droppedCount = indices.count - kept.count
        var unproducibleIndex: Int?
        for (index, model) in kept where !hasAppend && table.operations[index].outcome == .ok {
            let observed = model.f == .read ? model.first : model.f == .cas ? model.first : RegisterValues.absent
            if observed != RegisterValues.absent && producerCounts[observed] == nil
                && table.operations[index].completeIndex < unproducibleIndex.map({ table.operations[$0].completeIndex })
                ?? Int.max {
                unproducibleIndex = index
            }
        }
        for (index, model) in kept {
            let operation = table.operations[index]
            let definite = operation.outcome == .ok
            var returnTime = definite ? operation.completeIndex : Int.max
            var isOptional = !definite
            if !definite && !hasAppend {
                // Appends build values out of others, so these reductions apply only without them.
                var deadline = Int.max
                if model.f == .delete {
                    if !absentObserved { droppedCount += 1; continue }
                    deadline = absentObservedLatest
                } else {
                    let produced = model.f == .cas ? model.second : model.first
                    let earliest = observedEarliest[produced]
                    let byIndeterminate = observedByIndeterminate.contains(produced)
                    if earliest == nil && !byIndeterminate { droppedCount += 1; continue }
                    if let earliest, producerCounts[produced] == 1, earliest > operation.invokeIndex {
                        deadline = earliest
                        isOptional = false
                        boundedCount += 1
                    } else if !byIndeterminate, let latest = observedLatest[produced] {
                        deadline = latest
                    }
                }
                if deadline <= operation.invokeIndex { droppedCount += 1; continue }
                returnTime = deadline
            }
            if index == unproducibleIndex { unproducible = operations.count }
            operations.append(index)
            self.model.append(model)
            callTimes.append(operation.invokeIndex)
            returnTimes.append(returnTime)
            optional.append(isOptional)
        }
        assert(operations.count == callTimes.count && callTimes.count == returnTimes.count)
        assert(zip(callTimes, returnTimes).allSatisfy { $0 < $1 })
        assert(zip(optional, returnTimes).allSatisfy { $0 || $1 != Int.max })
    }

    private static func observe(
        _ value: Int32, at time: Int, earliest: inout [Int32: Int], latest: inout [Int32: Int]
    ) {
        if earliest[value].map({ time < $0 }) ?? true { earliest[value] = time }
        if latest[value].map({ time > $0 }) ?? true { latest[value] = time }
    }

    private static func modelOperation(_ operation: Operation, values: inout RegisterValues) -> ModelOperation {
        switch (operation.f, operation.input, operation.output) {
        case (.read, _, .string(let read)): return ModelOperation(f: .read, first: values.id(of: read), second: 0)
        case (.read, _, _): return ModelOperation(f: .read, first: RegisterValues.absent, second: 0)
        case (.write, .string(let written), _):
            return ModelOperation(f: .write, first: values.id(of: written), second: 0)
        case (.append, .string(let suffix), _):
            return ModelOperation(f: .append, first: values.id(of: suffix), second: 0)
        case (.cas, .pair(let expected, let new), _):
            let expectedID = values.id(of: expected)
            return ModelOperation(f: .cas, first: expectedID, second: values.id(of: new))
        case (.delete, _, _): return ModelOperation(f: .delete, first: 0, second: 0)
        default: preconditionFailure("OperationTable validated the values of \(operation.f.name)")
        }
    }
}
