import Core

/// Writes gRPC request messages (what a client sends) in canonical proto3, byte for byte what Go's generated
/// (gogo) `Marshal` writes: fields in number order, scalars equal to their default omitted, watch filters
/// packed. The mirror of `ProtobufRequestDecoder` (field numbers in etcd's rpc.proto, v3election.proto,
/// v3lock.proto); keelctl's gRPC transport and the codec tests use it.
public enum ProtobufRequestEncoder {
    /// The request message of a unary or server-streaming call.
    public static func encode(_ request: GatewayRequest) -> [UInt8] {
        var writer = ProtobufWriter()
        encode(request, into: &writer)
        return writer.bytes
    }

    /// Appends the request message of a unary or server-streaming call to `w`.
    public static func encode(_ request: GatewayRequest, into w: inout ProtobufWriter) {
        switch request {
        case .range(let r): range(r, into: &w)
        case .put(let p): put(p, into: &w)
        case .deleteRange(let d): deleteRange(d, into: &w)
        case .txn(let t): txn(t, into: &w)
        case .compaction(let c):
            w.int64Field(1, c.revision.value)
            w.boolField(2, c.physical)
        case .leaseGrant(let g):
            w.int64Field(1, g.ttlSeconds)
            w.int64Field(2, g.id.value)
        case .leaseRevoke(let id): w.int64Field(1, id.value)
        case .leaseTimeToLive(let t):
            w.int64Field(1, t.id.value)
            w.boolField(2, t.keys)
        case .memberAdd(let a):
            for url in a.peerURLs { w.bytesElement(1, url.utf8) }
            w.boolField(2, a.isLearner)
        case .memberRemove(let id), .memberPromote(let id), .moveLeader(let id): w.uint64Field(1, id)
        case .memberUpdate(let u):
            w.uint64Field(1, u.memberID)
            for url in u.peerURLs { w.bytesElement(2, url.utf8) }
        case .alarm(let a):
            w.enumField(1, a.action.rawValue)
            w.uint64Field(2, a.memberID)
            w.enumField(3, a.alarm.rawValue)
        case .hashKV(let revision): w.int64Field(1, revision.value)
        case .campaign(let c):
            w.bytesField(1, c.name)
            w.int64Field(2, c.lease.value)
            w.bytesField(3, c.value)
        case .proclaim(let p):
            leaderKey(1, p.leader, into: &w)
            w.bytesField(2, p.value)
        case .resign(let leader): leaderKey(1, leader, into: &w)
        case .leader(let name), .observe(let name): w.bytesField(1, name)
        case .lock(let l):
            w.bytesField(1, l.name)
            w.int64Field(2, l.lease.value)
        case .unlock(let key): w.bytesField(1, key)
        case .auth(let a): auth(a, into: &w)
        case .leaseLeases, .memberList, .status, .defragment, .hash, .snapshot: break
        }
    }

    /// One `WatchRequest` of a watch stream (the oneof: 1 create, 2 cancel, 3 progress; none for `.empty`).
    public static func encode(_ request: WatchStreamRequest) -> [UInt8] {
        var w = ProtobufWriter()
        switch request {
        case .create(let c):
            let start = w.beginMessage(1)
            w.bytesField(1, c.key)
            w.bytesField(2, c.rangeEnd)
            w.int64Field(3, c.startRevision.value)
            w.boolField(4, c.progressNotify)
            if !c.filters.isEmpty {
                let packed = w.beginMessage(5)
                for filter in c.filters { w.varint(UInt64(filter.rawValue)) }
                w.endMessage(packed)
            }
            w.boolField(6, c.prevKV)
            w.int64Field(7, c.watchID.value)
            w.boolField(8, c.fragment)
            w.endMessage(start)
        case .cancel(let id):
            let start = w.beginMessage(2)
            w.int64Field(1, id.value)
            w.endMessage(start)
        case .progress: w.endMessage(w.beginMessage(3))
        case .empty: break
        }
        return w.bytes
    }

