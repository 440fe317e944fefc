/// A Raft message between members. The header is common; the body says what it is.
///
/// Term handling follows the Raft thesis §3.3 and etcd-raft: a message with a higher term makes the
/// receiver a follower (except PreVote traffic); a lower term is ignored or answered so the sender learns.
/// `term == 0` marks a local message (forwarded proposal or read) that is not term-checked.
public struct Message: Equatable, Sendable {
    public var from: MemberID
    public var to: MemberID
    public var term: Term
    public var body: Body

    public init(from: MemberID, to: MemberID, term: Term, body: Body) {
        self.from = from
        self.to = to
        self.term = term
        self.body = body
    }

    public enum Body: Equatable, Sendable {
        case append(Append)
        case appendResponse(AppendResponse)
        case vote(VoteRequest)
        case voteResponse(VoteResponse)
        case heartbeat(Heartbeat)
        case heartbeatResponse(HeartbeatResponse)
        case snapshot(SnapshotChunk)
        case snapshotResponse(SnapshotResponse)
        case timeoutNow
        case propose(Propose)
        case proposeResponse(ProposeResponse)
        case readIndex(ReadIndexRequest)
        case readIndexResponse(ReadIndexResponse)
        /// Lease calls a follower forwards to the leader (handled by the Replica, not Raft).
        case leaseForward(LeaseForward)
        case leaseForwardResponse(LeaseForwardResponse)
        /// A member asks another for its KV hash at a revision, and the answer (the corruption check, handled by
        /// the Replica; etcd asks over the peer port's /members/hashkv).
        case hashRequest(HashRequest)
        case hashResponse(HashResponse)
        /// "You were removed from the cluster" (etcd's peer transport says so with HTTP 410): the receiver
        /// stops, even if it never applied its own removal.
        case memberRemoved
    }

    /// A short name for traces.
    public var kind: String {
        switch body {
        case .append: "append"
        case .appendResponse: "appendResponse"
        case .vote(let v): v.preVote ? "preVote" : "vote"
        case .voteResponse(let v): v.preVote ? "preVoteResponse" : "voteResponse"
        case .heartbeat: "heartbeat"
        case .heartbeatResponse: "heartbeatResponse"
        case .snapshot: "snapshot"
        case .snapshotResponse: "snapshotResponse"
        case .timeoutNow: "timeoutNow"
        case .propose: "propose"
        case .proposeResponse: "proposeResponse"
        case .readIndex: "readIndex"
        case .readIndexResponse: "readIndexResponse"
        case .leaseForward: "leaseForward"
        case .leaseForwardResponse: "leaseForwardResponse"
        case .hashRequest: "hashRequest"
        case .hashResponse: "hashResponse"
        case .memberRemoved: "memberRemoved"
        }
    }
}

/// Leader → follower: entries following (prevIndex, prevTerm), and the leader's commit index.
public struct Append: Equatable, Sendable {
    public var prevIndex: LogIndex
    public var prevTerm: Term
    public var entries: [Entry]
    public var commit: LogIndex
    public init(prevIndex: LogIndex, prevTerm: Term, entries: [Entry], commit: LogIndex) {
        self.prevIndex = prevIndex
        self.prevTerm = prevTerm
        self.entries = entries
        self.commit = commit
    }
}

/// Follower → leader. On success `index` is the last index now durable and matching; on rejection
/// `index` is the rejected prevIndex and (`hintIndex`, `hintTerm`) let the leader skip a whole term at once.
public struct AppendResponse: Equatable, Sendable {
    public var index: LogIndex
    public var reject: Bool
    public var hintIndex: LogIndex
    public var hintTerm: Term
    public init(index: LogIndex, reject: Bool = false, hintIndex: LogIndex = .zero, hintTerm: Term = .zero) {
        self.index = index
        self.reject = reject
        self.hintIndex = hintIndex
        self.hintTerm = hintTerm
    }
}

