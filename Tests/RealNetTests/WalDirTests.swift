import Foundation  // Process control and temporary directories in tests.
import Testing

/// etcd's --wal-dir (issue 17): the WAL's files live there, everything else in --data-dir, and a data dir is
/// only ever restarted with the --wal-dir it was created with. Through the shipped binary.
@Suite(.serialized) struct WalDirTests {
    static func names(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    @Test("--wal-dir holds the WAL across a restart; restarting without it, or adding it later, stops in one line")
    func walDirRestart() throws {
        let root = KeelProcess.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = KeelProcess.ports(2)
        let walDir = root + "/wal"
        let member = KeelProcess(name: "w", clientPort: base, peerPort: base + 1, root: root)
        member.arguments += ["--initial-cluster", "w=\(member.peerURL)"]
        let plainArguments = member.arguments
        member.arguments += ["--wal-dir", walDir]
        try member.start()
        #expect(member.waitForLog("ready to serve client requests"), "\(member.log)")
        for k in 0..<5 { #expect(try put(base, "k\(k)", "v\(k)").status == 200) }
        #expect(member.stop() == 0)

        // The segments are in the WAL dir only; the identity and the note of the WAL dir in the data dir.
        let walFiles = Self.names(walDir)
        #expect(!walFiles.isEmpty && walFiles.allSatisfy { $0.hasPrefix("wal-") && $0.hasSuffix(".log") },
                "\(walFiles)")
        let dataFiles = Self.names(member.dataDir)
        #expect(dataFiles.contains("keel-member") && dataFiles.contains("keel-wal-dir"), "\(dataFiles)")
        #expect(!dataFiles.contains { $0.hasPrefix("wal-") }, "\(dataFiles)")

        // Without --wal-dir the member would start with no log: it refuses, in one line, naming the WAL dir.
        let without = KeelProcess.runToExit(plainArguments)
        #expect(without.status == 1, "\(without.output)")
        let last = without.output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("keel: ") && last.contains("keeps its WAL in \(walDir)")
                && last.contains("start it with --wal-dir \(walDir)"), "\(without.output)")
        // A --wal-dir that holds no WAL is refused too.
        let elsewhere = KeelProcess.runToExit(plainArguments + ["--wal-dir", root + "/other-wal"])
        #expect(elsewhere.status == 1 && elsewhere.output.contains("holds no WAL"), "\(elsewhere.output)")
        #expect(Self.names(member.dataDir) == dataFiles && Self.names(walDir) == walFiles)

        // With the same flags the keys are all there.
        try member.start()
        #expect(member.waitForLog("ready to serve client requests", count: 2), "\(member.log)")
        for k in 0..<5 { #expect(try get(base, "k\(k)") == "v\(k)") }
        #expect(member.stop() == 0)
        #expect(member.log.contains("restarting member"))

        // A data dir made without --wal-dir refuses one.
        let plain = KeelProcess(name: "p", clientPort: base, peerPort: base + 1, root: root)
        plain.arguments += ["--initial-cluster", "p=\(plain.peerURL)"]
        try plain.start()
        #expect(plain.waitForLog("ready to serve client requests"), "\(plain.log)")
        #expect(try put(base, "a", "b").status == 200)
        #expect(plain.stop() == 0)
        let added = KeelProcess.runToExit(plain.arguments + ["--wal-dir", root + "/late-wal"])
        #expect(added.status == 1, "\(added.output)")
        let line = added.output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.hasPrefix("keel: ") && line.contains("created without --wal-dir"), "\(added.output)")
        #expect(Self.names(root + "/late-wal").isEmpty)
        #expect(Self.names(plain.dataDir).contains { $0.hasPrefix("wal-") })
    }
}
