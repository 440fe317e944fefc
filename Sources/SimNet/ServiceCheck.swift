import Core
import Service

/// What a typed response must be, whatever the Replica and the service layer did to make it: the answer's kind
/// is the one its RPC returns (etcd's service definitions), a failure is an error with a gRPC code other than OK
/// (code 2 for v3lock and v3election, which return plain errors), and the header names the answering member
/// and its cluster (cluster RPCs without a revision, as etcd).
enum ServiceCheck {
    static func problem(_ response: ServiceResponse, reply: ClientReply, endpoint: GatewayEndpoint,
                        replica: Replica) -> String? {
        if case .failed(let error) = reply.result {
            guard case .error(let rpc) = response else { return "the failure \(error) answered \(response)" }
            if rpc.code == .ok || rpc.message.isEmpty { return "the failure \(error) became \(rpc)" }
            let plainErrors: Set<GatewayEndpoint> = [.lock, .unlock, .campaign, .proclaim, .leader, .resign]
            if plainErrors.contains(endpoint) && rpc.code != .unknown {
                return "a v3lock/v3election failure has code \(rpc.code.rawValue), not 2"
            }
            return nil
        }
        guard let (kind, header) = shape(response) else { return "a success answered \(response)" }
        if kind != expectedKind(endpoint) { return "answered a \(kind) response where \(endpoint) returns one" }
        guard let header else { return nil }
        if header.memberID != replica.id.value || header.clusterID != replica.clusterID || header.clusterID == 0 {
            return "the header names member \(header.memberID) of cluster \(header.clusterID)"
        }
        if kind == "members" && header.revision != 0 { return "a cluster RPC's header has revision \(header.revision)" }
        if case .status(let status, _) = response, status.raftAppliedIndex > status.raftIndex {
            return "status reports applied \(status.raftAppliedIndex) past the raft index \(status.raftIndex)"
        }
        return nil
    }

    /// The response's kind and header (nil for the header-less empty response); nil for an error.
    static func shape(_ response: ServiceResponse) -> (String, ResponseHeader?)? {
        switch response {
        case .range(_, let h): ("range", h)
        case .put(_, let h): ("put", h)
        case .deleteRange(_, let h): ("deleteRange", h)
        case .txn(_, let h): ("txn", h)
        case .compact(_, let h): ("compact", h)
        case .leaseGrant(_, let h): ("leaseGrant", h)
        case .leaseRevoke(_, let h): ("leaseRevoke", h)
        case .leaseKeepAlive(_, let h): ("leaseKeepAlive", h)
        case .leaseTimeToLive(_, let h): ("leaseTimeToLive", h)
        case .leaseLeases(_, let h): ("leaseLeases", h)
        case .members(_, let h), .memberAdd(_, _, let h): ("members", h)
        case .status(_, let h): ("status", h)
        case .alarms(_, let h): ("alarms", h)
        case .hash(_, let h): ("hash", h)
        case .hashKV(_, let h): ("hashKV", h)
        case .empty: ("empty", nil)
        case .headerOnly(let h): ("header", h)
        case .lock(_, let h): ("lock", h)
        case .campaign(_, let h): ("campaign", h)
        case .leader(_, let h): ("leader", h)
        case .auth(_, let h): ("auth", h)
        case .error: nil
        }
    }

    /// The kind of response each unary RPC returns.
    static func expectedKind(_ endpoint: GatewayEndpoint) -> String {
        switch endpoint {
        case .range: "range"
        case .put: "put"
        case .deleteRange: "deleteRange"
        case .txn: "txn"
        case .compaction: "compact"
        case .leaseGrant: "leaseGrant"
        case .leaseRevoke: "leaseRevoke"
        case .leaseKeepAlive: "leaseKeepAlive"
        case .leaseTimeToLive: "leaseTimeToLive"
        case .leaseLeases: "leaseLeases"
        case .memberAdd, .memberRemove, .memberUpdate, .memberList, .memberPromote: "members"
        case .status: "status"
        case .alarm: "alarms"
        case .hash: "hash"
        case .hashKV: "hashKV"
        case .defragment, .moveLeader: "empty"
        case .unlock, .proclaim, .resign: "header"
        case .lock: "lock"
        case .campaign: "campaign"
        case .leader, .observe: "leader"
        case .auth: "auth"
        case .watch, .snapshot: "stream"
        }
    }
}
