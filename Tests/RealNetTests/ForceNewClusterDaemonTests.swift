import Foundation  // JSON answers.
import Testing

/// etcd's --force-new-cluster on the daemon: a member of a lost three-member cluster restarts alone.
@Suite(.serialized)
struct ForceNewClusterDaemonTests {
    @Test("after losing two of three members, one restarts with --force-new-cluster: its keys, one member, writes")
    func restartAlone() throws {
        let cluster = try KeelCluster(size: 3)
        defer { cluster.stopAll() }
        let leader = try #require(cluster.waitForLeader())
        for k in 0..<20 { #expect(try put(leader.clientPort, "key\(k)", "v\(k)").status == 200) }
        let survivor = cluster.members[2]
        // Every member has applied the writes (a serializable read on the survivor sees the last one).
        for _ in 0..<100 where try get(survivor.clientPort, "key19", serializable: true) != "v19" { usleep(50_000) }
        for member in cluster.members { #expect(member.stop() == 0) }

        survivor.arguments += ["--force-new-cluster"]
        try survivor.start()
        #expect(survivor.waitForLog("ready to serve client requests", count: 2), "\(survivor.log.suffix(2000))")
        #expect(survivor.log.contains("forcing restart of member"))
        for k in 0..<20 { #expect(try get(survivor.clientPort, "key\(k)") == "v\(k)") }
        let list = try HTTP.post(survivor.clientPort, "/v3/cluster/member/list", "{}")
        let members = list.json["members"] as? [[String: Any]] ?? []
        #expect(members.count == 1 && members.first?["name"] as? String == survivor.name, "\(list.body)")
        #expect(try put(survivor.clientPort, "after", "alone").status == 200)
        #expect(try get(survivor.clientPort, "after") == "alone")

        // Restarted again without the flag: still one member, nothing rewritten twice.
        #expect(survivor.stop() == 0)
        survivor.arguments.removeAll { $0 == "--force-new-cluster" }
        try survivor.start()
        #expect(survivor.waitForLog("ready to serve client requests", count: 3))
        #expect(try get(survivor.clientPort, "after") == "alone")
        let again = try HTTP.post(survivor.clientPort, "/v3/cluster/member/list", "{}")
        #expect((again.json["members"] as? [[String: Any]])?.count == 1)
    }
}
