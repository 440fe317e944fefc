import Core
import Foundation  // Process control, threads and JSON in tests.
import Glibc
import Testing

@testable import RealNet

/// etcd's v2 keys API (`/v2/keys`, --enable-v2): the request parsing against etcd 3.4's `parseKeyRequest`, and a
/// real `keel` answered over HTTP/1.1 with the bodies, statuses and headers etcd 3.4 gives (compared by hand
/// with `etcd --enable-v2`; only the indexes differ, as etcd's store starts with its membership entries).
@Suite(.serialized) struct V2KeysTests {
    static let now = V2Time.seconds(1_700_000_000)

    static func parse(_ method: HTTPMethod, _ target: String, form: String? = nil) -> V2HTTP.Parsed {
        V2HTTP.parse(method: method, target: target,
                     contentType: form == nil ? nil : "application/x-www-form-urlencoded; charset=utf-8",
                     body: Array((form ?? "").utf8), now: now)
    }

    static func request(_ kind: V2Request.Kind, quiet: Bool = false) -> V2HTTP.Parsed {
        .request(V2Request(now: now, kind), noValueOnSuccess: quiet)
    }

    static func refused(_ code: V2ErrorCode, _ cause: String) -> V2HTTP.Parsed {
        .refused(V2Error(code, cause: cause, index: 0))
    }

