extension Replica {
    /// Decodes `bytes` as a state-machine snapshot (the format of `stateMachineSnapshot()`) into a scratch
    /// replica, throwing where `init` would trap: for tools that check a snapshot before trusting it, and for
    /// the decoders' fuzz targets.
    public static func validateStateMachine(_ bytes: [UInt8], config: ReplicaConfig = ReplicaConfig())
        throws(DecodeError)
    {
        let empty = Snapshot(meta: SnapshotMeta(index: .zero, term: .zero, conf: ConfState()), data: [])
        var scratch = Replica(id: MemberID(1), config: config, seed: 0,
                              boot: RaftBoot(hardState: HardState(), snapshot: empty, entries: []))
        try scratch.restoreStateMachine(bytes)
    }
}
