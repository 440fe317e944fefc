/// Leases: expiry is decided by the leader in ticks and replicated as a revoke; keep-alive and
/// time-to-live are answered by the leader (a follower forwards them, as etcd does).
extension Replica {
    /// Keep-alive and time-to-live need the leader's clocks, and the leader must first confirm it still
    /// leads (a ReadIndex round): a deposed leader that renewed a lease would promise a client time that
    /// the real leader never granted (etcd fixed the same hazard by ensuring leadership before renewal).
    mutating func leaseCallAtLeader(_ request: ClientRequest) {
        if raft.role == .leader {
            linearizableRead(request)
            return
        }
        guard !raft.leader.isNone else { return refuse(request, .notLeader(leader: .none)) }
        let context = nextRequestID()
        let forward: LeaseForward
        switch request.operation {
        case .leaseKeepAlive(let lease): forward = LeaseForward(context: context, lease: lease.value, timeToLive: false)
        case .leaseTimeToLive(let ttl): forward = LeaseForward(context: context, lease: ttl.id.value, timeToLive: true)
        default: return invariant(false, "not a lease call")
        }
        raft.send(to: raft.leader, term: .zero, .leaseForward(forward))
        wait(context, request)
    }

    /// The leader's answer to a keep-alive or time-to-live.
    mutating func answerLeaseCall(_ operation: Operation) -> ReplyResult {
        let now = Int64(ticks)
        switch operation {
        case .leaseKeepAlive(let lease):
            return .leaseKeepAlive(leaseTimers.keepAlive(lease, in: store.lessor, atTick: now))
        case .leaseTimeToLive(let request):
            return .leaseTimeToLive(store.leaseTimeToLive(request, timers: leaseTimers, atTick: now))
        default:
            invariant(false, "not a lease call")
            return .failed(.readFailed)
        }
    }

    /// Handles forwarded lease calls between members. - Returns: whether the message was one.
    mutating func handleLeaseForward(_ m: Message, into effects: inout Effects) -> Bool {
        switch m.body {
        case .leaseForward(let f):
            let context = nextRequestID()
            if raft.role == .leader && raft.readIndex(context: context) {
                forwardedLeaseCalls[context] = (m.from, f)  // Answered once leadership is confirmed.
            } else {
                let refusal = LeaseForwardResponse(context: f.context, ttlSeconds: -1, grantedTTLSeconds: 0,
                                                   failed: true)
                raft.send(to: m.from, term: .zero, .leaseForwardResponse(refusal))
            }
            return true
        case .leaseForwardResponse(let r):
            guard let request = waiting[r.context] else { return true }
            if r.failed {
                complete(r.context, .failed(.notLeader(leader: raft.leader)), into: &effects)
                return true
            }
            switch request.operation {
            case .leaseKeepAlive(let lease):
                complete(r.context, .leaseKeepAlive(LeaseKeepAliveResponse(id: lease, ttlSeconds: r.ttlSeconds)),
                         into: &effects)
            case .leaseTimeToLive(let ttl):
                var response = store.leaseTimeToLive(ttl, timers: leaseTimers, atTick: Int64(ticks))
                response.ttlSeconds = r.ttlSeconds
                response.grantedTTLSeconds = r.grantedTTLSeconds
                complete(r.context, .leaseTimeToLive(response), into: &effects)
            default:
                break
            }
            return true
        default:
            return false
        }
    }

    /// A forwarded lease call's leadership check finished: answer the member that forwarded it.
    mutating func answerForwardedLeaseCall(_ context: UInt64, confirmed: Bool) {
        guard let (from, f) = forwardedLeaseCalls.removeValue(forKey: context) else { return }
        var answer = LeaseForwardResponse(context: f.context, ttlSeconds: -1, grantedTTLSeconds: 0, failed: true)
        if confirmed && raft.role == .leader {
            let operation: Operation = f.timeToLive
                ? .leaseTimeToLive(LeaseTimeToLiveRequest(id: LeaseID(f.lease)))
                : .leaseKeepAlive(LeaseID(f.lease))
            switch answerLeaseCall(operation) {
            case .leaseKeepAlive(let r):
                answer = LeaseForwardResponse(context: f.context, ttlSeconds: r.ttlSeconds, grantedTTLSeconds: 0,
                                              failed: false)
            case .leaseTimeToLive(let r):
                answer = LeaseForwardResponse(context: f.context, ttlSeconds: r.ttlSeconds,
                                              grantedTTLSeconds: r.grantedTTLSeconds, failed: false)
            default: break
            }
        }
        raft.send(to: from, term: .zero, .leaseForwardResponse(answer))
    }

    /// The leader revokes expired leases through the log.
    mutating func tickLeases() {
        guard raft.role == .leader else { return }
        for lease in leaseTimers.expired(store.lessor, asOfTick: Int64(ticks)) {
            proposeInternal(.leaseRevoke(lease))
        }
    }

    /// etcd's --auto-compaction-mode (revision or periodic), proposed by the leader.
    mutating func tickCompaction() {
        guard raft.role == .leader else { return }
        let current = store.currentRevision
        if config.autoCompactRevisions > 0, ticks % 3000 == 0 {  // etcd checks every 5 minutes.
            let target = Revision(current.value - config.autoCompactRevisions)
            if target > store.compactRevision && target.value > 0 {
                proposeInternal(.compact(CompactionRequest(revision: target)))
            }
        }
        if config.autoCompactTicks > 0, ticks % config.autoCompactTicks == 0 {
            if periodicCompactMark > store.compactRevision && periodicCompactMark.value > 1 {
                proposeInternal(.compact(CompactionRequest(revision: periodicCompactMark)))
            }
            periodicCompactMark = current
        }
    }
}

/// Follower → leader: answer a lease keep-alive or time-to-live for a client of mine.
public struct LeaseForward: Equatable, Sendable {
    public var context: UInt64
    public var lease: Int64
    public var timeToLive: Bool
    public init(context: UInt64, lease: Int64, timeToLive: Bool) {
        self.context = context
        self.lease = lease
        self.timeToLive = timeToLive
    }
}

/// Leader → follower: the answer (`failed` when the receiver was not the leader).
public struct LeaseForwardResponse: Equatable, Sendable {
    public var context: UInt64
    public var ttlSeconds: Int64
    public var grantedTTLSeconds: Int64
    public var failed: Bool
    public init(context: UInt64, ttlSeconds: Int64, grantedTTLSeconds: Int64, failed: Bool) {
        self.context = context
        self.ttlSeconds = ttlSeconds
        self.grantedTTLSeconds = grantedTTLSeconds
        self.failed = failed
    }
}
