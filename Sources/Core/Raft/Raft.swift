/// A member's role in its current term.
public enum Role: UInt8, Sendable, CustomStringConvertible {
    case follower, preCandidate, candidate, leader

    public var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// What became of a proposal.
public enum ProposeOutcome: Equatable, Sendable {
    /// Appended to this leader's log at (index, term).
    case appended(index: LogIndex, term: Term)
    /// Sent to the known leader; its fate shows up when the entry is applied (or as a refusal).
    case forwarded
    case refused(ProposalRefusal)
}

/// The durable state handed to Raft at start: what recovery found on disk.
public struct RaftBoot: Sendable {
    public var hardState: HardState
    public var snapshot: Snapshot
    public var entries: [Entry]

    public init(hardState: HardState, snapshot: Snapshot, entries: [Entry]) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }
}

/// Raft consensus for one member: a pure value stepped by ticks, messages and proposals.
///
/// Follows the Raft thesis (Ongaro 2014) and etcd-raft's structure: PreVote and CheckQuorum, pipelined
/// replication with probe/replicate/snapshot progress, ReadIndex, apply-time single-member changes and
/// leadership transfer. Nothing here waits: outputs (messages, a persist batch, read results) are
/// collected and drained by the `Replica` after each input.
public struct Raft: Sendable {
    public let id: MemberID
    public let config: RaftConfig
    var prng: Prng

    /// Invariant: never decreases.
    public internal(set) var term: Term
    /// Who we voted for in `term`. Invariant: at most one vote per term.
    public internal(set) var vote: MemberID
    public internal(set) var log: RaftLog
    public internal(set) var role: Role
    /// The leader of `term` as far as we know.
    public internal(set) var leader: MemberID
    /// Membership as of `log.applied`.
    public internal(set) var conf: ConfState

    // Leader state.
    /// One entry per other member, sorted by id.
    public internal(set) var progress: [Progress]
    var transferTarget: MemberID
    var pendingConfIndex: LogIndex
    var reads: ReadIndexState

    // Candidate state.
    var votesGranted: [MemberID]
    var votesRejected: [MemberID]

    // Timers, in ticks.
    var electionElapsed: Int
    var heartbeatElapsed: Int
    var randomizedElectionTicks: Int

    // Snapshots.
    /// The newest durable snapshot, sent to followers behind the compacted log.
    public internal(set) var snapshot: Snapshot
    /// Rare branches taken (diagnostics; see `Probe`); the log's are in `log.probes`.
    public internal(set) var probes = ProbeCounts()
    /// The vote this member had cast when it booted, and its term: a re-grant to the same candidate in that
    /// term after a restart is a probe.
    let bootVote: (term: Term, vote: MemberID)
    /// A snapshot being received from the leader, chunk by chunk.
    var incomingSnapshot: IncomingSnapshot?

    // Outputs, drained by the Replica after each input.
    var outbox: [Message]
    /// Messages that may leave only once everything persisted so far is durable.
    var durableOutbox: [Message]
    var held: [(seq: UInt64, message: Message)]
    var persist: PersistState
    /// Confirmed read indexes for local read contexts.
    public internal(set) var readStates: [(context: UInt64, index: LogIndex)]
    public internal(set) var failedReads: [UInt64]
    /// Forwarded proposals the leader refused (context, reason).
    public internal(set) var refusedProposals: [(context: UInt64, refusal: ProposalRefusal)]
    /// A snapshot just installed from the leader: the Replica restores its state machine from it.
    public internal(set) var installedSnapshot: Snapshot?
    /// Set when a local snapshot became durable: storage before this index may be released.
    public internal(set) var releasableThrough: LogIndex?
    /// A follower needs a snapshot and ours is older than the in-memory log's start: the state machine
    /// should take a fresh one (`Replica.maybeSnapshot`); the transfer starts when it is durable.
    public internal(set) var snapshotWanted = false
    /// The newest snapshot's bytes were dropped from memory (its file holds them): a transfer asks for them
    /// (`takeSnapshotLoadRequest`) and waits until `snapshotLoaded(_:)`.
    public internal(set) var snapshotDataReleased = false
    /// The snapshot index whose bytes were asked for and not yet handed back.
    var snapshotLoadRequested: LogIndex?
    /// A load to ask the driver for, taken by the Replica at the end of the step.
    var snapshotLoadToRequest: LogIndex?
    var needsBroadcast: Bool
    /// Times this member became leader, for metrics.
    public internal(set) var leaderElections: UInt64
    /// A member said we were removed (we may not have applied it yet).
    var toldRemoved = false

