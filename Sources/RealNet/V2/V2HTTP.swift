import Core
import Glibc

/// etcd 3.4's `/v2/keys` handler (`v2http/client.go`, with --enable-v2) as Keel serves it on the client port:
/// `parse` reads a request as `parseKeyRequest` does and picks the store call as etcd's `applyV2Request` does;
/// `write…` frame the answers as etcd's `writeKeyEvent` and `v2error.Error.WriteTo` do.
enum V2HTTP {
    static let keysPrefix = "/v2/keys"
    /// etcd's `allowMethod` list, as its 405 names it.
    static let allowedMethods = "HEAD,GET,PUT,POST,DELETE"

    /// Whether `path` is served by the keys handler (Go's mux: `/v2/keys` and everything under `/v2/keys/`).
    static func isKeysPath(_ path: String) -> Bool {
        path.hasPrefix(keysPrefix) && (path.utf8.count == keysPrefix.utf8.count || path.hasPrefix(keysPrefix + "/"))
    }

    /// What a keys request becomes.
    enum Parsed: Equatable {
        /// Not HEAD, GET, PUT, POST or DELETE: Go's plain 405.
        case methodNotAllowed
        /// Refused before reaching the store (index 0), e.g. 209 `invalid value for "recursive"`.
        case refused(V2Error)
        /// For the Replica; with `noValueOnSuccess` a successful write shows its action only.
        case request(V2Request, noValueOnSuccess: Bool)
    }

    /// Reads one keys request received at `now` (the expiration of `ttl=N` is `now + N` seconds).
    static func parse(method: HTTPMethod, target: String, contentType: String?, body: [UInt8], now: V2Time)
        -> Parsed
    {
        switch method {
        case .head, .get, .put, .post, .delete: break
        default: return .methodNotAllowed
        }
        let targetBytes = Array(target.utf8)
        let question = targetBytes.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = targetBytes[..<(question ?? targetBytes.endIndex)]
        let query = question.map { Array(targetBytes[($0 + 1)...]) } ?? []
        let form: V2Form
        let path: String
        do throws(V2FormError) {
            form = try V2Form.parse(method: method, contentType: contentType, body: body, query: query)
            path = try V2Form.unescape(rawPath, plusIsSpace: false)
        } catch {
            return .refused(V2Error(.invalidForm, cause: error.text, index: 0))
        }
        let keyPath = String(path.dropFirst(keysPrefix.count))
        do throws(V2Error) {
            let (request, quiet) = try request(method: method, path: keyPath.isEmpty ? "/" : keyPath, form, now: now)
            return .request(request, noValueOnSuccess: quiet)
        } catch {
            return .refused(error)
        }
    }

    /// `parseKeyRequest`'s checks, in its order, then the store call for the method.
    static func request(method: HTTPMethod, path: String, _ form: V2Form, now: V2Time) throws(V2Error)
        -> (V2Request, Bool)
    {
        func refuse(_ code: V2ErrorCode, _ cause: String) -> V2Error { V2Error(code, cause: cause, index: 0) }
        func uint(_ name: String) throws(V2Error) -> UInt64 {
            guard let text = form.value(name) else { return 0 }
            guard let value = V2Form.goUInt64(text) else { throw refuse(.indexNaN, "invalid value for \"\(name)\"") }
            return value
        }
        func flag(_ name: String) throws(V2Error) -> Bool {
            guard let text = form.value(name) else { return false }
            guard let value = V2Form.goBool(text) else { throw refuse(.invalidField, "invalid value for \"\(name)\"") }
            return value
        }
        let prevIndex = try uint("prevIndex")
        let waitIndex = try uint("waitIndex")
        let recursive = try flag("recursive")
        let sorted = try flag("sorted")
        let wait = try flag("wait")
        let dir = try flag("dir")
        let quorum = try flag("quorum")
        _ = try flag("stream")
        if wait && method != .get { throw refuse(.invalidField, "\"wait\" can only be used with GET requests") }
        let prevValue = form.value("prevValue") ?? ""
        if form.has("prevValue") && prevValue.isEmpty {
            throw refuse(.prevValueRequired, "\"prevValue\" cannot be empty")
        }
        let noValueOnSuccess = try flag("noValueOnSuccess")
        var ttl: UInt64?
        if let text = form.value("ttl"), !text.isEmpty {
            guard let value = V2Form.goUInt64(text) else { throw refuse(.ttlNaN, "invalid value for \"ttl\"") }
            ttl = value
        }
        var prevExist: Bool?
        if let text = form.value("prevExist") {
            guard let value = V2Form.goBool(text) else { throw refuse(.invalidField, "invalid value for prevExist") }
            prevExist = value
        }
        var refresh = false
        if let text = form.value("refresh") {
            guard let value = V2Form.goBool(text) else { throw refuse(.invalidField, "invalid value for refresh") }
            refresh = value
            if refresh {
                if let value = form.value("value"), !value.isEmpty {
                    throw refuse(.refreshValue, "A value was provided on a refresh")
                }
                if ttl == nil { throw refuse(.refreshTTLRequired, "No TTL value set") }
            }
        }
        let value = form.value("value") ?? ""
        let expiration = ttl.map { now.adding(seconds: Int64(clamping: $0)) }
        let kind: V2Request.Kind
        switch method {
        case .get, .head:
            kind = wait ? .wait(path: path, recursive: recursive, waitIndex: waitIndex)
                : .get(path: path, recursive: recursive, sorted: sorted, quorum: quorum)
        case .post:
            kind = .write(.create(path: path, value: value, dir: dir, inOrder: true, expiration: expiration))
        case .put:
            if let prevExist {
                if !prevExist {
                    kind = .write(.create(path: path, value: value, dir: dir, inOrder: false, expiration: expiration))
                } else if prevIndex == 0 && prevValue.isEmpty {
                    kind = .write(.update(path: path, value: value, expiration: expiration, refresh: refresh))
                } else {
                    kind = .write(.compareAndSwap(path: path, prevValue: prevValue, prevIndex: prevIndex, value: value,
                                                  expiration: expiration, refresh: refresh))
                }
            } else if prevIndex > 0 || !prevValue.isEmpty {
                kind = .write(.compareAndSwap(path: path, prevValue: prevValue, prevIndex: prevIndex, value: value,
                                              expiration: expiration, refresh: refresh))
            } else {
                kind = .write(.set(path: path, value: value, dir: dir, expiration: expiration, refresh: refresh))
            }
        default:  // DELETE
            if prevIndex > 0 || !prevValue.isEmpty {
                kind = .write(.compareAndDelete(path: path, prevValue: prevValue, prevIndex: prevIndex))
            } else {
                kind = .write(.delete(path: path, dir: dir, recursive: recursive))
            }
        }
        return (V2Request(now: now, kind), noValueOnSuccess)
    }

