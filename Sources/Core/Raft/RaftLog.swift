/// The Raft log held in memory: entries after a compaction point, plus the commit, apply and durability
/// marks. Invariant: `compacted <= applied <= committed <= lastIndex` and `applied <= stable <= lastIndex`.
public struct RaftLog: Sendable {
    /// Entries up to here are compacted away (they live in a snapshot).
    public private(set) var compactedIndex: LogIndex
    /// The term of the entry at `compactedIndex`.
    public private(set) var compactedTerm: Term
    /// `entries[k].index == compactedIndex + 1 + k`.
    public private(set) var entries: [Entry]
    /// Highest index known committed. Invariant: never decreases.
    public internal(set) var committed: LogIndex
    /// Highest index applied to the state machine.
    public internal(set) var applied: LogIndex
    /// Highest index known durable on this member's disk.
    public internal(set) var stable: LogIndex
    /// First index not yet handed to a persist batch.
    public internal(set) var unpersistedFrom: LogIndex
    /// Rare branches taken (diagnostics; see `Probe`).
    public internal(set) var probes = ProbeCounts()

    public init(compactedIndex: LogIndex = .zero, compactedTerm: Term = .zero, entries: [Entry] = []) {
        self.compactedIndex = compactedIndex
        self.compactedTerm = compactedTerm
        self.entries = entries
        committed = compactedIndex
        applied = compactedIndex
        let last = compactedIndex + UInt64(entries.count)
        stable = last
        unpersistedFrom = last.next
        for (k, entry) in entries.enumerated() {
            invariant(entry.index == compactedIndex + UInt64(k + 1), "log entries must be contiguous")
        }
    }

    public var firstIndex: LogIndex { compactedIndex.next }
    public var lastIndex: LogIndex { compactedIndex + UInt64(entries.count) }
    public var lastTerm: Term { entries.last?.term ?? compactedTerm }

    /// The term at `index`, or nil when it is compacted or past the end.
    public func term(at index: LogIndex) -> Term? {
        if index == compactedIndex { return compactedTerm }
        if index < compactedIndex || index > lastIndex { return nil }
        return entries[Int(index.value - compactedIndex.value - 1)].term
    }

    /// The entry at `index`. - Precondition: `firstIndex <= index <= lastIndex`.
    public func entry(at index: LogIndex) -> Entry {
        invariant(index > compactedIndex && index <= lastIndex, "entry \(index) outside \(firstIndex)...\(lastIndex)")
        return entries[Int(index.value - compactedIndex.value - 1)]
    }

    /// Entries from `low` through `high` (inclusive), at most `bytesMax` bytes but always at least one.
    public func slice(from low: LogIndex, through high: LogIndex, bytesMax: Int) -> [Entry] {
        guard low <= high else { return [] }
        invariant(low > compactedIndex && high <= lastIndex, "slice \(low)...\(high) outside the log")
        let start = Int(low.value - compactedIndex.value - 1)
        let end = Int(high.value - compactedIndex.value - 1)
        var size = 0
        var stop = start
        while stop <= end {
            size += entries[stop].size
            if size > bytesMax && stop > start { break }
            stop += 1
        }
        return Array(entries[start..<stop])
    }

    /// Whether a candidate with this last entry is at least as up to date as us (thesis §3.6.1).
    public func isUpToDate(lastIndex candidateIndex: LogIndex, lastTerm candidateTerm: Term) -> Bool {
        candidateTerm > lastTerm || (candidateTerm == lastTerm && candidateIndex >= lastIndex)
    }

    public func matches(index: LogIndex, term: Term) -> Bool { self.term(at: index) == term }

    /// Appends entries the leader just created. - Precondition: they follow the last entry.
    mutating func appendAsLeader(_ entry: Entry) {
        invariant(entry.index == lastIndex.next, "leader append at \(entry.index) after last \(lastIndex)")
        invariant(entry.term >= lastTerm, "leader append term \(entry.term) below last term \(lastTerm)")
        entries.append(entry)
    }

