import Core
import Foundation  // JSON answers, files.
import Glibc
import RealNet
import Testing

/// etcd's corruption-check flags on the daemon: a member whose data diverged (its WAL entry rewritten, as a
/// bit flip past the checksums would) is refused at start by --experimental-initial-corrupt-check, and found
/// by the leader's --experimental-corrupt-check-time, which raises CORRUPT and stops writes.
@Suite(.serialized)
struct CorruptCheckDaemonTests {
    /// Rewrites the entry holding `good` in the member's WAL so that it holds `evil` (same length).
    static func tamper(dataDir: String, good: String, evil: String) throws {
        var disk = try FileDisk(directory: dataDir)
        let recovered = try Recovery.recover(from: &disk)
        let needle = Array(good.utf8)
        var found: Entry?
        for entry in recovered.boot.entries where entry.data.count >= needle.count {
            if let at = (0...(entry.data.count - needle.count)).first(where: {
                Array(entry.data[$0..<($0 + needle.count)]) == needle
            }) {
                var changed = entry
                changed.data.replaceSubrange(at..<(at + needle.count), with: Array(evil.utf8))
                found = changed
            }
        }
        let entry = try #require(found, "no entry holds \(good)")
        var wal = recovered.wal
        let tail = recovered.boot.entries.filter { $0.index > entry.index }
        try wal.write(PersistBatch(seq: 0, hardState: recovered.boot.hardState, snapshot: nil,
                                   entries: [entry] + tail), to: &disk)
    }

    static func alarms(_ port: Int) throws -> [[String: Any]] {
        try HTTP.post(port, "/v3/maintenance/alarm", #"{"action":"GET"}"#).json["alarms"] as? [[String: Any]] ?? []
    }

    @Test("a diverged member: refused at start by the initial check, then found by the leader's periodic check")
    func divergedMember() throws {
        let cluster = try KeelCluster(size: 3, extra: ["--experimental-corrupt-check-time", "1s"])
        defer { cluster.stopAll() }
        let leader = try #require(cluster.waitForLeader())
        #expect(try put(leader.clientPort, "k", "good-value").status == 200)
        let victim = try #require(cluster.members.first { $0 !== leader })
        for _ in 0..<100 where try get(victim.clientPort, "k", serializable: true) != "good-value" { usleep(50_000) }
        usleep(2_500_000)  // Two periodic checks on a healthy cluster: no alarm.
        #expect(try Self.alarms(leader.clientPort).isEmpty)

        #expect(victim.stop() == 0)
        try Self.tamper(dataDir: victim.dataDir, good: "good-value", evil: "evil-value")
        // With the initial check the member refuses to serve, naming the inconsistency, and exits.
        victim.arguments += ["--experimental-initial-corrupt-check"]
        try victim.start()
        let deadline = Date().addingTimeInterval(20)
        while victim.process?.isRunning == true && Date() < deadline { usleep(100_000) }
        #expect(victim.process?.isRunning == false)
        #expect(victim.process?.terminationStatus != 0)
        #expect(victim.log.contains("found data inconsistency with peers"), "\(victim.log.suffix(1500))")

        // Without it the member starts; the leader's next check finds it and raises CORRUPT for member 0.
        victim.arguments.removeAll { $0 == "--experimental-initial-corrupt-check" }
        try victim.start()
        #expect(victim.waitForLog("ready to serve client requests", count: 2))
        #expect(try get(victim.clientPort, "k", serializable: true) == "evil-value")
        var alarms: [[String: Any]] = []
        for _ in 0..<100 where alarms.isEmpty {
            usleep(100_000)
            alarms = try Self.alarms(leader.clientPort)
        }
        #expect(alarms.count == 1 && alarms.first?["alarm"] as? String == "CORRUPT", "\(alarms)")
        let refused = try put(leader.clientPort, "k2", "v")
        #expect(refused.body.contains("etcdserver: corrupt cluster"), "\(refused.body)")
    }

    @Test("on a healthy cluster the initial check passes and clients are served")
    func healthyInitialCheck() throws {
        let cluster = try KeelCluster(size: 3, extra: ["--experimental-initial-corrupt-check"])
        defer { cluster.stopAll() }
        let leader = try #require(cluster.waitForLeader())
        #expect(try put(leader.clientPort, "k", "v").status == 200)
        for member in cluster.members {
            #expect(member.log.contains("initial corruption checking passed; no corruption"))
        }
    }
}
