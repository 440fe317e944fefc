import Core

/// etcd's snapshot file: the backend's bbolt database followed by the SHA-256 of its bytes (what
/// `etcdctl snapshot save` writes and `snapshot restore` checks: a file whose size is 32 more than a
/// multiple of 512 carries the digest, since a database is whole pages of at least 512 bytes).
public enum EtcdSnapshotFile {
    static let digestBytes = 32

    /// What `etcdctl snapshot status` prints (`snapshot.Status`).
    public struct Status: Equatable, Sendable {
        /// CRC-32C over every top-level bucket's name and then each of its keys and values, in order.
        public var hash: UInt32
        /// The main revision of the `key` bucket's last record.
        public var revision: Int64
        /// How many pairs all buckets hold.
        public var totalKey: Int
        /// The database's size in use: its high-water mark times its page size.
        public var totalSize: Int64
    }

    /// Whether `bytes` start like a bbolt database (the meta magic after the first page header).
    public static func isBolt(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 64 && bytes.boltU32(at: 16) == BoltMeta.magic
    }

    /// The database `bytes` hold with their trailing digest, if the size says one is there.
    public static func split(_ bytes: [UInt8]) -> (database: [UInt8], digest: [UInt8]?) {
        guard bytes.count % 512 == digestBytes, bytes.count > digestBytes else { return (bytes, nil) }
        return (Array(bytes[..<(bytes.count - digestBytes)]), Array(bytes[(bytes.count - digestBytes)...]))
    }

    /// The database inside an etcd snapshot file, its digest checked (as `etcdctl snapshot restore` does).
    /// - Throws: a message as etcd's when the digest is missing (unless `skipHashCheck`) or does not match.
    public static func database(_ bytes: [UInt8], skipHashCheck: Bool) throws(EtcdBackendError) -> [UInt8] {
        let (database, digest) = split(bytes)
        guard let digest else {
            if skipHashCheck { return database }
            throw .inconsistent("snapshot missing hash but --skip-hash-check=false")
        }
        if !skipHashCheck {
            let actual = SHA256.hash(database)
            guard actual == digest else {
                throw .inconsistent("expected sha256 \(goBytes(digest)), got \(goBytes(actual))")
            }
        }
        return database
    }

    /// A database with its digest appended: an etcd snapshot file.
    public static func wrap(_ database: [UInt8]) -> [UInt8] {
        precondition(database.count % 512 == 0, "a database is whole pages")
        return database + SHA256.hash(database)
    }

    /// `etcdctl snapshot status` of a file (with or without its digest).
    public static func status(_ bytes: [UInt8]) throws(EtcdBackendError) -> Status {
        let database: BoltDatabase
        do { database = try BoltReader.read(bytes) } catch { throw .bolt(error) }
        var hash: UInt32 = 0
        let size = Int64(database.pageCount) * Int64(database.pageSize)
        var status = Status(hash: 0, revision: 0, totalKey: 0, totalSize: size)
        for child in database.root.children {
            hash = CRC32C.checksum(child.name, seed: hash)
            let isKey = child.name == Array("key".utf8)
            var entries = child.bucket.pairs.map { ($0.key, $0.value) }
                + child.bucket.children.map { ($0.name, [UInt8]()) }  // b.ForEach gives a nested bucket a nil value.
            if !child.bucket.children.isEmpty { entries.sort { $0.0.lexicographicallyPrecedes($1.0) } }
            for (key, value) in entries {
                hash = CRC32C.checksum(key, seed: hash)
                hash = CRC32C.checksum(value, seed: hash)
                if isKey && key.count >= 8 {
                    status.revision = Int64(bitPattern: EtcdBackend.readBigEndian(key[0..<8]))
                }
                status.totalKey += 1
            }
        }
        status.hash = hash
        return status
    }

    /// Bytes as Go's `%v` prints a `[]byte`: `[1 2 3]`.
    static func goBytes(_ bytes: [UInt8]) -> String {
        "[" + bytes.map { String($0) }.joined(separator: " ") + "]"
    }
}
