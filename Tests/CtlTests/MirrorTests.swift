import Foundation  // Process-based tests.
import Glibc
import Testing

/// `keelctl make-mirror` from a running etcd 3.4 into keel while the source keeps changing: the mirror
/// converges to the same keys and values (under the destination prefix), deletes included.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: Etcd.installed))
struct MirrorTests {
    /// `prefix`'s keys and values on `endpoint`, via etcdctl's JSON output, as "key=value" lines (keys with the
    /// prefix replaced by `as`).
    func contents(_ endpoint: String, prefix: String, as renamed: String) -> [String] {
        let out = run(Etcd.ctl, ["get", prefix, "--prefix", "-w", "json"], endpoint: endpoint,
                      environment: ["ETCDCTL_API": "3"])
        guard let object = try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any] else {
            return ["unreadable: \(out.stdout) \(out.stderr)"]
        }
        let kvs = object["kvs"] as? [[String: Any]] ?? []
        return kvs.map { kv in
            let key = String(decoding: Data(base64Encoded: kv["key"] as? String ?? "") ?? Data(), as: UTF8.self)
            let value = String(decoding: Data(base64Encoded: kv["value"] as? String ?? "") ?? Data(), as: UTF8.self)
            return renamed + key.dropFirst(prefix.count) + "=" + value
        }.sorted()
    }

    /// Writes `count` keys under `prefix` in txns of 100 puts.
    func fill(_ endpoint: String, prefix: String, count: Int, value: String) {
        var start = 0
        while start < count {
            let ops = (start..<min(start + 100, count)).map { "put \(prefix)\($0) \(value)\($0)" }.joined(separator: "\n")
            _ = run(Etcd.ctl, ["txn"], endpoint: endpoint, stdin: "\n" + ops + "\n\n\n",
                    environment: ["ETCDCTL_API": "3"])
            start += 100
        }
    }

    @Test("make-mirror from etcd into keel under writes: the same keys and values, deletes included, other keys untouched")
    func mirrorUnderLoad() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let etcd = try Etcd(root: root)
        defer { etcd.stop() }
        let keel = try Keel.single(root: root)
        defer { keel.stop() }
        fill(etcd.endpoint, prefix: "app/k", count: 600, value: "base")
        _ = run(Etcd.ctl, ["put", "elsewhere", "not mirrored"], endpoint: etcd.endpoint, environment: ["ETCDCTL_API": "3"])

        let mirror = try Background(["make-mirror", "--prefix", "app/", "--dest-prefix", "copy/", "--max-txn-ops", "50",
                                     keel.endpoint], endpoint: etcd.endpoint, root: root)
        defer { mirror.stop() }
        // The write load while the base copy and the watch run: new keys, overwrites (one txn of 120 ops, more
        // than --max-txn-ops), deletes.
        fill(etcd.endpoint, prefix: "app/new", count: 300, value: "fresh")
        fill(etcd.endpoint, prefix: "app/k", count: 120, value: "overwritten")
        for k in stride(from: 0, to: 600, by: 37) {
            _ = run(Etcd.ctl, ["del", "app/k\(k)"], endpoint: etcd.endpoint, environment: ["ETCDCTL_API": "3"])
        }
        _ = run(Etcd.ctl, ["del", "app/new", "--prefix"], endpoint: etcd.endpoint, environment: ["ETCDCTL_API": "3"])
        fill(etcd.endpoint, prefix: "app/last", count: 10, value: "end")

        let expected = contents(etcd.endpoint, prefix: "app/", as: "copy/")
        #expect(expected.count == 600 - 17 + 10, "\(expected.count)")
        var mirrored: [String] = []
        let converged = waitFor(seconds: 30) {
            mirrored = contents(keel.endpoint, prefix: "copy/", as: "copy/")
            return mirrored == expected
        }
        let difference = zip(mirrored, expected).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "-"
        #expect(converged, "mirror has \(mirrored.count) keys, source \(expected.count); first difference: \(difference)")
        #expect(contents(keel.endpoint, prefix: "app/", as: "app/").isEmpty)
        #expect(contents(keel.endpoint, prefix: "elsewhere", as: "elsewhere").isEmpty)
        #expect(mirror.process.isRunning, "make-mirror stopped: \(mirror.output)")
    }

    @Test("make-mirror's bad arguments: no destination as etcdctl; --dest-prefix with --no-dest-prefix at once")
    func badArguments() {
        let ours = keelctl(["make-mirror"], endpoint: "127.0.0.1:1", seconds: 10)
        let theirs = run(Etcd.ctl, ["make-mirror"], endpoint: "127.0.0.1:1", environment: ["ETCDCTL_API": "3"],
                         seconds: 10)
        #expect(ours.status == theirs.status && ours.status == 128, "\(ours) vs \(theirs)")
        #expect(ours.stderr.hasPrefix("Error: make-mirror takes one destination argument"), "\(ours)")
        #expect(theirs.stderr.hasPrefix("Error: make-mirror takes one destination argument"), "\(theirs)")
        // etcdctl dials the destination before it checks these two flags (and waits for ever on a dead one);
        // keelctl refuses at once, with etcdctl's words and exit code.
        let both = keelctl(["make-mirror", "--dest-prefix", "a", "--no-dest-prefix", "127.0.0.1:1"],
                           endpoint: "127.0.0.1:1", seconds: 10)
        #expect(both.status == 128 && both.stderr.hasPrefix(
            "Error: `--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one"), "\(both)")
    }
}

/// Polls `condition` every 100 ms for at most `seconds`.
func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}
