/// The operations of one key, reduced to what the search must place, with their real-time bounds.
///
/// Reductions (each keeps the verdict; see `reduce`):
/// - `fail` operations never took effect: dropped. Indeterminate reads have no effect: dropped.
/// - An indeterminate write, cas or delete whose resulting value nothing ever observes is dropped: had it
///   taken effect, removing it from a linearization leaves a valid one.
/// - An indeterminate write or cas that is the only producer of a value some `ok` operation observes
///   must have taken effect before the earliest such observer completed: it becomes a definite
///   operation completing there.
/// - Other indeterminate operations may take effect any time after their invocation, or never: their
///   completion is placed after every other (`optional`), and the search may stop before placing them.
struct KeyHistory {
    /// Indices into `OperationTable.operations`, in invocation order.
    var operations: [Int] = []
    /// The model view of each operation.
    var model: [ModelOperation] = []
    /// Position of each invocation in real time (its event index).
    var callTimes: [Int] = []
    /// Position of each completion in real time, or `Int.max` when `optional`.
    /// Invariant: `callTimes[i] < returnTimes[i]`.
    var returnTimes: [Int] = []
    /// True if the operation may never have taken effect.
    var optional: [Bool] = []
    /// The interned values of this key.
    var values = RegisterValues()
    /// How many operations the reductions removed.
    var droppedCount = 0
    /// How many indeterminate operations became definite.
    var boundedCount = 0

    /// Prepares the operations `indices` (all of one key, in invocation order) of `table`.
    init(_ table: OperationTable, indices: [Int]) {
        var observedEarliest: [Int32: Int] = [:]
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
                } else {
                    Self.observe(model.first, at: operation.completeIndex, in: &observedEarliest)
                }
            case .cas:
                if definite {
                    Self.observe(model.first, at: operation.completeIndex, in: &observedEarliest)
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
        for (index, model) in kept {
            let operation = table.operations[index]
            var returnTime = operation.outcome == .ok ? operation.completeIndex : Int.max
            if returnTime == Int.max && !hasAppend {
                // Appends build values out of others, so these reductions apply only without them.
                let produced = model.f == .cas ? model.second : model.f == .write ? model.first : RegisterValues.absent
                if model.f == .delete && !absentObserved { droppedCount += 1; continue }
                if model.f != .delete {
                    let earliest = observedEarliest[produced]
                    if earliest == nil && !observedByIndeterminate.contains(produced) { droppedCount += 1; continue }
                    if let earliest, producerCounts[produced] == 1, earliest > operation.invokeIndex {
                        returnTime = earliest
                        boundedCount += 1
                    }
                }
            }
            operations.append(index)
            self.model.append(model)
            callTimes.append(operation.invokeIndex)
            returnTimes.append(returnTime)
            optional.append(returnTime == Int.max)
        }
        assert(operations.count == callTimes.count && callTimes.count == returnTimes.count)
        assert(zip(callTimes, returnTimes).allSatisfy { $0 < $1 })
    }

    private static func observe(_ value: Int32, at time: Int, in earliest: inout [Int32: Int]) {
        if let known = earliest[value], known <= time { return }
        earliest[value] = time
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
