import Core
import Testing

@testable import RealNet

/// The bbolt writer and reader against each other: what is written reads back equal, in every shape.
@Suite struct BoltRoundTripTests {
    @Test("written buckets read back equal: nested, inline, branch levels, overflow values",
          arguments: [1, 2, 3] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        let root = BoltSamples.database(seed: seed)
        #expect(root.isWellFormed)
        for inline in [true, false] {
            let file = BoltWriter.write(root, inlineSmallBuckets: inline)
            #expect(file.count % 4096 == 0)
            let database = try BoltReader.read(file)
            #expect(database.root == root)
            #expect(database.pageSize == 4096)
            #expect(database.pageCount == UInt64(file.count / 4096))
            #expect(database.freePages.isEmpty)
        }
    }

    @Test("the layout has what bbolt writes: two metas, a freelist, branch pages and overflow pages")
    func layout() throws {
        let file = BoltWriter.write(BoltSamples.database(seed: 7))
        #expect(file.boltU32(at: 16) == BoltMeta.magic && file.boltU32(at: 4096 + 16) == BoltMeta.magic)
        #expect(file.boltU32(at: 20) == 2, "version 2")
        #expect(BoltPageHeader(file, at: 2 * 4096).flags == BoltLayout.freelistPageFlag)
        #expect(!BoltSamples.pages(file, flags: BoltLayout.branchPageFlag).isEmpty)
        let overflowing = BoltSamples.pages(file, flags: BoltLayout.leafPageFlag).filter {
            BoltPageHeader(file, at: Int($0) * 4096).overflow > 0
        }
        #expect(!overflowing.isEmpty)
        // An inline bucket: "tiny" sits in the root leaf with root page 0.
        let small = BoltBucket(pairs: [BoltPair(key: [2], value: [3])])
        let inline = BoltWriter.write(BoltBucket(children: [BoltChild(name: [1], bucket: small)]))
        #expect(inline.count == 4 * 4096, "metas, freelist and the root leaf only")
    }

    @Test("the valid meta with the higher txid is read; a damaged one falls back to the other")
    func metaChoice() throws {
        let one = BoltBucket(pairs: [BoltPair(key: [1], value: [1])])
        let first = BoltBucket(children: [BoltChild(name: [1], bucket: one)])
        var file = BoltWriter.write(first)
        #expect(try BoltReader.read(file).txid == 1)
        // Meta 0 at txid 5 pointing to the same root wins.
        file.boltPut64(5, at: 16 + 48)
        BoltSamples.resealMeta(&file, page: 0)
        #expect(try BoltReader.read(file).txid == 5)
        // Its checksum broken: meta 1 (txid 1) is read instead.
        file[16 + 48] ^= 0xFF
        #expect(try BoltReader.read(file).txid == 1)
        #expect(try BoltReader.read(file).root == first)
    }

    @Test("a database with trailing bytes (etcd's SHA-256) reads, its snapshot digest checks")
    func trailer() throws {
        let backend = EtcdBackend()
        let database = backend.boltFile()
        let snapshot = EtcdSnapshotFile.wrap(database)
        #expect(snapshot.count % 512 == 32)
        #expect(try EtcdSnapshotFile.database(snapshot, skipHashCheck: false) == database)
        #expect(try BoltReader.read(snapshot).root == BoltReader.read(database).root)
        var damaged = snapshot
        damaged[damaged.count - 1] ^= 1
        #expect(throws: EtcdBackendError.self) { try EtcdSnapshotFile.database(damaged, skipHashCheck: false) }
        #expect(try EtcdSnapshotFile.database(damaged, skipHashCheck: true) == database)
        #expect(throws: EtcdBackendError.inconsistent("snapshot missing hash but --skip-hash-check=false")) {
            try EtcdSnapshotFile.database(database, skipHashCheck: false)
        }
    }
}
