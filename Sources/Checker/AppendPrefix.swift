/// On a key with appends, refuses a search state whose value can no longer grow into what a read ahead of
/// it returned.
///
/// Appends only extend the value; only a write, a cas or a delete (a "reset") replaces it. An unplaced `ok`
/// read R that returned v comes after everything placed so far, so the value R sees is either the value
/// now followed by appends, or the value some unplaced reset leaves followed by appends; and a reset
/// invoked after R completed cannot come before R. So unless the value now is a prefix of v, some unplaced
/// reset invoked before R completed must leave a prefix of v (absent counts as empty: a delete always
/// qualifies; only absent is a prefix of a read of absent). A state where neither holds for some R can
/// never be extended to a linearization. Refusing it at once, instead of when the search reaches R's
/// completion, saves trying every order of the operations in between: concurrent appends give a different
/// value in each order, so the memo cannot merge those orders, while the reads ahead usually allow one.
///
/// Checking only some reads keeps the rule sound (it only ever refuses dead states), so per state only
/// the first `readsCheckedMax` unplaced reads to complete are checked.
///
/// The same reasoning merges states (`canonical`): a value that is a prefix of no unplaced read's value
/// and of no unplaced cas's expected value can never be observed, nor can anything appended to it, so
/// only the fact that it is such a value matters. Appends that a later write overwrites unseen would
/// otherwise give one memo state per order of those appends.
struct AppendPrefix {
    /// How many reads ahead are checked per state.
    static let readsCheckedMax = 8

    /// False when the key has no appends (`ValueLiveness` prunes those keys instead).
    let enabled: Bool
    /// The reads of the key, by completion time.
    private let reads: [Int32]
    /// The value each of `reads` returned.
    private let readValues: [Int32]
    /// For each position in `reads`, the largest operation index among `reads[...position]`: a scan can
    /// start past every position whose value here is below `LinearizedSet.placedBelow`.
    private let readsIndexMax: [Int32]
    /// The completion time of each of `reads`.
    private let readReturns: [Int]
    /// The writes, cas and deletes of the key, in index (invocation) order.
    private let resets: [Int32]
    /// The invocation time of each of `resets`. Invariant: increasing.
    private let resetCalls: [Int]
    /// The value each of `resets` leaves (a cas: if it takes effect).
    private let resetValues: [Int32]
    /// The reads and cas operations of the key, by completion time (a deadline for an optional cas).
    private let observers: [Int32]
    /// The value each of `observers` needs (a read's result, a cas's expected value).
    private let observedValues: [Int32]
    /// As `readsIndexMax`, for `observers`.
    private let observersIndexMax: [Int32]
    /// The first bytes (`Head`) of each of `observedValues`, to rule most prefix tests out cheaply.
    private let observedHeads: [Head]
    /// True for an append whose value is part of no read's value and no cas's expected value: placed
    /// while the value is unobservable, it changes nothing any operation can see (`isHidden`).
    private let hidden: [Bool]
    /// The appends each read's value still needs.
    private var tiling: AppendTiling
    /// Prefix tests done so far: (prefix id, value id) packed into 64 bits.
    private var isPrefixCache: [UInt64: Bool] = [:]

    /// An estimate of the bytes held by the cache.
    var bytes: Int { isPrefixCache.count * 24 + tiling.bytes }

    /// The rule for `history`'s operations, whose values `values` holds.
    init(_ history: KeyHistory, values: RegisterValues) {
        enabled = history.model.contains { $0.f == .append }
        tiling = AppendTiling(history, values: values)
        hidden = enabled ? Self.hiddenAppends(history.model, values: values) : []
        var reads: [Int32] = []
        var resets: [Int32] = []
        var observers: [Int32] = []
        if enabled {
            for (index, operation) in history.model.enumerated() {
                switch operation.f {
                case .read:
                    // Indeterminate reads never reach the search: a read there is an ok read.
                    assert(!history.optional[index], "reads in the search are ok reads")
                    reads.append(Int32(index))
                    observers.append(Int32(index))
                case .cas:
                    resets.append(Int32(index))
                    observers.append(Int32(index))
                case .write, .delete: resets.append(Int32(index))
                case .append: break
                }
            }
            func byReturn(_ left: Int32, _ right: Int32) -> Bool {
                let (leftTime, rightTime) = (history.returnTimes[Int(left)], history.returnTimes[Int(right)])
                return leftTime != rightTime ? leftTime < rightTime : left < right
            }
            reads.sort(by: byReturn)
            observers.sort(by: byReturn)
        }
        self.observers = observers
        observedValues = observers.map { history.model[Int($0)].first }
        observedHeads = observedValues.map { Head($0, values: values) }
        readsIndexMax = Self.runningMax(reads)
        observersIndexMax = Self.runningMax(observers)
        self.reads = reads
        readValues = reads.map { history.model[Int($0)].first }
        readReturns = reads.map { history.returnTimes[Int($0)] }
        self.resets = resets
        resetCalls = resets.map { history.callTimes[Int($0)] }
        resetValues = resets.map { reset in
            let operation = history.model[Int(reset)]
            return operation.f == .write ? operation.first
                : operation.f == .cas ? operation.second : RegisterValues.absent
        }
        assert(zip(resetCalls, resetCalls.dropFirst()).allSatisfy { $0 < $1 })
        assert(readValues.count == self.reads.count && resetValues.count == resets.count)
    }

