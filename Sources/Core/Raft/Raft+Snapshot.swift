/// Snapshots: sending them in resumable chunks, installing them, and compacting after a local one
/// (thesis §5).
extension Raft {
    /// Starts or continues sending the newest snapshot to `progress[k]`.
    mutating func sendSnapshot(to k: Int) {
        if progress[k].state != .snapshot || progress[k].snapshotIndex != snapshot.meta.index {
            progress[k].becomeSnapshot(index: snapshot.meta.index)
        }
        sendSnapshotChunk(to: k)
    }

    mutating func sendSnapshotChunk(to k: Int) {
        guard snapshot.meta.index >= log.compactedIndex else {
            // The log was compacted past our newest snapshot: it cannot bring the member up to the log.
            snapshotWanted = true
            return
        }
        guard !snapshotDataReleased else {  // The transfer starts when the bytes are back from the file.
            if snapshotLoadRequested != snapshot.meta.index {
                snapshotLoadRequested = snapshot.meta.index
                snapshotLoadToRequest = snapshot.meta.index
            }
            return
        }
        let total = UInt64(snapshot.data.count)
        let offset = min(progress[k].snapshotAcked, total)
        let end = min(offset + UInt64(config.snapshotChunkBytes), total)
        let bytes = Array(snapshot.data[Int(offset)..<Int(end)])
        let chunk = SnapshotChunk(meta: snapshot.meta, offset: offset, total: total, bytes: bytes)
        if offset == 0 { probes.hit(.snapshotSentToFollower) }
        progress[k].snapshotIdleTicks = 0
        send(to: progress[k].id, .snapshot(chunk))
    }

    /// Resends the current chunk to members whose transfer went quiet (a lost chunk or answer).
    mutating func tickSnapshotTransfers() {
        for k in progress.indices where progress[k].state == .snapshot {
            progress[k].snapshotIdleTicks += 1
            if progress[k].snapshotIdleTicks >= config.snapshotResendTicks {
                if progress[k].snapshotIndex != snapshot.meta.index {
                    progress[k].becomeSnapshot(index: snapshot.meta.index)
                }
                sendSnapshotChunk(to: k)
            }
        }
    }

    mutating func handleSnapshotResponse(from member: MemberID, _ r: SnapshotResponse) {
        guard let k = progressIndex(member) else { return }
        progress[k].recentActive = true
        if r.done {
            _ = progress[k].maybeUpdate(r.index)
            if progress[k].state == .snapshot { progress[k].becomeProbe() }
            sendAppends(to: k, allowEmpty: true)
            return
        }
        guard progress[k].state == .snapshot else { return }
        if r.index != progress[k].snapshotIndex || r.index != snapshot.meta.index {
            progress[k].becomeSnapshot(index: snapshot.meta.index)
        } else {
            progress[k].snapshotAcked = r.received
        }
        sendSnapshotChunk(to: k)
    }

    mutating func handleSnapshotChunk(from leaderID: MemberID, _ c: SnapshotChunk) {
        let index = c.meta.index
        if index <= log.committed || log.matches(index: index, term: c.meta.term) {
            // We already hold everything the snapshot covers.
            log.commit(to: min(max(index, log.committed), log.lastIndex))
            incomingSnapshot = nil
            sendDurable(to: leaderID, .snapshotResponse(SnapshotResponse(index: index, received: c.total, done: true)))
            return
        }
        if incomingSnapshot?.meta != c.meta || incomingSnapshot?.total != c.total {
            guard c.offset == 0 else {
                send(to: leaderID, .snapshotResponse(SnapshotResponse(index: index, received: 0, done: false)))
                return
            }
            incomingSnapshot = IncomingSnapshot(meta: c.meta, total: c.total, bytes: [])
            incomingSnapshot!.bytes.reserveCapacity(Int(c.total))
        }
        let received = UInt64(incomingSnapshot!.bytes.count)
        if c.offset == received {
            incomingSnapshot!.bytes.append(contentsOf: c.bytes)
        }
        let have = UInt64(incomingSnapshot!.bytes.count)
        invariant(have <= c.total, "snapshot bytes \(have) exceed total \(c.total)")
        guard have == c.total else {
            send(to: leaderID, .snapshotResponse(SnapshotResponse(index: index, received: have, done: false)))
            return
        }
        let complete = Snapshot(meta: c.meta, data: incomingSnapshot!.bytes)
        incomingSnapshot = nil
        install(complete)
        sendDurable(to: leaderID, .snapshotResponse(SnapshotResponse(index: index, received: have, done: true)))
    }

