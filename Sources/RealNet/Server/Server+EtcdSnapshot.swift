import Core

/// The Snapshot RPC (both protocols) off the event loop: the loop takes the Replica's applied state (a
/// copy-on-write copy, as for a snapshot of its own) and the snapshot thread builds etcd's file of it, so a large
/// store never stalls the loop while its bbolt database and digest are made.
extension Server {
    /// Builds etcd's snapshot file (`Replica.etcdSnapshotFile`) of the state applied now on the snapshot
    /// thread, and calls `deliver` with it on the loop thread when it is done (the caller checks that its
    /// stream is still there).
    func buildEtcdSnapshot(then deliver: @escaping ([UInt8]) -> Void) {
        let request = nextEtcdSnapshotCall
        nextEtcdSnapshotCall += 1
        etcdSnapshotCalls[request] = deliver
        snapshotter.submit(.etcdFile(request: request, state: replica.stateMachineState,
                                     appliedIndex: replica.applied.value))
    }

    /// The snapshot thread built the file for `request` (loop thread, after its wake).
    func etcdSnapshotBuilt(request: UInt64, _ file: [UInt8]) {
        etcdSnapshotCalls.removeValue(forKey: request)?(file)
    }
}
