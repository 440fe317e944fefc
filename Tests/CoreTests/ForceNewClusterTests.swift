import Core
import SimNet
import Testing

/// `--force-new-cluster`: a member of a lost cluster restarts alone with its data.
@Suite struct ForceNewClusterTests {
    @Test("a member of a three-member cluster restarts alone: its data kept, the others removed, writes go on")
    func restartsAlone() throws {
        var cluster = TestCluster(members: [1, 2, 3])
        cluster.elect(1)
        var writes: [UInt64] = []
        for k in 0..<5 { writes.append(cluster.request(1, .write(key: "k\(k)", value: "v\(k)"))) }
        cluster.deliverAll()
        for w in writes { #expect(cluster.appliedIndex(w) != nil) }
        // Members 2 and 3 are lost for good; member 1 crashes and is restarted with --force-new-cluster.
        for id in [1, 2, 3] as [MemberID] { cluster.crash(id) }
        cluster.disks[2] = nil
        cluster.disks[3] = nil
        var disk = cluster.disks[1]!
        let recovered = try Recovery.recover(from: &disk)
        #expect(ForceNewCluster.finalConf(recovered.boot).voters == [1, 2, 3])
        let batch = try #require(try ForceNewCluster.batch(recovered.boot, member: 1))
        #expect(batch.entries.count == 2 && batch.entries.allSatisfy { $0.kind == .confChange })
        #expect(batch.hardState.commit == batch.entries.last!.index)
        var wal = recovered.wal
        try wal.write(batch, to: &disk)
        disk.completeSync()
        cluster.disks[1] = disk
        let again = try Recovery.recover(from: &disk)
        #expect(ForceNewCluster.finalConf(again.boot).voters == [1])
        #expect(try ForceNewCluster.batch(again.boot, member: 1) == nil)  // Already alone: nothing to do.

        cluster.boot(1, seed: 99)  // A new incarnation: request ids from a new seed, as a restarted daemon draws.
        cluster.elect(1)
        #expect(cluster.raft(1).role == .leader)
        #expect(cluster.raft(1).conf.voters == [1] && cluster.raft(1).conf.removed == [2, 3])
        for k in 0..<5 { #expect(cluster.value(1, "k\(k)") == "v\(k)") }
        let list = cluster.request(1, .memberList)
        #expect(cluster.memberIDs(list) == [1])
        let after = cluster.request(1, .write(key: "after", value: "alone"))
        cluster.deliverAll()
        #expect(cluster.appliedIndex(after) != nil, "\(String(describing: cluster.reply(after)))")
        #expect(cluster.value(1, "after") == "alone")
    }

    @Test("the whole log is kept, uncommitted tail included; a member not in the log's conf is refused")
    func uncommittedTailAndRefusal() throws {
        let conf = ConfState(voters: [1, 2])
        let snapshot = Snapshot(meta: SnapshotMeta(index: 10, term: 2, conf: conf), data: [])
        let tail = [Entry(term: 3, index: 11), Entry(term: 3, index: 12),
                    Entry(term: 3, index: 13, kind: .confChange,
                          data: ConfChange(kind: .addLearner, member: 9).entryData(
                              header: EntryHeader(proposer: .none, requestID: 0)))]
        // The durable commit index (11) trails the log: keel does not persist commit-only changes.
        let boot = RaftBoot(hardState: HardState(term: 3, vote: 1, commit: 11), snapshot: snapshot, entries: tail)
        #expect(ForceNewCluster.finalConf(boot) == ConfState(voters: [1, 2], learners: [9]))
        let batch = try #require(try ForceNewCluster.batch(boot, member: 2))
        #expect(batch.entries.map(\.index) == [14, 15])
        let changes = try batch.entries.map { try ConfChange.decode(entryData: $0.data) }
        #expect(changes == [ConfChange(kind: .remove, member: 1), ConfChange(kind: .remove, member: 9)])
        #expect(batch.hardState == HardState(term: 3, vote: 1, commit: 15))
        #expect(throws: ForceNewCluster.Refusal.notAMember(7)) { try ForceNewCluster.batch(boot, member: 7) }
        // A learner is promoted first.
        let asLearner = try #require(try ForceNewCluster.batch(boot, member: 9))
        #expect(try ConfChange.decode(entryData: asLearner.entries[0].data) == ConfChange(kind: .promote, member: 9))
        // Alone already: nothing to write.
        let alone = RaftBoot(hardState: HardState(term: 3, vote: 1, commit: 11),
                             snapshot: Snapshot(meta: SnapshotMeta(index: 10, term: 2, conf: ConfState(voters: [1])),
                                                data: []),
                             entries: Array(tail.prefix(2)))
        #expect(try ForceNewCluster.batch(alone, member: 1) == nil)
    }
}
