import Core

/// Why the daemon cannot start: each prints as one line and exits non-zero.
public enum StartError: Error, CustomStringConvertible {
    case dataDir(String)
    case config(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .dataDir(let s): "data dir: \(s)"
        case .config(let s): s
        case .corrupt(let s): s
        }
    }
}

/// The member's identity, kept in the data dir so a restart ignores the --initial-* flags (as etcd does).
public struct MemberIdentity: Equatable, Sendable {
    public static let fileName = "keel-member"
    public var id: MemberID
    public var name: String
    public var token: String

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes.append(contentsOf: Array("KMBR".utf8))
        writer.u64(id.value)
        writer.string(name)
        writer.string(token)
        writer.u32(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) -> MemberIdentity? {
        guard bytes.count > 8, Array(bytes.prefix(4)) == Array("KMBR".utf8) else { return nil }
        var tail = ByteReader(bytes[(bytes.count - 4)...])
        guard let crc = try? tail.u32(), crc == CRC32C.checksum(bytes[..<(bytes.count - 4)]) else { return nil }
        var reader = ByteReader(bytes[4..<(bytes.count - 4)])
        guard let id = try? reader.u64(), let name = try? reader.string(), let token = try? reader.string() else {
            return nil
        }
        return MemberIdentity(id: MemberID(id), name: name, token: token)
    }
}

/// Opening a data directory: restart from it, bootstrap a new cluster into it, or prepare to join one.
///
/// With --wal-dir the WAL's files live in that directory (`FileDisk`), and the data directory holds a
/// `keel-wal-dir` file naming it, written before the member's identity: a restart must give --wal-dir exactly
/// when the data dir was created with one, or it stops with one line saying so. (etcd does not check: it
/// starts a new WAL beside its old data, which is how a member silently forgets its Raft log.)
public enum DataDir {
    /// In the data directory when the WAL is elsewhere: the --wal-dir it was created with, as text.
    public static let walDirFileName = "keel-wal-dir"

    public struct Opened {
        public var disk: FileDisk
        public var identity: MemberIdentity
        public var recovered: Recovered
        public var restarted: Bool
    }

    /// - Parameters:
    ///   - walDir: etcd's --wal-dir, nil (or `path` itself) to keep the WAL in the data dir.
    ///   - initialCluster: `name → peer URLs` from --initial-cluster (ignored on restart).
    public static func open(
        path: String, walDir: String? = nil, name: String, initialCluster: [(name: String, peerURLs: [String])],
        state: String, token: String, advertisePeerURLs: [String]
    ) throws(StartError) -> Opened {
        var disk: FileDisk
        do { disk = try FileDisk(directory: path, walDirectory: walDir) } catch { throw .dataDir("\(path): \(error)") }
        let names = disk.fileNames()
        if names.contains(MemberIdentity.fileName) {
            let bytes: [UInt8]
            do { bytes = try disk.read(MemberIdentity.fileName) } catch { throw .dataDir("\(path): \(error)") }
            guard let identity = MemberIdentity.decode(bytes) else {
                throw .corrupt("corrupt data dir \(path): \(MemberIdentity.fileName) does not checksum")
            }
            try checkWALPlace(disk, names: names, path: path)
            return Opened(disk: disk, identity: identity, recovered: try recover(&disk, path), restarted: true)
        }
        if names.contains(where: { $0.hasPrefix("wal-") || $0.hasPrefix("snap-") }) {
            let place = disk.walDirectory.map { " (WAL dir \($0))" } ?? ""
            throw .corrupt("corrupt data dir \(path)\(place): WAL present but \(MemberIdentity.fileName) missing")
        }
        guard let me = initialCluster.first(where: { $0.name == name }) else {
            throw .config("--initial-cluster has no member named \"\(name)\" (it lists "
                          + initialCluster.map(\.name).joined(separator: ",") + ")")
        }
        if Set(me.peerURLs) != Set(advertisePeerURLs) {
            throw .config("--initial-advertise-peer-urls \(advertisePeerURLs.joined(separator: ",")) do not match "
                          + "--initial-cluster \(name)=\(me.peerURLs.joined(separator: ","))")
        }
        let id = MemberInfo.memberID(peerURLs: me.peerURLs, token: token)
        let identity = MemberIdentity(id: id, name: name, token: token)
        do {
            // Left by a start that stopped before writing the identity; bootstrap wants an empty directory.
            if names.contains(walDirFileName) { try disk.remove(walDirFileName) }
            if state == "new" {
                // Identical on every member: these entries are committed by definition.
                let members = initialCluster.map { member in
                    let info = MemberInfo(name: member.name, peerURLs: member.peerURLs)
                    return (id: MemberInfo.memberID(peerURLs: member.peerURLs, token: token), context: info.encoded())
                }
                if Set(members.map(\.id)).count != members.count {
                    throw StartError.config("--initial-cluster lists the same peer URLs twice")
                }
                try WAL.bootstrap(members: members, on: &disk)
            }
            if let walDirectory = disk.walDirectory {
                try disk.writeAtomically(walDirFileName, Array((walDirectory + "\n").utf8))
            }
            try disk.writeAtomically(MemberIdentity.fileName, identity.encoded())
        } catch let error as StartError {
            throw error
        } catch {
            throw .dataDir("\(path): \(error)")
        }
        return Opened(disk: disk, identity: identity, recovered: try recover(&disk, path), restarted: false)
    }

    /// On restart: --wal-dir given exactly when the data dir was created with one, and naming a directory
    /// that holds its WAL (or the same path, for a member that has written none yet).
    static func checkWALPlace(_ disk: FileDisk, names: [String], path: String) throws(StartError) {
        guard names.contains(walDirFileName) else {
            if let given = disk.walDirectory {
                throw .config("data dir \(path) keeps its WAL itself (it was created without --wal-dir), but "
                              + "--wal-dir \(given) is given: start it without --wal-dir")
            }
            return
        }
        let recorded: String
        do {
            let bytes = try disk.read(walDirFileName)
            recorded = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        } catch {
            throw .dataDir("\(path): \(error)")
        }
        guard let given = disk.walDirectory else {
            throw .config("data dir \(path) keeps its WAL in \(recorded) (it was created with --wal-dir): start it "
                          + "with --wal-dir \(recorded)")
        }
        if given != recorded && !names.contains(where: { WAL.segmentSeq(ofFile: $0) != nil }) {
            throw .config("--wal-dir \(given) holds no WAL; data dir \(path) wrote its WAL to \(recorded)")
        }
    }

    static func recover(_ disk: inout FileDisk, _ path: String) throws(StartError) -> Recovered {
        do {
            return try Recovery.recover(from: &disk)
        } catch {
            throw .corrupt("cannot recover data dir \(path): \(error)")
        }
    }
}