    /// Appends a leader's entries after (prevIndex, prevTerm), truncating a conflicting suffix.
    /// - Returns: the index of the last entry now matching the leader, or nil if prev does not match.
    mutating func maybeAppend(prevIndex: LogIndex, prevTerm: Term, entries incoming: [Entry]) -> LogIndex? {
        guard matches(index: prevIndex, term: prevTerm) else { return nil }
        var newStart = incoming.count
        for (k, entry) in incoming.enumerated() {
            invariant(entry.index == prevIndex + UInt64(k + 1), "append entries must be contiguous")
            if entry.index <= compactedIndex { continue }
            if let existing = term(at: entry.index), existing == entry.term { continue }
            newStart = k
            break
        }
        let lastNew = prevIndex + UInt64(incoming.count)
        if newStart < incoming.count {
            let conflictIndex = incoming[newStart].index
            invariant(conflictIndex > committed, "conflict at \(conflictIndex) would truncate committed \(committed)")
            if conflictIndex <= lastIndex { probes.hit(.conflictingSuffixTruncated) }
            truncate(after: conflictIndex.previous)
            entries.append(contentsOf: incoming[newStart...])
        }
        return lastNew
    }

    /// Drops every entry after `index` (a conflicting suffix).
    private mutating func truncate(after index: LogIndex) {
        invariant(index >= compactedIndex, "truncate below the compaction point")
        if index < lastIndex {
            entries.removeSubrange(Int(index.value - compactedIndex.value)...)
        }
        if stable > index { stable = index }
        if unpersistedFrom > index.next { unpersistedFrom = index.next }
    }

    /// The last index at or below `index` whose term is at most `term`: where a leader should probe next
    /// after a rejection (etcd-raft's findConflictByTerm, thesis §5.3 optimisation).
    public func lastIndex(atOrBelow index: LogIndex, termAtMost term: Term) -> LogIndex {
        var i = min(index, lastIndex)
        while i > compactedIndex, let t = self.term(at: i), t > term {
            i = i.previous
        }
        return i
    }

    mutating func commit(to index: LogIndex) {
        if index <= committed { return }
        invariant(index <= lastIndex, "commit \(index) past last index \(lastIndex)")
        committed = index
    }

    mutating func appliedTo(_ index: LogIndex) {
        invariant(index >= applied, "applied goes backwards: \(index) < \(applied)")
        invariant(index <= committed && index <= stable, "apply \(index) past commit \(committed)/stable \(stable)")
        applied = index
    }

    /// Replaces the whole log with a snapshot's position (installing a leader's snapshot).
    mutating func restore(index: LogIndex, term: Term) {
        invariant(index >= committed, "restoring snapshot \(index) behind commit \(committed)")
        compactedIndex = index
        compactedTerm = term
        entries.removeAll()
        committed = index
        applied = index
        stable = index
        unpersistedFrom = index.next
    }

    /// Drops entries through `index` after a local snapshot made them redundant.
    mutating func compact(through index: LogIndex) {
        guard index > compactedIndex else { return }
        invariant(index <= applied, "compacting \(index) past applied \(applied)")
        let newTerm = term(at: index)!
        entries.removeFirst(Int(index.value - compactedIndex.value))
        compactedIndex = index
        compactedTerm = newTerm
    }

    /// Entries not yet handed to persistence; marks them handed.
    mutating func takeUnpersisted() -> ArraySlice<Entry> {
        let from = max(unpersistedFrom, firstIndex)
        guard from <= lastIndex else { return [] }
        unpersistedFrom = lastIndex.next
        return entries[Int(from.value - compactedIndex.value - 1)...]
    }

    /// Entries committed, durable and not yet applied, at most `bytesMax` bytes.
    public func applicable(bytesMax: Int) -> [Entry] {
        let high = min(committed, stable)
        guard high > applied else { return [] }
        return slice(from: applied.next, through: high, bytesMax: bytesMax)
    }

    public func checkInvariants() {
        invariant(compactedIndex <= applied, "compacted \(compactedIndex) > applied \(applied)")
        invariant(applied <= committed, "applied \(applied) > committed \(committed)")
        invariant(committed <= lastIndex, "committed \(committed) > last \(lastIndex)")
        invariant(stable <= lastIndex, "stable \(stable) > last \(lastIndex)")
        invariant(applied <= stable, "applied \(applied) > stable \(stable)")
    }
}
