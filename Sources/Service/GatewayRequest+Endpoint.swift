import Core

extension GatewayRequest {
    /// The RPC this request is a message of (the gateway path or gRPC method it arrives on).
    public var endpoint: GatewayEndpoint {
        switch self {
        case .range: .range
        case .put: .put
        case .deleteRange: .deleteRange
        case .txn: .txn
        case .compaction: .compaction
        case .leaseGrant: .leaseGrant
        case .leaseRevoke: .leaseRevoke
        case .leaseTimeToLive: .leaseTimeToLive
        case .leaseLeases: .leaseLeases
        case .memberAdd: .memberAdd
        case .memberRemove: .memberRemove
        case .memberUpdate: .memberUpdate
        case .memberList: .memberList
        case .memberPromote: .memberPromote
        case .alarm: .alarm
        case .status: .status
        case .defragment: .defragment
        case .hash: .hash
        case .hashKV: .hashKV
        case .snapshot: .snapshot
        case .moveLeader: .moveLeader
        case .campaign: .campaign
        case .proclaim: .proclaim
        case .leader: .leader
        case .observe: .observe
        case .resign: .resign
        case .lock: .lock
        case .unlock: .unlock
        case .auth(let r): .auth(GatewayEndpoint.AuthMethod(r))
        }
    }
}

extension GatewayEndpoint.AuthMethod {
    /// The Auth method that carries `request`.
    public init(_ request: AuthRequest) {
        self = switch request {
        case .authEnable: .authEnable
        case .authDisable: .authDisable
        case .authenticate: .authenticate
        case .userAdd: .userAdd
        case .userGet: .userGet
        case .userList: .userList
        case .userDelete: .userDelete
        case .userChangePassword: .userChangePassword
        case .userGrantRole: .userGrantRole
        case .userRevokeRole: .userRevokeRole
        case .roleAdd: .roleAdd
        case .roleGet: .roleGet
        case .roleList: .roleList
        case .roleDelete: .roleDelete
        case .roleGrantPermission: .roleGrantPermission
        case .roleRevokePermission: .roleRevokePermission
        }
    }
}