/// Candidate → voter. `preVote` asks "would you vote for me in `term`?" without changing anyone's term.
/// `transfer` marks a campaign started by leadership transfer, which overrides leader stickiness.
public struct VoteRequest: Equatable, Sendable {
    public var preVote: Bool
    public var lastIndex: LogIndex
    public var lastTerm: Term
    public var transfer: Bool
    public init(preVote: Bool, lastIndex: LogIndex, lastTerm: Term, transfer: Bool) {
        self.preVote = preVote
        self.lastIndex = lastIndex
        self.lastTerm = lastTerm
        self.transfer = transfer
    }
}

public struct VoteResponse: Equatable, Sendable {
    public var preVote: Bool
    public var granted: Bool
    public init(preVote: Bool, granted: Bool) {
        self.preVote = preVote
        self.granted = granted
    }
}

/// Leader → follower: "I am still leader". `context` numbers the ReadIndex round it confirms.
public struct Heartbeat: Equatable, Sendable {
    public var commit: LogIndex
    public var context: UInt64
    public init(commit: LogIndex, context: UInt64) {
        self.commit = commit
        self.context = context
    }
}

public struct HeartbeatResponse: Equatable, Sendable {
    public var context: UInt64
    public init(context: UInt64) { self.context = context }
}

/// One chunk of a snapshot being installed on a follower. Chunks carry their offset so an interrupted
/// transfer resumes where the follower stopped, and `total` so the follower knows when it has it all.
public struct SnapshotChunk: Equatable, Sendable {
    public var meta: SnapshotMeta
    public var offset: UInt64
    public var total: UInt64
    public var bytes: [UInt8]
    public init(meta: SnapshotMeta, offset: UInt64, total: UInt64, bytes: [UInt8]) {
        self.meta = meta
        self.offset = offset
        self.total = total
        self.bytes = bytes
    }
}

/// Follower → leader: how many bytes of the snapshot at `index` it holds; `done` once it is installed
/// and durable.
public struct SnapshotResponse: Equatable, Sendable {
    public var index: LogIndex
    public var received: UInt64
    public var done: Bool
    public init(index: LogIndex, received: UInt64, done: Bool) {
        self.index = index
        self.received = received
        self.done = done
    }
}

/// Follower → leader: proposals forwarded on behalf of the follower's clients (etcd forwards too).
public struct Propose: Equatable, Sendable {
    public var kind: EntryKind
    public var data: [UInt8]
    public var context: UInt64
    public init(kind: EntryKind, data: [UInt8], context: UInt64) {
        self.kind = kind
        self.data = data
        self.context = context
    }
}

/// Leader → follower: a forwarded proposal was refused (the follower fails its client's request).
public struct ProposeResponse: Equatable, Sendable {
    public var context: UInt64
    public var refusal: ProposalRefusal
    public init(context: UInt64, refusal: ProposalRefusal) {
        self.context = context
        self.refusal = refusal
    }
}

/// Why a proposal was not appended.
public enum ProposalRefusal: UInt8, Error, Sendable, Equatable {
    case notLeader = 1
    case transferInProgress = 2
    case confChangePending = 3
    case invalidConfChange = 4
    case tooLarge = 5
    case removed = 6
    case learnerNotReady = 7
}

/// Follower → leader: "confirm your leadership and tell me the commit index" (ReadIndex, thesis §6.4).
public struct ReadIndexRequest: Equatable, Sendable {
    public var context: UInt64
    public init(context: UInt64) { self.context = context }
}

/// Leader → follower: the read index for `context`, once confirmed by a quorum (index 0 with
/// `failed` if the leader could not serve it).
public struct ReadIndexResponse: Equatable, Sendable {
    public var context: UInt64
    public var index: LogIndex
    public var failed: Bool
    public init(context: UInt64, index: LogIndex, failed: Bool) {
        self.context = context
        self.index = index
        self.failed = failed
    }
}
