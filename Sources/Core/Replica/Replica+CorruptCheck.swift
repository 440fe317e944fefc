/// A member's request for another's KV hash at `revision` (etcd's HashKV, asked over the peer port).
public struct HashRequest: Equatable, Sendable {
    public var context: UInt64
    public var revision: Revision

    public init(context: UInt64, revision: Revision) {
        self.context = context
        self.revision = revision
    }
}

/// The answer: the hash at the asked revision, the responder's compact revision and current revision; or why
/// there is none (the revision is compacted away there, or not reached yet).
public struct HashResponse: Equatable, Sendable {
    public enum Outcome: UInt8, Sendable {
        case hashed = 0
        case compacted = 1
        case futureRevision = 2
    }

    public var context: UInt64
    public var outcome: Outcome
    public var hash: UInt32
    public var compactRevision: Revision
    public var revision: Revision

    public init(context: UInt64, outcome: Outcome, hash: UInt32, compactRevision: Revision, revision: Revision) {
        self.context = context
        self.outcome = outcome
        self.hash = hash
        self.compactRevision = compactRevision
        self.revision = revision
    }
}

/// etcd's `--experimental-initial-corrupt-check` verdict, for the driver: it serves clients only once the
/// check has passed (etcd starts serving clients after it), and stops on a failure.
public enum InitialCorruptCheck: Equatable, Sendable {
    case off
    case pending
    case passed
    case failed(String)
}

/// A corruption check under way: this member's hash, and the answers so far.
struct CorruptCheck: Sendable {
    enum Purpose: Sendable {
        /// The leader's periodic check (--experimental-corrupt-check-time): raise CORRUPT on a mismatch.
        case periodic
        /// The start-up check (--experimental-initial-corrupt-check): refuse to serve on a mismatch.
        case initial
    }

    var purpose: Purpose
    var context: UInt64
    var own: KVHash
    /// Members asked and not answered yet, sorted.
    var waitingFor: [MemberID]
    var answers: [(from: MemberID, response: HashResponse)] = []
    var deadlineTick: UInt64
    /// The periodic check's ReadIndex round once the answers are in (etcd's linearizableReadNotify): judged
    /// only after this leader has applied everything committed before it, so no follower is ahead of it.
    var barrierContext: UInt64?
    var barrierIndex: LogIndex?
}

/// etcd's corruption checks (etcdserver/corrupt.go), decided here so the simulator runs them too: members that
/// applied the same log hash their stores alike (`KVStore.hashKV`), so one whose hash differs at the same
/// revision and compaction has diverged.
extension Replica {
    /// How long a check waits for answers (etcd's peer requests time out after 5 s).
    var corruptCheckWaitTicks: UInt64 { UInt64(5 * config.ticksPerSecond) }

    /// On a tick: starts the initial check once the membership is known, or the leader's periodic one; ends a
    /// check whose answers are overdue.
    mutating func tickCorruptCheck() {
        if let check = corruptCheck {
            if let index = check.barrierIndex, applied >= index {
                judgePeriodicCheck()
            } else if ticks >= check.deadlineTick {
                if check.barrierContext == nil { finishCorruptCheck() } else { corruptCheck = nil }
            }
        }
        guard corruptCheck == nil else { return }
        if initialCorruptCheck == .pending {
            // Once caught up with the current leader (an entry of its term applied): before that this member's
            // store may lack entries its log holds but whose commit it has not heard of since it restarted.
            if !memberContexts.isEmpty, !raft.leader.isNone, raft.log.term(at: applied) == raft.term {
                startCorruptCheck(.initial)
            }
            return
        }
        if config.corruptCheckTicks > 0, raft.role == .leader, ticks % config.corruptCheckTicks == 0 {
            startCorruptCheck(.periodic)
        }
    }

