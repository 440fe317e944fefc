import Foundation  // Process-based tests.
import Glibc
import Testing

/// Serialized: member add/remove changes what member list prints.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ClusterCommandTests {
    let endpoint = shared?.endpoint ?? "127.0.0.1:1"

    @Test("member list in simple, table and json")
    func memberList() throws {
        let keel = try #require(shared)
        let simple = keelctl(["member", "list"], endpoint: endpoint).stdout
        let pattern = #"^[0-9a-f]+, started, k, http://127.0.0.1:\#(keel.peerPort), "#
            + #"http://127.0.0.1:\#(keel.clientPort), false\n$"#
        #expect(simple.range(of: pattern, options: .regularExpression) != nil, "\(simple)")
        let id = String(simple.split(separator: ",")[0])
        let table = keelctl(["member", "list", "-w", "table"], endpoint: endpoint).stdout.split(separator: "\n")
        #expect(table.count == 5)
        #expect(table[1] == "|\(centered("ID", id.count + 2))| STATUS  | NAME |       PEER ADDRS       "
                + "|      CLIENT ADDRS      | IS LEARNER |")  // The ID column is as wide as the id (%x, unpadded).
        #expect(table[3].hasPrefix("| \(id) | started |    k | http://127.0.0.1:"))
        let json = keelctl(["member", "list", "-w", "json"], endpoint: endpoint).stdout
        #expect(json.contains(#""members":[{"ID":\#(UInt64(id, radix: 16)!),"name":"k","peerURLs":["#), "\(json)")
        #expect(!json.contains("\"revision\""))
    }

    @Test("endpoint status, health and hashkv")
    func endpointCommands() throws {
        let status = keelctl(["endpoint", "status"], endpoint: endpoint).stdout
        let pattern = #"^\#(endpoint), [0-9a-f]+, 3\.4\.23, [0-9.]+ k?B, true, false, [0-9]+, [0-9]+, [0-9]+, \n$"#
        #expect(status.range(of: pattern, options: .regularExpression) != nil, "\(status)")
        let table = keelctl(["endpoint", "status", "-w", "table"], endpoint: endpoint).stdout.split(separator: "\n")
        #expect(table.count == 5)
        let id = String(status.split(separator: ",")[1].dropFirst())
        #expect(table[1].hasPrefix("|    ENDPOINT     |\(centered("ID", id.count + 2))| VERSION | DB SIZE | IS LEADER "
                                   + "| IS LEARNER |"))
        #expect(table[3].contains(" |      true |      false |"))
        let json = keelctl(["endpoint", "status", "-w", "json"], endpoint: endpoint).stdout
        #expect(json.hasPrefix(#"[{"Endpoint":"\#(endpoint)","Status":{"header":{"cluster_id":"#), "\(json)")
        let health = keelctl(["endpoint", "health"], endpoint: endpoint)
        #expect(health.status == 0 && health.stdout == "")
        #expect(health.stderr.hasPrefix("\(endpoint) is healthy: successfully committed proposal: took = "))
        let hash = keelctl(["endpoint", "hashkv"], endpoint: endpoint).stdout
        #expect(hash.range(of: #"^\#(endpoint), [0-9]+\n$"#, options: .regularExpression) != nil)
    }

    @Test("member add prints the new member's settings; remove takes it out")
    func memberAddRemove() throws {
        let base = Ports.take(1)
        let add = keelctl(["member", "add", "m2", "--peer-urls", "http://127.0.0.1:\(base)", "--learner"],
                          endpoint: endpoint).stdout
        let lines = add.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 7, "\(add)")
        #expect(lines[0].range(of: #"^Member [ 0-9a-f]{16} added to cluster [ 0-9a-f]{16}$"#,
                               options: .regularExpression) != nil)
        #expect(lines[2] == "ETCD_NAME=\"m2\"")
        #expect(lines[4] == "ETCD_INITIAL_ADVERTISE_PEER_URLS=\"http://127.0.0.1:\(base)\"")
        #expect(lines[5] == "ETCD_INITIAL_CLUSTER_STATE=\"existing\"")
        let id = String(lines[0].split(separator: " ")[1])
        let list = keelctl(["member", "list"], endpoint: endpoint).stdout
        #expect(list.contains("\(id), unstarted, , http://127.0.0.1:\(base), , true\n"), "\(list)")
        let remove = keelctl(["member", "remove", id], endpoint: endpoint).stdout
        #expect(remove.hasPrefix("Member \(paddedHex(id)) removed from cluster "))
        let missing = keelctl(["member", "remove", "1234"], endpoint: endpoint)
        #expect(missing.status == 1 && missing.stderr == "Error: etcdserver: member not found\n")
    }

    private func paddedHex(_ id: String) -> String { String(repeating: " ", count: 16 - id.count) + id }

    @Test("snapshot save, restore into a new data dir, start keel on it and read the data back")
    func snapshotSaveRestore() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = keelctl(["put", "snap/a", "1"], endpoint: endpoint)
        _ = keelctl(["put", "snap/b", "2"], endpoint: endpoint)
        let file = root + "/snap.db"
        let save = keelctl(["snapshot", "save", file], endpoint: endpoint)
        #expect(save.status == 0 && save.stdout == "Snapshot saved at \(file)\n", "\(save)")
        let base = Ports.take(2)
        let peer = "http://127.0.0.1:\(base + 1)"
        let restore = keelctl(["snapshot", "restore", file, "--data-dir", root + "/r.keel", "--name", "r",
                               "--initial-cluster", "r=\(peer)", "--initial-advertise-peer-urls", peer,
                               "--initial-cluster-token", "restored"], endpoint: nil)
        #expect(restore.status == 0, "\(restore)")
        let again = keelctl(["snapshot", "restore", file, "--data-dir", root + "/r.keel"], endpoint: nil)
        #expect(again.status == 1 && again.stderr.contains("exists"))
        let keel = try Keel(name: "r", root: root, clientPort: base, peerPort: base + 1, cluster: "r=\(peer)",
                            token: "restored", dataDir: root + "/r.keel")
        defer { keel.stop() }
        #expect(keel.waitReady(), "\(keel.log)")
        #expect(keelctl(["get", "snap/", "--prefix"], endpoint: keel.endpoint).stdout == "snap/a\n1\nsnap/b\n2\n")
        let members = keelctl(["member", "list"], endpoint: keel.endpoint).stdout
        #expect(members.hasSuffix(", started, r, \(peer), http://127.0.0.1:\(base), false\n"), "\(members)")
        #expect(keelctl(["put", "snap/c", "3"], endpoint: keel.endpoint).stdout == "OK\n")
    }
}

/// A header cell as etcdctl's table writer centers it: left gap rounded down, the extra space on the right.
func centered(_ text: String, _ width: Int) -> String {
    let pad = width - text.count
    let left = pad / 2
    return String(repeating: " ", count: left) + text + String(repeating: " ", count: pad - left)
}
