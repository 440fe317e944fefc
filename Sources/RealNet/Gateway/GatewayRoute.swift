import Core

/// Where a request goes, as etcd's client port decides before any body is read (API.md section 1).
public enum GatewayRoute: Equatable, Sendable {
    /// A gateway RPC: decode the body with `GatewayDecoder`.
    case rpc(GatewayEndpoint)
    /// `OPTIONS` on any path (CORS preflight): 200, empty body, `Content-Length: 0` (#7).
    case preflight
    /// `GET /version`: the daemon answers `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}` (#1).
    case version
    /// `GET /health`: the daemon answers `{"health":"true"}` as `text/plain` (#2).
    case health
    /// 405 `Method Not Allowed\n`; `allow` is the `Allow` header etcd's own handlers add (`/version`,
    /// `/health`, *source*), nil on gateway paths (#353-355).
    case methodNotAllowed(allow: String?)
    /// 404 `Not Found\n`: an unknown path under `/v3/` (grpc-gateway's answer, #356-358).
    case gatewayNotFound
    /// 404 `404 page not found\n`: anything else (Go's `http.NotFound`, #3, #10, #359).
    case notFound
}

/// etcd's v3 JSON gateway as pure functions: routing here, `GatewayDecoder` for request bodies,
/// `GatewayEncoder` for response bodies, `Gateway.write…` for whole HTTP answers.
public enum Gateway {
    /// Routes a request by method and path (query string already removed; API.md section 1).
    ///
    /// `/v3beta/` is rewritten to `/v3/`; `/v3alpha/` is gone (404 page not found). A WebSocket upgrade
    /// (`GET` with `Upgrade: websocket`) on a gateway path is routed as the RPC (etcd's wsproxy turns it into
    /// a POST, #135-139).
    public static func route(method: HTTPMethod, path: String, webSocketUpgrade: Bool = false) -> GatewayRoute {
        if method == .options { return .preflight }
        var path = path
        if path.utf8.starts(with: "/v3beta/".utf8) { path = "/v3/" + path.dropFirst("/v3beta/".count) }
        if path.utf8.starts(with: "/v3/".utf8) {
            guard let endpoint = GatewayEndpoint.at(path) else { return .gatewayNotFound }
            if method == .post || (webSocketUpgrade && method == .get) { return .rpc(endpoint) }
            return .methodNotAllowed(allow: nil)
        }
        switch path {
        case "/version": return method == .get ? .version : .methodNotAllowed(allow: "GET")
        case "/health": return method == .get ? .health : .methodNotAllowed(allow: "GET")
        default: return .notFound
        }
    }

    /// Routes a parsed request (its path without the query string).
    public static func route(_ request: HTTPRequest) -> GatewayRoute {
        let upgrade = request.headerListContains("Upgrade", "websocket")
        return route(method: request.method, path: request.path, webSocketUpgrade: upgrade)
    }
}
