/// A state-machine command carried in a normal log entry after its `EntryHeader`: etcd's write requests
/// (the part of etcd's InternalRaftRequest that Keel replicates). Reads never enter the log.
public enum KVCommand: Equatable, Sendable {
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(CompactionRequest)
    case leaseGrant(LeaseGrantRequest)
    case leaseRevoke(LeaseID)
    /// A member publishes its name and client URLs (etcd's member attributes), replacing its context.
    case memberAttributes(MemberID, context: [UInt8])
    /// Raises or clears an alarm (etcd's Alarm RPC; NOSPACE is raised by a member over its quota).
    case alarm(activate: Bool, member: MemberID, type: AlarmKind)
    /// An Auth RPC: applied to the auth store (`AuthStore.apply`).
    case auth(AuthCommand)
    /// MemberUpdate: the member's peer URLs are replaced when applied; its name and client URLs stay (etcd
    /// updates only a member's raft attributes).
    case memberPeerURLs(MemberID, peerURLs: [String])
    /// A v2 keys change or the leader's v2 expiry (`V2Command`, applied to the v2 store).
    case v2(V2Command)

    /// The entry data: the header, the principal unless anonymous (tag 11 and the user's name and auth
    /// revision, or tag 12 for the member itself), then the tagged command.
    public func entryData(header: EntryHeader, principal: Principal = .anonymous) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        header.encode(into: &w)
        switch principal {
        case .anonymous: break
        case .user(let name, let authRevision):
            w.u8(11)
            w.blob(name)
            w.u64(authRevision)
        case .system: w.u8(12)
        }
        switch self {
        case .put(let r):
            w.u8(1)
            KVCodec.put(r, into: &w)
        case .deleteRange(let r):
            w.u8(2)
            KVCodec.deleteRange(r, into: &w)
        case .txn(let r):
            w.u8(3)
            KVCodec.txn(r, into: &w)
        case .compact(let r):
            w.u8(4)
            w.i64(r.revision.value)
            w.bool(r.physical)
        case .leaseGrant(let r):
            w.u8(5)
            w.i64(r.ttlSeconds)
            w.i64(r.id.value)
        case .leaseRevoke(let id):
            w.u8(6)
            w.i64(id.value)
        case .memberAttributes(let member, let context):
            w.u8(7)
            w.u64(member.value)
            w.blob(context)
        case .alarm(let activate, let member, let type):
            w.u8(8)
            w.bool(activate)
            w.u64(member.value)
            w.u8(type.rawValue)
        case .auth(let command):
            w.u8(9)
            command.encode(into: &w)
        case .memberPeerURLs(let member, let urls):
            w.u8(10)
            w.u64(member.value)
            w.u32(UInt32(urls.count))
            for url in urls { w.string(url) }
        case .v2(let command):
            w.u8(13)
            V2Codec.encode(command, into: &w)
        }
        return w.bytes
    }

    public static func decode(entryData: [UInt8]) throws(DecodeError) -> (EntryHeader, KVCommand) {
        let entry = try decodeEntry(entryData)
        return (entry.header, entry.command)
    }

    /// The header, principal and command of an entry's data.
    public static func decodeEntry(
        _ entryData: [UInt8]
    ) throws(DecodeError) -> (header: EntryHeader, principal: Principal, command: KVCommand) {
        var r = ByteReader(entryData)
        let header = try EntryHeader.decode(&r)
        var at = r.offset
        var tag = try r.u8()
        var principal = Principal.anonymous
        if tag == 11 || tag == 12 {
            principal = tag == 12 ? .system : .user(name: try r.blob(), authRevision: try r.u64())
            at = r.offset
            tag = try r.u8()
        }
        let command: KVCommand
        switch tag {
        case 1: command = .put(try KVCodec.put(&r))
        case 2: command = .deleteRange(try KVCodec.deleteRange(&r))
        case 3: command = .txn(try KVCodec.txn(&r, depth: 0))
        case 4: command = .compact(CompactionRequest(revision: Revision(try r.i64()), physical: try r.bool()))
        case 5: command = .leaseGrant(LeaseGrantRequest(ttlSeconds: try r.i64(), id: LeaseID(try r.i64())))
        case 6: command = .leaseRevoke(LeaseID(try r.i64()))
        case 7: command = .memberAttributes(MemberID(try r.u64()), context: try r.blob())
        case 8:
            let activate = try r.bool()
            let member = MemberID(try r.u64())
            let kindAt = r.offset
            guard let kind = AlarmKind(rawValue: try r.u8()) else { throw .badValue(offset: kindAt, what: "alarm") }
            command = .alarm(activate: activate, member: member, type: kind)
        case 9: command = .auth(try AuthCommand.decode(&r))
        case 10:
            let member = MemberID(try r.u64())
            var urls: [String] = []
            for _ in 0..<(try r.count(itemBytesMin: 4)) { urls.append(try r.string()) }
            command = .memberPeerURLs(member, peerURLs: urls)
        case 13: command = .v2(try V2Codec.decode(&r))
        case let tag: throw .badTag(offset: at, tag: tag)
        }
        guard r.isAtEnd else { throw .badValue(offset: r.offset, what: "trailing bytes after command") }
        return (header, principal, command)
    }
}

