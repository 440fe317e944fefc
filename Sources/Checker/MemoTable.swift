/// The memo of the search: every (set of linearized operations, register value) already explored.
///
/// An open-addressing hash set. Each entry stores the hash, the value, and the set as its window of
/// words (see `LinearizedSet`) in one shared arena, so an entry costs a few words, not the whole bitset.
///
/// A window longer than `windowWordsMax` (an indeterminate operation left unplaced far behind the rest)
/// would make memory grow with the square of the history, so such a set is stored as its 128-bit
/// Zobrist fingerprint instead, as TLC stores states. Two different sets then compare equal with
/// probability about 2^-128 per pair (under 10^-20 for 10^9 states); the only possible effect is a
/// skipped branch. Windows up to `windowWordsMax` words, the common case, are compared exactly.
struct MemoTable {
    /// The longest window stored exactly, in words.
    static let windowWordsMax = 16

    /// Per slot, the high 32 bits of the entry's hash (a tag, so most probes touch no entry) over entry
    /// number + 1; 0 is empty. The count of slots is a power of two.
    private var slots: [UInt64]
    private var hashes: [UInt64] = []
    private var states: [Int32] = []
    private var lowWords: [Int32] = []
    private var offsets: [Int] = []
    private var windowCounts: [Int32] = []
    private var arena: [UInt64] = []

    /// The number of entries.
    var count: Int { hashes.count }
    /// An estimate of the bytes held.
    var bytes: Int { slots.count * 8 + hashes.count * 36 + arena.count * 8 }

    /// An empty memo.
    init() {
        slots = [UInt64](repeating: 0, count: 1024)
    }

    /// Adds `(set, state)`; returns false if it was already there.
    mutating func insert(_ set: LinearizedSet, state: Int32) -> Bool {
        let hash = mix64(set.hash ^ (UInt64(UInt32(bitPattern: state)) &* 0x9E37_79B9_7F4A_7C15))
        let mask = slots.count - 1
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            if slots[slot] & 0xFFFF_FFFF_0000_0000 == tag {
                let entry = Int(slots[slot] & 0xFFFF_FFFF) - 1
                if hashes[entry] == hash && states[entry] == state && matches(entry, set) {
                    return false
                }
            }
            slot = (slot + 1) & mask
        }
        precondition(count < Int(UInt32.max) - 1, "memo entry count fits in 32 bits")
        slots[slot] = tag | UInt64(count + 1)
        hashes.append(hash)
        states.append(state)
        lowWords.append(Int32(set.lowWord))
        offsets.append(arena.count)
        windowCounts.append(Int32(set.windowCount))
        if set.windowCount > Self.windowWordsMax {
            arena.append(set.fingerprint)
        } else if set.windowCount > 0 {
            arena.append(contentsOf: set.words[set.lowWord...set.highWord])
        }
        if count * 2 > slots.count {
            grow()
        }
        assert(matches(count - 1, set))
        return true
    }

    private func matches(_ entry: Int, _ set: LinearizedSet) -> Bool {
        guard Int(lowWords[entry]) == set.lowWord, Int(windowCounts[entry]) == set.windowCount else { return false }
        let offset = offsets[entry]
        if set.windowCount > Self.windowWordsMax {
            return arena[offset] == set.fingerprint
        }
        for index in 0..<set.windowCount where arena[offset + index] != set.words[set.lowWord + index] {
            return false
        }
        return true
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for entry in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
            while slots[slot] != 0 {
                slot = (slot + 1) & mask
            }
            slots[slot] = hashes[entry] & 0xFFFF_FFFF_0000_0000 | UInt64(entry + 1)
        }
        assert(count * 2 <= slots.count)
    }
}
