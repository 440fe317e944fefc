/// Counts, per register value, the unplaced operations that can still produce it and the unplaced definite
/// operations that still need it, so that the search sees at once when a value dies.
///
/// A value is dead when some definite operation still needs it (an `ok` read of it, an `ok` cas expecting
/// it) but nothing left can produce it and the register does not hold it: that branch of the search can
/// never succeed, however long it runs before reaching that operation's completion. Pruning there cuts
/// the backtracking over a mistake to the step that made it.
/// Disabled on keys with appends, whose values are built on the fly.
struct ValueLiveness {
    /// Unplaced producers per value; index `id + 1` (absent is 0). Invariant: non-negative.
    private var producers: [Int32]
    /// Unplaced definite operations that need the value; same indexing. Invariant: non-negative.
    private var observers: [Int32]
    /// False when the key has appends.
    let enabled: Bool

    /// Counts for `model`, whose values have ids below `valuesCount`.
    init(_ model: [ModelOperation], optional: [Bool], valuesCount: Int) {
        enabled = !model.contains { $0.f == .append }
        producers = [Int32](repeating: 0, count: enabled ? valuesCount + 1 : 0)
        observers = producers
        guard enabled else { return }
        for (index, operation) in model.enumerated() {
            if let value = Self.produced(operation) { producers[Int(value) + 1] += 1 }
            if !optional[index], let value = Self.needed(operation) { observers[Int(value) + 1] += 1 }
        }
    }

    /// The value `operation` leaves in the register, if it always leaves one.
    static func produced(_ operation: ModelOperation) -> Int32? {
        switch operation.f {
        case .write: return operation.first
        case .cas: return operation.second
        case .delete: return RegisterValues.absent
        case .read, .append: return nil
        }
    }

    /// The value the register must hold for `operation` to take effect.
    static func needed(_ operation: ModelOperation) -> Int32? {
        switch operation.f {
        case .read, .cas: return operation.first
        case .write, .delete, .append: return nil
        }
    }

    /// Records that `operation` was placed (or skipped) and can no longer produce or need anything.
    mutating func place(_ operation: ModelOperation, definite: Bool) {
        guard enabled else { return }
        if let value = Self.produced(operation) {
            producers[Int(value) + 1] -= 1
            assert(producers[Int(value) + 1] >= 0, "placed a producer twice")
        }
        if definite, let value = Self.needed(operation) {
            observers[Int(value) + 1] -= 1
            assert(observers[Int(value) + 1] >= 0, "placed an observer twice")
        }
    }

    /// Undoes `place`.
    mutating func unplace(_ operation: ModelOperation, definite: Bool) {
        guard enabled else { return }
        if let value = Self.produced(operation) { producers[Int(value) + 1] += 1 }
        if definite, let value = Self.needed(operation) { observers[Int(value) + 1] += 1 }
    }

    /// True if `value`, which the register does not hold, is still needed but can no longer be produced.
    func isDead(_ value: Int32) -> Bool {
        enabled && observers[Int(value) + 1] > 0 && producers[Int(value) + 1] == 0
    }
}