    /// - Precondition: `boot` came from recovery (or bootstrap) of this member's own disk.
    public init(id: MemberID, config: RaftConfig, seed: UInt64, boot: RaftBoot) {
        config.validate()
        invariant(!id.isNone, "member id must not be zero")
        self.id = id
        self.config = config
        prng = Prng(seed: seed, stream: id.value)
        term = boot.hardState.term
        vote = boot.hardState.vote
        bootVote = (boot.hardState.term, boot.hardState.vote)
        log = RaftLog(compactedIndex: boot.snapshot.meta.index, compactedTerm: boot.snapshot.meta.term,
                      entries: boot.entries)
        let lastIndex = log.lastIndex
        log.commit(to: min(max(boot.hardState.commit, boot.snapshot.meta.index), lastIndex))
        role = .follower
        leader = .none
        conf = boot.snapshot.meta.conf
        progress = []
        transferTarget = .none
        pendingConfIndex = .zero
        reads = ReadIndexState()
        votesGranted = []
        votesRejected = []
        electionElapsed = 0
        heartbeatElapsed = 0
        randomizedElectionTicks = config.electionTicks
        snapshot = boot.snapshot
        incomingSnapshot = nil
        outbox = []
        durableOutbox = []
        held = []
        persist = PersistState(hardState: boot.hardState)
        readStates = []
        failedReads = []
        refusedProposals = []
        installedSnapshot = nil
        releasableThrough = nil
        needsBroadcast = false
        leaderElections = 0
        resetElectionTimer()
        log.checkInvariants()
    }

    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// Whether this member may campaign: a voter that was not removed.
    public var isPromotable: Bool { conf.isVoter(id) && !conf.isRemoved(id) }

    /// Removed from the cluster: applied its own removal, or a member told it so.
    public var isRemoved: Bool { conf.isRemoved(id) || toldRemoved }

    /// The leader's transfer target, if a transfer is under way.
    public var leadershipTransferTarget: MemberID { transferTarget }

    /// Advances time by one tick.
    public mutating func tick() {
        if role == .leader {
            tickLeader()
        } else {
            tickElection()
        }
        compactBehindEveryone()
        maybeReleaseSnapshotData()
    }

    /// Steps one message from a peer.
    public mutating func step(_ m: Message) {
        invariant(m.to == id, "message for \(m.to) delivered to \(id)")
        if conf.isRemoved(m.from) {
            send(to: m.from, term: .zero, .memberRemoved)
            return
        }
        if case .memberRemoved = m.body {
            if conf.isMember(m.from) { toldRemoved = true }
            return
        }
        if m.term.value == 0 {
            stepLocal(m)
            return
        }
        if m.term > term {
            guard stepHigherTerm(m) else { return }
        } else if m.term < term {
            stepLowerTerm(m)
            return
        }
        switch role {
        case .leader: stepLeader(m)
        case .preCandidate, .candidate: stepCandidate(m)
        case .follower: stepFollower(m)
        }
    }

    /// Messages a member sends on behalf of its clients, not bound to a term.
    mutating func stepLocal(_ m: Message) {
        switch m.body {
        case .propose(let p):
            let outcome = propose(kind: p.kind, data: p.data, forwardedFrom: m.from, context: p.context)
            if case .refused(let refusal) = outcome {
                send(to: m.from, term: .zero, .proposeResponse(ProposeResponse(context: p.context, refusal: refusal)))
            }
        case .proposeResponse(let r):
            refusedProposals.append((r.context, r.refusal))
        case .readIndex(let r):
            if role == .leader {
                queueRead(ReadRequester(member: m.from, context: r.context))
            } else {
                send(to: m.from, term: .zero,
                     .readIndexResponse(ReadIndexResponse(context: r.context, index: .zero, failed: true)))
            }
        case .readIndexResponse(let r):
            if r.failed {
                failedReads.append(r.context)
            } else {
                readStates.append((r.context, r.index))
            }
        default:
            break  // maybe: a term-0 message of another kind is from a confused peer; ignore it.
        }
    }

