/// A gRPC method the client port serves, found by the request's `:path` (`/<package>.<Service>/<Method>`).
enum GRPCMethod: Equatable, Sendable {
    /// An etcd v3 RPC: the same endpoint the JSON gateway maps its paths to.
    case etcd(GatewayEndpoint)
    /// `grpc.health.v1.Health/Check`.
    case healthCheck
    /// `grpc.health.v1.Health/Watch` (server streaming).
    case healthWatch

    /// Every etcd v3 endpoint, each once.
    static let etcdEndpoints: [GatewayEndpoint] = [
        .range, .put, .deleteRange, .txn, .compaction, .watch,
        .leaseGrant, .leaseRevoke, .leaseKeepAlive, .leaseTimeToLive, .leaseLeases,
        .memberAdd, .memberRemove, .memberUpdate, .memberList, .memberPromote,
        .alarm, .status, .defragment, .hash, .hashKV, .snapshot, .moveLeader,
        .campaign, .proclaim, .leader, .observe, .resign, .lock, .unlock,
    ] + GatewayEndpoint.AuthMethod.allCases.map { .auth($0) }

    /// Methods by full path, built once.
    static let byPath: [String: GRPCMethod] = {
        var table: [String: GRPCMethod] = [:]
        for endpoint in etcdEndpoints { table[endpoint.grpcMethod] = .etcd(endpoint) }
        table["/grpc.health.v1.Health/Check"] = .healthCheck
        table["/grpc.health.v1.Health/Watch"] = .healthWatch
        return table
    }()

    /// Every method's path, sorted: a method's place here is its index in `GRPCCounters`.
    static let paths: [String] = byPath.keys.sorted()
    /// Each method with its index in `paths`, by path.
    static let found: [String: Found] = Dictionary(uniqueKeysWithValues: paths.enumerated().map { index, path in
        (path, Found(method: byPath[path]!, index: index))
    })

    /// A method found by its path, with its index in `paths` (the call's counters).
    struct Found: Equatable, Sendable {
        let method: GRPCMethod
        let index: Int
    }

    /// The services registered on etcd's gRPC server (plus health), for grpc-go's "unknown" messages.
    static let services: Set<String> = Set(byPath.keys.compactMap { path in
        path.split(separator: "/").first.map(String.init)
    })

    /// The method at `path`, or grpc-go's UNIMPLEMENTED error for an unknown service or method.
    static func at(_ path: String) -> Result<Found, RPCError> {
        if let method = found[path] { return .success(method) }
        // grpc-go splits at the last "/": "/pkg.Service/Method" → service "pkg.Service", method "Method".
        var trimmed = Substring(path)
        if trimmed.first == "/" { trimmed = trimmed.dropFirst() }
        guard let slash = trimmed.lastIndex(of: "/") else {
            return .failure(RPCError(code: .unimplemented, message: "malformed method name: \"\(path)\""))
        }
        let service = String(trimmed[..<slash])
        let method = String(trimmed[trimmed.index(after: slash)...])
        if services.contains(service) {
            return .failure(RPCError(code: .unimplemented, message: "unknown method \(method) for service \(service)"))
        }
        return .failure(RPCError(code: .unimplemented, message: "unknown service \(service)"))
    }

    /// Whether the client sends a stream of messages (Watch, LeaseKeepAlive).
    var isClientStreaming: Bool {
        if case .etcd(let endpoint) = self { return endpoint.isBidirectionalStream }
        return false
    }
}
