import Core

/// One record of etcd's `key` bucket: the revision it was written at and what was written (a put's whole
/// `mvccpb.KeyValue`, or a tombstone, whose value holds only the key).
public struct EtcdRevisionRecord: Equatable, Sendable {
    public var main: Int64
    public var sub: Int64
    public var isTombstone: Bool
    public var kv: KeyValue

    public init(main: Int64, sub: Int64, isTombstone: Bool, kv: KeyValue) {
        self.main = main
        self.sub = sub
        self.isTombstone = isTombstone
        self.kv = kv
    }
}

/// One record of etcd's `lease` bucket (`leasepb.Lease`).
public struct EtcdLease: Equatable, Sendable {
    public var id: Int64
    public var ttlSeconds: Int64
    /// Set only by lease checkpointing; 0 otherwise.
    public var remainingTTLSeconds: Int64

    public init(id: Int64, ttlSeconds: Int64, remainingTTLSeconds: Int64 = 0) {
        self.id = id
        self.ttlSeconds = ttlSeconds
        self.remainingTTLSeconds = remainingTTLSeconds
    }
}

/// etcd 3.4's backend (the bbolt file `member/snap/db`, and what `etcdctl snapshot save` streams) as values,
/// bucket by bucket (etcd's `mvcc/kvstore.go`, `lease/lessor.go`, `auth/store.go`,
/// `etcdserver/api/membership/store.go`, `etcdserver/api/v3alarm`):
///
/// - `key`: 17-byte revision keys `main u64 BE | '_' | sub u64 BE`, plus `'t'` for a tombstone → `mvccpb.KeyValue`
/// - `meta`: `consistent_index` (u64 BE); `scheduledCompactRev`, `finishedCompactRev` (revision keys, sub 0)
/// - `lease`: id (u64 BE) → `leasepb.Lease`
/// - `auth`: `authEnabled` (one byte, 1 or 0), `authRevision` (u64 BE); `authUsers`: name → `authpb.User`;
///   `authRoles`: name → `authpb.Role`
/// - `members`, `members_removed`: hex member id → JSON; `cluster`: `clusterVersion` → "3.4.0"
/// - `alarm`: `etcdserverpb.AlarmMember` bytes → empty
public struct EtcdBackend: Equatable, Sendable {
    /// In revision order (the `key` bucket's byte order).
    public var records: [EtcdRevisionRecord] = []
    public var consistentIndex: UInt64 = 0
    /// 0 when not set.
    public var scheduledCompactRevision: Int64 = 0
    /// 0 when not set.
    public var finishedCompactRevision: Int64 = 0
    /// Sorted by id.
    public var leases: [EtcdLease] = []
    public var authEnabled = false
    public var authRevision: UInt64 = 1
    /// Sorted by name; a user's password is its bcrypt hash.
    public var users: [AuthUser] = []
    /// Sorted by name.
    public var roles: [AuthRole] = []
    /// Kept as they are (etcd's restore deletes and rebuilds them for the new cluster).
    public var members: [BoltPair] = []
    public var membersRemoved: [BoltPair] = []
    public var cluster: [BoltPair] = [BoltPair(key: Array("clusterVersion".utf8), value: Array("3.4.0".utf8))]
    public var alarms: [Alarm] = []

    public init() {}

    static let revisionBytes = 17
    static let bucketNames = ["alarm", "auth", "authRoles", "authUsers", "cluster", "key", "lease", "members",
                              "members_removed", "meta"]

    /// A revision key: `main u64 BE | '_' | sub u64 BE`, then `'t'` for a tombstone.
    static func revisionKey(main: Int64, sub: Int64, tombstone: Bool = false) -> [UInt8] {
        var key = bigEndian(UInt64(bitPattern: main))
        key.append(UInt8(ascii: "_"))
        key += bigEndian(UInt64(bitPattern: sub))
        if tombstone { key.append(UInt8(ascii: "t")) }
        return key
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The last revision the `key` bucket holds (what `etcdctl snapshot status` reports), 0 when empty.
    public var lastRevision: Int64 { records.last?.main ?? 0 }
}