    /// A message from a newer term. - Returns: whether to go on handling it.
    mutating func stepHigherTerm(_ m: Message) -> Bool {
        if case .vote(let v) = m.body {
            let inLease = config.checkQuorum && !leader.isNone && electionElapsed < config.electionTicks
            if !v.transfer && inLease {
                return false  // Leader stickiness (thesis §4.2.3): ignore a disruptive candidate.
            }
            if v.preVote { return true }  // A pre-vote never changes our term.
        }
        if case .voteResponse(let v) = m.body, v.preVote, v.granted {
            return true  // Granted pre-votes carry the future term we asked about.
        }
        switch m.body {
        case .append, .heartbeat, .snapshot:
            becomeFollower(term: m.term, leader: m.from)
        default:
            becomeFollower(term: m.term, leader: .none)
        }
        return true
    }

    /// A message from an older term: tell a stale leader about our term, refuse stale pre-votes.
    mutating func stepLowerTerm(_ m: Message) {
        switch m.body {
        case .append, .heartbeat:
            if config.checkQuorum || config.preVote {
                send(to: m.from, .appendResponse(AppendResponse(index: .zero, reject: true)))
            }
        case .vote(let v) where v.preVote:
            probes.hit(.preVoteRefused)
            send(to: m.from, .voteResponse(VoteResponse(preVote: true, granted: false)))
        default:
            break
        }
    }

    mutating func stepFollower(_ m: Message) {
        switch m.body {
        case .append(let a):
            heardFromLeader(m.from)
            handleAppend(from: m.from, a)
        case .heartbeat(let h):
            heardFromLeader(m.from)
            handleHeartbeat(from: m.from, h)
        case .snapshot(let s):
            heardFromLeader(m.from)
            handleSnapshotChunk(from: m.from, s)
        case .vote(let v):
            handleVoteRequest(from: m.from, term: m.term, v)
        case .timeoutNow:
            if isPromotable {
                probes.hit(.leadershipTransferred)
                campaign(transfer: true)
            }
        default:
            break
        }
    }

    mutating func stepCandidate(_ m: Message) {
        switch m.body {
        case .append, .heartbeat, .snapshot:
            becomeFollower(term: m.term, leader: m.from)
            stepFollower(m)
        case .vote(let v):
            handleVoteRequest(from: m.from, term: m.term, v)
        case .voteResponse(let v):
            handleVoteResponse(from: m.from, v)
        default:
            break
        }
    }

    mutating func stepLeader(_ m: Message) {
        switch m.body {
        case .appendResponse(let r):
            handleAppendResponse(from: m.from, r)
        case .heartbeatResponse(let r):
            handleHeartbeatResponse(from: m.from, r)
        case .snapshotResponse(let r):
            handleSnapshotResponse(from: m.from, r)
        case .vote(let v):
            handleVoteRequest(from: m.from, term: m.term, v)
        case .append, .heartbeat, .snapshot:
            invariant(false, "two leaders in term \(term): \(id) and \(m.from)")
        default:
            break
        }
    }

    mutating func heardFromLeader(_ from: MemberID) {
        electionElapsed = 0
        leader = from
    }

    /// Queues a message to send now.
    mutating func send(to: MemberID, term: Term? = nil, _ body: Message.Body) {
        outbox.append(Message(from: id, to: to, term: term ?? self.term, body: body))
    }

    /// Queues a message that may leave only after our state is durable (votes, acks).
    mutating func sendDurable(to: MemberID, term: Term? = nil, _ body: Message.Body) {
        durableOutbox.append(Message(from: id, to: to, term: term ?? self.term, body: body))
    }

    mutating func resetElectionTimer() {
        electionElapsed = 0
        randomizedElectionTicks = config.electionTicks + prng.int(below: config.electionTicks)
    }

    /// Index into `progress` of a member, if tracked.
    func progressIndex(_ member: MemberID) -> Int? {
        progress.firstIndex { $0.id == member }
    }

    public func checkInvariants() {
        log.checkInvariants()
        conf.checkInvariants()
        invariant(role != .leader || leader == id, "a leader knows it leads")
        invariant(role != .candidate || vote == id, "a candidate votes for itself")
        for p in progress { invariant(p.match < p.next, "progress \(p.id) match \(p.match) < next \(p.next)") }
    }
}

/// A snapshot arriving in chunks.
struct IncomingSnapshot: Sendable {
    var meta: SnapshotMeta
    var total: UInt64
    var bytes: [UInt8]
}
