import Foundation  // Process-based tests.
import Glibc
import Testing

/// etcd's snapshot format both ways, against Debian's etcd 3.4: an etcd backup restored by keelctl serves the
/// same ranges at every kept revision, leases and users; keel's Snapshot stream is a file etcdctl reports on
/// and restores, and etcd starts from it with the same data.
@Suite(.serialized) struct EtcdSnapshotTests {
    /// An etcd 3.4 started on an existing (restored) data dir, its peer URL on `base + 1`.
    final class RestoredEtcd {
        let endpoint: String
        let process = Process()
        let logPath: String

        init(root: String, dataDir: String, base: Int) throws {
            endpoint = "127.0.0.1:\(base)"
            logPath = root + "/restored-etcd.log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: Etcd.binary)
            process.arguments = ["--name", "e", "--data-dir", dataDir, "--listen-client-urls", "http://\(endpoint)",
                                 "--advertise-client-urls", "http://\(endpoint)",
                                 "--listen-peer-urls", "http://127.0.0.1:\(base + 1)",
                                 "--initial-advertise-peer-urls", "http://127.0.0.1:\(base + 1)",
                                 "--initial-cluster", "e=http://127.0.0.1:\(base + 1)"]
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardError = log
            process.standardOutput = log
            try process.run()
        }

        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        func waitReady() -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && process.isRunning {
                if log.contains("ready to serve client requests") { return true }
                usleep(50_000)
            }
            return false
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
        }
    }

    /// The txns of 100 puts `populate` writes: 10k keys, as the issue's round trip asks.
    static let batches = 100

    /// 10k keys written in txns of 100 (one revision, many sub-revisions), then overwrites, single and range
    /// deletes, a compaction, leases with keys, users with a role: the history a backup carries.
    /// - Returns: the revisions worth comparing (the compaction and after), the revision before the compaction's
    ///   first overwrite (a read there shows key/1/1 before its delete) and the first lease's id.
    func populate(_ endpoint: String) -> (revisions: [Int], beforeDelete: Int, lease: String) {
        for batch in 0..<Self.batches {
            let ops = (0..<100).map { "put key/\(batch)/\($0) \"v\(batch)-\($0)\"" }.joined(separator: "\n")
            let txn = run(Etcd.ctl, ["txn"], endpoint: endpoint, stdin: "\n" + ops + "\n\n\n",
                          environment: ["ETCDCTL_API": "3"])
            #expect(txn.status == 0, "\(txn)")
        }
        let base = Self.batches + 1  // The last txn's revision.
        for k in 0..<12 { _ = etcdctl(["put", "key/0/\(k)", "second-\(k)"], endpoint: endpoint) }
        _ = etcdctl(["del", "key/1/1"], endpoint: endpoint)
        _ = etcdctl(["del", "key/2/5", "key/2/8"], endpoint: endpoint)
        _ = etcdctl(["put", "key/1/1", "reborn"], endpoint: endpoint)
        _ = etcdctl(["compact", "\(base + 4)"], endpoint: endpoint)
        _ = etcdctl(["put", "key/0/3", "third"], endpoint: endpoint)
        _ = etcdctl(["del", "key/0/4"], endpoint: endpoint)
        var leases: [String] = []
        for (k, ttl) in [900, 1200, 3600].enumerated() {
            let grant = etcdctl(["lease", "grant", "\(ttl)"], endpoint: endpoint).stdout
            let lease = String(grant.split(separator: " ").dropFirst().first ?? "")
            _ = etcdctl(["put", "leased/\(k)/a", "1", "--lease", lease], endpoint: endpoint)
            _ = etcdctl(["put", "leased/\(k)/b", "2", "--lease", lease], endpoint: endpoint)
            leases.append(lease)
        }
        _ = etcdctl(["put", "big", String(repeating: "x", count: 9000)], endpoint: endpoint)
        _ = etcdctl(["user", "add", "alice:secret"], endpoint: endpoint)
        _ = etcdctl(["user", "add", "bob:other"], endpoint: endpoint)
        _ = etcdctl(["role", "add", "reader"], endpoint: endpoint)
        _ = etcdctl(["role", "grant-permission", "reader", "read", "key/", "--prefix"], endpoint: endpoint)
        _ = etcdctl(["user", "grant-role", "alice", "reader"], endpoint: endpoint)
        _ = etcdctl(["user", "grant-role", "bob", "reader"], endpoint: endpoint)
        let current = revision(etcdctl(["get", "big", "-w", "json"], endpoint: endpoint).stdout)
        return (Array((base + 4)...current), base + 5, leases[0])  // Every revision etcd kept.
    }

    func revision(_ json: String) -> Int {
        guard let range = json.range(of: #""revision":[0-9]+"#, options: .regularExpression) else { return -1 }
        return Int(json[range].dropFirst(11)) ?? -1
    }

    /// What a member serves that a restore must keep: every key at each revision (the JSON after the header),
    /// the lease's keys, the user and the role.
    func served(_ endpoint: String, revisions: [Int], beforeDelete: Int, lease: String) -> [String] {
        var out: [String] = []
        for revision in revisions {
            let json = etcdctl(["get", "", "--from-key", "-w", "json", "--rev", String(revision)], endpoint: endpoint)
            out.append(json.stdout.range(of: "\"kvs\"").map { String(json.stdout[$0.lowerBound...]) } ?? json.stderr)
        }
        out.append(etcdctl(["get", "key/1/1", "--rev", "\(beforeDelete)"], endpoint: endpoint).stdout)
        let live = etcdctl(["lease", "timetolive", lease, "--keys"], endpoint: endpoint).stdout
        // etcd lists a lease's keys from a Go map (any order): compare them sorted.
        var shown = live.replacingOccurrences(of: #"remaining\([0-9]+s\)"#, with: "remaining",
                                              options: .regularExpression)
        if let open = shown.range(of: "keys(["),
           let close = shown.range(of: "])", range: open.upperBound..<shown.endIndex) {
            let keys = shown[open.upperBound..<close.lowerBound].split(separator: " ").sorted().joined(separator: " ")
            shown.replaceSubrange(open.upperBound..<close.lowerBound, with: keys)
        }
        out.append(shown)
        out.append(etcdctl(["lease", "list"], endpoint: endpoint).stdout.split(separator: "\n").sorted().joined())
        out.append(etcdctl(["user", "get", "alice"], endpoint: endpoint).stdout)
        out.append(etcdctl(["user", "get", "bob"], endpoint: endpoint).stdout)
        out.append(etcdctl(["role", "get", "reader"], endpoint: endpoint).stdout)
        return out
    }

    /// nil when equal; else where the first difference is, with a little context.
    func difference(_ ours: [String], _ theirs: [String]) -> String? {
        guard ours.count == theirs.count else { return "\(ours.count) answers, expected \(theirs.count)" }
        for (k, (a, b)) in zip(ours, theirs).enumerated() where a != b {
            let common = zip(a, b).prefix { $0 == $1 }.count
            return "answer \(k) differs at \(common): \(a.dropFirst(max(0, common - 80)).prefix(240)) vs "
                + "\(b.dropFirst(max(0, common - 80)).prefix(240))"
        }
        return nil
    }

    @Test("etcd → etcdctl snapshot save → keelctl status and restore → keel serves the same; and back to etcd",
          .enabled(if: Etcd.installed))
    func roundTrip() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let etcd = try Etcd(root: root)
        let (revisions, beforeDelete, lease) = populate(etcd.endpoint)
        let theirs = served(etcd.endpoint, revisions: revisions, beforeDelete: beforeDelete, lease: lease)
        let live = theirs[revisions.count - 1].range(of: #""count":[0-9]+"#, options: .regularExpression)
            .flatMap { Int(theirs[revisions.count - 1][$0].dropFirst(8)) } ?? 0
        #expect(live > 99 * Self.batches, "etcd holds \(live) keys")
        let backup = root + "/etcd.db"
        #expect(etcdctl(["snapshot", "save", backup], endpoint: etcd.endpoint).status == 0)
        etcd.stop()

        // keelctl reports on etcd's file exactly as etcdctl does.
        for format in ["json", "table", "simple"] {
            let mine = keelctl(["snapshot", "status", backup, "-w", format], endpoint: nil)
            let reference = etcdctl(["snapshot", "status", backup, "-w", format], endpoint: etcd.endpoint)
            #expect(mine.status == 0 && mine.stdout == reference.stdout, "\(mine) vs \(reference)")
        }

        // etcd's backup becomes a keel member serving the same data.
        let base = Ports.take(2)
        let peer = "http://127.0.0.1:\(base + 1)"
        let restore = keelctl(["snapshot", "restore", backup, "--data-dir", root + "/k.keel", "--name", "k",
                               "--initial-cluster", "k=\(peer)", "--initial-advertise-peer-urls", peer,
                               "--initial-cluster-token", "from-etcd"], endpoint: nil)
        #expect(restore.status == 0, "\(restore)")
        let keel = try Keel(name: "k", root: root, clientPort: base, peerPort: base + 1, cluster: "k=\(peer)",
                            token: "from-etcd", dataDir: root + "/k.keel")
        defer { keel.stop() }
        #expect(keel.waitReady(), "\(keel.log)")
        let ours = served(keel.endpoint, revisions: revisions, beforeDelete: beforeDelete, lease: lease)
        #expect(difference(ours, theirs) == nil)
        #expect(etcdctl(["get", "key/0/0", "--rev", "\(revisions[0] - 1)"], endpoint: keel.endpoint).stderr
            .contains("compacted"))

        // keel's Snapshot stream is etcd's format: etcdctl saves, reports on and restores it; etcd serves it.
        let fromKeel = root + "/keel.db"
        let save = etcdctl(["snapshot", "save", fromKeel], endpoint: keel.endpoint)
        #expect(save.status == 0, "\(save)")
        let status = etcdctl(["snapshot", "status", fromKeel, "-w", "json"], endpoint: keel.endpoint)
        #expect(status.status == 0 && revision(status.stdout) == revisions.last, "\(status)")
        #expect(keelctl(["snapshot", "status", fromKeel, "-w", "json"], endpoint: nil).stdout == status.stdout)
        // keelctl saves the same stream with its digest, and reports on keel's own snapshot files too.
        let keelSaved = root + "/keelctl.db"
        #expect(keelctl(["snapshot", "save", keelSaved], endpoint: keel.endpoint).status == 0)
        let savedSize = (try? FileManager.default.attributesOfItem(atPath: keelSaved)[.size] as? Int) ?? 0
        #expect(savedSize % 512 == 32, "etcd's digest kept")
        #expect(etcdctl(["snapshot", "status", keelSaved, "-w", "json"], endpoint: keel.endpoint).status == 0)
        let keelFile = try FileManager.default.contentsOfDirectory(atPath: root + "/k.keel")
            .first { $0.hasPrefix("snap-") }
        let keelStatus = keelctl(["snapshot", "status", root + "/k.keel/" + (keelFile ?? "missing"), "-w", "json"],
                                 endpoint: nil)
        #expect(keelStatus.status == 0 && revision(keelStatus.stdout) == revisions.last, "\(keelStatus)")
        let etcdBase = Ports.take(2)
        let restored = etcdctl(["snapshot", "restore", fromKeel, "--data-dir", root + "/back.etcd", "--name", "e",
                                "--initial-cluster", "e=http://127.0.0.1:\(etcdBase + 1)",
                                "--initial-advertise-peer-urls", "http://127.0.0.1:\(etcdBase + 1)"],
                               endpoint: keel.endpoint)
        #expect(restored.status == 0, "\(restored)")
        let back = try RestoredEtcd(root: root, dataDir: root + "/back.etcd", base: etcdBase)
        defer { back.stop() }
        #expect(back.waitReady(), "\(back.log)")
        let backServes = served(back.endpoint, revisions: revisions, beforeDelete: beforeDelete, lease: lease)
        #expect(difference(backServes, theirs) == nil)
        #expect(etcdctl(["put", "after", "restore"], endpoint: back.endpoint).stdout == "OK\n")
    }
}
