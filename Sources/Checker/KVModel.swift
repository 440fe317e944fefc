/// The register values of one key, interned to small integers so that a search state is two integers.
///
/// Ids are handed out in the order values are first seen, which the search makes deterministic.
struct RegisterValues {
    /// The id of "key absent" (JSON null).
    static let absent: Int32 = -1
    /// The search's id for a present value that no operation left to place can observe: every read and
    /// cas still to come needs a write, cas or delete first (`AppendPrefix.canonical`). It equals no
    /// read's or cas's value, and appending to it leaves it unobservable.
    static let unobservable: Int32 = -3

    /// The string of each id. Invariant: `ids[strings[i]] == i`.
    private(set) var strings: [String] = []
    private var ids: [String: Int32] = [:]
    /// Memoized appends: `(state, suffix)` packed into 64 bits, to the id of the concatenation.
    private var appended: [UInt64: Int32] = [:]
    /// An estimate of the bytes held (strings and tables).
    private(set) var bytes = 0

    /// The id of `string`, interning it if new.
    mutating func id(of string: String) -> Int32 {
        if let known = ids[string] { return known }
        precondition(strings.count < Int(Int32.max), "too many distinct values for one key")
        let id = Int32(strings.count)
        strings.append(string)
        ids[string] = id
        bytes += 2 * string.utf8.count + 48
        assert(strings[Int(id)] == string)
        return id
    }

    /// The id of a string, or `absent` for nil.
    mutating func id(of string: String?) -> Int32 {
        string.map { id(of: $0) } ?? Self.absent
    }

    /// The string of `id`, or nil for `absent`.
    func string(_ id: Int32) -> String? {
        id == Self.absent ? nil : strings[Int(id)]
    }

    /// The id of `state` with `suffix` appended (absent counts as empty).
    mutating func appending(_ suffix: Int32, to state: Int32) -> Int32 {
        precondition(suffix != Self.absent, "an append's operand is a string")
        if state == Self.unobservable { return state }
        let packed = UInt64(UInt32(bitPattern: state)) << 32 | UInt64(UInt32(bitPattern: suffix))
        if let known = appended[packed] { return known }
        let result = id(of: (string(state) ?? "") + strings[Int(suffix)])
        appended[packed] = result
        return result
    }
}

/// One operation as the model sees it: its function and interned arguments and result.
struct ModelOperation {
    /// What it does.
    var f: Function
    /// read: the value it returned; write/append: the operand; cas: expected. Unused for delete.
    var first: Int32
    /// cas: the new value. Unused otherwise.
    var second: Int32
}

/// The sequential specification of the key-value register of HISTORY-FORMAT.md.
enum KVModel {
    /// Returned by `step` when the operation cannot take effect with the result it reported.
    static let impossible: Int32 = -2

    /// The state after `operation` takes effect in `state`, or `impossible`.
    ///
    /// Only operations that took effect (or may have) reach the model: a read returns the state, a cas
    /// succeeds, and write, delete and append always apply.
    static func step(_ state: Int32, _ operation: ModelOperation, values: inout RegisterValues) -> Int32 {
        assert(state != impossible, "a search state is a value, absent or unobservable")
        switch operation.f {
        case .read: return operation.first == state ? state : impossible
        case .write: return operation.first
        case .cas: return operation.first == state ? operation.second : impossible
        case .delete: return RegisterValues.absent
        case .append: return values.appending(operation.first, to: state)
        }
    }
}