    mutating func startCorruptCheck(_ purpose: CorruptCheck.Purpose) {
        let peers = memberContexts.map(\.id).filter { $0 != id }
        guard let own = try? store.hashKV(), !peers.isEmpty else {
            if purpose == .initial { initialCorruptCheck = .passed }
            return
        }
        let context = nextRequestID()
        corruptCheck = CorruptCheck(purpose: purpose, context: context, own: own, waitingFor: peers,
                                    deadlineTick: ticks + corruptCheckWaitTicks)
        for peer in peers {
            raft.send(to: peer, term: .zero, .hashRequest(HashRequest(context: context, revision: own.revision)))
        }
    }

    /// Answers a hash request, or records an answer to ours. - Returns: whether `m` was one of these.
    mutating func handleHashCheck(_ m: Message) -> Bool {
        switch m.body {
        case .hashRequest(let request):
            var response = HashResponse(context: request.context, outcome: .hashed, hash: 0,
                                        compactRevision: store.compactRevision, revision: store.currentRevision)
            do throws(APIError) {
                let hashed = try store.hashKV(revision: request.revision)
                response.hash = hashed.hash
                response.compactRevision = hashed.compactRevision
            } catch {
                response.outcome = error == .compacted ? .compacted : .futureRevision
            }
            raft.send(to: m.from, term: .zero, .hashResponse(response))
            return true
        case .hashResponse(let response):
            guard var check = corruptCheck, check.context == response.context,
                  let k = check.waitingFor.firstIndex(of: m.from) else { return true }  // maybe: a late answer.
            check.waitingFor.remove(at: k)
            check.answers.append((m.from, response))
            corruptCheck = check
            if check.waitingFor.isEmpty { finishCorruptCheck() }
            return true
        default:
            return false
        }
    }

    /// Judges a check on the answers it has (members that did not answer are skipped, as etcd skips peers it
    /// cannot reach).
    mutating func finishCorruptCheck() {
        guard var check = corruptCheck else { return }
        corruptCheck = nil
        let own = check.own
        let answered = check.answers.filter { $0.response.outcome == .hashed }
        switch check.purpose {
        case .initial:
            let differing = answered.filter {
                $0.response.hash != own.hash && $0.response.compactRevision == own.compactRevision
            }
            if differing.isEmpty {
                initialCorruptCheck = .passed
            } else {
                initialCorruptCheck = .failed("\(String(id.value, radix: 16)) found data inconsistency with peers")
            }
        case .periodic:
            guard raft.role == .leader else { return }
            let context = nextRequestID()
            guard raft.readIndex(context: context) else { return }
            check.barrierContext = context
            check.deadlineTick = ticks + corruptCheckWaitTicks
            corruptCheck = check
        }
    }

    /// The barrier's ReadIndex confirmed `index`: judge once it is applied. - Returns: whether `context` was it.
    mutating func corruptCheckReadConfirmed(_ context: UInt64, index: LogIndex) -> Bool {
        guard corruptCheck?.barrierContext == context else { return false }
        corruptCheck!.barrierIndex = index
        if applied >= index { judgePeriodicCheck() }
        return true
    }

    /// etcd's checkHashKV verdict, on the answers and this leader's hash now.
    mutating func judgePeriodicCheck() {
        guard let check = corruptCheck else { return }
        corruptCheck = nil
        let own = check.own
        let answered = check.answers.filter { $0.response.outcome == .hashed }
        guard raft.role == .leader, let now = try? store.hashKV() else { return }
        // etcd's rules: this member's own hash moved without its revision; a follower ahead of the leader in
        // revision or compaction; the same compaction and a different hash.
        var mismatch = now.hash != own.hash && now.revision == own.revision
            && now.compactRevision == own.compactRevision
        for (_, response) in answered {
            if response.revision > now.revision || response.compactRevision > now.compactRevision
                || (response.compactRevision == own.compactRevision && response.hash != own.hash) {
                mismatch = true
            }
        }
        guard mismatch, !alarms.contains(where: { $0.type == .corrupt }) else { return }
        // etcd 3.4 raises it for member 0, whichever member differs.
        proposeInternal(.alarm(activate: true, member: .none, type: .corrupt))
    }
}
