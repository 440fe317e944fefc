/// The leader's view of one member's log (thesis §3.5, etcd-raft's Progress).
public struct Progress: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Unknown match: send one append at a time and wait for the answer.
        case probe
        /// Known match: stream appends optimistically, up to the in-flight limit.
        case replicate
        /// Behind the compacted log: a snapshot is being sent.
        case snapshot
    }

    public let id: MemberID
    /// Highest index known to match and be durable on the member.
    public internal(set) var match: LogIndex
    /// Next index to send. Invariant: `match < next`.
    public internal(set) var next: LogIndex
    public internal(set) var state: State
    /// In probe state: an append is out and we wait before sending another.
    var probeSent: Bool
    var inflights: Inflights
    /// Heard from since the last CheckQuorum round.
    var recentActive: Bool
    public internal(set) var isLearner: Bool
    /// Snapshot transfer: the snapshot's index, bytes the member acknowledged, ticks since a chunk was sent.
    var snapshotIndex: LogIndex
    var snapshotAcked: UInt64
    var snapshotIdleTicks: Int

    init(id: MemberID, next: LogIndex, inflightMessagesMax: Int, isLearner: Bool) {
        self.id = id
        match = .zero
        self.next = next
        state = .probe
        probeSent = false
        inflights = Inflights(capacity: inflightMessagesMax)
        recentActive = false
        self.isLearner = isLearner
        snapshotIndex = .zero
        snapshotAcked = 0
        snapshotIdleTicks = 0
    }

    /// Whether the leader must wait before sending more appends.
    var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: inflights.isFull
        case .snapshot: true
        }
    }

    mutating func becomeProbe() {
        if state == .snapshot {
            next = max(match.next, snapshotIndex.next)
        } else {
            next = match.next
        }
        state = .probe
        probeSent = false
        inflights.reset()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match.next
        inflights.reset()
    }

    mutating func becomeSnapshot(index: LogIndex) {
        state = .snapshot
        snapshotIndex = index
        snapshotAcked = 0
        snapshotIdleTicks = 0
        inflights.reset()
    }

    /// Records an acknowledged match. - Returns: whether it moved forward.
    mutating func maybeUpdate(_ index: LogIndex) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index.next)
        invariant(match < next, "progress \(id): match \(match) must stay below next \(next)")
        return updated
    }

    /// Moves `next` back after a rejection. - Returns: false if the rejection is stale.
    mutating func maybeDecrease(rejected: LogIndex, hint: LogIndex) -> Bool {
        if state == .replicate {
            if rejected <= match { return false }
            next = match.next
            return true
        }
        if next.previous != rejected { return false }
        next = max(min(rejected, hint.next), match.next)
        probeSent = false
        return true
    }
}

/// A bounded ring of the last indexes of appends in flight to one member (pipelining limit).
struct Inflights: Sendable, Equatable {
    private var buffer: [LogIndex]
    private var start = 0
    private(set) var count = 0

    init(capacity: Int) {
        invariant(capacity > 0, "inflight capacity must be positive")
        buffer = [LogIndex](repeating: .zero, count: capacity)
    }

    var isFull: Bool { count == buffer.count }

    mutating func add(_ last: LogIndex) {
        invariant(!isFull, "inflights overflow")
        buffer[(start + count) % buffer.count] = last
        count += 1
    }

    /// Frees every in-flight append whose last index is at most `index`.
    mutating func free(through index: LogIndex) {
        while count > 0 && buffer[start] <= index {
            start = (start + 1) % buffer.count
            count -= 1
        }
    }

    mutating func freeFirst() {
        guard count > 0 else { return }
        start = (start + 1) % buffer.count
        count -= 1
    }

    mutating func reset() {
        start = 0
        count = 0
    }
}
