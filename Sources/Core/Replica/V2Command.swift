/// A v2 keys request as the API layer decodes it (etcd 3.4's `/v2/keys`, issue 15), with the wall time the
/// member it reached read when it arrived.
///
/// Core holds no clock: `now` is the driver's (the simulator's virtual wall time, the daemon's real one). A write
/// carries it into the log, so every member applies it with the proposer's `now`; expirations are absolute
/// (`now + ttl`, computed by the API layer from `ttl=`), fixed in the request.
public struct V2Request: Sendable, Equatable {
    public var now: V2Time
    public var kind: Kind

    /// What the request asks.
    public enum Kind: Sendable, Equatable {
        /// GET: answered from this member's store at once, or after a ReadIndex round when `quorum`.
        case get(path: String, recursive: Bool, sorted: Bool, quorum: Bool)
        /// GET with `wait=true`: one event at or after `waitIndex` (0: the next) on `path` (and below it when
        /// `recursive`), from the history or the next change this member applies. Ended by `cancelV2Wait`.
        case wait(path: String, recursive: Bool, waitIndex: UInt64)
        /// PUT, POST or DELETE: through the log.
        case write(V2Write)
    }

    public init(now: V2Time, _ kind: Kind) {
        self.now = now
        self.kind = kind
    }
}

/// A v2 change, the `V2Store` call it becomes (etcd's `applyV2Request` choice by method and `prevExist`,
/// `prevValue`, `prevIndex`).
public enum V2Write: Sendable, Equatable {
    /// PUT without conditions (`V2Store.set`).
    case set(path: String, value: String, dir: Bool, expiration: V2Time?, refresh: Bool)
    /// PUT with `prevExist=false`, or POST (`inOrder`) (`V2Store.create`).
    case create(path: String, value: String, dir: Bool, inOrder: Bool, expiration: V2Time?)
    /// PUT with `prevExist=true` (`V2Store.update`).
    case update(path: String, value: String, expiration: V2Time?, refresh: Bool)
    /// PUT with `prevValue` or `prevIndex` (`V2Store.compareAndSwap`).
    case compareAndSwap(path: String, prevValue: String, prevIndex: UInt64, value: String, expiration: V2Time?,
                        refresh: Bool)
    /// DELETE without conditions (`V2Store.delete`).
    case delete(path: String, dir: Bool, recursive: Bool)
    /// DELETE with `prevValue` or `prevIndex` (`V2Store.compareAndDelete`).
    case compareAndDelete(path: String, prevValue: String, prevIndex: UInt64)
}

/// A v2 command in the log (`KVCommand.v2`): a client's change with its proposer's `now`, or the leader's
/// expiry of TTL keys (etcd's `SYNC`) at the leader's `now`.
public enum V2Command: Sendable, Equatable {
    case write(V2Write, now: V2Time)
    case sync(now: V2Time)
}

/// A v2 answer: the event or the store's refusal.
public enum V2Result: Sendable, Equatable {
    case event(V2Event)
    case error(V2Error)
}

/// A v2 request's answer with what etcd puts in its headers: `X-Etcd-Index` (`etcdIndex`) and `X-Raft-Index`
/// (`raftIndex`: the entry a change applied at, else this member's commit index). `X-Raft-Term` is the
/// reply's `raftTerm`.
public struct V2Reply: Sendable, Equatable {
    public var result: V2Result
    public var raftIndex: LogIndex

    public init(_ result: V2Result, raftIndex: LogIndex) {
        self.result = result
        self.raftIndex = raftIndex
    }

    /// The store's index when answered (`X-Etcd-Index`).
    public var etcdIndex: UInt64 {
        switch result {
        case .event(let event): event.etcdIndex
        case .error(let error): error.index
        }
    }
}

extension V2Store {
    /// Applies `write` at `now` (every member, in log order).
    public mutating func apply(_ write: V2Write, now: V2Time) throws(V2Error) -> V2Event {
        switch write {
        case .set(let path, let value, let dir, let expiration, let refresh):
            try set(path, value: value, dir: dir, expiration: expiration, refresh: refresh, now: now)
        case .create(let path, let value, let dir, let inOrder, let expiration):
            try create(path, value: value, dir: dir, inOrder: inOrder, expiration: expiration, now: now)
        case .update(let path, let value, let expiration, let refresh):
            try update(path, value: value, expiration: expiration, refresh: refresh, now: now)
        case .compareAndSwap(let path, let prevValue, let prevIndex, let value, let expiration, let refresh):
            try compareAndSwap(path, prevValue: prevValue, prevIndex: prevIndex, value: value, expiration: expiration,
                               refresh: refresh, now: now)
        case .delete(let path, let dir, let recursive):
            try delete(path, dir: dir, recursive: recursive, now: now)
        case .compareAndDelete(let path, let prevValue, let prevIndex):
            try compareAndDelete(path, prevValue: prevValue, prevIndex: prevIndex, now: now)
        }
    }
}

