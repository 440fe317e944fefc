import Core

/// A decoded unary (or server-streaming) gateway request: Core's request types where Core has them, the
/// small structs below for the services Core does not model (cluster, maintenance, v3election, v3lock).
public enum GatewayRequest: Equatable, Sendable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compaction(CompactionRequest)
    case leaseGrant(LeaseGrantRequest)
    case leaseRevoke(LeaseID)
    case leaseTimeToLive(LeaseTimeToLiveRequest)
    case leaseLeases
    case memberAdd(MemberAddRequest)
    case memberRemove(memberID: UInt64)
    case memberUpdate(MemberUpdateRequest)
    case memberList
    case memberPromote(memberID: UInt64)
    case alarm(AlarmRequest)
    case status
    case defragment
    /// Hash, not HashKV: a `revision` in the body is ignored (API.md surprise 7).
    case hash
    /// HashKV (gRPC only): the hash of the key-value history up to `revision` (0: the current revision).
    case hashKV(revision: Revision)
    case snapshot
    case moveLeader(targetID: UInt64)
    case campaign(CampaignRequest)
    case proclaim(ProclaimRequest)
    case leader(name: [UInt8])
    case observe(name: [UInt8])
    case resign(leader: LeaderKey)
    case lock(LockRequest)
    case unlock(key: [UInt8])
    /// An Auth RPC (Core's `AuthRequest`: the driver hashes its password, if any, before the Replica runs it).
    case auth(AuthRequest)
}

/// One message of a watch stream body (etcd's `WatchRequest` oneof).
public enum WatchStreamRequest: Equatable, Sendable {
    case create(WatchCreateRequest)
    case cancel(WatchID)
    case progress
    /// `{}`: no request set; etcd ignores it (#126).
    case empty
}

/// etcd's `MemberAddRequest`.
public struct MemberAddRequest: Equatable, Sendable {
    /// Checked by the decoder: at least one, each `http(s)://host:port` or `unix(s)://…` without a path.
    public var peerURLs: [String]
    public var isLearner: Bool

    public init(peerURLs: [String], isLearner: Bool = false) {
        self.peerURLs = peerURLs
        self.isLearner = isLearner
    }
}

/// etcd's `MemberUpdateRequest`.
public struct MemberUpdateRequest: Equatable, Sendable {
    public var memberID: UInt64
    /// Checked like `MemberAddRequest.peerURLs`.
    public var peerURLs: [String]

    public init(memberID: UInt64, peerURLs: [String]) {
        self.memberID = memberID
        self.peerURLs = peerURLs
    }
}

/// etcd's `AlarmType`; an unknown number is kept as is (proto3 open enums).
public struct AlarmType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let none = AlarmType(rawValue: 0)
    public static let noSpace = AlarmType(rawValue: 1)
    public static let corrupt = AlarmType(rawValue: 2)
    public static let names = ["NONE", "NOSPACE", "CORRUPT"]
}

/// etcd's `AlarmRequest.AlarmAction`; an unknown number is kept as is.
public struct AlarmAction: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let get = AlarmAction(rawValue: 0)
    public static let activate = AlarmAction(rawValue: 1)
    public static let deactivate = AlarmAction(rawValue: 2)
    public static let names = ["GET", "ACTIVATE", "DEACTIVATE"]
}

/// etcd's `AlarmRequest`.
public struct AlarmRequest: Equatable, Sendable {
    public var action: AlarmAction
    public var memberID: UInt64
    public var alarm: AlarmType

    public init(action: AlarmAction = .get, memberID: UInt64 = 0, alarm: AlarmType = .none) {
        self.action = action
        self.memberID = memberID
        self.alarm = alarm
    }
}

/// v3election's `LeaderKey`: a campaign's key, as campaign returns it and proclaim/resign send it back.
/// The same value as Core's `ElectionKey` (name, key, create revision, lease).
public typealias LeaderKey = ElectionKey

/// v3election's `CampaignRequest`.
public struct CampaignRequest: Equatable, Sendable {
    public var name: [UInt8]
    /// `.none`: the server creates a 60 s lease of its own (#227).
    public var lease: LeaseID
    public var value: [UInt8]

    public init(name: [UInt8], lease: LeaseID = .none, value: [UInt8] = []) {
        self.name = name
        self.lease = lease
        self.value = value
    }
}

/// v3election's `ProclaimRequest` (the decoder rejects one without `leader`, #230).
public struct ProclaimRequest: Equatable, Sendable {
    public var leader: LeaderKey
    public var value: [UInt8]

    public init(leader: LeaderKey, value: [UInt8] = []) {
        self.leader = leader
        self.value = value
    }
}

/// v3lock's `LockRequest`.
public struct LockRequest: Equatable, Sendable {
    public var name: [UInt8]
    /// `.none`: the server creates a 60 s lease of its own (#240).
    public var lease: LeaseID

    public init(name: [UInt8], lease: LeaseID = .none) {
        self.name = name
        self.lease = lease
    }
}
