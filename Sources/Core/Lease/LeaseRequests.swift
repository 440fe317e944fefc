/// Request and response messages of etcd's Lease service, minus headers (`revision` is the header revision).

/// etcd's `LeaseGrantRequest`.
public struct LeaseGrantRequest: Equatable, Sendable {
    /// Seconds; raised to the minimum TTL when below it.
    public var ttlSeconds: Int64
    /// The lease ID to use; `.none` lets the server pick.
    public var id: LeaseID

    public init(ttlSeconds: Int64, id: LeaseID = .none) {
        self.ttlSeconds = ttlSeconds
        self.id = id
    }
}

/// etcd's `LeaseGrantResponse` (its `error` string is never set).
public struct LeaseGrantResponse: Equatable, Sendable {
    public var revision: Revision
    public var id: LeaseID
    /// The TTL granted, after raising it to the minimum.
    public var ttlSeconds: Int64

    public init(revision: Revision, id: LeaseID, ttlSeconds: Int64) {
        self.revision = revision
        self.id = id
        self.ttlSeconds = ttlSeconds
    }
}

/// etcd's `LeaseRevokeResponse`.
public struct LeaseRevokeResponse: Equatable, Sendable {
    public var revision: Revision

    public init(revision: Revision) { self.revision = revision }
}

/// etcd's `LeaseKeepAliveResponse`. An unknown lease gets TTL 0 (printed without `TTL`, transcript #158).
public struct LeaseKeepAliveResponse: Equatable, Sendable {
    public var id: LeaseID
    public var ttlSeconds: Int64

    public init(id: LeaseID, ttlSeconds: Int64) {
        self.id = id
        self.ttlSeconds = ttlSeconds
    }
}

/// etcd's `LeaseTimeToLiveRequest`.
public struct LeaseTimeToLiveRequest: Equatable, Sendable {
    public var id: LeaseID
    /// Also list the attached keys.
    public var keys: Bool

    public init(id: LeaseID, keys: Bool = false) {
        self.id = id
        self.keys = keys
    }
}

/// etcd's `LeaseTimeToLiveResponse`. An unknown or expired lease is not an error: TTL -1, granted TTL 0
/// (transcript #154).
public struct LeaseTimeToLiveResponse: Equatable, Sendable {
    public var revision: Revision
    public var id: LeaseID
    /// Remaining seconds, truncated (a fresh 120 s lease shows 119, transcript #150); -1 when unknown.
    public var ttlSeconds: Int64
    public var grantedTTLSeconds: Int64
    /// The attached keys in key order, when asked for.
    public var keys: [[UInt8]]

    public init(revision: Revision, id: LeaseID, ttlSeconds: Int64, grantedTTLSeconds: Int64 = 0,
                keys: [[UInt8]] = []) {
        self.revision = revision
        self.id = id
        self.ttlSeconds = ttlSeconds
        self.grantedTTLSeconds = grantedTTLSeconds
        self.keys = keys
    }
}

/// etcd's `LeaseLeasesResponse`.
public struct LeaseLeasesResponse: Equatable, Sendable {
    public var revision: Revision
    /// Sorted by ID.
    public var leases: [LeaseID]

    public init(revision: Revision, leases: [LeaseID]) {
        self.revision = revision
        self.leases = leases
    }
}
