import Core

/// Decodes gateway request bodies into typed requests, as etcd 3.4's grpc-gateway (jsonpb) reads them and
/// as etcd's API layer checks them before running them (API.md sections 2 and 5).
///
/// jsonpb rules kept here: a field is found by its proto name or its lowerCamelCase JSON name (the latter wins
/// when both appear); `null` is unset; unknown fields are ignored; fields are read in proto declaration order,
/// so the first error reported is that of the first declared field, whatever the input order; oneof members are
/// read after the regular fields. An empty body or `null` is `{}`; bytes after the first value are ignored on
/// unary calls (#29). Reuse one decoder per connection: its `JSONDocument` keeps its storage.
public struct GatewayDecoder: Sendable {
    /// etcd's `--max-txn-ops`: ops per txn branch (and compares) before `too many operations in txn request`.
    public var txnOpsMax: Int
    /// The gRPC server's receive limit on a request's protobuf size: `--max-request-bytes` + 512 KiB.
    public var grpcMessageBytesMax: Int
    var document = JSONDocument()

    public init(txnOpsMax: Int = 128, grpcMessageBytesMax: Int = 1_572_864 + 524_288) {
        precondition(txnOpsMax > 0, "txnOpsMax must be positive")
        precondition(grpcMessageBytesMax > 0, "grpcMessageBytesMax must be positive")
        self.txnOpsMax = txnOpsMax
        self.grpcMessageBytesMax = grpcMessageBytesMax
    }

    /// Decodes and checks the body of a unary or server-streaming RPC.
    /// - Precondition: `endpoint` is not a bidirectional stream (use `nextWatchRequest`/`nextKeepAlive`).
    /// - Throws: `.decode` with Go's message for bodies the gateway rejects (400, code 3); `.rpc` for requests
    ///   over the gRPC receive limit (code 8, #371) and for requests etcd's API layer rejects before running
    ///   them (`key is not provided`, …).
    public mutating func decode(_ endpoint: GatewayEndpoint, body: [UInt8]) throws(GatewayError) -> GatewayRequest {
        let request = try decodeUnchecked(endpoint, body: body)
        try validate(request)
        return request
    }

    /// Decodes the body of a unary or server-streaming RPC without the API layer's checks (`validate`), for a
    /// caller that must decide something in between (a learner's refusal comes before them).
    public mutating func decodeUnchecked(_ endpoint: GatewayEndpoint, body: [UInt8]) throws(GatewayError)
        -> GatewayRequest
    {
        precondition(!endpoint.isBidirectionalStream, "\(endpoint) bodies are streams")
        var offset = 0
        let root = try parseObject(body, offset: &offset)
        let request = try decodeRequest(endpoint, root)
        let size = request.protobufSize
        if size > grpcMessageBytesMax { throw .rpc(.messageTooLarge(size, limit: grpcMessageBytesMax)) }
        return request
    }

    /// The next message of a watch stream body, from `offset` (advanced past it); nil at the end of the body.
    ///
    /// The gateway decodes the first message before opening the stream: a `.decode` error there fails the call
    /// (500, code 2, #127); in a later message it just ends the client's half of the stream. An `.rpc` error (a
    /// message over the gRPC receive limit) fails the stream itself: `Gateway.writeStreamError`, after
    /// `HTTPResponse.streamHead(status: error.httpStatus)` if nothing was sent yet (#129, #130).
    public mutating func nextWatchRequest(
        in body: [UInt8], offset: inout Int
    ) throws(GatewayError) -> WatchStreamRequest? {
        guard try skipToNextValue(body, offset: &offset) else { return nil }
        let root = try parseObject(body, offset: &offset)
        let request = try decodeWatchRequest(root)
        let size = request.protobufSize
        if size > grpcMessageBytesMax { throw .rpc(.messageTooLarge(size, limit: grpcMessageBytesMax)) }
        return request
    }

    /// The lease ID of the next message of a keepalive stream body (`{"ID":N}` back to back, #158); nil at
    /// the end of the body. Errors as for `nextWatchRequest`.
    public mutating func nextKeepAlive(in body: [UInt8], offset: inout Int) throws(GatewayError) -> LeaseID? {
        guard try skipToNextValue(body, offset: &offset) else { return nil }
        let root = try parseObject(body, offset: &offset)
        return LeaseID(try document.int64Field(root, "ID"))
    }

    // MARK: Parsing

