import Foundation  // Process control and JSON in tests.
import Glibc
import Testing

/// The daemon as shipped: real `keel` processes on 127.0.0.1, each test bounded in time.
@Suite(.serialized) struct DaemonSingleMemberTests {
    @Test("one member: put, get, prefix range, delete, txn, watch stream, lease expiry, restart from the data dir")
    func crudWatchLeaseRestart() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        #expect(try put(port, "app/a", "1").status == 200)
        try put(port, "app/b", "2")
        #expect(try get(port, "app/a") == "1")
        let prefix = try HTTP.post(port, "/v3/kv/range", #"{"key":"\#(b64("app/"))","range_end":"\#(b64("app0"))"}"#)
        #expect(prefix.json["count"] as? String == "2")
        let deleted = try HTTP.post(port, "/v3/kv/deleterange", #"{"key":"\#(b64("app/b"))"}"#)
        #expect(deleted.json["deleted"] as? String == "1")
        #expect(try get(port, "app/b") == nil)
        let txn = try HTTP.post(port, "/v3/kv/txn", #"{"compare":[{"key":"\#(b64("app/a"))","target":"VALUE","value":"\#(b64("1"))"}],"success":[{"request_put":{"key":"\#(b64("app/a"))","value":"\#(b64("2"))"}}]}"#)
        #expect(txn.json["succeeded"] as? Bool == true)

        // A watch stream sees a later put.
        let fd = try HTTP.connect(port, timeoutSeconds: 5)
        defer { close(fd) }
        let create = #"{"create_request":{"key":"\#(b64("w"))"}}"#
        HTTP.send(fd, "POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: \(create.utf8.count)\r\n\r\n\(create)")
        usleep(300_000)
        try put(port, "w", "seen")
        var streamed = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(5)
        while !streamed.contains(b64("seen")) && Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            streamed += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        #expect(streamed.contains(#""created":true"#))
        #expect(streamed.contains(b64("seen")))

        // A key on a lease disappears once the lease expires (TTL 2 s).
        let grant = try HTTP.post(port, "/v3/lease/grant", #"{"TTL":2}"#)
        let lease = try #require(grant.json["ID"] as? String)
        try put(port, "leased", "x", extra: #","lease":"\#(lease)""#)
        #expect(try get(port, "leased") == "x")
        Thread.sleep(forTimeInterval: 4.5)
        #expect(try get(port, "leased") == nil)

        // A clean stop (SIGTERM) exits 0; a restart from the data dir keeps everything.
        #expect(cluster.members[0].stop() == 0)
        try cluster.members[0].start()
        #expect(cluster.members[0].waitForLog("ready to serve client requests", count: 2))
        #expect(try get(port, "app/a") == "2")
        #expect(cluster.members[0].log.contains("restarting member"))
    }

    @Test("bad input gets etcd's errors and the server keeps serving")
    func badInput() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let malformed = try HTTP.post(port, "/v3/kv/put", #"{"key":"#)
        #expect(malformed.status == 400)
        #expect(malformed.json["code"] as? Int == 3)
        let wrongType = try HTTP.post(port, "/v3/kv/range", #"{"key":"\#(b64("a"))","limit":true}"#)
        #expect(wrongType.status == 400)
        let badBase64 = try HTTP.post(port, "/v3/kv/put", #"{"key":"!!","value":"YQ=="}"#)
        #expect(badBase64.status == 400)
        let emptyKey = try HTTP.post(port, "/v3/kv/put", #"{"value":"YQ=="}"#)
        #expect(emptyKey.json["error"] as? String == "etcdserver: key is not provided")
        let big = String(repeating: "A", count: 2_200_000)  // 1.65 MB decoded: over etcd's 1.5 MiB.
        let oversized = try HTTP.post(port, "/v3/kv/put", #"{"key":"\#(b64("big"))","value":"\#(big)"}"#)
        #expect(oversized.status == 400)
        #expect(oversized.json["error"] as? String == "etcdserver: request is too large")
        #expect(try HTTP.post(port, "/v3/nothing", "{}").status == 404)
        #expect(try HTTP.post(port, "/nothing", "{}").status == 404)
        #expect(try HTTP.raw(port, "GET /v3/kv/range HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status == 405)
        #expect(try HTTP.raw(port, "NONSENSE\r\n\r\n").status == 400)
        #expect(try put(port, "still", "serving").status == 200)
        #expect(try get(port, "still") == "serving")
    }

    @Test("a full quota raises NOSPACE: writes fail with etcd's error until compaction, defragment and disarm")
    func quotaAlarm() throws {
        let cluster = try KeelCluster(size: 1, extra: ["--quota-backend-bytes", "60000"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let value = String(repeating: "x", count: 3000)
        var refused: HTTP.Response?
        for k in 0..<40 {
            let r = try put(port, "big\(k)", value)
            if r.status != 200 { refused = r; break }
        }
        let error = try #require(refused)
        #expect(error.status == 429)
        #expect(error.json["error"] as? String == "etcdserver: mvcc: database space exceeded")
        var alarms: [[String: Any]]?
        for _ in 0..<40 where alarms == nil {  // The member raises the alarm through the log.
            alarms = try HTTP.post(port, "/v3/maintenance/alarm", #"{"action":"GET"}"#).json["alarms"] as? [[String: Any]]
            if alarms == nil { usleep(50_000) }
        }
        let member = try #require(alarms?.first?["memberID"] as? String)
        #expect(alarms?.first?["alarm"] as? String == "NOSPACE")
        let status = try HTTP.post(port, "/v3/maintenance/status", "{}").json
        #expect((status["errors"] as? [String])?.first == "memberID:\(member) alarm:NOSPACE ")
        #expect(try get(port, "big0") == value)  // Reads still work.
        _ = try HTTP.post(port, "/v3/kv/deleterange", #"{"key":"\#(b64("big"))","range_end":"\#(b64("bih"))"}"#)
        let revision = try #require((status["header"] as? [String: Any])?["revision"] as? String)
        _ = try HTTP.post(port, "/v3/kv/compaction", #"{"revision":"\#(revision)"}"#)
        _ = try HTTP.post(port, "/v3/maintenance/defragment", "{}")
        let disarm = try HTTP.post(port, "/v3/maintenance/alarm",
                                   #"{"action":"DEACTIVATE","memberID":"\#(member)","alarm":"NOSPACE"}"#)
        #expect(disarm.status == 200)
        #expect(try put(port, "after", "disarm").status == 200)
    }

    @Test("half-open and very slow connections do not block others and are cut off")
    func slowClients() throws {
        let cluster = try KeelCluster(size: 1, extra: ["--client-read-timeout", "1500"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let halfOpen = try HTTP.connect(port)
        defer { close(halfOpen) }
        HTTP.send(halfOpen, "POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"key\"")
        let slow = try HTTP.connect(port)
        defer { close(slow) }
        HTTP.send(slow, "PO")
        #expect(try put(port, "other", "client").status == 200)  // Served while the others dawdle.
        Thread.sleep(forTimeInterval: 2.5)
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { read(halfOpen, $0.baseAddress, 1024) }
        #expect(n > 0 && String(decoding: buffer[0..<max(n, 0)], as: UTF8.self).hasPrefix("HTTP/1.1 408"))
        let m = buffer.withUnsafeMutableBytes { read(slow, $0.baseAddress, 1024) }
        #expect(m > 0)  // The slow one got its 408 and the connection is gone.
    }

    @Test("start-up errors: bad flag, port in use, corrupt data dir, cluster token mismatch")
    func startupErrors() throws {
        let badFlag = KeelProcess.runToExit(["--no-such-flag"])
        #expect(badFlag.status == 2)
        #expect(badFlag.output.contains("flag provided but not defined: -no-such-flag"))
        let badValue = KeelProcess.runToExit(["--heartbeat-interval", "fast"])
        #expect(badValue.status == 2)

        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let busy = cluster.members[0]
        let clash = KeelProcess.runToExit(["--name", "x", "--data-dir", cluster.root + "/x.keel",
                                           "--listen-client-urls", "http://127.0.0.1:\(busy.clientPort)",
                                           "--listen-peer-urls", "http://127.0.0.1:\(busy.clientPort + 7000)",
                                           "--initial-advertise-peer-urls", "http://127.0.0.1:\(busy.clientPort + 7000)"])
        #expect(clash.status != 0)
        #expect(clash.output.contains("cannot listen for clients on 127.0.0.1:\(busy.clientPort)"))

        // Flip a byte in the middle of the WAL of a stopped member: it refuses to start, naming the file.
        try put(busy.clientPort, "k", "v")
        _ = busy.stop()
        let wal = busy.dataDir + "/wal-0000000000000000.log"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: wal)))
        bytes[40] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: wal))
        let corrupt = KeelProcess.runToExit(busy.arguments + ["--initial-cluster", "\(busy.name)=\(busy.peerURL)"])
        #expect(corrupt.status != 0)
        #expect(corrupt.output.contains("wal-0000000000000000.log"))

        // Two members of one cluster started with different tokens refuse each other and exit.
        let base = KeelProcess.ports(2)
        let root = KeelProcess.tempDir()
        let a = KeelProcess(name: "a", clientPort: base, peerPort: base + 1, root: root)
        let b = KeelProcess(name: "b", clientPort: base + 2, peerPort: base + 3, root: root)
        let initial = "a=\(a.peerURL),b=\(b.peerURL)"
        a.arguments += ["--initial-cluster", initial, "--initial-cluster-token", "one"]
        b.arguments += ["--initial-cluster", initial, "--initial-cluster-token", "two"]
        try a.start()
        try b.start()
        #expect(a.waitForLog("does not match the cluster's", seconds: 15) || b.waitForLog("does not match"))
        let statuses = [a.stop(), b.stop()]
        #expect(statuses.contains { $0 != 0 })
        try? FileManager.default.removeItem(atPath: root)
    }
}

@Suite(.serialized) struct DaemonClusterTests {
    @Test("three members: writes through any member, follower reads, kill -9 of the leader under load")
    func threeMembers() throws {
        let cluster = try KeelCluster(size: 3)
        defer { cluster.stopAll() }
        for (k, member) in cluster.members.enumerated() { try put(member.clientPort, "via\(k)", "\(k)") }
        for member in cluster.members {
            for k in 0..<3 { #expect(try get(member.clientPort, "via\(k)") == "\(k)") }
        }
        let leader = try #require(cluster.waitForLeader())
        let others = cluster.members.filter { $0 !== leader }
        // Write continuously through the followers while the leader is killed.
        let acknowledged = AckLog()
        let ports = others.map(\.clientPort)
        let writers = (0..<4).map { w in
            Thread {
                for i in 0..<60 {
                    let key = "load/\(w)/\(i)"
                    if let r = try? put(ports[i % 2], key, "v"), r.status == 200 { acknowledged.add(key) }
                }
            }
        }
        writers.forEach { $0.start() }
        Thread.sleep(forTimeInterval: 0.3)
        leader.kill9()
        while writers.contains(where: { !$0.isFinished }) { usleep(100_000) }
        #expect(cluster.waitForLeader() != nil)
        try leader.start()
        #expect(leader.waitForLog("ready to serve client requests", count: 2))
        let keys = acknowledged.keys
        #expect(keys.count > 100)
        for key in keys { #expect(try get(leader.clientPort, key) == "v", "acknowledged \(key) lost") }
    }

    @Test("member add (joining with --initial-cluster-state existing), promote and remove at runtime")
    func membershipChanges() throws {
        let cluster = try KeelCluster(size: 3)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        try put(port, "before", "join")
        let base = KeelProcess.ports(1)
        let joiner = KeelProcess(name: "m3", clientPort: base, peerPort: base + 1, root: cluster.root)
        let add = try HTTP.post(port, "/v3/cluster/member/add", #"{"peerURLs":["\#(joiner.peerURL)"],"isLearner":true}"#)
        let member = try #require(add.json["member"] as? [String: Any])
        let id = try #require(member["ID"] as? String)
        let initial = (cluster.members + [joiner]).map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        joiner.arguments += ["--initial-cluster", initial, "--initial-cluster-token", cluster.token,
                             "--initial-cluster-state", "existing"]
        try joiner.start()
        cluster.members.append(joiner)
        #expect(joiner.waitForLog("ready to serve client requests"))
        Thread.sleep(forTimeInterval: 1)
        #expect(try get(joiner.clientPort, "before", serializable: true) == "join")
        let promote = try HTTP.post(port, "/v3/cluster/member/promote", #"{"ID":"\#(id)"}"#)
        #expect(promote.status == 200)
        let list = try HTTP.post(port, "/v3/cluster/member/list", "{}").json  // The proposer has applied it.
        let members = try #require(list["members"] as? [[String: Any]])
        #expect(members.count == 4)
        #expect(!members.contains { $0["isLearner"] as? Bool == true })
        let victim = cluster.members[1]
        let victimID = try #require(HTTP.post(victim.clientPort, "/v3/maintenance/status", "{}").json["header"]
            as? [String: Any])["member_id"] as? String
        let remove = try HTTP.post(port, "/v3/cluster/member/remove", #"{"ID":"\#(victimID ?? "")"}"#)
        #expect(remove.status == 200)
        #expect(victim.waitForLog("permanently removed", seconds: 10))
        try put(joiner.clientPort, "after", "remove")
        #expect(try get(port, "after") == "remove")
    }
}

final class AckLog: @unchecked Sendable {  // Guarded by its lock; written by the load threads.
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ key: String) { lock.lock(); list.append(key); lock.unlock() }
    var keys: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
