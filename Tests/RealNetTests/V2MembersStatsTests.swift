import Core
import Foundation  // Process control and JSON in tests.
import Glibc
import Testing

@testable import RealNet

/// etcd's v2 cluster endpoints (`/v2/members`, `/v2/machines`, `/v2/stats/*`, --enable-v2): the request checks
/// and bodies against etcd 3.4's `membersHandler`, `httptypes` and `v2stats` (compared by hand with
/// `etcd --enable-v2`), and a real three-member `keel` answering them.
@Suite(.serialized) struct V2MembersStatsTests {
    static func urls(_ body: String, contentType: String? = "application/json") -> Result<[String], V2Members.Refusal> {
        do throws(V2Members.Refusal) {
            return .success(try V2Members.peerURLs(contentType: contentType, body: Array(body.utf8)))
        } catch {
            return .failure(error)
        }
    }

    static func refusal(_ status: Int, _ message: String) -> Result<[String], V2Members.Refusal> {
        .failure(V2Members.Refusal(status: status, message: message))
    }

    @Test("member bodies: JSON only, types.NewURLs' checks and messages, sorted URLs")
    func memberBodies() {
        #expect(Self.urls(#"{"peerURLs":["http://b:2","https://a:1"]}"#) == .success(["http://b:2", "https://a:1"]))
        #expect(Self.urls(#"{"peerURLs":["http://1.2.3.4:2380"]}"#, contentType: "application/json; charset=utf-8")
                == .success(["http://1.2.3.4:2380"]))
        #expect(Self.urls("{}", contentType: "application/x-www-form-urlencoded")
                == Self.refusal(415, "Bad Content-Type application/x-www-form-urlencoded, accept application/json"))
        #expect(Self.urls("{bad") == Self.refusal(400, "invalid character 'b' looking for beginning of object key string"))
        #expect(Self.urls("") == Self.refusal(400, "unexpected end of JSON input"))
        #expect(Self.urls("{}") == Self.refusal(400, "no valid URLs given"))
        #expect(Self.urls(#"{"peerURLs":"x"}"#)
                == Self.refusal(400, "json: cannot unmarshal string into Go struct field .peerURLs of type []string"))
        #expect(Self.urls(#"{"peerURLs":["foo"]}"#)
                == Self.refusal(400, "URL scheme must be http, https, unix, or unixs: foo"))
        #expect(Self.urls(#"{"peerURLs":["http://a/b"]}"#)
                == Self.refusal(400, #"URL address does not have the form "host:port": http://a/b"#))
        #expect(Self.urls(#"{"peerURLs":["http://a:1/b"]}"#)
                == Self.refusal(400, "URL must not contain a path: http://a:1/b"))
        #expect(Self.urls(#"{"peerURLs":["http://[::1]:2380"]}"#) == .success(["http://[::1]:2380"]))
    }

    @Test("paths, ids, member JSON and machines as etcd writes them")
    func shapes() {
        #expect(V2Members.isClusterPath("/v2/members") && V2Members.isClusterPath("/v2/members/abc"))
        #expect(V2Members.isClusterPath("/v2/machines") && V2Members.isClusterPath("/v2/stats/leader"))
        #expect(!V2Members.isClusterPath("/v2/stats/other") && !V2Members.isClusterPath("/v2/membersx"))
        #expect(V2Members.suffix("/v2/members") == "" && V2Members.suffix("/v2/members/") == "")
        #expect(V2Members.suffix("/v2/members/leader") == "leader")
        #expect(V2Members.memberID("2943212f5e2cf73") == MemberID(0x2943212f5e2cf73))
        #expect(V2Members.memberID("zz") == nil && V2Members.memberID("") == nil)
        let members = [
            ClusterMember(id: MemberID(0x2943212f5e2cf73), name: "default", peerURLs: ["http://127.0.0.1:23802"],
                          clientURLs: ["http://127.0.0.1:23792"]),
            ClusterMember(id: MemberID(0xabc), peerURLs: ["http://127.0.0.1:9"]),
        ]
        #expect(String(decoding: V2Members.collection(members), as: UTF8.self)
                == #"{"members":[{"id":"2943212f5e2cf73","name":"default","peerURLs":["http://127.0.0.1:23802"],"#
                + #""clientURLs":["http://127.0.0.1:23792"]},{"id":"abc","name":"","peerURLs":["http://127.0.0.1:9"],"#
                + #""clientURLs":[]}]}"#)
        #expect(String(decoding: V2Members.collection([]), as: UTF8.self) == #"{"members":[]}"#)
        let more = members + [ClusterMember(id: MemberID(1), peerURLs: [], clientURLs: ["http://a:1", "http://0:1"])]
        #expect(V2Members.machines(more) == "http://0:1, http://127.0.0.1:23792, http://a:1")
        #expect(String(decoding: V2Members.errorBody("No such member: 1234"), as: UTF8.self)
                == #"{"message":"No such member: 1234"}"#)
    }

    @Test("store counters by operation and outcome; etcd's field order")
    func storeStats() {
        var stats = V2StoreStats()
        stats.count(.get(path: "/a", recursive: false, sorted: false, quorum: false), succeeded: true)
        stats.count(.get(path: "/a", recursive: false, sorted: false, quorum: false), succeeded: false)
        stats.count(.write(.set(path: "/a", value: "", dir: false, expiration: nil, refresh: false)), succeeded: true)
        stats.count(.write(.compareAndDelete(path: "/a", prevValue: "x", prevIndex: 0)), succeeded: false)
        stats.count(.wait(path: "/a", recursive: false, waitIndex: 0), succeeded: true)
        #expect(String(decoding: stats.json(watchers: 2), as: UTF8.self)
                == #"{"getsSuccess":1,"getsFail":1,"setsSuccess":1,"setsFail":0,"deleteSuccess":0,"deleteFail":0,"#
                + #""updateSuccess":0,"updateFail":0,"createSuccess":0,"createFail":0,"compareAndSwapSuccess":0,"#
                + #""compareAndSwapFail":0,"compareAndDeleteSuccess":0,"compareAndDeleteFail":1,"expireCount":0,"#
                + #""watchers":2}"#)
    }

    @Test("follower latency: etcd's running mean, deviation, extremes; Go's floats and durations")
    func latencyAndFormats() {
        var latency = V2FollowerLatency()
        for ms in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] { latency.observe(milliseconds: ms) }
        #expect(latency.success == 8 && latency.current == 9 && latency.minimum == 2 && latency.maximum == 9)
        #expect(abs(latency.average - 5) < 1e-9 && abs(latency.standardDeviation - 2) < 1e-9)
        let json = String(decoding: V2Stats.leaderJSON(leader: MemberID(0x10), followers: [
            (id: MemberID(0x9), latency: V2FollowerLatency(), fail: 3),
            (id: MemberID(0x1a), latency: latency, fail: 0),
        ]), as: UTF8.self)
        // Go sorts map keys as strings: "1a" before "9". A follower without samples shows etcd's 2^63 minimum
        // as Go prints it (checked with go1.19's encoding/json).
        #expect(json == #"{"leader":"10","followers":{"1a":{"latency":{"current":9,"average":5,"#
                + #""standardDeviation":2,"minimum":2,"maximum":9},"counts":{"fail":0,"success":8}},"#
                + #""9":{"latency":{"current":0,"average":0,"standardDeviation":0,"minimum":9223372036854776000,"#
                + #""maximum":0},"counts":{"fail":3,"success":0}}}}"#)
        #expect(V2Stats.goFloat(0.285972) == "0.285972" && V2Stats.goFloat(0.00001) == "0.00001")
        #expect(V2Stats.goFloat(1.5e-7) == "1.5e-7" && V2Stats.goFloat(12345678.5) == "12345678.5")
        #expect(V2Stats.goFloat(9_223_372_036_854_775_808.0) == "9223372036854776000")
        #expect(V2Stats.goFloat(1e21) == "1e+21" && V2Stats.goFloat(123456789012345678) == "123456789012345680")
        #expect(V2Stats.goDuration(nanoseconds: 0) == "0s" && V2Stats.goDuration(nanoseconds: 999) == "999ns")
        #expect(V2Stats.goDuration(nanoseconds: 1_500) == "1.5µs")
        #expect(V2Stats.goDuration(nanoseconds: 2_619_114_543) == "2.619114543s")
        #expect(V2Stats.goDuration(nanoseconds: 3_723_500_000_000) == "1h2m3.5s")
        #expect(V2Stats.goDuration(nanoseconds: 60_000_000_000) == "1m0s")
    }

    // MARK: A real cluster

    static func call(_ method: String, _ port: Int, _ target: String, json: String? = nil) throws -> HTTP.Response {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let json { text += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n" }
        text += "Connection: close\r\n\r\n" + (json ?? "")
        return try HTTP.raw(port, text, timeoutSeconds: 10)
    }

    @Test("three members: list, leader, machines, stats on leader and follower, add, update, remove, errors")
    func cluster() throws {
        let cluster = try KeelCluster(size: 3, extra: ["--enable-v2"])
        defer { cluster.stopAll() }
        guard let leader = cluster.waitForLeader() else { Issue.record("no leader"); return }
        let follower = cluster.members.first { $0 !== leader }!
        usleep(500_000)  // Some heartbeat round trips for the leader's stats.

        let list = try Self.call("GET", follower.clientPort, "/v2/members")
        #expect(list.status == 200 && list.headers["content-type"] == "application/json")
        #expect(list.headers["x-etcd-cluster-id"]?.isEmpty == false && list.body.hasSuffix("}\n"))
        let members = list.json["members"] as? [[String: Any]] ?? []
        #expect(members.compactMap { $0["name"] as? String }.sorted() == cluster.members.map(\.name).sorted())
        let ids = members.compactMap { $0["id"] as? String }
        #expect(ids.compactMap { UInt64($0, radix: 16) } == ids.compactMap { UInt64($0, radix: 16) }.sorted())
        let leaderID = members.first { $0["name"] as? String == leader.name }?["id"] as? String ?? "?"
        let followerID = members.first { $0["name"] as? String == follower.name }?["id"] as? String ?? "?"

        let lead = try Self.call("GET", follower.clientPort, "/v2/members/leader")
        #expect(lead.status == 200 && lead.json["id"] as? String == leaderID)
        let machines = try Self.call("GET", follower.clientPort, "/v2/machines")
        #expect(machines.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(machines.body == cluster.members.map { "http://127.0.0.1:\($0.clientPort)" }.sorted()
                .joined(separator: ", "))

        let selfStats = try Self.call("GET", follower.clientPort, "/v2/stats/self").json
        #expect(selfStats["name"] as? String == follower.name && selfStats["id"] as? String == followerID)
        #expect(selfStats["state"] as? String == "StateFollower")
        #expect((selfStats["leaderInfo"] as? [String: Any])?["leader"] as? String == leaderID)
        #expect((selfStats["recvAppendRequestCnt"] as? Int ?? 0) > 0)
        let leaderSelf = try Self.call("GET", leader.clientPort, "/v2/stats/self").json
        #expect(leaderSelf["state"] as? String == "StateLeader" && (leaderSelf["sendAppendRequestCnt"] as? Int ?? 0) > 0)

        let notLeader = try Self.call("GET", follower.clientPort, "/v2/stats/leader")
        #expect(notLeader.status == 403 && notLeader.body == #"{"message":"not current leader"}"#)
        let leaderStats = try Self.call("GET", leader.clientPort, "/v2/stats/leader").json
        #expect(leaderStats["leader"] as? String == leaderID)
        let followers = leaderStats["followers"] as? [String: [String: Any]] ?? [:]
        #expect(followers.keys.sorted() == ids.filter { $0 != leaderID }.sorted())
        let counts = followers[followerID]?["counts"] as? [String: Any]
        #expect((counts?["success"] as? Int ?? 0) > 0)

        #expect(try Self.call("GET", leader.clientPort, "/v2/keys/nokey").status == 404)
        #expect(try Self.call("PUT", leader.clientPort, "/v2/keys/k?value=v").status == 201)
        let store = try Self.call("GET", leader.clientPort, "/v2/stats/store").json
        #expect(store["getsFail"] as? Int == 1 && store["setsSuccess"] as? Int == 1)
        #expect(try Self.call("POST", leader.clientPort, "/v2/stats/store").status == 405)

        let taken = try Self.call("POST", follower.clientPort, "/v2/members",
                                  json: #"{"peerURLs":["http://127.0.0.1:\#(leader.peerPort)"]}"#)
        #expect(taken.status == 409 && taken.body == #"{"message":"membership: peerURL exists"}"#)
        let unknown = try Self.call("DELETE", follower.clientPort, "/v2/members/1234")
        #expect(unknown.status == 404 && unknown.body == #"{"message":"No such member: 1234"}"#)
        #expect(try Self.call("DELETE", follower.clientPort, "/v2/members").status == 405)

        // A learner-free add of a member that never starts: 201, then its URL changes, then it goes.
        let added = try Self.call("POST", follower.clientPort, "/v2/members", json: #"{"peerURLs":["http://127.0.0.1:1"]}"#)
        #expect(added.status == 201)
        let newID = added.json["id"] as? String ?? ""
        #expect(added.json["peerURLs"] as? [String] == ["http://127.0.0.1:1"])
        #expect(added.json["name"] as? String == "" && (added.json["clientURLs"] as? [Any])?.isEmpty == true)
        let updated = try Self.call("PUT", follower.clientPort, "/v2/members/\(newID)",
                                    json: #"{"peerURLs":["http://127.0.0.1:2"]}"#)
        #expect(updated.status == 204 && updated.body.isEmpty && updated.headers["content-length"] == nil)
        let relisted = try Self.call("GET", leader.clientPort, "/v2/members").json["members"] as? [[String: Any]]
        #expect(relisted?.first { $0["id"] as? String == newID }?["peerURLs"] as? [String] == ["http://127.0.0.1:2"])
        #expect(try Self.call("DELETE", follower.clientPort, "/v2/members/\(newID)").status == 204)
        let after = try Self.call("GET", leader.clientPort, "/v2/members").json["members"] as? [[String: Any]]
        #expect(after?.count == 3)
    }

    @Test("without --enable-v2, /v2/members and /v2/stats are Go's plain 404 as in etcd 3.4")
    func disabled() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        for path in ["/v2/members", "/v2/stats/self", "/v2/machines"] {
            let response = try Self.call("GET", port, path)
            #expect(response.status == 404 && response.body == "404 page not found\n", "\(path)")
        }
    }
}
