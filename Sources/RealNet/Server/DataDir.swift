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
public enum DataDir {
    public struct Opened {
        public var disk: FileDisk
        public var identity: MemberIdentity
        public var recovered: Recovered
        public var restarted: Bool
    }

    /// - Parameters:
    ///   - initialCluster: `name → peer URLs` from --initial-cluster (ignored on restart).
    public static func open(
        path: String, name: String, initialCluster: [(name: String, peerURLs: [String])], state: String,
        token: String, advertisePeerURLs: [String]
    ) throws(StartError) -> Opened {
        var disk: FileDisk
        do { disk = try FileDisk(directory: path) } catch { throw .dataDir("\(path): \(error)") }
        let names = disk.fileNames()
        if names.contains(MemberIdentity.fileName) {
            let bytes: [UInt8]
            do { bytes = try disk.read(MemberIdentity.fileName) } catch { throw .dataDir("\(path): \(error)") }
            guard let identity = MemberIdentity.decode(bytes) else {
                throw .corrupt("corrupt data dir \(path): \(MemberIdentity.fileName) does not checksum")
            }
            return Opened(disk: disk, identity: identity, recovered: try recover(&disk, path), restarted: true)
        }
        if names.contains(where: { $0.hasPrefix("wal-") || $0.hasPrefix("snap-") }) {
            throw .corrupt("corrupt data dir \(path): WAL present but \(MemberIdentity.fileName) missing")
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
            try disk.writeAtomically(MemberIdentity.fileName, identity.encoded())
        } catch let error as StartError {
            throw error
        } catch {
            throw .dataDir("\(path): \(error)")
        }
        return Opened(disk: disk, identity: identity, recovered: try recover(&disk, path), restarted: false)
    }

    static func recover(_ disk: inout FileDisk, _ path: String) throws(StartError) -> Recovered {
        do {
            return try Recovery.recover(from: &disk)
        } catch {
            throw .corrupt("cannot recover data dir \(path): \(error)")
        }
    }
}
