import Core

/// etcd's promise to a lease across a failover (`lessor.Promote(electionTimeout)`): a new leader restarts every
/// lease it has applied with its full TTL plus an election timeout, so a client keeping it alive has its TTL and
/// an election timeout to find the new leader. Checked from outside: a lease that term T's leader had applied when
/// it took office, and that nobody renewed since, is revoked by expiry no sooner than TTL plus an election timeout
/// after that leader took office, by a member clock at most 2 % fast and a tick late.
struct LeaseFailoverCheck {
    struct Promotion {
        var time: UInt64
        /// Applied before the step that made it leader: those leases were in its lessor when it took office.
        var applied: LogIndex
    }

    struct ForwardKey: Hashable {
        var member: MemberID
        var context: UInt64
    }

    /// When each term's leader took office.
    var promotions: [UInt64: Promotion] = [:]
    /// The last time anyone answered a keep-alive of each lease (a leader renewing it, or a member relaying that).
    var lastRenewal: [Int64: UInt64] = [:]
    /// Forwarded keep-alives in flight, by forwarding member and its context: the lease.
    var forwards: [ForwardKey: Int64] = [:]
    /// Leases some client asked to revoke: their revokes are not expiries.
    var revokedByClient: Set<Int64> = []
    /// Revokes checked against a promotion (the lease was applied at the promotion and not renewed since).
    var checked = 0

    mutating func promoted(term: Term, at time: UInt64, appliedBefore: LogIndex) {
        promotions[term.value] = Promotion(time: time, applied: appliedBefore)
    }

    mutating func requestArrived(_ operation: Operation) {
        if case .leaseRevoke(let id) = operation { revokedByClient.insert(id.value) }
    }

    mutating func replied(_ result: ReplyResult, at time: UInt64) {
        if case .leaseKeepAlive(let r) = result, r.ttlSeconds > 0 { lastRenewal[r.id.value] = time }
    }

    /// A member-to-member message: keep-alive forwards and the leader's answers to them.
    mutating func sent(_ message: Message, at time: UInt64) {
        switch message.body {
        case .leaseForward(let f) where !f.timeToLive:
            forwards[ForwardKey(member: message.from, context: f.context)] = f.lease
        case .leaseForwardResponse(let r):
            let lease = forwards.removeValue(forKey: ForwardKey(member: message.to, context: r.context))
            if let lease, !r.failed { lastRenewal[lease] = time }
        default:
            break
        }
    }

    /// The violation, if lease `lease` (granted at `grantIndex` with `ttlSeconds`) was revoked by expiry at
    /// `time` in an entry of `term` too soon after that term's leader took office.
    mutating func violation(lease: Int64, ttlSeconds: Int64, grantIndex: LogIndex, term: Term, time: UInt64,
                            electionTicks: Int, ticksPerSecond: Int64) -> String? {
        guard !revokedByClient.contains(lease), let promotion = promotions[term.value],
              grantIndex <= promotion.applied, (lastRenewal[lease] ?? 0) < promotion.time else { return nil }
        checked += 1
        let ticks = UInt64(ttlSeconds * ticksPerSecond) + UInt64(electionTicks)
        let earliest = promotion.time + ticks * Time.tick * 49 / 50 - 2 * Time.tick
        guard time < earliest else { return nil }
        return "lease \(lease) (TTL \(ttlSeconds)s) revoked by term \(term.value)'s leader \(formatTime(time)), "
            + "\(formatTime(time - promotion.time)) after it took office at \(formatTime(promotion.time)); it must "
            + "wait TTL plus an election timeout"
    }
}
