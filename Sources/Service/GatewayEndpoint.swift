/// One RPC of etcd's v3 JSON gateway: the 45 paths (and 3 aliases) of API.md section 5.
///
/// The gateway maps each `POST /v3/<service>/<method>` to one gRPC method; HashKV has no reachable gateway
/// path (`/v3/maintenance/hash` is Hash, API.md surprise 7) and is reached over gRPC only.
public enum GatewayEndpoint: Hashable, Sendable {
    // KV
    case range, put, deleteRange, txn, compaction
    // Watch
    case watch
    // Lease
    case leaseGrant, leaseRevoke, leaseKeepAlive, leaseTimeToLive, leaseLeases
    // Cluster
    case memberAdd, memberRemove, memberUpdate, memberList, memberPromote
    // Maintenance
    case alarm, status, defragment, hash, hashKV, snapshot, moveLeader
    // Auth
    case auth(AuthMethod)
    // v3election
    case campaign, proclaim, leader, observe, resign
    // v3lock
    case lock, unlock

    /// etcd's Auth service methods, by gateway path.
    public enum AuthMethod: String, Hashable, Sendable, CaseIterable {
        case authEnable = "AuthEnable", authDisable = "AuthDisable", authenticate = "Authenticate"
        case userAdd = "UserAdd", userGet = "UserGet", userList = "UserList", userDelete = "UserDelete"
        case userChangePassword = "UserChangePassword", userGrantRole = "UserGrantRole"
        case userRevokeRole = "UserRevokeRole"
        case roleAdd = "RoleAdd", roleGet = "RoleGet", roleList = "RoleList", roleDelete = "RoleDelete"
        case roleGrantPermission = "RoleGrantPermission", roleRevokePermission = "RoleRevokePermission"
    }

    /// Whether the client streams requests too (bidirectional: watch, lease keepalive). Their bodies hold JSON
    /// objects back to back, and a body the gateway cannot decode is a 500 with code 2, not a 400 (#127).
    public var isBidirectionalStream: Bool {
        self == .watch || self == .leaseKeepAlive
    }

    /// Whether the server answers with a stream of `{"result":…}` lines (watch, keepalive, snapshot, observe).
    public var isServerStream: Bool {
        switch self {
        case .watch, .leaseKeepAlive, .snapshot, .observe: true
        default: false
        }
    }

    /// The gRPC method's full name, e.g. `/etcdserverpb.KV/Range` (for logs and `UNIMPLEMENTED` messages).
    public var grpcMethod: String {
        switch self {
        case .range: "/etcdserverpb.KV/Range"
        case .put: "/etcdserverpb.KV/Put"
        case .deleteRange: "/etcdserverpb.KV/DeleteRange"
        case .txn: "/etcdserverpb.KV/Txn"
        case .compaction: "/etcdserverpb.KV/Compact"
        case .watch: "/etcdserverpb.Watch/Watch"
        case .leaseGrant: "/etcdserverpb.Lease/LeaseGrant"
        case .leaseRevoke: "/etcdserverpb.Lease/LeaseRevoke"
        case .leaseKeepAlive: "/etcdserverpb.Lease/LeaseKeepAlive"
        case .leaseTimeToLive: "/etcdserverpb.Lease/LeaseTimeToLive"
        case .leaseLeases: "/etcdserverpb.Lease/LeaseLeases"
        case .memberAdd: "/etcdserverpb.Cluster/MemberAdd"
        case .memberRemove: "/etcdserverpb.Cluster/MemberRemove"
        case .memberUpdate: "/etcdserverpb.Cluster/MemberUpdate"
        case .memberList: "/etcdserverpb.Cluster/MemberList"
        case .memberPromote: "/etcdserverpb.Cluster/MemberPromote"
        case .alarm: "/etcdserverpb.Maintenance/Alarm"
        case .status: "/etcdserverpb.Maintenance/Status"
        case .defragment: "/etcdserverpb.Maintenance/Defragment"
        case .hash: "/etcdserverpb.Maintenance/Hash"
        case .hashKV: "/etcdserverpb.Maintenance/HashKV"
        case .snapshot: "/etcdserverpb.Maintenance/Snapshot"
        case .moveLeader: "/etcdserverpb.Maintenance/MoveLeader"
        case .auth(let method): "/etcdserverpb.Auth/" + method.rawValue
        case .campaign: "/v3electionpb.Election/Campaign"
        case .proclaim: "/v3electionpb.Election/Proclaim"
        case .leader: "/v3electionpb.Election/Leader"
        case .observe: "/v3electionpb.Election/Observe"
        case .resign: "/v3electionpb.Election/Resign"
        case .lock: "/v3lockpb.Lock/Lock"
        case .unlock: "/v3lockpb.Lock/Unlock"
        }
    }

    /// The endpoint at a gateway path (after the `/v3beta/` rewrite), or nil.
    public static func at(_ path: String) -> GatewayEndpoint? {
        switch path {
        case "/v3/kv/range": .range
        case "/v3/kv/put": .put
        case "/v3/kv/deleterange": .deleteRange
        case "/v3/kv/txn": .txn
        case "/v3/kv/compaction": .compaction
        case "/v3/watch": .watch
        case "/v3/lease/grant": .leaseGrant
        case "/v3/lease/revoke", "/v3/kv/lease/revoke": .leaseRevoke
        case "/v3/lease/keepalive": .leaseKeepAlive
        case "/v3/lease/timetolive", "/v3/kv/lease/timetolive": .leaseTimeToLive
        case "/v3/lease/leases", "/v3/kv/lease/leases": .leaseLeases
        case "/v3/cluster/member/add": .memberAdd
        case "/v3/cluster/member/remove": .memberRemove
        case "/v3/cluster/member/update": .memberUpdate
        case "/v3/cluster/member/list": .memberList
        case "/v3/cluster/member/promote": .memberPromote
        case "/v3/maintenance/alarm": .alarm
        case "/v3/maintenance/status": .status
        case "/v3/maintenance/defragment": .defragment
        case "/v3/maintenance/hash": .hash
        case "/v3/maintenance/snapshot": .snapshot
        case "/v3/maintenance/transfer-leadership": .moveLeader
        case "/v3/election/campaign": .campaign
        case "/v3/election/proclaim": .proclaim
        case "/v3/election/leader": .leader
        case "/v3/election/observe": .observe
        case "/v3/election/resign": .resign
        case "/v3/lock/lock": .lock
        case "/v3/lock/unlock": .unlock
        default: authAt(path).map { .auth($0) }
        }
    }

    private static func authAt(_ path: String) -> AuthMethod? {
        switch path {
        case "/v3/auth/enable": .authEnable
        case "/v3/auth/disable": .authDisable
        case "/v3/auth/authenticate": .authenticate
        case "/v3/auth/user/add": .userAdd
        case "/v3/auth/user/get": .userGet
        case "/v3/auth/user/list": .userList
        case "/v3/auth/user/delete": .userDelete
        case "/v3/auth/user/changepw": .userChangePassword
        case "/v3/auth/user/grant": .userGrantRole
        case "/v3/auth/user/revoke": .userRevokeRole
        case "/v3/auth/role/add": .roleAdd
        case "/v3/auth/role/get": .roleGet
        case "/v3/auth/role/list": .roleList
        case "/v3/auth/role/delete": .roleDelete
        case "/v3/auth/role/grant": .roleGrantPermission
        case "/v3/auth/role/revoke": .roleRevokePermission
        default: nil
        }
    }
}
