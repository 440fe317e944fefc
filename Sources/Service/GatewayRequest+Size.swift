import Core

/// Protobuf-encoded sizes of decoded requests: what the gateway sends etcd's gRPC server, whose receive limit
/// (`--max-request-bytes` + 512 KiB, 2 MiB by default) answers `grpc: received message larger than max
/// (N vs. 2097152)`, code 8 (#371, #129). etcd's own `request is too large` (code 3, #370) is checked later,
/// on the raft request (this size plus a small header), by the server: `protobufSize` serves that check too.
public enum ProtobufSize {
    public static func varint(_ value: UInt64) -> Int {
        var count = 1
        var rest = value >> 7
        while rest != 0 {
            count += 1
            rest >>= 7
        }
        return count
    }

    public static func tag(_ field: Int) -> Int { varint(UInt64(field) << 3) }

    /// A length-delimited field that is present (a set message, a repeated element).
    public static func delimited(_ field: Int, _ length: Int) -> Int { tag(field) + varint(UInt64(length)) + length }

    /// A `bytes` or `string` field (omitted when empty).
    public static func bytes(_ field: Int, _ count: Int) -> Int { count == 0 ? 0 : delimited(field, count) }

    /// An `int64`/`uint64`/enum field (omitted when zero; negatives take ten bytes).
    public static func int(_ field: Int, _ value: Int64) -> Int {
        value == 0 ? 0 : tag(field) + varint(UInt64(bitPattern: value))
    }

    public static func uint(_ field: Int, _ value: UInt64) -> Int { value == 0 ? 0 : tag(field) + varint(value) }

    public static func bool(_ field: Int, _ value: Bool) -> Int { value ? tag(field) + 1 : 0 }

    // MARK: Messages

    public static func range(_ r: RangeRequest) -> Int {
        bytes(1, r.key.count) + bytes(2, r.rangeEnd.count) + int(3, r.limit) + int(4, r.revision.value)
            + int(5, Int64(r.sortOrder.rawValue)) + int(6, Int64(r.sortTarget.rawValue)) + bool(7, r.serializable)
            + bool(8, r.keysOnly) + bool(9, r.countOnly) + int(10, r.minModRevision.value)
            + int(11, r.maxModRevision.value) + int(12, r.minCreateRevision.value)
            + int(13, r.maxCreateRevision.value)
    }

    public static func put(_ p: PutRequest) -> Int {
        bytes(1, p.key.count) + bytes(2, p.value.count) + int(3, p.lease.value) + bool(4, p.prevKV)
            + bool(5, p.ignoreValue) + bool(6, p.ignoreLease)
    }

    public static func deleteRange(_ d: DeleteRangeRequest) -> Int {
        bytes(1, d.key.count) + bytes(2, d.rangeEnd.count) + bool(3, d.prevKV)
    }

    public static func compare(_ c: Compare) -> Int {
        var size = int(1, Int64(c.result.rawValue)) + int(2, Int64(c.target.rawValue)) + bytes(3, c.key.count)
            + bytes(64, c.rangeEnd.count)
        // A set oneof member is sent even when zero.
        switch c.operand {
        case .version(let value)?: size += tag(4) + varint(UInt64(bitPattern: value))
        case .createRevision(let value)?: size += tag(5) + varint(UInt64(bitPattern: value.value))
        case .modRevision(let value)?: size += tag(6) + varint(UInt64(bitPattern: value.value))
        case .value(let value)?: size += delimited(7, value.count)
        case .lease(let value)?: size += tag(8) + varint(UInt64(bitPattern: value.value))
        case nil: break
        }
        return size
    }

    public static func requestOp(_ op: RequestOp) -> Int {
        switch op {
        case .range(let r): delimited(1, range(r))
        case .put(let p): delimited(2, put(p))
        case .deleteRange(let d): delimited(3, deleteRange(d))
        case .txn(let t): delimited(4, txn(t))
        case .unset: 0
        }
    }