    /// One `LeaseKeepAliveRequest` of a keep-alive stream: 1 `ID`.
    public static func encodeKeepAlive(_ id: LeaseID) -> [UInt8] {
        var w = ProtobufWriter()
        w.int64Field(1, id.value)
        return w.bytes
    }

    /// `RangeRequest` (also a txn's `request_range`).
    static func range(_ r: RangeRequest, into w: inout ProtobufWriter) {
        w.bytesField(1, r.key)
        w.bytesField(2, r.rangeEnd)
        w.int64Field(3, r.limit)
        w.int64Field(4, r.revision.value)
        w.enumField(5, Int32(r.sortOrder.rawValue))
        w.enumField(6, Int32(r.sortTarget.rawValue))
        w.boolField(7, r.serializable)
        w.boolField(8, r.keysOnly)
        w.boolField(9, r.countOnly)
        w.int64Field(10, r.minModRevision.value)
        w.int64Field(11, r.maxModRevision.value)
        w.int64Field(12, r.minCreateRevision.value)
        w.int64Field(13, r.maxCreateRevision.value)
    }

    static func put(_ p: PutRequest, into w: inout ProtobufWriter) {
        w.bytesField(1, p.key)
        w.bytesField(2, p.value)
        w.int64Field(3, p.lease.value)
        w.boolField(4, p.prevKV)
        w.boolField(5, p.ignoreValue)
        w.boolField(6, p.ignoreLease)
    }

    static func deleteRange(_ d: DeleteRangeRequest, into w: inout ProtobufWriter) {
        w.bytesField(1, d.key)
        w.bytesField(2, d.rangeEnd)
        w.boolField(3, d.prevKV)
    }

    /// `TxnRequest`: 1 `compare`, 2 `success`, 3 `failure`. A compare's operand is written even when zero:
    /// it is a oneof member, whose presence counts.
    static func txn(_ t: TxnRequest, into w: inout ProtobufWriter) {
        for compare in t.compare {
            let start = w.beginMessage(1)
            w.enumField(1, Int32(compare.result.rawValue))
            w.enumField(2, Int32(compare.target.rawValue))
            w.bytesField(3, compare.key)
            switch compare.operand {
            case .version(let v)?: w.tag(4, 0); w.varint(UInt64(bitPattern: v))
            case .createRevision(let r)?: w.tag(5, 0); w.varint(UInt64(bitPattern: r.value))
            case .modRevision(let r)?: w.tag(6, 0); w.varint(UInt64(bitPattern: r.value))
            case .value(let v)?: w.bytesElement(7, v)
            case .lease(let l)?: w.tag(8, 0); w.varint(UInt64(bitPattern: l.value))
            case nil: break
            }
            w.bytesField(64, compare.rangeEnd)
            w.endMessage(start)
        }
        for op in t.success { requestOp(2, op, into: &w) }
        for op in t.failure { requestOp(3, op, into: &w) }
    }

    /// A `RequestOp` as field `field`: 1 range, 2 put, 3 delete_range, 4 txn; empty for `.unset`.
    static func requestOp(_ field: Int, _ op: RequestOp, into w: inout ProtobufWriter) {
        let start = w.beginMessage(field)
        let inner: Int
        switch op {
        case .range(let r): inner = w.beginMessage(1); range(r, into: &w)
        case .put(let p): inner = w.beginMessage(2); put(p, into: &w)
        case .deleteRange(let d): inner = w.beginMessage(3); deleteRange(d, into: &w)
        case .txn(let t): inner = w.beginMessage(4); txn(t, into: &w)
        case .unset: return w.endMessage(start)
        }
        w.endMessage(inner)
        w.endMessage(start)
    }

    /// v3election's `LeaderKey` as field `field`: 1 `name`, 2 `key`, 3 `rev`, 4 `lease`.
    static func leaderKey(_ field: Int, _ k: LeaderKey, into w: inout ProtobufWriter) {
        let start = w.beginMessage(field)
        w.bytesField(1, k.name)
        w.bytesField(2, k.key)
        w.int64Field(3, k.revision.value)
        w.int64Field(4, k.lease.value)
        w.endMessage(start)
    }
}