    // MARK: Answers

    /// The headers every keys answer after the method check carries, plus `extra`.
    static func headers(clusterID: String, _ extra: [(name: String, value: String)])
        -> [(name: String, value: String)]
    {
        [("Content-Type", "application/json"), ("X-Etcd-Cluster-Id", clusterID)] + extra
    }

    /// An event: 201 for a create (or a set that made a new node), else 200; `X-Etcd-Index`, `X-Raft-Index`,
    /// `X-Raft-Term`; the body and a newline (Go's `json.Encoder`), none for HEAD.
    static func writeEvent(_ event: V2Event, raftIndex: UInt64, raftTerm: UInt64, clusterID: String,
                           noValueOnSuccess: Bool, head: Bool, close: Bool, date: String?,
                           writer: inout JSONWriter, into out: inout [UInt8]) {
        writer.reset()
        writer.v2Event(event, noValueOnSuccess: noValueOnSuccess)
        let created = event.action == .create || (event.action == .set && event.prevNode == nil)
        let extra = [("X-Etcd-Index", String(event.etcdIndex)), ("X-Raft-Index", String(raftIndex)),
                     ("X-Raft-Term", String(raftTerm))]
        write(status: created ? 201 : 200, headers(clusterID: clusterID, extra), writer.bytes, head: head,
              close: close, date: date, into: &out)
    }

    /// A long poll's event (`wait=true`), as etcd's `handleKeyWatch` sends it: 200 whatever the action, the
    /// store's and Raft's indexes when the wait began (`etcdIndex`, `raftIndex`), chunked (etcd flushes the head
    /// before the event comes), the body and a newline as one chunk.
    static func writeWaitEvent(_ event: V2Event, etcdIndex: UInt64, raftIndex: UInt64, raftTerm: UInt64,
                               clusterID: String, head: Bool, close: Bool, date: String?,
                               writer: inout JSONWriter, into out: inout [UInt8]) {
        writer.reset()
        writer.v2Event(event)
        var body = writer.bytes
        body.append(UInt8(ascii: "\n"))
        let extra = [("X-Etcd-Index", String(etcdIndex)), ("X-Raft-Index", String(raftIndex)),
                     ("X-Raft-Term", String(raftTerm))]
        HTTPResponse.head(status: 200, headers: headers(clusterID: clusterID, extra), framing: .chunked(trailer: nil),
                          close: close, date: date, into: &out)
        if !head { HTTPResponse.chunk(body, into: &out) }
        HTTPResponse.lastChunk(into: &out)
    }

    /// An error: its status (`V2ErrorCode.httpStatus`), `X-Etcd-Index`, the body and a newline.
    static func writeError(_ error: V2Error, clusterID: String, head: Bool, close: Bool, date: String?,
                           writer: inout JSONWriter, into out: inout [UInt8]) {
        writer.reset()
        writer.v2Error(error)
        write(status: error.code.httpStatus, headers(clusterID: clusterID, [("X-Etcd-Index", String(error.index))]),
              writer.bytes, head: head, close: close, date: date, into: &out)
    }

    /// Go's framing of a handler's JSON: `Content-Length` up to its 2 KiB buffer, else chunked (HEAD: no body).
    static func write(status: Int, _ headers: [(name: String, value: String)], _ json: [UInt8], head: Bool,
                      close: Bool, date: String?, into out: inout [UInt8]) {
        var body = json
        body.append(UInt8(ascii: "\n"))
        if head || body.count <= Gateway.responseBufferBytes {
            HTTPResponse.head(status: status, headers: headers, framing: .contentLength(body.count), close: close,
                              date: date, into: &out)
            if !head { out.append(contentsOf: body) }
        } else {
            HTTPResponse.head(status: status, headers: headers, framing: .chunked(trailer: nil), close: close,
                              date: date, into: &out)
            HTTPResponse.chunk(body, into: &out)
            HTTPResponse.lastChunk(into: &out)
        }
    }
}

/// The daemon's wall clock for the v2 store (`CLOCK_REALTIME`): request times, TTL expirations and the
/// `Input.wallClock` the leader's expiry syncs carry.
enum V2Clock {
    static func now() -> V2Time {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return V2Time(nanoseconds: Int64(time.tv_sec) * V2Time.nanosecondsPerSecond + Int64(time.tv_nsec))
    }
}