/// Binary encodings of etcd's KV requests, for log entries.
enum KVCodec {
    static let txnDepthMax = 64

    static func put(_ p: PutRequest, into w: inout ByteWriter) {
        w.blob(p.key)
        w.blob(p.value)
        w.i64(p.lease.value)
        w.bool(p.prevKV)
        w.bool(p.ignoreValue)
        w.bool(p.ignoreLease)
    }

    static func put(_ r: inout ByteReader) throws(DecodeError) -> PutRequest {
        PutRequest(key: try r.blob(), value: try r.blob(), lease: LeaseID(try r.i64()), prevKV: try r.bool(),
                   ignoreValue: try r.bool(), ignoreLease: try r.bool())
    }

    static func deleteRange(_ d: DeleteRangeRequest, into w: inout ByteWriter) {
        w.blob(d.key)
        w.blob(d.rangeEnd)
        w.bool(d.prevKV)
    }

    static func deleteRange(_ r: inout ByteReader) throws(DecodeError) -> DeleteRangeRequest {
        DeleteRangeRequest(key: try r.blob(), rangeEnd: try r.blob(), prevKV: try r.bool())
    }

    static func range(_ q: RangeRequest, into w: inout ByteWriter) {
        w.blob(q.key)
        w.blob(q.rangeEnd)
        w.i64(q.limit)
        w.i64(q.revision.value)
        w.u8(UInt8(q.sortOrder.rawValue))
        w.u8(UInt8(q.sortTarget.rawValue))
        w.bool(q.serializable)
        w.bool(q.keysOnly)
        w.bool(q.countOnly)
        for rev in [q.minModRevision, q.maxModRevision, q.minCreateRevision, q.maxCreateRevision] { w.i64(rev.value) }
    }

    static func range(_ r: inout ByteReader) throws(DecodeError) -> RangeRequest {
        let key = try r.blob()
        let rangeEnd = try r.blob()
        let limit = try r.i64()
        let revision = Revision(try r.i64())
        let orderAt = r.offset
        guard let order = RangeRequest.SortOrder(rawValue: Int(try r.u8())),
              let target = RangeRequest.SortTarget(rawValue: Int(try r.u8())) else {
            throw .badValue(offset: orderAt, what: "sort order or target")
        }
        let serializable = try r.bool()
        let keysOnly = try r.bool()
        let countOnly = try r.bool()
        return RangeRequest(key: key, rangeEnd: rangeEnd, limit: limit, revision: revision, sortOrder: order,
                            sortTarget: target, serializable: serializable, keysOnly: keysOnly, countOnly: countOnly,
                            minModRevision: Revision(try r.i64()), maxModRevision: Revision(try r.i64()),
                            minCreateRevision: Revision(try r.i64()), maxCreateRevision: Revision(try r.i64()))
    }

