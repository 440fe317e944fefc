import Core

extension DataDir {
    /// Builds a new member's data dir at `path` from a snapshot file's bytes (what `/v3/maintenance/snapshot`
    /// streams), offline, for `keelctl snapshot restore`: the snapshot with its membership rewritten to
    /// `initialCluster` (ids from `MemberInfo.memberID(peerURLs:token:)`, as a bootstrapping daemon computes
    /// them), a WAL whose hard state commits it, and the `keel-member` identity of `name`. keel then starts from
    /// the dir as a restart, holding the data in a fresh cluster.
    /// - Returns: the identity written.
    public static func restore(
        snapshot bytes: [UInt8], path: String, name: String,
        initialCluster: [(name: String, peerURLs: [String])], token: String
    ) throws(StartError) -> MemberIdentity {
        let snapshot: Snapshot
        do {
            snapshot = try SnapshotCodec.decode(SnapshotStream.unwrap(bytes) ?? bytes)
        } catch {
            throw .corrupt("not a keel snapshot: \(error)")
        }
        guard let me = initialCluster.first(where: { $0.name == name }) else {
            throw .config("--initial-cluster has no member named \"\(name)\" (it lists "
                          + initialCluster.map(\.name).joined(separator: ",") + ")")
        }
        let members = initialCluster.map { member in
            (id: MemberInfo.memberID(peerURLs: member.peerURLs, token: token),
             context: MemberInfo(name: member.name, peerURLs: member.peerURLs).encoded())
        }
        if Set(members.map(\.id)).count != members.count {
            throw .config("--initial-cluster lists the same peer URLs twice")
        }
        let data: [UInt8]
        do {
            data = try Replica.restoredStateMachine(snapshot.data, members: members)
        } catch {
            throw .corrupt("snapshot state does not decode: \(error)")
        }
        let conf = ConfState(voters: members.map(\.id).sorted())
        let meta = SnapshotMeta(index: snapshot.meta.index, term: snapshot.meta.term, conf: conf)
        let identity = MemberIdentity(id: MemberInfo.memberID(peerURLs: me.peerURLs, token: token), name: name,
                                      token: token)
        var wal = ByteWriter()
        WALRecord.hardState(HardState(term: meta.term, vote: .none, commit: meta.index)).encode(into: &wal)
        do {
            let disk = try FileDisk(directory: path)
            guard disk.fileNames().isEmpty else { throw StartError.dataDir("data-dir \"\(path)\" exists") }
            try disk.writeAtomically(SnapshotCodec.fileName(index: meta.index),
                                     SnapshotCodec.encode(Snapshot(meta: meta, data: data)))
            try disk.append(WAL.segmentName(0), wal.bytes)
            try disk.sync(WAL.segmentName(0))
            try disk.writeAtomically(MemberIdentity.fileName, identity.encoded())
        } catch let error as StartError {
            throw error
        } catch {
            throw .dataDir("\(path): \(error)")
        }
        return identity
    }
}
