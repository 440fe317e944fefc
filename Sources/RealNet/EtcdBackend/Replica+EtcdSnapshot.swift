import Core

extension Replica {
    /// What the Snapshot RPC streams (both protocols): etcd's snapshot file of this member's applied state —
    /// a bbolt database in etcd 3.4's layout followed by its SHA-256 — so `etcdctl snapshot save`, `status` and
    /// `restore` work on it as on etcd's, and `keelctl snapshot restore` reads it back.
    public func etcdSnapshotFile() -> [UInt8] {
        EtcdSnapshotFile.etcdSnapshot(of: stateMachineState, appliedIndex: applied.value)
    }
}