    /// Whether a value starts at or after `offset` (whitespace skipped).
    private func skipToNextValue(_ body: [UInt8], offset: inout Int) throws(GatewayError) -> Bool {
        precondition(offset >= 0 && offset <= body.count, "stream offset out of range")
        while offset < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[offset]) { offset += 1 }
        return offset < body.count
    }

    /// Parses one value at `offset` and returns its object (nil for an empty body or `null`, which decode as
    /// `{}`). Any other kind is Go's error for unmarshalling into the message's field map (#28, #335).
    mutating func parseObject(_ body: [UInt8], offset: inout Int) throws(GatewayError) -> JSONIndex? {
        do {
            offset = try document.parse(body, from: offset)
        } catch .empty {
            offset = body.count
            return nil
        } catch {
            throw .decode(error.description)
        }
        return try document.message(document.root)
    }

    // MARK: Dispatch

    mutating func decodeRequest(_ endpoint: GatewayEndpoint, _ root: JSONIndex?) throws(GatewayError)
        -> GatewayRequest
    {
        switch endpoint {
        case .range: return .range(try decodeRange(root))
        case .put: return .put(try decodePut(root))
        case .deleteRange: return .deleteRange(try decodeDeleteRange(root))
        case .txn: return .txn(try decodeTxn(root))
        case .compaction: return .compaction(try decodeCompaction(root))
        case .leaseGrant: return .leaseGrant(try decodeLeaseGrant(root))
        case .leaseRevoke: return .leaseRevoke(LeaseID(try document.int64Field(root, "ID")))
        case .leaseTimeToLive: return .leaseTimeToLive(try decodeLeaseTimeToLive(root))
        case .leaseLeases: return .leaseLeases
        case .memberAdd: return .memberAdd(try decodeMemberAdd(root))
        case .memberRemove: return .memberRemove(memberID: try document.uint64Field(root, "ID"))
        case .memberUpdate: return .memberUpdate(try decodeMemberUpdate(root))
        case .memberList: return .memberList
        case .memberPromote: return .memberPromote(memberID: try document.uint64Field(root, "ID"))
        case .alarm: return .alarm(try decodeAlarm(root))
        case .status: return .status
        case .defragment: return .defragment
        case .hash: return .hash
        case .hashKV: return .hashKV(revision: Revision(try document.int64Field(root, "revision")))
        case .snapshot: return .snapshot
        case .moveLeader: return .moveLeader(targetID: try document.uint64Field(root, "targetID"))
        case .auth(let method): return .auth(try decodeAuth(method, root))
        case .campaign: return .campaign(try decodeCampaign(root))
        case .proclaim: return try decodeProclaim(root)
        case .leader: return .leader(name: try document.bytesField(root, "name"))
        case .observe: return .observe(name: try document.bytesField(root, "name"))
        case .resign: return try decodeResign(root)
        case .lock: return .lock(try decodeLock(root))
        case .unlock: return .unlock(key: try document.bytesField(root, "key"))
        case .watch, .leaseKeepAlive: preconditionFailure("\(endpoint) bodies are streams")
        }
    }

    // MARK: Checks before running (etcd's v3rpc and v3election/v3lock servers)

    /// The checks etcd's API layer makes before proposing or running a request; they answer as RPC errors.
    func validate(_ request: GatewayRequest) throws(GatewayError) {
        try Self.validate(request, txnOpsMax: txnOpsMax)
    }

    /// The same checks for a request from any codec (gRPC calls this after decoding protobuf).
    static func validate(_ request: GatewayRequest, txnOpsMax: Int) throws(GatewayError) {
        if case .unlock(let key) = request, key.isEmpty {
            // v3lock deletes through the client, whose error becomes a plain (code 2) error (#244).
            throw .rpc(.unknown(APIError.emptyKey.message))
        }
        do throws(APIError) {
            switch request {
            case .range(let range): if range.key.isEmpty { throw .emptyKey }
            case .put(let put): try KVStore.validate(put)
            case .deleteRange(let delete): if delete.key.isEmpty { throw .emptyKey }
            case .txn(let txn): try KVStore.validate(txn, opsMax: txnOpsMax)
            default: break
            }
        } catch {
            throw .rpc(RPCError(error))
        }
        switch request {
        case .memberAdd(let add): try Self.validatePeerURLs(add.peerURLs)
        case .memberUpdate(let update): try Self.validatePeerURLs(update.peerURLs)
        default: break
        }
    }

    /// etcd's `types.NewURLs` as MemberAdd/MemberUpdate use it: at least one URL; each (spaces trimmed) with
    /// scheme http, https, unix or unixs, an authority of the form `host:port`, and no path (#173, #174).
    static func validatePeerURLs(_ urls: [String]) throws(GatewayError) {
        let invalid = GatewayError.rpc(RPCError(code: .invalidArgument,
                                                message: "etcdserver: given member URLs are invalid"))
        if urls.isEmpty { throw invalid }
        for url in urls where !isValidPeerURL(url) { throw invalid }
    }

    static func isValidPeerURL(_ url: String) -> Bool {
        let text = Array(url.utf8).drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let trimmed = text.reversed().drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.reversed()
        let bytes = Array(trimmed)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        guard ["http", "https", "unix", "unixs"].contains(scheme) else { return false }
        let rest = bytes[(colon + 1)...]
        guard rest.starts(with: "//".utf8) else { return false }
        let authorityStart = rest.startIndex + 2
        let authorityEnd = rest[authorityStart...].firstIndex { "/?#".utf8.contains($0) } ?? rest.endIndex
        if authorityEnd < rest.endIndex && rest[authorityEnd] == UInt8(ascii: "/") { return false }  // A path.
        var host = rest[authorityStart..<authorityEnd]
        if let at = host.lastIndex(of: UInt8(ascii: "@")) { host = host[(at + 1)...] }
        if host.contains(where: { $0 <= 0x20 || $0 == 0x7F }) { return false }
        // Go's net.SplitHostPort: `[v6]:port`, or exactly one colon.
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let after = host[(close + 1)...]
            return after.first == UInt8(ascii: ":") && !after.dropFirst().contains(UInt8(ascii: ":"))
        }
        return host.filter { $0 == UInt8(ascii: ":") }.count == 1
    }
}
