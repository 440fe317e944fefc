import Core
import SimNet
import Testing

/// etcd's corruption checks: the leader's periodic HashKV comparison (--experimental-corrupt-check-time)
/// and the start-up comparison (--experimental-initial-corrupt-check).
@Suite struct CorruptCheckTests {
    static func cluster() -> TestCluster {
        var config = TestCluster.defaultConfig
        config.corruptCheckTicks = 10
        var c = TestCluster(members: [1, 2, 3], config: config)
        c.elect(1)
        return c
    }

    static func settle(_ c: inout TestCluster, ticks: Int) {
        for _ in 0..<ticks {
            c.tickAll()
            c.deliverAll()
        }
    }

    /// Member 3's copy of the entry holding `key=good` is replaced on disk by one holding `key=evil` (same
    /// index and term), as a bit flip past the checksums would: after a restart it applies a different value.
    static func corruptMember3(_ c: inout TestCluster, at index: LogIndex, initialCheck: Bool) throws {
        c.crash(3)
        var disk = c.disks[3]!
        let recovered = try Recovery.recover(from: &disk)
        var entry = try #require(recovered.boot.entries.first { $0.index == index })
        let good = Array("good".utf8), evil = Array("evil".utf8)
        let at = try #require((0...(entry.data.count - good.count)).first { Array(entry.data[$0..<($0 + 4)]) == good })
        entry.data.replaceSubrange(at..<(at + 4), with: evil)
        var wal = recovered.wal
        let tail = recovered.boot.entries.filter { $0.index > index }
        try wal.write(PersistBatch(seq: 0, hardState: recovered.boot.hardState, snapshot: nil,
                                   entries: [entry] + tail), to: &disk)
        disk.completeSync()
        c.disks[3] = disk
        if initialCheck { c.configure = { id, config in if id == 3 { config.initialCorruptCheck = true } } }
        c.boot(3, seed: 33)
        settle(&c, ticks: 2)
        #expect(c.value(3, "k") == "evil" && c.value(1, "k") == "good")
    }

    @Test("a member whose store diverged is found by the leader's periodic check: CORRUPT is raised, writes stop")
    func periodicCheckRaisesCorrupt() throws {
        var c = Self.cluster()
        let put = c.request(1, .write(key: "k", value: "good"))
        c.deliverAll()
        let index = try #require(c.appliedIndex(put))
        Self.settle(&c, ticks: 30)
        #expect(c.replicas[1]!.alarms.isEmpty)  // Healthy: checks ran, nothing found.
        try Self.corruptMember3(&c, at: index, initialCheck: false)
        Self.settle(&c, ticks: 40)
        #expect(c.replicas[1]!.alarms == [Alarm(member: .none, type: .corrupt)])
        #expect(c.replicas[2]!.alarms == [Alarm(member: .none, type: .corrupt)])
        let refused = c.request(1, .write(key: "k2", value: "v"))
        c.deliverAll()
        #expect(c.reply(refused) == .failed(.api(.corrupt)))
    }

    @Test("with --experimental-initial-corrupt-check, the diverged member's start-up check fails; healthy ones pass")
    func initialCheck() throws {
        var c = Self.cluster()
        let put = c.request(1, .write(key: "k", value: "good"))
        c.deliverAll()
        let index = try #require(c.appliedIndex(put))
        try Self.corruptMember3(&c, at: index, initialCheck: true)
        Self.settle(&c, ticks: 5)
        #expect(c.replicas[3]!.initialCorruptCheck
                == .failed("3 found data inconsistency with peers"))

        // A healthy member restarted with the check passes it once its peers answer.
        var healthy = Self.cluster()
        _ = healthy.request(1, .write(key: "k", value: "good"))
        healthy.deliverAll()
        healthy.crash(2)
        healthy.configure = { id, config in if id == 2 { config.initialCorruptCheck = true } }
        healthy.boot(2, seed: 22)
        Self.settle(&healthy, ticks: 5)
        #expect(healthy.replicas[2]!.initialCorruptCheck == .passed)
        Self.settle(&healthy, ticks: 30)
        #expect(healthy.replicas[1]!.alarms.isEmpty)
    }

    @Test("hash requests and answers round-trip through the peer codec")
    func codec() throws {
        let messages = [
            Message(from: 1, to: 2, term: .zero, body: .hashRequest(HashRequest(context: 7, revision: 42))),
            Message(from: 2, to: 1, term: .zero, body: .hashResponse(HashResponse(
                context: 7, outcome: .compacted, hash: 0xDEAD_BEEF, compactRevision: -1, revision: 40))),
        ]
        for m in messages {
            #expect(try MessageCodec.decode(MessageCodec.encode(m)[...]) == m)
        }
    }
}
