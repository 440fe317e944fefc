/// When leases expire: the leader-only, not replicated part of leasing (see `Lessor` for the split).
///
/// Time is ticks. The leader keeps one expiry tick per lease; followers keep none (their leases never expire on
/// their own: they wait for the leader's revoke). `promote` starts the clocks when a member becomes leader,
/// `renew` is a keep-alive, `expired` says which leases to revoke now. Nothing here changes the `Lessor`: the
/// timers read it and follow it lazily (a lease granted since the last look starts its clock at the next one).
public struct LeaseTimers: Equatable, Sendable {
    /// How many ticks make a second (1000 / heartbeat milliseconds). Invariant: `>= 1`.
    public let ticksPerSecond: Int64
    /// After `expired` reports a lease, it is reported again only after this many ticks, in case its revoke
    /// was lost (etcd retries after 3 s).
    public let revokeRetryTicks: Int64
    /// Whether this member is the leader and runs the clocks.
    public private(set) var isPrimary: Bool
    /// The tick at which each lease expires. Only while primary.
    var expiryTicks: [LeaseID: Int64]
    /// Leases already reported expired: their revoke is on its way, so they are never renewed again
    /// (etcd's lessor makes such a keep-alive wait for the revoke and answer "not found").
    var revoking: Set<LeaseID> = []
    /// Leases whose clock the last promote started and no keep-alive has renewed since (for a probe).
    var fromPromote: Set<LeaseID> = []
    /// Rare branches taken (diagnostics; see `Probe`).
    public internal(set) var probes = ProbeCounts()

    public init(ticksPerSecond: Int64, revokeRetryTicks: Int64? = nil) {
        invariant(ticksPerSecond >= 1, "ticksPerSecond must be at least 1")
        self.ticksPerSecond = ticksPerSecond
        self.revokeRetryTicks = revokeRetryTicks ?? 3 * ticksPerSecond
        isPrimary = false
        expiryTicks = [:]
        revoking = []
    }

    /// Becomes leader at `currentTick`: every lease gets its full TTL plus `extendBy` ticks from now, so none
    /// expires because the previous leader's clocks were lost in the failover (etcd's `Promote(extend)`).
    public mutating func promote(_ lessor: Lessor, currentTick: Int64, extendBy: Int64) {
        invariant(extendBy >= 0, "promote cannot shorten leases")
        isPrimary = true
        expiryTicks = [:]
        revoking = []
        for id in lessor.ids {
            expiryTicks[id] = currentTick + ttlTicks(lessor.lease(id)!) + extendBy
        }
        fromPromote = Set(lessor.ids)
        invariant(expiryTicks.count == lessor.count, "a lease without a timer after promote")
    }

    /// Stops being leader: the clocks stop, and leases wait for the next leader's revokes.
    public mutating func demote() {
        isPrimary = false
        expiryTicks = [:]
        revoking = []
        fromPromote = []
    }

    /// A keep-alive on the leader: the lease's full TTL starts again at `atTick`.
    /// - Returns: the granted TTL in seconds, for the keep-alive response.
    /// - Throws: `leaseNotFound` when the lease does not exist.
    public mutating func renew(_ id: LeaseID, in lessor: Lessor, atTick: Int64) throws(APIError) -> Int64 {
        invariant(isPrimary, "keep-alives are for the leader")
        guard let lease = lessor.lease(id), !revoking.contains(id) else { throw .leaseNotFound }
        fromPromote.remove(id)
        expiryTicks[id] = atTick + ttlTicks(lease)
        return lease.ttlSeconds
    }

    /// The keep-alive response for `id`: its granted TTL, or TTL 0 when unknown (etcd answers, no error).
    public mutating func keepAlive(_ id: LeaseID, in lessor: Lessor, atTick: Int64) -> LeaseKeepAliveResponse {
        let ttl = (try? renew(id, in: lessor, atTick: atTick)) ?? 0
        return LeaseKeepAliveResponse(id: id, ttlSeconds: ttl)
    }

    /// The leases whose time is up at `asOfTick`, sorted by ID, for the leader to revoke (through the log).
    ///
    /// Also brings the timers up to date with the lessor: a lease granted since the last call starts its clock
    /// now, a revoked one is forgotten. A reported lease is reported again only after `revokeRetryTicks`.
    /// Returns nothing unless primary.
    public mutating func expired(_ lessor: Lessor, asOfTick: Int64) -> [LeaseID] {
        guard isPrimary else { return [] }
        let ids = lessor.ids
        if expiryTicks.count != ids.count || ids.contains(where: { expiryTicks[$0] == nil }) {
            var updated: [LeaseID: Int64] = [:]
            for id in ids { updated[id] = expiryTicks[id] ?? asOfTick + ttlTicks(lessor.lease(id)!) }
            expiryTicks = updated
            revoking = revoking.filter { updated[$0] != nil }
        }
        var result: [LeaseID] = []
        for id in ids where expiryTicks[id]! <= asOfTick {
            if fromPromote.remove(id) != nil { probes.hit(.leaseExpiredAfterFailover) }
            result.append(id)
            revoking.insert(id)
            expiryTicks[id] = asOfTick + revokeRetryTicks
        }
        invariant(expiryTicks.count == lessor.count, "timers out of step with the lessor")
        return result
    }

    /// The seconds `lease` has left at `atTick`, truncated; its full TTL when no clock runs for it (a follower,
    /// or a lease granted since the leader last looked).
    public func remainingSeconds(_ lease: Lease, atTick: Int64) -> Int64 {
        guard let expiry = expiryTicks[lease.id] else { return lease.ttlSeconds }
        return max(0, expiry - atTick) / ticksPerSecond
    }

    func ttlTicks(_ lease: Lease) -> Int64 {
        let (ticks, overflow) = lease.ttlSeconds.multipliedReportingOverflow(by: ticksPerSecond)
        return overflow ? Int64.max / 4 : ticks
    }
}