    @Test("requests become etcd's store calls: get, wait, set, create, update, CAS, delete, CAD")
    func parsing() {
        #expect(Self.parse(.get, "/v2/keys/a%20b?recursive=true&sorted=1")
                == Self.request(.get(path: "/a b", recursive: true, sorted: true, quorum: false)))
        #expect(Self.parse(.get, "/v2/keys") == Self.request(.get(path: "/", recursive: false, sorted: false,
                                                                  quorum: false)))
        #expect(Self.parse(.head, "/v2/keys/x?quorum=true")
                == Self.request(.get(path: "/x", recursive: false, sorted: false, quorum: true)))
        #expect(Self.parse(.get, "/v2/keys/d?wait=true&waitIndex=7&recursive=true")
                == Self.request(.wait(path: "/d", recursive: true, waitIndex: 7)))
        let in5 = Self.now.adding(seconds: 5)
        // The body's fields come before the query's: the first value wins.
        #expect(Self.parse(.put, "/v2/keys/k?value=query", form: "value=a+b%21&ttl=5")
                == Self.request(.write(.set(path: "/k", value: "a b!", dir: false, expiration: in5, refresh: false))))
        #expect(Self.parse(.put, "/v2/keys/d", form: "dir=true")
                == Self.request(.write(.set(path: "/d", value: "", dir: true, expiration: nil, refresh: false))))
        #expect(Self.parse(.post, "/v2/keys/q", form: "value=j")
                == Self.request(.write(.create(path: "/q", value: "j", dir: false, inOrder: true, expiration: nil))))
        #expect(Self.parse(.put, "/v2/keys/k", form: "value=v&prevExist=false")
                == Self.request(.write(.create(path: "/k", value: "v", dir: false, inOrder: false, expiration: nil))))
        #expect(Self.parse(.put, "/v2/keys/k", form: "value=v&prevExist=true&noValueOnSuccess=true")
                == Self.request(.write(.update(path: "/k", value: "v", expiration: nil, refresh: false)), quiet: true))
        #expect(Self.parse(.put, "/v2/keys/k", form: "ttl=5&refresh=true")
                == Self.request(.write(.set(path: "/k", value: "", dir: false, expiration: in5, refresh: true))))
        #expect(Self.parse(.put, "/v2/keys/k", form: "value=v&prevValue=old&prevIndex=3")
                == Self.request(.write(.compareAndSwap(path: "/k", prevValue: "old", prevIndex: 3, value: "v",
                                                       expiration: nil, refresh: false))))
        #expect(Self.parse(.delete, "/v2/keys/d?dir=true&recursive=true")
                == Self.request(.write(.delete(path: "/d", dir: true, recursive: true))))
        #expect(Self.parse(.delete, "/v2/keys/k?prevIndex=4")
                == Self.request(.write(.compareAndDelete(path: "/k", prevValue: "", prevIndex: 4))))
        // A DELETE's body is not a form to Go, and neither is a body without the form content type.
        #expect(V2HTTP.parse(method: .put, target: "/v2/keys/k", contentType: nil, body: Array("value=v".utf8),
                             now: Self.now)
                == Self.request(.write(.set(path: "/k", value: "", dir: false, expiration: nil, refresh: false))))
    }

    @Test("bad requests get etcd's codes and causes, in parseKeyRequest's order")
    func parseErrors() {
        #expect(Self.parse(.patch, "/v2/keys/k") == .methodNotAllowed)
        #expect(Self.parse(.get, "/v2/keys/k?x=%zz") == Self.refused(.invalidForm, #"invalid URL escape "%zz""#))
        #expect(Self.parse(.get, "/v2/keys/k?a=1;b=2")
                == Self.refused(.invalidForm, "invalid semicolon separator in query"))
        #expect(Self.parse(.get, "/v2/keys/k?prevIndex=x&recursive=maybe")
                == Self.refused(.indexNaN, #"invalid value for "prevIndex""#))
        #expect(Self.parse(.get, "/v2/keys/k?recursive=maybe")
                == Self.refused(.invalidField, #"invalid value for "recursive""#))
        #expect(Self.parse(.put, "/v2/keys/k?wait=true")
                == Self.refused(.invalidField, #""wait" can only be used with GET requests"#))
        #expect(Self.parse(.put, "/v2/keys/k", form: "value=v&prevValue=")
                == Self.refused(.prevValueRequired, #""prevValue" cannot be empty"#))
        #expect(Self.parse(.put, "/v2/keys/k", form: "value=v&ttl=-1")
                == Self.refused(.ttlNaN, #"invalid value for "ttl""#))
        #expect(Self.parse(.put, "/v2/keys/k", form: "prevExist=yes")
                == Self.refused(.invalidField, "invalid value for prevExist"))
        #expect(Self.parse(.put, "/v2/keys/k", form: "refresh=true&value=z")
                == Self.refused(.refreshValue, "A value was provided on a refresh"))
        #expect(Self.parse(.put, "/v2/keys/k", form: "refresh=true")
                == Self.refused(.refreshTTLRequired, "No TTL value set"))
    }

    @Test("event and error JSON: etcd's field order, omitted empty fields, the root's key left out")
    func json() {
        var writer = JSONWriter()
        let child = V2Node(key: "/d/a", value: "1", createdIndex: 6, modifiedIndex: 6,
                           expiration: V2Time(nanoseconds: 1_700_000_005_500_000_000), ttl: 5)
        let root = V2Node(key: "/", dir: true, nodes: [V2Node(key: "/d", dir: true, nodes: [child], createdIndex: 5,
                                                              modifiedIndex: 5)], createdIndex: 0, modifiedIndex: 0)
        writer.v2Event(V2Event(action: .get, node: root, etcdIndex: 6))
        #expect(String(decoding: writer.bytes, as: UTF8.self)
                == #"{"action":"get","node":{"dir":true,"nodes":[{"key":"/d","dir":true,"nodes":[{"key":"/d/a","#
                + #""value":"1","expiration":"2023-11-14T22:13:25.5Z","ttl":5,"modifiedIndex":6,"createdIndex":6}],"#
                + #""modifiedIndex":5,"createdIndex":5}]}}"#)
        writer.reset()
        let old = V2Node(key: "/m", value: "", createdIndex: 2, modifiedIndex: 2)
        writer.v2Event(V2Event(action: .set, node: V2Node(key: "/m", value: "x", createdIndex: 3, modifiedIndex: 3),
                               prevNode: old, etcdIndex: 3), noValueOnSuccess: true)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"action":"set"}"#)
        writer.reset()
        writer.v2Event(V2Event(action: .delete, node: V2Node(key: "/m", createdIndex: 2, modifiedIndex: 4),
                               prevNode: old, etcdIndex: 4))
        #expect(String(decoding: writer.bytes, as: UTF8.self)
                == #"{"action":"delete","node":{"key":"/m","modifiedIndex":4,"createdIndex":2},"#
                + #""prevNode":{"key":"/m","value":"","modifiedIndex":2,"createdIndex":2}}"#)
        writer.reset()
        writer.v2Error(V2Error(.refreshTTLRequired, cause: "", index: 0))
        #expect(String(decoding: writer.bytes, as: UTF8.self)
                == #"{"errorCode":212,"message":"A TTL must be provided on refresh","index":0}"#)
    }

    // MARK: The daemon

    /// One v2 request on its own connection; `form` goes in the body as a form.
    static func call(_ method: String, _ port: Int, _ target: String, form: String? = nil,
                     timeoutSeconds: Int = 10) throws -> HTTP.Response {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let form {
            text += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n"
        }
        text += "Connection: close\r\n\r\n" + (form ?? "")
        return try HTTP.raw(port, text, timeoutSeconds: timeoutSeconds)
    }

    /// The member's calls waiting for the Replica (`etcd_server_proposals_pending`, which counts parked waits).
    static func pendingCalls(_ port: Int) throws -> Int {
        let metrics = try call("GET", port, "/metrics").body
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("etcd_server_proposals_pending ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
    }

    static func index(_ response: HTTP.Response) -> Int { Int(response.headers["x-etcd-index"] ?? "") ?? -1 }

    @Test("a member with --enable-v2: set, get, errors, directories, CAS, in-order keys, delete, 405")
    func keys() throws {
        let cluster = try KeelCluster(size: 1, extra: ["--enable-v2"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        _ = cluster.waitForLeader()

        let set = try Self.call("PUT", port, "/v2/keys/message", form: "value=Hello")
        let n = Self.index(set)
        #expect(set.status == 201)
        #expect(set.headers["content-type"] == "application/json")
        #expect(set.headers["x-raft-index"] != nil && set.headers["x-raft-term"] != nil)
        #expect(set.headers["x-etcd-cluster-id"]?.isEmpty == false)
        #expect(set.body == #"{"action":"set","node":{"key":"/message","value":"Hello","modifiedIndex":\#(n),"#
                + #""createdIndex":\#(n)}}"# + "\n")
        let again = try Self.call("PUT", port, "/v2/keys/message?value=World")
        #expect(again.status == 200)
        #expect(again.body == #"{"action":"set","node":{"key":"/message","value":"World","modifiedIndex":\#(n + 1),"#
                + #""createdIndex":\#(n + 1)},"prevNode":{"key":"/message","value":"Hello","modifiedIndex":\#(n),"#
                + #""createdIndex":\#(n)}}"# + "\n")
        let got = try Self.call("GET", port, "/v2/keys/message")
        #expect(got.status == 200)
        #expect(got.body == #"{"action":"get","node":{"key":"/message","value":"World","modifiedIndex":\#(n + 1),"#
                + #""createdIndex":\#(n + 1)}}"# + "\n")

        let missing = try Self.call("GET", port, "/v2/keys/nokey")
        #expect(missing.status == 404)
        #expect(missing.body == #"{"errorCode":100,"message":"Key not found","cause":"/nokey","index":\#(n + 1)}"#
                + "\n")
        #expect(Self.index(missing) == n + 1)

        #expect(try Self.call("PUT", port, "/v2/keys/dir", form: "dir=true").status == 201)
        #expect(try Self.call("PUT", port, "/v2/keys/dir/a", form: "value=1").status == 201)
        let listed = try Self.call("GET", port, "/v2/keys/?recursive=true&sorted=true").json
        let node = listed["node"] as? [String: Any]
        #expect(node?["key"] == nil && node?["dir"] as? Bool == true)
        let top = node?["nodes"] as? [[String: Any]] ?? []
        #expect(top.map { $0["key"] as? String } == ["/dir", "/message"])
        let inner = top.first?["nodes"] as? [[String: Any]] ?? []
        #expect(inner.map { $0["key"] as? String } == ["/dir/a"] && inner.first?["value"] as? String == "1")

        let cas = try Self.call("PUT", port, "/v2/keys/message", form: "value=x&prevValue=nope")
        #expect(cas.status == 412)
        #expect(cas.json["errorCode"] as? Int == 101 && cas.json["cause"] as? String == "[nope != World]")
        let casOK = try Self.call("PUT", port, "/v2/keys/message", form: "value=x&prevIndex=\(n + 1)")
        #expect(casOK.status == 200 && casOK.json["action"] as? String == "compareAndSwap")
        let exists = try Self.call("PUT", port, "/v2/keys/message", form: "value=y&prevExist=false")
        #expect(exists.status == 412 && exists.json["errorCode"] as? Int == 105)

        let first = try Self.call("POST", port, "/v2/keys/queue", form: "value=j1")
        let second = try Self.call("POST", port, "/v2/keys/queue", form: "value=j2")
        #expect(first.status == 201 && first.json["action"] as? String == "create")
        let firstKey = (first.json["node"] as? [String: Any])?["key"] as? String ?? ""
        let secondKey = (second.json["node"] as? [String: Any])?["key"] as? String ?? ""
        #expect(firstKey == "/queue/" + String(format: "%020d", Self.index(first)))
        #expect(firstKey < secondKey)
        let queue = try Self.call("GET", port, "/v2/keys/queue?sorted=true").json
        let jobs = (queue["node"] as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
        #expect(jobs.map { $0["value"] as? String } == ["j1", "j2"])

        let notFile = try Self.call("DELETE", port, "/v2/keys/dir")
        #expect(notFile.status == 403 && notFile.json["errorCode"] as? Int == 102)
        let removed = try Self.call("DELETE", port, "/v2/keys/dir?recursive=true")
        #expect(removed.status == 200 && removed.json["action"] as? String == "delete")
        #expect(try Self.call("GET", port, "/v2/keys/dir/a").status == 404)

        let badField = try Self.call("GET", port, "/v2/keys/message?recursive=maybe")
        #expect(badField.status == 400)
        #expect(badField.body == #"{"errorCode":209,"message":"Invalid field","#
                + #""cause":"invalid value for \"recursive\"","index":0}"# + "\n")
        let patch = try Self.call("PATCH", port, "/v2/keys/message")
        #expect(patch.status == 405 && patch.headers["allow"] == "HEAD,GET,PUT,POST,DELETE")
        // The v3 gateway still answers beside it.
        #expect(try put(port, "v3key", "v").status == 200)
    }

    @Test("a TTL key expires; a wait=true long poll is answered by a later set; waitIndex reads the history")
    func ttlAndWait() throws {
        let cluster = try KeelCluster(size: 1, extra: ["--enable-v2"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        _ = cluster.waitForLeader()

        let ttl = try Self.call("PUT", port, "/v2/keys/short", form: "value=v&ttl=1")
        let ttlNode = ttl.json["node"] as? [String: Any]
        #expect(ttl.status == 201 && ttlNode?["ttl"] as? Int == 1 && ttlNode?["expiration"] is String)
        #expect(try Self.call("GET", port, "/v2/keys/short").status == 200)
        usleep(2_600_000)
        let expired = try Self.call("GET", port, "/v2/keys/short")
        #expect(expired.status == 404 && expired.json["errorCode"] as? Int == 100)

        let answered = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var waited: HTTP.Response?
        let thread = Thread {
            waited = try? Self.call("GET", port, "/v2/keys/watched?wait=true", timeoutSeconds: 15)
            answered.signal()
        }
        thread.start()
        usleep(500_000)
        #expect(answered.wait(timeout: .now()) == .timedOut, "the wait must not answer before a change")
        let set = try Self.call("PUT", port, "/v2/keys/watched", form: "value=later")
        #expect(answered.wait(timeout: .now() + 10) == .success)
        #expect(waited?.status == 200)
        #expect(waited?.body == set.body)
        #expect(waited.map(Self.index) ?? 0 < Self.index(set), "X-Etcd-Index: the store's index when the wait began")

        // From the history: the set, and the expiry of /short, are behind the current index.
        let fromHistory = try Self.call("GET", port, "/v2/keys/watched?wait=true&waitIndex=1")
        #expect(fromHistory.json["action"] as? String == "set")
        let expiry = try Self.call("GET", port, "/v2/keys/short?wait=true&waitIndex=\(Self.index(ttl) + 1)")
        #expect(expiry.json["action"] as? String == "expire")
        // A wait whose client goes away is cancelled on the Replica (no longer pending); writes go on.
        #expect(try Self.pendingCalls(port) == 0)
        let fd = try HTTP.connect(port)
        HTTP.send(fd, "GET /v2/keys/gone?wait=true HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(300_000)
        #expect(try Self.pendingCalls(port) == 1)
        close(fd)
        usleep(300_000)
        #expect(try Self.pendingCalls(port) == 0)
        #expect(try Self.call("PUT", port, "/v2/keys/gone", form: "value=1").status == 201)
    }

    @Test("three members: a write through a follower, a quorum read and a wait on another member, expiry everywhere")
    func threeMembers() throws {
        let cluster = try KeelCluster(size: 3, extra: ["--enable-v2"])
        defer { cluster.stopAll() }
        guard let leader = cluster.waitForLeader() else { Issue.record("no leader"); return }
        let followers = cluster.members.filter { $0 !== leader }.map(\.clientPort)

        let answered = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var waited: HTTP.Response?
        let thread = Thread {
            waited = try? Self.call("GET", followers[1], "/v2/keys/k?wait=true", timeoutSeconds: 15)
            answered.signal()
        }
        thread.start()
        usleep(300_000)
        let set = try Self.call("PUT", followers[0], "/v2/keys/k", form: "value=v&ttl=1")
        #expect(set.status == 201)
        #expect(answered.wait(timeout: .now() + 10) == .success)
        #expect(waited?.json["action"] as? String == "set")
        let read = try Self.call("GET", followers[1], "/v2/keys/k?quorum=true")
        #expect(read.status == 200 && (read.json["node"] as? [String: Any])?["value"] as? String == "v")
        usleep(2_600_000)
        for member in cluster.members {
            #expect(try Self.call("GET", member.clientPort, "/v2/keys/k").status == 404, "expired on \(member.name)")
        }
    }

    @Test("without --enable-v2, /v2/keys is Go's plain 404 as in etcd 3.4")
    func disabled() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let response = try Self.call("PUT", port, "/v2/keys/x", form: "value=1")
        #expect(response.status == 404)
        #expect(response.body == "404 page not found\n")
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
    }
}