    /// True if `state`, with the operations in `linearized` placed, can never be extended to a
    /// linearization because a read ahead returned a value that nothing left can lead to.
    mutating func refutes(_ state: Int32, linearized: LinearizedSet, values: RegisterValues) -> Bool {
        guard enabled else { return false }
        var checked = 0
        let placedBelow = Int32(linearized.placedBelow)
        for position in Self.first(atLeast: placedBelow, in: readsIndexMax)..<reads.count {
            if checked == Self.readsCheckedMax { break }
            if linearized.contains(Int(reads[position])) { continue }
            checked += 1
            if cachedIsPrefix(state, of: readValues[position], values: values)
                && buildable(readValues[position], from: state, before: readReturns[position], linearized, values) {
                continue
            }
            if !resettable(to: readValues[position], before: readReturns[position], linearized, values) {
                return true
            }
        }
        return false
    }

    /// True if an unplaced reset invoked before `time` leaves a prefix of `value`.
    private mutating func resettable(
        to value: Int32, before time: Int, _ linearized: LinearizedSet, _ values: RegisterValues
    ) -> Bool {
        // Resets are in index order, and every operation below `placedBelow` is placed.
        var position = Self.first(atLeast: Int32(linearized.placedBelow), in: resets)
        while position < resets.count && resetCalls[position] < time {
            if !linearized.contains(Int(resets[position]))
                && cachedIsPrefix(resetValues[position], of: value, values: values)
                && buildable(value, from: resetValues[position], before: time, linearized, values) {
                return true
            }
            position += 1
        }
        return false
    }

    /// True unless `value` provably cannot be built from `base`, a prefix of it, by unplaced appends
    /// invoked before `time` (`AppendTiling`).
    private mutating func buildable(
        _ value: Int32, from base: Int32, before time: Int, _ linearized: LinearizedSet, _ values: RegisterValues
    ) -> Bool {
        guard tiling.enabled && value != RegisterValues.absent else { return true }
        let offset = base == RegisterValues.absent ? 0 : values.strings[Int(base)].utf8.count
        return tiling.isMet(tiling.requirement(value, after: offset, values: values), before: time, linearized)
    }

    /// `state`, or `RegisterValues.unobservable` if no unplaced operation (those not in `linearized`) can
    /// observe it or anything appended to it.
    mutating func canonical(_ state: Int32, linearized: LinearizedSet, values: RegisterValues) -> Int32 {
        guard enabled && state != RegisterValues.absent && state != RegisterValues.unobservable else {
            return state
        }
        let start = Self.first(atLeast: Int32(linearized.placedBelow), in: observersIndexMax)
        let head = Head(state, values: values)
        for position in start..<observers.count where !linearized.contains(Int(observers[position])) {
            if head.mayBePrefix(of: observedHeads[position])
                && cachedIsPrefix(state, of: observedValues[position], values: values) {
                return state
            }
        }
        return RegisterValues.unobservable
    }

    /// True if `operation` is an append that can be placed at once when the value is unobservable.
    ///
    /// Placing it then leaves the value unobservable, and in any linearization of the rest it can be moved
    /// to now: until its old position the values are the same; after it they differ by its suffix only
    /// until the next write, cas or delete, and no read or cas can come in between, since each would have
    /// to show the suffix. So, like a read of the current value, it is placed without trying alternatives.
    func isHidden(_ operation: Int) -> Bool {
        enabled && hidden[operation]
    }

