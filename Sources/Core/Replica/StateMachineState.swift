/// Everything a state-machine snapshot holds, as a value: copying it is cheap (copy-on-write), so the
/// Replica can hand a copy to its driver and keep applying while the copy is serialized elsewhere
/// (the daemon does it on another thread, so a snapshot never stalls the event loop).
public struct StateMachineState: Sendable {
    public var clusterID: UInt64
    public var memberContexts: [(id: MemberID, context: [UInt8])]
    public var appliedRequests: AppliedRequests
    public var alarms: [Alarm]
    public var store: KVStore
    /// Users, roles and the auth flag (version 4 on; a version 3 snapshot restores an empty store).
    public var auth = AuthStore()
    /// etcd's v2 keys store (version 5 on; an older snapshot restores an empty one).
    public var v2 = V2Store()

    /// The version `serialized()` writes: 5 once the v2 store has changed, else 4, so a cluster that never used
    /// v2 keeps writing the snapshots it wrote before (and older Keels can read them).
    var version: UInt8 { v2.index == 0 ? 4 : 5 }
    /// The versions a Replica restores: 3 (before the auth store), 4 (before the v2 store) and 5.
    static let versionsReadable: ClosedRange<UInt8> = 3...5

    /// The snapshot bytes: version, cluster id, member contexts, applied-request window, alarms, store, auth, and
    /// from version 5 the v2 store (`V2Store.encode`).
    public func serialized() -> [UInt8] {
        var writer = ByteWriter(capacity: 4096)
        serialized(into: &writer)
        return writer.bytes
    }

    /// Appends `serialized()`'s bytes to `writer`.
    public func serialized(into writer: inout ByteWriter) {
        let version = self.version
        writer.u8(version)
        writer.u64(clusterID)
        writer.u32(UInt32(memberContexts.count))
        for member in memberContexts {
            writer.u64(member.id.value)
            writer.blob(member.context)
        }
        appliedRequests.encode(into: &writer)
        writer.u32(UInt32(alarms.count))
        for alarm in alarms {
            writer.u64(alarm.member.value)
            writer.u8(alarm.type.rawValue)
        }
        writer.blob { store.snapshot(into: &$0) }
        auth.encode(into: &writer)
        if version >= 5 { v2.encode(into: &writer) }
    }
}

/// A snapshot to serialize off the Replica's thread: where it sits in the log and the state at that point.
public struct SnapshotJob: Sendable {
    public var meta: SnapshotMeta
    public var state: StateMachineState
    /// About how many bytes the state serializes to (the last snapshot's plus the log since, an upper bound
    /// unless keys were overwritten): a snapshot file's buffer is allocated once at that size, not grown by
    /// doubling (a copy of everything so far, and new pages to fault in, at each step; most of a large
    /// snapshot's cost).
    public var expectedBytes = 0

    /// The file buffer: the expected size with a quarter to spare. Pages never written cost nothing, and the
    /// buffer is freed once the file is written.
    var fileCapacity: Int { max(1 << 16, expectedBytes + expectedBytes / 4) }

    /// Serializes the state (the expensive part); hand the result back as `.snapshotSerialized`. The WAL
    /// writes the snapshot file with its marker.
    public func serialize() -> SerializedSnapshot {
        let data = state.serialized()  // Kept as the snapshot's bytes: grown to fit, not reserved ahead.
        return SerializedSnapshot(meta: meta, data: data, fileWritten: false, byteCount: data.count)
    }

    /// Serializes the state and writes the snapshot file durably to `disk` (the member's data directory),
    /// so the WAL's thread only writes the marker and never stalls group commit on a large file. A crash
    /// before the marker leaves a valid file recovery may boot from: it holds applied, so committed, state.
    /// The state is encoded straight into the file's buffer (one pass, one copy) and its bytes are not handed
    /// back: the file holds them, and a transfer reads them from it. If the write fails the state comes back
    /// serialized in memory, unwritten, and the WAL tries (and reports the failure).
    public func serializeAndSave<D: Disk>(to disk: inout D) -> SerializedSnapshot {
        let file = SnapshotCodec.encode(meta: meta, capacity: fileCapacity) { state.serialized(into: &$0) }
        do {
            try disk.writeAtomically(SnapshotCodec.fileName(index: meta.index), file)
            return SerializedSnapshot(meta: meta, data: [], fileWritten: true, byteCount: file.count)
        } catch {
            return serialize()
        }
    }
}

/// A serialized snapshot, handed back to the Replica (`Input.snapshotSerialized`).
public struct SerializedSnapshot: Sendable {
    public var meta: SnapshotMeta
    /// The state's bytes; empty when `fileWritten` (the file holds them).
    public var data: [UInt8]
    /// Its file is already durable in the data directory (`SnapshotJob.serializeAndSave`).
    public var fileWritten: Bool
    /// How large the serialized state is (the file's size when only the file holds it).
    public var byteCount: Int

    public init(meta: SnapshotMeta, data: [UInt8], fileWritten: Bool, byteCount: Int) {
        invariant(fileWritten || byteCount == data.count, "an unwritten snapshot carries its bytes")
        self.meta = meta
        self.data = data
        self.fileWritten = fileWritten
        self.byteCount = byteCount
    }
}
