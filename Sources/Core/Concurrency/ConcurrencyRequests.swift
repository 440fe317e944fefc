/// Request and response messages of etcd's v3lock and v3election services, minus headers.
///
/// etcd serves both with its client-side `concurrency` recipe running inside the server (API.md "v3election",
/// "v3lock"): a candidate or locker puts `<name>/<lease id in lower-case hex>` bound to its lease and waits until
/// no key under `<name>/` with a lower create revision is left. Keel runs the same recipe inside the Replica
/// (`Replica+Concurrency.swift`). Responses carry `revision`, the header revision; the caller adds cluster id,
/// member id and term. Every error of these services is gRPC code 2 at the API edge (API.md surprise 10), even
/// one whose `APIError.code` says otherwise when the KV service returns it (`requested lease not found`).

/// v3election's `LeaderKey`: a candidate's key, as Campaign returns it and Proclaim/Resign send it back.
public struct ElectionKey: Equatable, Sendable {
    /// The election name.
    public var name: [UInt8]
    /// The candidate's key, `<name>/<lease in lower-case hex>`.
    public var key: [UInt8]
    /// The key's create revision: the candidate's place in line.
    public var revision: Revision
    public var lease: LeaseID

    public init(name: [UInt8], key: [UInt8], revision: Revision, lease: LeaseID) {
        self.name = name
        self.key = key
        self.revision = revision
        self.lease = lease
    }
}

/// v3lock's `LockResponse`.
public struct LockResponse: Equatable, Sendable {
    /// A revision at which `key` owned the lock: the lowest create revision under `<name>/` (etcd: the header of
    /// the txn that found no older key, or of the read that saw the last older key gone).
    public var revision: Revision
    /// The lock's key, `<name>/<lease hex>`: Unlock deletes it.
    public var key: [UInt8]

    public init(revision: Revision, key: [UInt8]) {
        self.revision = revision
        self.key = key
    }
}

/// v3election's `CampaignResponse`.
public struct CampaignResponse: Equatable, Sendable {
    /// The header revision: that of the campaign's put (etcd keeps that txn's header, transcript #220), which
    /// may be older than the revision at which the candidate became leader.
    public var revision: Revision
    public var leader: ElectionKey

    public init(revision: Revision, leader: ElectionKey) {
        self.revision = revision
        self.leader = leader
    }
}

/// v3election's `LeaderResponse`: the key with the lowest create revision under `<name>/`.
public struct LeaderResponse: Equatable, Sendable {
    public var revision: Revision
    public var kv: KeyValue

    public init(revision: Revision, kv: KeyValue) {
        self.revision = revision
        self.kv = kv
    }
}

/// The recipe's key names, as etcd's `concurrency` package builds them.
public enum ConcurrencyKeys {
    /// The TTL of the lease the server grants for a lock or campaign without one (etcd's default session TTL,
    /// transcripts #228 and #241).
    public static let sessionTTLSeconds: Int64 = 60

    /// `<name>/`: every candidate's or locker's key starts with it.
    public static func prefix(_ name: [UInt8]) -> [UInt8] { name + [UInt8(ascii: "/")] }

    /// `<name>/<lease hex>` (Go's `%x` of an int64: lower case, a minus sign for negative IDs).
    public static func key(name: [UInt8], lease: LeaseID) -> [UInt8] {
        prefix(name) + Array(String(lease.value, radix: 16).utf8)
    }

    /// The range request that finds the owner: the oldest key under `prefix` (etcd's `WithFirstCreate`).
    public static func ownerRange(prefix: [UInt8]) -> RangeRequest {
        RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(of: prefix), limit: 1, sortOrder: .ascend,
                     sortTarget: .create)
    }
}
