/// One lease: its granted TTL and the keys attached to it (etcd's `lease.Lease`, replicated part).
public struct Lease: Equatable, Sendable {
    public let id: LeaseID
    /// The TTL granted, in seconds, after raising it to the minimum. Invariant: `>= 1`.
    public let ttlSeconds: Int64
    /// The keys attached. Invariant: sorted, unique; each is live with `lease == id`.
    public internal(set) var keys: [[UInt8]]

    init(id: LeaseID, ttlSeconds: Int64) {
        invariant(ttlSeconds >= 1, "lease \(id) granted with TTL \(ttlSeconds)")
        self.id = id
        self.ttlSeconds = ttlSeconds
        keys = []
    }
}

/// The replicated lease table (etcd's `lessor`, minus its clock): which leases exist, their TTLs and keys.
///
/// **The split.** Which leases exist, their granted TTL and their keys are replicated state: every member changes
/// them only by applying committed requests (grant, revoke, put with a lease, delete), so they are in the
/// `KVStore`, its snapshot and its equality. *When* a lease expires is not: only the leader keeps expiry times, in
/// ticks, in a `LeaseTimers` value outside the store; it proposes a revoke for each lease `LeaseTimers.expired`
/// reports, and the revoke is what every member applies. After a leader change the new leader calls
/// `LeaseTimers.promote`, which restarts every lease's full TTL (plus a margin) so that no lease expires because
/// of the failover (etcd's `Promote(extend)`). Keep-alives go to the leader and touch only its timers.
public struct Lessor: Equatable, Sendable {
    /// etcd's hard upper bound on a lease TTL, in seconds (`MaxLeaseTTL`).
    public static let ttlSecondsMax: Int64 = 9_000_000_000

    /// The lessor's settings (not replicated state: every member is configured alike).
    public struct Config: Equatable, Sendable {
        /// Grants below this TTL are raised to it (etcd's `minLeaseTTL`, 2 s with the default timing).
        public var minTTLSeconds: Int64

        public init(minTTLSeconds: Int64 = 2) {
            invariant(minTTLSeconds >= 1, "minTTLSeconds must be at least 1")
            self.minTTLSeconds = minTTLSeconds
        }

        /// etcd's rule: the minimum TTL is 1.5 election timeouts, rounded up to whole seconds
        /// (`(3 * electionTicks) / 2 * heartbeat`), so a lease cannot expire during one leader election.
        public static func minTTLSeconds(electionTicks: Int64, heartbeatMilliseconds: Int64) -> Int64 {
            invariant(electionTicks > 0 && heartbeatMilliseconds > 0, "election timing must be positive")
            let milliseconds = (3 * electionTicks) / 2 * heartbeatMilliseconds
            return max(1, (milliseconds + 999) / 1000)
        }
    }

    public let config: Config
    var leases: [LeaseID: Lease]
    /// How many IDs the lessor generated; the next generated ID derives from it. Replicated.
    var generatedCount: UInt64

    public init(config: Config = Config()) {
        self.config = config
        leases = [:]
        generatedCount = 0
    }

    /// The lease with `id`, or nil.
    public func lease(_ id: LeaseID) -> Lease? { leases[id] }

    /// Every lease ID, sorted (etcd lists them in map order; sorted is one of those orders).
    public var ids: [LeaseID] { leases.keys.sorted() }

    public var count: Int { leases.count }

    /// Grants a lease: etcd's `lessor.Grant` on apply.
    ///
    /// `id` `.none` picks an unused ID deterministically from `generatedCount` (etcd picks on the leader from
    /// the member ID and the clock; here every member computes the same one when applying). A TTL below the
    /// minimum, zero and negative included, is raised to the minimum (transcripts #144, #145).
    /// - Throws: `leaseTTLTooLarge` over `ttlSecondsMax`; `leaseExists` for an ID in use.
    public mutating func grant(id: LeaseID, ttlSeconds: Int64) throws(APIError) -> Lease {
        if ttlSeconds > Self.ttlSecondsMax { throw .leaseTTLTooLarge }
        let chosen = id.isNone ? generateID() : id
        if leases[chosen] != nil { throw .leaseExists }
        let lease = Lease(id: chosen, ttlSeconds: max(ttlSeconds, config.minTTLSeconds))
        leases[chosen] = lease
        invariant(leases[chosen]?.keys.isEmpty == true, "a new lease has no keys")
        return lease
    }

    /// A fresh positive ID: SplitMix64 of a replicated counter, skipping IDs in use.
    mutating func generateID() -> LeaseID {
        while true {
            generatedCount += 1
            var mixer = SplitMix64(state: generatedCount)
            let id = LeaseID(Int64(bitPattern: mixer.next() >> 1))
            if !id.isNone && leases[id] == nil { return id }
        }
    }

    /// Removes a lease (its keys must have been deleted already). - Returns: the removed lease.
    mutating func remove(_ id: LeaseID) -> Lease {
        let lease = leases.removeValue(forKey: id)
        invariant(lease != nil, "removing unknown lease \(id)")
        return lease!
    }

    /// Attaches `key` to lease `id`. - Precondition: the lease exists and does not hold the key.
    mutating func attach(_ key: [UInt8], to id: LeaseID) {
        invariant(leases[id] != nil, "attach to unknown lease \(id)")
        let at = Self.lowerBound(key, in: leases[id]!.keys)
        invariant(at == leases[id]!.keys.count || leases[id]!.keys[at] != key, "key attached twice to lease \(id)")
        leases[id]!.keys.insert(key, at: at)
    }

    /// Detaches `key` from lease `id`. - Precondition: the lease holds the key.
    mutating func detach(_ key: [UInt8], from id: LeaseID) {
        invariant(leases[id] != nil, "detach from unknown lease \(id)")
        let at = Self.lowerBound(key, in: leases[id]!.keys)
        invariant(at < leases[id]!.keys.count && leases[id]!.keys[at] == key, "key not attached to lease \(id)")
        leases[id]!.keys.remove(at: at)
    }

    static func lowerBound(_ key: [UInt8], in keys: [[UInt8]]) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if Bytes.less(keys[mid], key) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
