/// A Raft term (Raft thesis §3.3). Invariant: a member's term never decreases.
public struct Term: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = value }
    public static func < (a: Term, b: Term) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    public static let zero = Term(0)
    public var next: Term { Term(value + 1) }
}

/// A position in the Raft log; index 0 is the empty prefix before the first entry.
public struct LogIndex: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = value }
    public static func < (a: LogIndex, b: LogIndex) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    public static let zero = LogIndex(0)
    public static func + (a: LogIndex, b: UInt64) -> LogIndex { LogIndex(a.value + b) }
    public static func - (a: LogIndex, b: UInt64) -> LogIndex { LogIndex(a.value - b) }
    public var next: LogIndex { LogIndex(value + 1) }
    public var previous: LogIndex { LogIndex(value - 1) }
}

/// A cluster member's identity; 0 means "none".
public struct MemberID: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = value }
    public static func < (a: MemberID, b: MemberID) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    public static let none = MemberID(0)
    public var isNone: Bool { value == 0 }
}

/// What a log entry carries.
public enum EntryKind: UInt8, Sendable {
    /// A command for the state machine (empty data: the no-op a new leader appends).
    case normal = 0
    /// A membership change, applied by every member when it applies the entry.
    case confChange = 1
}

/// One Raft log entry.
public struct Entry: Equatable, Sendable {
    public var term: Term
    public var index: LogIndex
    public var kind: EntryKind
    public var data: [UInt8]

    public init(term: Term, index: LogIndex, kind: EntryKind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    /// Bytes this entry costs in a message or a WAL record (header plus payload), for batching limits.
    public var size: Int { data.count + 24 }
}

/// The Raft state that must be durable before a member answers a vote or an append.
public struct HardState: Equatable, Sendable {
    public var term: Term
    public var vote: MemberID
    public var commit: LogIndex

    public init(term: Term = .zero, vote: MemberID = .none, commit: LogIndex = .zero) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// The cluster's membership as of some log index. Lists are kept sorted so order never leaks.
public struct ConfState: Equatable, Sendable {
    /// Members that vote and count toward quorum. Invariant: sorted, unique.
    public var voters: [MemberID]
    /// Members that receive the log but do not vote. Invariant: sorted, unique, disjoint from voters.
    public var learners: [MemberID]
    /// Members removed from the cluster; their messages are ignored. Invariant: sorted, unique.
    public var removed: [MemberID]

    public init(voters: [MemberID] = [], learners: [MemberID] = [], removed: [MemberID] = []) {
        self.voters = voters.sorted()
        self.learners = learners.sorted()
        self.removed = removed.sorted()
    }

    /// Voters and learners, sorted.
    public var members: [MemberID] { (voters + learners).sorted() }

    public func isVoter(_ id: MemberID) -> Bool { voters.contains(id) }
    public func isLearner(_ id: MemberID) -> Bool { learners.contains(id) }
    public func isMember(_ id: MemberID) -> Bool { isVoter(id) || isLearner(id) }
    public func isRemoved(_ id: MemberID) -> Bool { removed.contains(id) }

    /// The number of votes that make a majority of the voters.
    public var quorum: Int { voters.count / 2 + 1 }

    /// Checks the field invariants; used after every change.
    public func checkInvariants() {
        invariant(voters == voters.sorted() && Set(voters).count == voters.count, "voters sorted and unique")
        invariant(learners == learners.sorted() && Set(learners).count == learners.count, "learners sorted, unique")
        invariant(Set(voters).isDisjoint(with: learners), "a member is a voter or a learner, never both")
        invariant(Set(removed).isDisjoint(with: voters + learners), "a removed member is no longer a member")
    }
}

/// Where a snapshot sits in the log, and the membership at that point.
public struct SnapshotMeta: Equatable, Sendable {
    public var index: LogIndex
    public var term: Term
    public var conf: ConfState

    public init(index: LogIndex, term: Term, conf: ConfState) {
        self.index = index
        self.term = term
        self.conf = conf
    }
}

/// A state machine snapshot: the applied state at `meta.index`, serialized by the state machine.
public struct Snapshot: Equatable, Sendable {
    public var meta: SnapshotMeta
    public var data: [UInt8]

    public init(meta: SnapshotMeta, data: [UInt8]) {
        self.meta = meta
        self.data = data
    }
}