    public static func txn(_ t: TxnRequest) -> Int {
        t.compare.reduce(0) { $0 + delimited(1, compare($1)) }
            + t.success.reduce(0) { $0 + delimited(2, requestOp($1)) }
            + t.failure.reduce(0) { $0 + delimited(3, requestOp($1)) }
    }

    public static func watchCreate(_ w: WatchCreateRequest) -> Int {
        let filters = w.filters.reduce(0) { $0 + varint(UInt64($1.rawValue)) }
        return bytes(1, w.key.count) + bytes(2, w.rangeEnd.count) + int(3, w.startRevision.value)
            + bool(4, w.progressNotify) + bytes(5, filters) + bool(6, w.prevKV) + int(7, w.watchID.value)
            + bool(8, w.fragment)
    }

    public static func strings(_ field: Int, _ values: [String]) -> Int {
        values.reduce(0) { $0 + delimited(field, $1.utf8.count) }
    }

    public static func leaderKey(_ k: LeaderKey) -> Int {
        bytes(1, k.name.count) + bytes(2, k.key.count) + int(3, k.revision.value) + int(4, k.lease.value)
    }
}

extension GatewayRequest {
    /// The request's protobuf-encoded size in bytes.
    public var protobufSize: Int {
        typealias P = ProtobufSize
        switch self {
        case .range(let r): return P.range(r)
        case .put(let p): return P.put(p)
        case .deleteRange(let d): return P.deleteRange(d)
        case .txn(let t): return P.txn(t)
        case .compaction(let c): return P.int(1, c.revision.value) + P.bool(2, c.physical)
        case .leaseGrant(let g): return P.int(1, g.ttlSeconds) + P.int(2, g.id.value)
        case .leaseRevoke(let id): return P.int(1, id.value)
        case .leaseTimeToLive(let t): return P.int(1, t.id.value) + P.bool(2, t.keys)
        case .memberAdd(let a): return P.strings(1, a.peerURLs) + P.bool(2, a.isLearner)
        case .memberRemove(let id), .memberPromote(let id): return P.uint(1, id)
        case .memberUpdate(let u): return P.uint(1, u.memberID) + P.strings(2, u.peerURLs)
        case .alarm(let a):
            return P.int(1, Int64(a.action.rawValue)) + P.uint(2, a.memberID) + P.int(3, Int64(a.alarm.rawValue))
        case .moveLeader(let id): return P.uint(1, id)
        case .campaign(let c): return P.bytes(1, c.name.count) + P.int(2, c.lease.value) + P.bytes(3, c.value.count)
        case .proclaim(let p): return P.delimited(1, P.leaderKey(p.leader)) + P.bytes(2, p.value.count)
        case .leader(let name), .observe(let name): return P.bytes(1, name.count)
        case .resign(let leader): return P.delimited(1, P.leaderKey(leader))
        case .lock(let l): return P.bytes(1, l.name.count) + P.int(2, l.lease.value)
        case .unlock(let key): return P.bytes(1, key.count)
        case .leaseLeases, .memberList, .status, .defragment, .hash, .snapshot: return 0
        case .auth(let request): return P.auth(request)
        case .hashKV(let revision): return P.int(1, revision.value)
        }
    }
}

extension WatchStreamRequest {
    /// The `WatchRequest`'s protobuf-encoded size in bytes.
    public var protobufSize: Int {
        switch self {
        case .create(let create): ProtobufSize.delimited(1, ProtobufSize.watchCreate(create))
        case .cancel(let id): ProtobufSize.delimited(2, ProtobufSize.int(1, id.value))
        case .progress: ProtobufSize.delimited(3, 0)
        case .empty: 0
        }
    }
}

extension RPCError {
    /// gRPC's answer to a message over the server's receive limit (#371).
    public static func messageTooLarge(_ size: Int, limit: Int) -> RPCError {
        RPCError(code: .resourceExhausted, message: "grpc: received message larger than max (\(size) vs. \(limit))")
    }
}
