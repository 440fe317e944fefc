/// The set of operations linearized so far, as a bitset with an incrementally kept hash.
///
/// The search linearizes roughly in invocation order, so the set is mostly a run of ones followed by a
/// short ragged window. `lowWord` and `highWord` bound that window, and the memo stores only the window.
struct LinearizedSet {
    /// One bit per operation.
    private(set) var words: [UInt64]
    /// The first word that is not full. Invariant: every word before it is full.
    private(set) var lowWord = 0
    /// The last word that is not zero, or -1. Invariant: every word after it is zero.
    private(set) var highWord = -1
    /// XOR of the Zobrist keys of the members: the same set always has the same hash.
    private(set) var hash: UInt64 = 0
    /// A second, independent Zobrist hash: with `hash`, a 128-bit fingerprint of the set.
    private(set) var fingerprint: UInt64 = 0
    private let zobrist: [UInt64]
    private let zobristSecond: [UInt64]
    private let lastWordMask: UInt64

    /// An empty set of `count` operations.
    init(count: Int) {
        precondition(count >= 0, "count is non-negative")
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
        var seed: UInt64 = 0x6B65_656C_2D6C_696E
        zobrist = (0..<count).map { _ in splitMix64(&seed) }
        zobristSecond = (0..<count).map { _ in splitMix64(&seed) }
        let tail = count % 64
        lastWordMask = tail == 0 ? ~0 : (1 << UInt64(tail)) - 1
    }

    /// Every operation below this index is in the set.
    var placedBelow: Int { lowWord * 64 }

    /// The words from `lowWord` through `highWord` (empty if none).
    var windowCount: Int { max(0, highWord - lowWord + 1) }

    /// True if operation `index` is in the set.
    func contains(_ index: Int) -> Bool {
        words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    /// Adds operation `index`, which must be absent.
    mutating func insert(_ index: Int) {
        let word = index >> 6
        let bit: UInt64 = 1 << UInt64(index & 63)
        precondition(words[word] & bit == 0, "operation linearized twice")
        words[word] |= bit
        hash ^= zobrist[index]
        fingerprint ^= zobristSecond[index]
        if word > highWord { highWord = word }
        while lowWord < words.count && words[lowWord] == fullMask(lowWord) {
            lowWord += 1
        }
        assert(lowWord == words.count || words[lowWord] != fullMask(lowWord))
    }

    /// Removes operation `index`, which must be present.
    mutating func remove(_ index: Int) {
        let word = index >> 6
        let bit: UInt64 = 1 << UInt64(index & 63)
        precondition(words[word] & bit != 0, "operation not linearized")
        words[word] &= ~bit
        hash ^= zobrist[index]
        fingerprint ^= zobristSecond[index]
        if word < lowWord { lowWord = word }
        while highWord >= 0 && words[highWord] == 0 {
            highWord -= 1
        }
        assert(highWord < 0 || words[highWord] != 0)
    }

    private func fullMask(_ word: Int) -> UInt64 {
        word == words.count - 1 ? lastWordMask : ~0
    }
}

/// SplitMix64: advances `state` and returns the next 64 well-mixed bits.
func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return mix64(state)
}

/// The SplitMix64 finalizer: a bijection that spreads every input bit over the output.
func mix64(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
