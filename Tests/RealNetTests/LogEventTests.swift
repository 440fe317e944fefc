import Foundation  // JSON parsing of log lines.
import Glibc
import RealNet
import Testing

/// The daemon's log as etcd 3.4 writes it: zap's JSON lines (`--logger zap`) with etcd's messages and fields
/// for start-up, elections, snapshots, compaction and member changes; capnslog's sentences otherwise.
@Suite(.serialized)
struct LogEventTests {
    @Test("a zap event is one JSON object: msg then fields, strings escaped, lists as arrays")
    func zapEncoding() throws {
        let event = LogEvent(.warn, "embed", "rejected \"x\"\n",
                             ["remote-addr": "127.0.0.1:1", "n": 7, "ok": true, "urls": .strings(["a", "b\\"])])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(("{" + event.zapFields + "}").utf8))
            as? [String: Any])
        #expect(object["msg"] as? String == "rejected \"x\"\n")
        #expect(object["remote-addr"] as? String == "127.0.0.1:1")
        #expect(object["n"] as? Int == 7)
        #expect(object["ok"] as? Bool == true)
        #expect(object["urls"] as? [String] == ["a", "b\\"])
        #expect(event.sentence == "rejected \"x\"\n remote-addr=127.0.0.1:1 n=7 ok=true urls=[a,b\\]")
        #expect(LogEvent(.info, "raft", "m", text: "etcd's own words").sentence == "etcd's own words")
    }

    /// Every line of a --logger zap log as an object, failing on any line that is not one.
    static func zapLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON line: \(line)")
            #expect(object?["level"] is String && object?["ts"] is String && object?["caller"] is String,
                    "\(line)")
            return object
        }
    }

    @Test("--logger zap: etcd's events at start, election, snapshot, compaction, member add and remove, leader loss")
    func clusterEvents() throws {
        let cluster = try KeelCluster(size: 3, extra: ["--logger", "zap", "--snapshot-count", "20"])
        defer { cluster.stopAll() }
        let leader = try #require(cluster.waitForLeader())
        for k in 0..<30 { #expect(try put(leader.clientPort, "key\(k)", "v").status == 200) }
        #expect(try HTTP.post(leader.clientPort, "/v3/kv/compaction", #"{"revision":"10"}"#).status == 200)
        let added = try HTTP.post(leader.clientPort, "/v3/cluster/member/add",
                                  #"{"peerURLs":["http://127.0.0.1:1"],"isLearner":true}"#)
        #expect(added.status == 200)
        let addedID = try #require((added.json["member"] as? [String: Any])?["ID"] as? String)
        let addedHex = String(UInt64(addedID)!, radix: 16)
        #expect(try HTTP.post(leader.clientPort, "/v3/cluster/member/remove", #"{"ID":"\#(addedID)"}"#).status == 200)
        #expect(leader.waitForLog("removed-remote-peer-id\":\"\(addedHex)"))

        let events = Self.zapLines(leader.log)
        func find(_ msg: String) -> [[String: Any]] { events.filter { $0["msg"] as? String == msg } }
        let started = try #require(find("starting an etcd server").first)
        #expect(started["name"] as? String == leader.name)
        #expect(started["data-dir"] as? String == leader.dataDir)
        #expect(started["listen-client-urls"] as? [String] == ["http://127.0.0.1:\(leader.clientPort)"])
        #expect(find("starting local member").count == 1)
        #expect(events.contains { ($0["msg"] as? String)?.contains(" became leader at term ") == true })
        #expect(events.contains { ($0["msg"] as? String)?.contains("raft.node: ") == true
            && ($0["msg"] as? String)?.contains(" elected leader ") == true })
        #expect(find("ready to serve client requests").count == 1)
        #expect(find("serving client traffic insecurely; this is strongly discouraged!").first?["address"] as? String
                == "127.0.0.1:\(leader.clientPort)")
        // Three members known from the bootstrap entries; the learner added, then removed.
        #expect(find("recovered/added member from store").count + find("added member").count >= 3)
        let add = try #require(find("added member").first { $0["added-peer-id"] as? String == addedHex })
        #expect(add["added-peer-peer-urls"] as? [String] == ["http://127.0.0.1:1"])
        #expect(add["cluster-id"] is String && add["local-member-id"] is String)
        // More than 20 entries applied: at least one snapshot triggered and saved.
        let triggered = try #require(find("triggering snapshot").first)
        #expect(triggered["local-member-snapshot-count"] as? Int == 20)
        #expect((triggered["local-member-applied-index"] as? Int ?? 0) >= 20)
        #expect(!find("saved snapshot").isEmpty)
        #expect(find("finished scheduled compaction").first?["compact-revision"] as? Int == 10)

        // The leader stops: a follower logs losing it, then a new election and leader.
        let follower = try #require(cluster.members.first { $0 !== leader })
        #expect(leader.stop() == 0)
        #expect(follower.waitForLog(" lost leader "))
        #expect(follower.waitForLog(" elected leader ", count: 2))
        let stopped = Self.zapLines(leader.log)
        #expect(stopped.contains { $0["msg"] as? String == "received signal; shutting down"
            && $0["signal"] as? String == "terminated" })
        #expect(stopped.last?["msg"] as? String == "shut down cleanly")
        // Whichever follower won campaigned first.
        let campaigned = cluster.members.filter { $0 !== leader }.contains { member in
            Self.zapLines(member.log).contains { ($0["msg"] as? String)?.contains("is starting a new election") == true }
        }
        #expect(campaigned)
    }

    @Test("the default (capnslog) log: etcd's sentences under etcd's package names")
    func capnslogSentences() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let log = cluster.members[0].log
        #expect(log.contains(" I | embed: ready to serve client requests"))
        #expect(log.contains(" I | embed: serving insecure client requests on 127.0.0.1:"))
        #expect(log.contains(" I | raft: raft.node: ") && log.contains(" elected leader "))
        #expect(log.contains(" I | membership: added member "))
    }
}