    /// Replaces our log and membership with a leader's snapshot; the Replica restores its state machine.
    mutating func install(_ snap: Snapshot) {
        invariant(snap.meta.index > log.committed, "installing snapshot \(snap.meta.index) at commit \(log.committed)")
        if log.lastIndex > snap.meta.index { probes.hit(.snapshotInstalledOverLongerLog) }
        log.restore(index: snap.meta.index, term: snap.meta.term)
        conf = snap.meta.conf
        persist.snapshotToSave = (snap, false, false)
        installedSnapshot = snap
        snapshot = snap
        snapshotDataReleased = false
    }

    /// Records a snapshot the state machine took at `log.applied`; it is saved with the next persist batch.
    /// With `fileWritten` the snapshot may come without its bytes (its file holds them, read back for a transfer).
    public mutating func saveLocalSnapshot(_ snap: Snapshot, fileWritten: Bool = false) {
        invariant(fileWritten || !snap.data.isEmpty, "a snapshot neither in memory nor in a file")
        invariant(snap.meta.index <= log.applied, "snapshot \(snap.meta.index) past applied \(log.applied)")
        invariant(snap.meta.index > snapshot.meta.index,
                  "snapshot \(snap.meta.index) not newer than \(snapshot.meta.index)")
        persist.snapshotToSave = (snap, true, fileWritten)
    }

    /// Whether a local snapshot is waiting to become durable.
    public var isSavingSnapshot: Bool { persist.snapshotToSave != nil || persist.savingSnapshotIndex != nil }

    /// Called when a local snapshot is durable: use it for followers, compact the log behind it.
    mutating func localSnapshotDurable(_ snap: Snapshot) {
        if snap.meta.index > snapshot.meta.index {
            snapshot = snap
            snapshotDataReleased = snap.data.isEmpty  // Taken straight into its file (a state is never empty).
        }
        let retained = config.logEntriesRetained
        let through = snap.meta.index.value > retained ? LogIndex(snap.meta.index.value - retained) : .zero
        log.compact(through: min(through, log.applied))
        releasableThrough = snap.meta.index
        if snapshot.meta.index >= log.compactedIndex {
            snapshotWanted = false
            if role == .leader {  // Transfers that waited for a fresh snapshot start now.
                for k in progress.indices where progress[k].state == .snapshot && progress[k].id != id {
                    sendSnapshot(to: k)
                }
            }
        }
    }

    /// Drops the newest snapshot's bytes from memory once it is durable and no transfer needs them: its
    /// file holds them (etcd keeps only its snapshot's metadata in memory too). Runs on ticks.
    mutating func maybeReleaseSnapshotData() {
        guard !snapshotDataReleased, snapshot.meta.index > .zero, !isSavingSnapshot, installedSnapshot == nil
        else { return }
        if role == .leader && progress.contains(where: { $0.state == .snapshot && $0.id != id }) { return }
        snapshot.data = []
        snapshotDataReleased = true
    }

    /// The bytes of a snapshot asked for with `takeSnapshotLoadRequest`, read back from its file (nil if
    /// the read failed: a later transfer asks again). Starts the transfers that waited for them.
    public mutating func snapshotLoaded(index: LogIndex, data: [UInt8]?) {
        if snapshotLoadRequested == index { snapshotLoadRequested = nil }
        guard let data, snapshotDataReleased, index == snapshot.meta.index else { return }
        snapshot.data = data
        snapshotDataReleased = false
        guard role == .leader else { return }
        for k in progress.indices where progress[k].state == .snapshot && progress[k].id != id {
            sendSnapshotChunk(to: k)
        }
    }

    /// A snapshot whose bytes a transfer needs from the file, once per request.
    public mutating func takeSnapshotLoadRequest() -> LogIndex? {
        defer { snapshotLoadToRequest = nil }
        return snapshotLoadToRequest
    }

    /// Drops from memory the entries every member already has, keeping `logEntriesRetained` behind the
    /// slowest: the log's memory follows what is in flight rather than the snapshot interval (which only
    /// bounds it when a member stops answering). A member that later needs a dropped entry gets a snapshot,
    /// a fresh one if ours is older than the log's start (`snapshotWanted`). Runs on ticks (so entries
    /// applied in a step stay visible to whoever observes that step) in steps of a quarter of the retained
    /// entries, so the array moves rarely.
    mutating func compactBehindEveryone() {
        var through = min(log.applied, log.stable)
        if role == .leader {  // A follower keeps what it applied minus the margin; a leader what all have.
            for p in progress where p.id != id { through = min(through, p.match) }
        }
        let retained = config.logEntriesRetained
        guard through.value > retained else { return }
        through = LogIndex(through.value - retained)
        guard through.value >= log.compactedIndex.value + max(1, retained / 4) else { return }
        log.compact(through: through)
    }
}
