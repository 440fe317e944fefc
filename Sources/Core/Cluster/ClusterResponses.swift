/// One member as etcd's Cluster service lists it: id, name, peer and client URLs, learner flag. A member that
/// never started has no name and no client URLs (transcript #170).
public struct ClusterMember: Equatable, Sendable {
    public var id: MemberID
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: MemberID, name: String = "", peerURLs: [String], clientURLs: [String] = [],
                isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }
}

/// The answer to MemberList, and to a membership call once applied: the members then, sorted by id, and for
/// MemberAdd the member added.
public struct MemberListResponse: Equatable, Sendable {
    public var members: [ClusterMember]
    /// MemberAdd's new member (its id, peer URLs and learner flag; no name or client URLs yet).
    public var added: ClusterMember?

    public init(members: [ClusterMember], added: ClusterMember? = nil) {
        self.members = members
        self.added = added
    }
}

/// etcd's Maintenance Status, minus the header: what this member reports of itself.
public struct StatusReport: Equatable, Sendable {
    /// The etcd version Keel answers as (etcd's `version.Version`).
    public static let etcdVersion = "3.4.23"

    public var version: String
    /// The backend size as etcd's quota counts it (`Replica.backendBytes`); Keel reports it as in use too.
    public var dbSize: Int64
    /// The leader this member knows of (`.none` if none).
    public var leader: MemberID
    /// The commit index (etcd's `raftIndex`). Invariant: `raftIndex >= raftAppliedIndex`.
    public var raftIndex: LogIndex
    public var raftTerm: Term
    public var raftAppliedIndex: LogIndex
    /// The alarms in force as etcd prints them: `memberID:<decimal id> alarm:NOSPACE ` (trailing space, #193).
    public var errors: [String]
    public var isLearner: Bool

    public init(version: String = StatusReport.etcdVersion, dbSize: Int64, leader: MemberID, raftIndex: LogIndex,
                raftTerm: Term, raftAppliedIndex: LogIndex, errors: [String] = [], isLearner: Bool = false) {
        self.version = version
        self.dbSize = dbSize
        self.leader = leader
        self.raftIndex = raftIndex
        self.raftTerm = raftTerm
        self.raftAppliedIndex = raftAppliedIndex
        self.errors = errors
        self.isLearner = isLearner
    }

    /// An alarm as a Status `errors` entry.
    public static func errorText(_ alarm: Alarm) -> String {
        "memberID:\(alarm.member.value) alarm:\(alarm.type == .noSpace ? "NOSPACE" : "CORRUPT") "
    }
}