    static func txn(_ t: TxnRequest, into w: inout ByteWriter) {
        w.u32(UInt32(t.compare.count))
        for c in t.compare { compare(c, into: &w) }
        for ops in [t.success, t.failure] {
            w.u32(UInt32(ops.count))
            for op in ops { requestOp(op, into: &w) }
        }
    }

    static func txn(_ r: inout ByteReader, depth: Int) throws(DecodeError) -> TxnRequest {
        guard depth < txnDepthMax else { throw .badValue(offset: r.offset, what: "txn nested too deep") }
        var compares: [Compare] = []
        for _ in 0..<(try r.count(itemBytesMin: 10)) { compares.append(try compare(&r)) }
        var lists: [[RequestOp]] = []
        for _ in 0..<2 {
            var ops: [RequestOp] = []
            for _ in 0..<(try r.count(itemBytesMin: 1)) { ops.append(try requestOp(&r, depth: depth)) }
            lists.append(ops)
        }
        return TxnRequest(compare: compares, success: lists[0], failure: lists[1])
    }

    static func requestOp(_ op: RequestOp, into w: inout ByteWriter) {
        switch op {
        case .range(let q):
            w.u8(1)
            range(q, into: &w)
        case .put(let p):
            w.u8(2)
            put(p, into: &w)
        case .deleteRange(let d):
            w.u8(3)
            deleteRange(d, into: &w)
        case .txn(let t):
            w.u8(4)
            txn(t, into: &w)
        case .unset:
            w.u8(5)
        }
    }

    static func requestOp(_ r: inout ByteReader, depth: Int) throws(DecodeError) -> RequestOp {
        let at = r.offset
        switch try r.u8() {
        case 1: return .range(try range(&r))
        case 2: return .put(try put(&r))
        case 3: return .deleteRange(try deleteRange(&r))
        case 4: return .txn(try txn(&r, depth: depth + 1))
        case 5: return .unset
        case let tag: throw .badTag(offset: at, tag: tag)
        }
    }

    static func compare(_ c: Compare, into w: inout ByteWriter) {
        w.u8(UInt8(c.result.rawValue))
        w.u8(UInt8(c.target.rawValue))
        w.blob(c.key)
        w.blob(c.rangeEnd)
        switch c.operand {
        case nil: w.u8(0)
        case .version(let v):
            w.u8(1)
            w.i64(v)
        case .createRevision(let rev):
            w.u8(2)
            w.i64(rev.value)
        case .modRevision(let rev):
            w.u8(3)
            w.i64(rev.value)
        case .value(let bytes):
            w.u8(4)
            w.blob(bytes)
        case .lease(let id):
            w.u8(5)
            w.i64(id.value)
        }
    }

    static func compare(_ r: inout ByteReader) throws(DecodeError) -> Compare {
        let at = r.offset
        guard let result = Compare.Result(rawValue: Int(try r.u8())),
              let target = Compare.Target(rawValue: Int(try r.u8())) else {
            throw .badValue(offset: at, what: "compare result or target")
        }
        let key = try r.blob()
        let rangeEnd = try r.blob()
        let operandAt = r.offset
        let operand: Compare.Operand?
        switch try r.u8() {
        case 0: operand = nil
        case 1: operand = .version(try r.i64())
        case 2: operand = .createRevision(Revision(try r.i64()))
        case 3: operand = .modRevision(Revision(try r.i64()))
        case 4: operand = .value(try r.blob())
        case 5: operand = .lease(LeaseID(try r.i64()))
        case let tag: throw .badTag(offset: operandAt, tag: tag)
        }
        return Compare(key: key, rangeEnd: rangeEnd, target: target, result: result, operand: operand)
    }
}

/// etcd's alarm types.
public enum AlarmKind: UInt8, Sendable, Equatable {
    case none = 0
    case noSpace = 1
    case corrupt = 2
}

/// An alarm raised on a member.
public struct Alarm: Equatable, Sendable {
    public var member: MemberID
    public var type: AlarmKind

    public init(member: MemberID, type: AlarmKind) {
        self.member = member
        self.type = type
    }
}