    /// For each operation of `model`, true if it is an append whose value occurs in no read's value and
    /// no cas's expected value. Windows are compared by a 64-bit rolling hash, so a collision can only
    /// make an append look visible, which costs speed, not soundness.
    private static func hiddenAppends(_ model: [ModelOperation], values: RegisterValues) -> [Bool] {
        var observed = Set<Int32>()
        var appended = Set<Int32>()
        for operation in model {
            switch operation.f {
            case .read, .cas: if operation.first >= 0 { observed.insert(operation.first) }
            case .append: appended.insert(operation.first)
            case .write, .delete: break
            }
        }
        let texts = observed.sorted().map { Array(values.strings[Int($0)].utf8) }
        var hiddenValues = Set<Int32>()
        let byLength = Dictionary(grouping: appended.sorted()) { values.strings[Int($0)].utf8.count }
        for (length, suffixes) in byLength.sorted(by: { $0.key < $1.key }) {
            // An empty append occurs in everything; it is never hidden (nor needs to be: it changes nothing).
            guard length > 0 else { continue }
            var windows = Set<UInt64>()
            for text in texts where text.count >= length {
                windows.formUnion(rollingHashes(text, length: length))
            }
            for suffix in suffixes where !windows.contains(rollingHashes(Array(values.strings[Int(suffix)].utf8),
                                                                           length: length)[0]) {
                hiddenValues.insert(suffix)
            }
        }
        return model.map { $0.f == .append && hiddenValues.contains($0.first) }
    }

    /// The hash of every window of `length` bytes of `bytes` (at least `length` of them), in order.
    private static func rollingHashes(_ bytes: [UInt8], length: Int) -> [UInt64] {
        precondition(length > 0 && bytes.count >= length, "a window fits in the bytes")
        let base: UInt64 = 0x100_0000_01B3
        var power: UInt64 = 1
        for _ in 1..<max(length, 1) { power &*= base }
        var hash: UInt64 = 0
        for index in 0..<length { hash = hash &* base &+ UInt64(bytes[index]) }
        var hashes = [hash]
        hashes.reserveCapacity(bytes.count - length + 1)
        for index in length..<bytes.count {
            hash = (hash &- UInt64(bytes[index - length]) &* power) &* base &+ UInt64(bytes[index])
            hashes.append(hash)
        }
        return hashes
    }

    /// The running maximum of `indices`.
    private static func runningMax(_ indices: [Int32]) -> [Int32] {
        var maximum = Int32.min
        return indices.map { index in
            maximum = max(maximum, index)
            return maximum
        }
    }

    /// The first position in `sorted` (non-decreasing) whose element is at least `bound`, or its count.
    private static func first(atLeast bound: Int32, in sorted: [Int32]) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < bound { low = middle + 1 } else { high = middle }
        }
        assert(low == sorted.count || sorted[low] >= bound)
        return low
    }

    /// `isPrefix`, remembered.
    private mutating func cachedIsPrefix(_ state: Int32, of value: Int32, values: RegisterValues) -> Bool {
        if state == value || state == RegisterValues.absent { return true }
        if value == RegisterValues.absent || state == RegisterValues.unobservable { return false }
        let packed = UInt64(UInt32(bitPattern: state)) << 32 | UInt64(UInt32(bitPattern: value))
        if let known = isPrefixCache[packed] { return known }
        let result = Self.isPrefix(state, of: value, values: values)
        isPrefixCache[packed] = result
        return result
    }

    /// True if appends alone can take the register from `state` to `value`.
    static func isPrefix(_ state: Int32, of value: Int32, values: RegisterValues) -> Bool {
        if state == value || state == RegisterValues.absent { return true }
        if value == RegisterValues.absent || state == RegisterValues.unobservable { return false }
        return values.strings[Int(value)].utf8.starts(with: values.strings[Int(state)].utf8)
    }
}

/// The length and first eight bytes of a present value: if one value is a prefix of another, its head is
/// a prefix of the other's head, so comparing heads rules most prefix tests out without a string.
struct Head {
    /// The value's length in bytes; -1 for absent, which is treated as a prefix of everything.
    let length: Int
    /// Up to eight first bytes, big-endian, zero-padded.
    let bytes: UInt64

    /// The head of `value` (an id of `values`, or absent).
    init(_ value: Int32, values: RegisterValues) {
        guard value >= 0 else {
            length = -1
            bytes = 0
            return
        }
        var packed: UInt64 = 0
        var count = 0
        for byte in values.strings[Int(value)].utf8.prefix(8) {
            packed |= UInt64(byte) << UInt64(56 - 8 * count)
            count += 1
        }
        length = values.strings[Int(value)].utf8.count
        bytes = packed
    }

    /// False if this value cannot be a prefix of the value with head `other`.
    func mayBePrefix(of other: Head) -> Bool {
        if length < 0 { return true }
        if other.length < length { return false }
        let compared = min(length, 8)
        if compared == 0 { return true }
        let mask = UInt64.max << UInt64(64 - 8 * compared)
        return bytes & mask == other.bytes & mask
    }
}
