import Core
import Testing

@testable import RealNet

/// etcd's buckets over bbolt: the backend reads back as written, converts to keel's state and back, and bad
/// records are errors naming their bucket.
@Suite struct BoltEtcdBackendTests {
    @Test("a backend written as bbolt reads back equal; its buckets are etcd's")
    func roundTrip() throws {
        let backend = EtcdSamples.backend()
        let file = backend.boltFile()
        #expect(try EtcdBackend.read(file) == backend)
        let root = try BoltReader.read(file).root
        #expect(root.children.map { String(decoding: $0.name, as: UTF8.self) } == EtcdBackend.bucketNames)
        let keys = try #require(root.child("key"))
        #expect(keys.pairs[1].key == [0, 0, 0, 0, 0, 0, 0, 2, 0x5F, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(keys.pairs[3].key.last == UInt8(ascii: "t") && keys.pairs[3].key.count == 18)
        #expect(root.child("meta")?.value("consistent_index") == [0, 0, 0, 0, 0, 0, 0, 42])
        #expect(root.child("auth")?.value("authEnabled") == [0])
    }

    @Test("to keel and back: the compacted history, leases, users and roles survive")
    func keelRoundTrip() throws {
        let backend = EtcdSamples.backend()
        let state = try backend.keelState()
        #expect(state.store.currentRevision == 7 && state.store.compactRevision == 3)
        #expect(state.store.keyIndex(Array("a".utf8))?.records.count == 1, "the put at 2 is compacted away")
        #expect(state.store.keyIndex(Array("b".utf8))?.records.count == 3, "the put at 2 is the one kept at 3")
        #expect(state.store.lessor.lease(LeaseID(0x1234))?.keys == [Array("leased".utf8)])
        #expect(state.auth.user(Array("bob".utf8))?.noPassword == true)
        #expect(state.auth.role(Array("reader".utf8))?.permissions.count == 2)
        var back = EtcdBackend(keel: state, consistentIndex: 42)
        var expected = backend
        expected.records.removeAll { $0.main == 2 && $0.kv.key == Array("a".utf8) }
        expected.alarms = []
        expected.members = []
        back.alarms = []
        #expect(back.records == expected.records)
        #expect(back.leases == expected.leases && back.users == expected.users && back.roles == expected.roles)
        #expect(back.finishedCompactRevision == 3 && back.consistentIndex == 42)
        // A keel snapshot file converts to an etcd file and back to the same state.
        let keelFile = SnapshotCodec.encode(Snapshot(meta: SnapshotMeta(index: 42, term: 3, conf: ConfState()),
                                                     data: state.serialized()))
        let etcdFile = try EtcdSnapshotFile.etcdSnapshot(fromKeel: keelFile)
        #expect(etcdFile.count % 512 == 32)
        let keelAgain = try EtcdSnapshotFile.keelSnapshot(fromEtcd: etcdFile, skipHashCheck: false)
        let again = try SnapshotCodec.decode(keelAgain)
        #expect(try StateMachineState.decode(again.data).store == state.store)
        #expect(again.meta.index == 42)
    }

    @Test("bad records name their bucket and key")
    func badRecords() throws {
        var root = EtcdSamples.backend().boltRoot()
        let key = root.children.firstIndex { $0.name == Array("key".utf8) }!
        root.children[key].bucket.pairs[0].value = [0x0A, 0x50]  // A key field longer than the message.
        let file = BoltWriter.write(root)
        #expect(throws: EtcdBackendError.self) { try EtcdBackend.read(file) }
        do {
            _ = try EtcdBackend.read(file)
        } catch {
            #expect("\(error)".hasPrefix("etcd backend: bucket key, key 0000000000000002"), "\(error)")
        }
        var unknown = EtcdSamples.backend().boltRoot()
        unknown.children.append(BoltChild(name: Array("zzz".utf8), bucket: BoltBucket()))
        #expect(throws: EtcdBackendError.inconsistent("unknown bucket \"zzz\"")) {
            try EtcdBackend.read(BoltWriter.write(unknown))
        }
        var dangling = EtcdSamples.backend()
        dangling.leases = []
        #expect(throws: EtcdBackendError.self) { try dangling.keelState() }
    }

    @Test("status counts every pair, hashes buckets in order, reports the last revision and the size")
    func status() throws {
        let file = EtcdSnapshotFile.wrap(EtcdSamples.backend().boltFile())
        let status = try EtcdSnapshotFile.status(file)
        #expect(status.revision == 7)
        #expect(status.totalKey == 1 + 2 + 1 + 2 + 1 + 7 + 1 + 1 + 0 + 3)
        #expect(status.totalSize == Int64(file.count - 32))
        #expect(try EtcdSnapshotFile.anyStatus(file) == status)
    }
}
