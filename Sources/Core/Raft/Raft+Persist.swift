/// What must become durable before the messages that depend on it may leave (etcd-raft's
/// "messages after append"): hard state, new entries and, sometimes, a snapshot.
public struct PersistBatch: Sendable, Equatable {
    /// Batches complete in order; `.persisted(seq)` reports this one durable.
    public var seq: UInt64
    public var hardState: HardState
    /// A snapshot to save before the entries (installed from the leader, or taken locally).
    public var snapshot: Snapshot?
    /// The snapshot came from the leader and replaces the whole log (else it was taken locally).
    public var snapshotResetsLog: Bool
    /// The snapshot's file is already durable (whoever serialized it wrote it, off the WAL's thread): write
    /// only its marker. Only ever set for a local snapshot.
    public var snapshotFileWritten: Bool
    /// Entries to append; any stored entries at or after `entries.first.index` are replaced.
    public var entries: [Entry]

    public init(seq: UInt64, hardState: HardState, snapshot: Snapshot?, snapshotResetsLog: Bool = false,
                snapshotFileWritten: Bool = false, entries: [Entry]) {
        invariant(!(snapshotResetsLog && snapshotFileWritten), "a leader's snapshot is written with its marker")
        self.seq = seq
        self.hardState = hardState
        self.snapshot = snapshot
        self.snapshotResetsLog = snapshotResetsLog
        self.snapshotFileWritten = snapshotFileWritten
        self.entries = entries
    }
}

/// Bookkeeping of persist batches handed out and completed.
struct PersistState: Sendable {
    /// The hard state last handed to a batch.
    var requested: HardState
    var issued: UInt64 = 0
    var completed: UInt64 = 0
    /// Per batch in flight: its seq, the last entry it carried and the snapshot it saves.
    var inflight: [(seq: UInt64, lastIndex: LogIndex, lastTerm: Term, snapshot: Snapshot?, local: Bool)] = []
    /// A snapshot for the next batch; `local` if this member took it (else it came from the leader);
    /// `fileWritten` if its file is already durable.
    var snapshotToSave: (snapshot: Snapshot, local: Bool, fileWritten: Bool)?
    var savingSnapshotIndex: LogIndex?

    init(hardState: HardState) { requested = hardState }
}

extension Raft {
    /// Ends a step: broadcasts batched appends, starts a read round, and hands out what must be persisted.
    /// - Returns: the batch to make durable, if any. Messages to send are in `outbox` afterwards.
    public mutating func flush() -> PersistBatch? {
        if role == .leader {
            if needsBroadcast { broadcastAppends() }
            startReadRoundIfReady()
        }
        needsBroadcast = false
        let batch = takePersistBatch()
        if persist.issued == persist.completed {
            outbox.append(contentsOf: durableOutbox)
        } else {
            for m in durableOutbox { held.append((persist.issued, m)) }
        }
        durableOutbox.removeAll(keepingCapacity: true)
        return batch
    }

    mutating func takePersistBatch() -> PersistBatch? {
        let entries = log.takeUnpersisted()
        let hard = hardState
        let snap = persist.snapshotToSave?.snapshot
        let local = persist.snapshotToSave?.local ?? false
        let fileWritten = persist.snapshotToSave?.fileWritten ?? false
        let termOrVoteChanged = hard.term != persist.requested.term || hard.vote != persist.requested.vote
        if entries.isEmpty && snap == nil && !termOrVoteChanged { return nil }
        persist.issued += 1
        persist.requested = hard
        persist.snapshotToSave = nil
        if let snap { persist.savingSnapshotIndex = snap.meta.index }
        let lastIndex = entries.last?.index ?? .zero
        let lastTerm = entries.last?.term ?? .zero
        persist.inflight.append((persist.issued, lastIndex, lastTerm, snap, local))
        return PersistBatch(seq: persist.issued, hardState: hard, snapshot: snap,
                            snapshotResetsLog: snap != nil && !local, snapshotFileWritten: snap != nil && fileWritten,
                            entries: Array(entries))
    }

    /// Batch `seq` (and so every earlier one) is durable.
    /// - Precondition: batches complete in the order they were issued.
    public mutating func persisted(seq: UInt64) {
        invariant(seq == persist.completed + 1, "persist \(seq) completed out of order after \(persist.completed)")
        invariant(!persist.inflight.isEmpty && persist.inflight[0].seq == seq, "persist \(seq) was not in flight")
        let done = persist.inflight.removeFirst()
        persist.completed = seq
        if let snap = done.snapshot {
            persist.savingSnapshotIndex = nil
            if done.local { localSnapshotDurable(snap) }
        }
        if done.lastIndex.value > 0, log.term(at: done.lastIndex) == done.lastTerm, done.lastIndex > log.stable {
            log.stable = done.lastIndex
        }
        var released = 0
        while released < held.count && held[released].seq <= seq { released += 1 }
        if released > 0 {
            for k in 0..<released { outbox.append(held[k].message) }
            held.removeFirst(released)
        }
        if role == .leader && maybeCommit() { needsBroadcast = true }
        log.checkInvariants()
    }

    /// Moves the queued outgoing messages out, leaving an empty buffer with its capacity.
    public mutating func takeMessages(into messages: inout [Message]) {
        messages.append(contentsOf: outbox)
        outbox.removeAll(keepingCapacity: true)
    }

    /// Takes the read results and refusals gathered since the last call.
    public mutating func takeReadResults() -> (ready: [(context: UInt64, index: LogIndex)], failed: [UInt64]) {
        defer {
            readStates.removeAll(keepingCapacity: true)
            failedReads.removeAll(keepingCapacity: true)
        }
        return (readStates, failedReads)
    }

    public mutating func takeRefusedProposals() -> [(context: UInt64, refusal: ProposalRefusal)] {
        defer { refusedProposals.removeAll(keepingCapacity: true) }
        return refusedProposals
    }

    public mutating func takeInstalledSnapshot() -> Snapshot? {
        defer { installedSnapshot = nil }
        return installedSnapshot
    }

    public mutating func takeReleasable() -> LogIndex? {
        defer { releasableThrough = nil }
        return releasableThrough
    }

    /// Marks entries through `index` applied by the state machine.
    public mutating func appliedTo(_ index: LogIndex) {
        log.appliedTo(index)
        if role == .leader && pendingConfIndex <= index { startReadRoundIfReady() }
    }
}
