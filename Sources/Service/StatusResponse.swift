import Core

/// etcd's `Member` (`ID`, `name`, `peerURLs`, `clientURLs`, `isLearner`) is Core's `ClusterMember`.
public typealias Member = ClusterMember

/// etcd's `StatusResponse` minus the header.
public struct StatusResponse: Equatable, Sendable {
    public var version: String
    public var dbSize: Int64
    public var leader: UInt64
    public var raftIndex: UInt64
    public var raftTerm: UInt64
    public var raftAppliedIndex: UInt64
    /// Active alarms as `memberID:<id> alarm:NOSPACE ` (trailing space, #193).
    public var errors: [String]
    public var dbSizeInUse: Int64
    public var isLearner: Bool

    public init(version: String, dbSize: Int64, leader: UInt64, raftIndex: UInt64, raftTerm: UInt64,
                raftAppliedIndex: UInt64, errors: [String] = [], dbSizeInUse: Int64, isLearner: Bool = false) {
        self.version = version
        self.dbSize = dbSize
        self.leader = leader
        self.raftIndex = raftIndex
        self.raftTerm = raftTerm
        self.raftAppliedIndex = raftAppliedIndex
        self.errors = errors
        self.dbSizeInUse = dbSizeInUse
        self.isLearner = isLearner
    }
}

/// etcd's `AlarmMember`.
public struct AlarmMember: Equatable, Sendable {
    public var memberID: UInt64
    public var alarm: AlarmType

    public init(memberID: UInt64, alarm: AlarmType) {
        self.memberID = memberID
        self.alarm = alarm
    }
}
