import Foundation  // Reading and writing the seed files.
import Fuzz
import Testing

/// The `etcd-snapshot` target's seeds are made by keel's bbolt writer (`EtcdSnapshotTargets.seeds()`);
/// `KEEL_WRITE_FUZZ_SEEDS=1 swift test --filter EtcdSnapshotSeedTests` rewrites them into `fuzz-corpus`.
@Suite struct EtcdSnapshotSeedTests {
    @Test("the committed etcd-snapshot seeds that hold etcd backends convert to keel's state and back")
    func seedsConvert() throws {
        let directory = CorpusReplayTests.root + "/" + FuzzTarget.etcdSnapshot.rawValue
        let seeds = EtcdSnapshotTargets.seeds()
        if ProcessInfo.processInfo.environment["KEEL_WRITE_FUZZ_SEEDS"] != nil {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for seed in seeds {
                _ = FileManager.default.createFile(atPath: directory + "/" + seed.name, contents: Data(seed.bytes))
            }
        }
        for seed in seeds {
            let committed = try #require(FileManager.default.contents(atPath: directory + "/" + seed.name),
                                         "fuzz-corpus/etcd-snapshot/\(seed.name) is missing")
            // The nested-bucket seed is a bbolt database but not etcd's (its bucket is unknown to etcd).
            #expect(EtcdSnapshotTargets.etcdSnapshot(Array(committed)) == !seed.name.contains("nested"), "\(seed.name)")
        }
        // A damaged meta page with its checksum fixed (mode bit 0) is refused, not trapped on.
        var damaged = seeds[0].bytes
        damaged[0] = 1
        damaged[1 + 16 + 40] = 0xFF  // Page 0's high-water mark, far past the file.
        damaged[1 + 512 + 16 + 40] = 0xFF
        #expect(!EtcdSnapshotTargets.etcdSnapshot(damaged))
    }
}
