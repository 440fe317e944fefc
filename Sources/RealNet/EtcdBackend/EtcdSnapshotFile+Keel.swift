import Core

/// Whole-file conversions between etcd's snapshot files and keel's (`SnapshotCodec` files, plain or as the
/// Snapshot stream wraps them).
extension EtcdSnapshotFile {
    /// Whether `bytes` are a keel snapshot file (or its stream form).
    public static func isKeel(_ bytes: [UInt8]) -> Bool { bytes.starts(with: Array("KSNP".utf8)) }

    /// A keel snapshot file holding an etcd snapshot's data (`keelctl snapshot restore` then rewrites its
    /// membership). Its Raft position is etcd's consistent index (at least 1), term 1.
    public static func keelSnapshot(fromEtcd bytes: [UInt8], skipHashCheck: Bool) throws(EtcdBackendError) -> [UInt8] {
        let backend = try EtcdBackend.read(try database(bytes, skipHashCheck: skipHashCheck))
        let state = try backend.keelState()
        let meta = SnapshotMeta(index: LogIndex(max(backend.consistentIndex, 1)), term: Term(1), conf: ConfState())
        return SnapshotCodec.encode(meta: meta, capacity: bytes.count + 4096) { state.serialized(into: &$0) }
    }

    /// The etcd snapshot file (database and digest) of keel's `state`, applied through Raft index `appliedIndex`.
    public static func etcdSnapshot(of state: StateMachineState, appliedIndex: UInt64) -> [UInt8] {
        wrap(EtcdBackend(keel: state, consistentIndex: appliedIndex).boltFile())
    }

    /// The etcd snapshot file of a keel snapshot file.
    public static func etcdSnapshot(fromKeel bytes: [UInt8]) throws(DecodeError) -> [UInt8] {
        let snapshot = try SnapshotCodec.decode(SnapshotStream.unwrap(bytes) ?? bytes)
        let state = try StateMachineState.decode(snapshot.data)
        return etcdSnapshot(of: state, appliedIndex: snapshot.meta.index.value)
    }

    /// `etcdctl snapshot status` of either kind of file: a keel file is reported as the etcd file it converts to.
    public static func anyStatus(_ bytes: [UInt8]) throws(EtcdBackendError) -> Status {
        guard isKeel(bytes) else { return try status(bytes) }
        do {
            return try status(try etcdSnapshot(fromKeel: bytes))
        } catch let error as EtcdBackendError {
            throw error
        } catch {
            throw .inconsistent("not a valid keel snapshot: \(error)")
        }
    }
}
