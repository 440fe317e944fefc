/// Which appends a read's value still needs, after a given prefix of it: the tail of the value must be
/// the concatenation of unplaced appends.
///
/// When at each position of the tail exactly one append value of the key matches, every way of building
/// the tail out of appends uses the same sequence of values, so the read needs that many unplaced appends
/// of each of those values, invoked before it completed. This catches an append placed before a write
/// whose value a later read shows it after, long before the search reaches that read. When two values
/// match at one position the tail could be built in several ways and nothing is required (`unknown`);
/// when none matches, it cannot be built at all (`impossible`). Histories whose appends carry unique
/// tagged values (Jepsen's and Porcupine's do) always decide.
struct AppendTiling {
    /// What building a tail takes.
    enum Requirement {
        /// Several sequences of appends could build it: no requirement is known.
        case unknown
        /// No sequence of append values builds it.
        case impossible
        /// Each listed value, appended at least the given number of times.
        case needs([(value: Int32, count: Int32)])
    }

    /// The most distinct append lengths tried per position; beyond it the tiling is not attempted.
    static let lengthsMax = 16

    /// False when no tiling is attempted (no appends, an empty append, or too many distinct lengths).
    let enabled: Bool
    /// The distinct append values, by `Self.key` of their length and first bytes.
    private let idsByKey: [UInt64: [Int32]]
    /// The bytes of each distinct append value.
    private let valueBytes: [Int32: [UInt8]]
    /// The distinct byte lengths of the append values, ascending.
    private let lengths: [Int]
    /// The append operations of each append value, in index (invocation) order.
    private let appendsByValue: [Int32: [Int32]]
    /// The invocation time of every operation of the key.
    private let callTimes: [Int]
    /// Tilings computed so far, by (value id, offset) packed into 64 bits.
    private var cache: [UInt64: Requirement] = [:]

    /// An estimate of the bytes held by the cache.
    var bytes: Int { cache.count * 64 }

    /// The tiling over the appends of `history`, whose values `values` holds.
    init(_ history: KeyHistory, values: RegisterValues) {
        var valueBytes: [Int32: [UInt8]] = [:]
        var appendsByValue: [Int32: [Int32]] = [:]
        for (index, operation) in history.model.enumerated() where operation.f == .append {
            if appendsByValue[operation.first] == nil {
                valueBytes[operation.first] = Array(values.strings[Int(operation.first)].utf8)
            }
            appendsByValue[operation.first, default: []].append(Int32(index))
        }
        var idsByKey: [UInt64: [Int32]] = [:]
        for (value, bytes) in valueBytes.sorted(by: { $0.key < $1.key }) {
            idsByKey[Self.key(bytes, at: 0, length: bytes.count), default: []].append(value)
        }
        let lengths = Set(valueBytes.values.map(\.count)).sorted()
        enabled = !lengths.isEmpty && lengths[0] > 0 && lengths.count <= Self.lengthsMax
        self.idsByKey = idsByKey
        self.valueBytes = valueBytes
        self.lengths = lengths
        self.appendsByValue = appendsByValue
        callTimes = history.callTimes
        assert(appendsByValue.values.allSatisfy { zip($0, $0.dropFirst()).allSatisfy { $0 < $1 } })
    }

    /// What building the bytes of `value` after its first `offset` bytes takes.
    mutating func requirement(_ value: Int32, after offset: Int, values: RegisterValues) -> Requirement {
        guard enabled && value >= 0 else { return .unknown }
        precondition(offset >= 0 && offset < 1 << 32, "an offset is a byte count")
        let packed = UInt64(UInt32(bitPattern: value)) << 32 | UInt64(offset)
        if let known = cache[packed] { return known }
        let result = tile(Array(values.strings[Int(value)].utf8), from: offset)
        cache[packed] = result
        return result
    }

    /// True if enough unplaced appends invoked before `time` are left to meet `requirement`.
    func isMet(_ requirement: Requirement, before time: Int, _ linearized: LinearizedSet) -> Bool {
        switch requirement {
        case .unknown: return true
        case .impossible: return false
        case .needs(let needs):
            for (value, count) in needs {
                var available: Int32 = 0
                for append in appendsByValue[value] ?? [] {
                    if callTimes[Int(append)] >= time { break }
                    if !linearized.contains(Int(append)) { available += 1 }
                    if available == count { break }
                }
                if available < count { return false }
            }
            return true
        }
    }

    /// A lookup key for the `length` bytes at `position`: the length and up to eight of the first bytes.
    private static func key(_ bytes: [UInt8], at position: Int, length: Int) -> UInt64 {
        var key = UInt64(length) &* 0x9E37_79B9_7F4A_7C15
        for index in position..<position + min(length, 8) {
            key = (key << 8 | key >> 56) ^ UInt64(bytes[index])
        }
        return key
    }

    /// The unique tiling of `bytes[offset...]` by append values, if there is one.
    private func tile(_ bytes: [UInt8], from offset: Int) -> Requirement {
        var position = offset
        var needs: [(value: Int32, count: Int32)] = []
        var slots: [Int32: Int] = [:]
        while position < bytes.count {
            var match: (value: Int32, length: Int)?
            for length in lengths where position + length <= bytes.count {
                for value in idsByKey[Self.key(bytes, at: position, length: length)] ?? []
                where valueBytes[value]!.elementsEqual(bytes[position..<position + length]) {
                    if match != nil { return .unknown }
                    match = (value, length)
                }
            }
            guard let (value, length) = match else { return .impossible }
            if let slot = slots[value] {
                needs[slot].count += 1
            } else {
                slots[value] = needs.count
                needs.append((value, 1))
            }
            position += length
        }
        assert(position == bytes.count)
        return .needs(needs)
    }
}
