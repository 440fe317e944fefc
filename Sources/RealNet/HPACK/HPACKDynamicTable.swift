/// The dynamic table of RFC 7541 2.3.2 and section 4, as a ring buffer: an insert writes one slot and an
/// eviction clears one, so nothing shifts. Index 0 is the newest entry (HPACK index `61 + 1`).
///
/// Sizes are RFC octets: an entry costs its name and value octets as they were on the wire, plus 32.
struct HPACKDynamicTable: Sendable {
    struct Entry: Sendable {
        var name: String
        var value: String
        /// Octets of the name on the wire: fixed at insert, so that a name changed by UTF-8 repair still
        /// counts what the peer counted. The same holds for `size`.
        var nameCount: Int
        /// Octets of name and value on the wire plus 32.
        var size: Int
    }

    /// Slot storage; its count is 0 or a power of two so that `& mask` wraps.
    private var slots: [Entry] = []
    /// Slot of the newest entry. Meaningless when `count == 0`.
    private var newest = 0
    /// Entries held. Invariant: `count <= slots.count`.
    private(set) var count = 0
    /// Sum of the entries' sizes. Invariant: `size <= capacity`.
    private(set) var size = 0
    /// The maximum size in force (the last size update, or the initial SETTINGS value).
    private(set) var capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 0, "negative HPACK table capacity")
        self.capacity = capacity
    }

    private static let emptyEntry = Entry(name: "", value: "", nameCount: 0, size: 0)

    /// The entry at `index`, 0 being the newest. - Precondition: `index < count`.
    func entry(at index: Int) -> Entry {
        precondition(index >= 0 && index < count, "HPACK dynamic index out of range")
        return slots[(newest &- index) & (slots.count - 1)]
    }

    /// All entries, newest first (for tests and debugging).
    var entries: [Entry] { (0..<count).map { entry(at: $0) } }

    /// Adds an entry per RFC 7541 4.4: evicts the oldest entries until it fits; an entry larger than the
    /// capacity empties the table and is not added.
    /// `nameCount` and `valueCount` are the octets of name and value on the wire.
    mutating func insert(name: String, value: String, nameCount: Int, valueCount: Int) {
        precondition(nameCount >= 0 && valueCount >= 0, "negative HPACK string length")
        let entrySize = nameCount + valueCount + HPACKHeader.entryOverhead
        if entrySize > capacity {
            removeAll()
            return
        }
        evict(toFit: capacity - entrySize)
        if count == slots.count { grow() }
        newest = (newest + 1) & (slots.count - 1)
        slots[newest] = Entry(name: name, value: value, nameCount: nameCount, size: entrySize)
        count += 1
        size += entrySize
        precondition(size <= capacity, "HPACK table over capacity after insert")
    }

    /// Applies a new maximum size (RFC 7541 4.3), evicting what no longer fits.
    mutating func setCapacity(_ newCapacity: Int) {
        precondition(newCapacity >= 0, "negative HPACK table capacity")
        capacity = newCapacity
        evict(toFit: newCapacity)
        precondition(size <= capacity, "HPACK table over capacity after resize")
    }

    /// The HPACK match of a field among the entries, newest first: a whole field wins over a name.
    func match(name: String, value: String) -> HPACKMatch {
        var nameIndex: Int? = nil
        let mask = slots.count - 1
        for index in 0..<count {
            let entry = slots[(newest &- index) & mask]
            guard entry.name == name else { continue }
            if entry.value == value { return .field(HPACKStaticTable.count + 1 + index) }
            if nameIndex == nil { nameIndex = HPACKStaticTable.count + 1 + index }
        }
        return nameIndex.map { .name($0) } ?? .none
    }

    /// Drops the oldest entries until `size <= limit`.
    private mutating func evict(toFit limit: Int) {
        let mask = slots.count - 1
        while size > limit {
            precondition(count > 0, "HPACK table size without entries")
            let oldest = (newest &- (count - 1)) & mask
            size -= slots[oldest].size
            slots[oldest] = HPACKDynamicTable.emptyEntry
            count -= 1
        }
        precondition(size >= 0, "HPACK table size went negative")
    }

    private mutating func removeAll() {
        evict(toFit: 0)
        precondition(count == 0 && size == 0, "HPACK table not empty after removeAll")
    }

    /// Doubles the slots, laying the entries out oldest first from slot 0. Entries are at least 32 octets,
    /// so the slots never exceed twice `capacity / 32`.
    private mutating func grow() {
        let newCount = Swift.max(8, slots.count * 2)
        var newSlots = [Entry](repeating: HPACKDynamicTable.emptyEntry, count: newCount)
        for index in 0..<count {
            newSlots[count - 1 - index] = entry(at: index)
        }
        slots = newSlots
        newest = (count - 1) & (newCount - 1)
    }
}