/// The log encoding of `V2Command` (after `KVCommand`'s tag 13): sub-tag 1 write (then the write's tag and
/// fields, `now`), 2 sync (`now`). Times are i64 nanoseconds; an optional expiration is a flag then the time.
enum V2Codec {
    static func encode(_ command: V2Command, into w: inout ByteWriter) {
        switch command {
        case .write(let write, let now):
            w.u8(1)
            encode(write, into: &w)
            w.i64(now.nanoseconds)
        case .sync(let now):
            w.u8(2)
            w.i64(now.nanoseconds)
        }
    }

    static func decode(_ r: inout ByteReader) throws(DecodeError) -> V2Command {
        let at = r.offset
        switch try r.u8() {
        case 1:
            let write = try decodeWrite(&r)
            return .write(write, now: V2Time(nanoseconds: try r.i64()))
        case 2: return .sync(now: V2Time(nanoseconds: try r.i64()))
        case let tag: throw .badTag(offset: at, tag: tag)
        }
    }

    static func encode(_ write: V2Write, into w: inout ByteWriter) {
        switch write {
        case .set(let path, let value, let dir, let expiration, let refresh):
            w.u8(1)
            w.string(path)
            w.string(value)
            w.bool(dir)
            encode(expiration, into: &w)
            w.bool(refresh)
        case .create(let path, let value, let dir, let inOrder, let expiration):
            w.u8(2)
            w.string(path)
            w.string(value)
            w.bool(dir)
            w.bool(inOrder)
            encode(expiration, into: &w)
        case .update(let path, let value, let expiration, let refresh):
            w.u8(3)
            w.string(path)
            w.string(value)
            encode(expiration, into: &w)
            w.bool(refresh)
        case .compareAndSwap(let path, let prevValue, let prevIndex, let value, let expiration, let refresh):
            w.u8(4)
            w.string(path)
            w.string(prevValue)
            w.u64(prevIndex)
            w.string(value)
            encode(expiration, into: &w)
            w.bool(refresh)
        case .delete(let path, let dir, let recursive):
            w.u8(5)
            w.string(path)
            w.bool(dir)
            w.bool(recursive)
        case .compareAndDelete(let path, let prevValue, let prevIndex):
            w.u8(6)
            w.string(path)
            w.string(prevValue)
            w.u64(prevIndex)
        }
    }

    static func decodeWrite(_ r: inout ByteReader) throws(DecodeError) -> V2Write {
        let at = r.offset
        switch try r.u8() {
        case 1:
            return .set(path: try r.string(), value: try r.string(), dir: try r.bool(),
                        expiration: try decodeTime(&r), refresh: try r.bool())
        case 2:
            return .create(path: try r.string(), value: try r.string(), dir: try r.bool(), inOrder: try r.bool(),
                           expiration: try decodeTime(&r))
        case 3:
            return .update(path: try r.string(), value: try r.string(), expiration: try decodeTime(&r),
                           refresh: try r.bool())
        case 4:
            return .compareAndSwap(path: try r.string(), prevValue: try r.string(), prevIndex: try r.u64(),
                                   value: try r.string(), expiration: try decodeTime(&r), refresh: try r.bool())
        case 5: return .delete(path: try r.string(), dir: try r.bool(), recursive: try r.bool())
        case 6: return .compareAndDelete(path: try r.string(), prevValue: try r.string(), prevIndex: try r.u64())
        case let tag: throw .badTag(offset: at, tag: tag)
        }
    }

    static func encode(_ time: V2Time?, into w: inout ByteWriter) {
        w.bool(time != nil)
        if let time { w.i64(time.nanoseconds) }
    }

    static func decodeTime(_ r: inout ByteReader) throws(DecodeError) -> V2Time? {
        try r.bool() ? V2Time(nanoseconds: try r.i64()) : nil
    }
}
