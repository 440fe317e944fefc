/// What Keel knows of a member beyond its id: name and URLs. Stored, opaque to Raft, as the context of the
/// membership change that added it, and replaced by the member's published attributes and by MemberUpdate.
public struct MemberInfo: Equatable, Sendable {
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]

    public init(name: String, peerURLs: [String], clientURLs: [String] = []) {
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
    }

    /// The context bytes: version 1, name, peer URLs, client URLs.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.u8(1)
        writer.string(name)
        for list in [peerURLs, clientURLs] {
            writer.u32(UInt32(list.count))
            for url in list { writer.string(url) }
        }
        return writer.bytes
    }

    /// The info in context bytes; a context in another format (tests and old simulations pass opaque bytes)
    /// reads as a member without name or URLs.
    public static func decode(_ bytes: [UInt8]) -> MemberInfo {
        var reader = ByteReader(bytes)
        guard (try? reader.u8()) == 1, let name = try? reader.string(max: 4096) else {
            return MemberInfo(name: "", peerURLs: [])
        }
        var lists: [[String]] = []
        for _ in 0..<2 {
            var list: [String] = []
            let count = (try? reader.count(itemBytesMin: 4)) ?? 0
            for _ in 0..<count { if let url = try? reader.string(max: 4096) { list.append(url) } }
            lists.append(list)
        }
        return MemberInfo(name: name, peerURLs: lists[0], clientURLs: lists[1])
    }

    /// A member's id as etcd derives it for a new cluster: a hash of its sorted peer URLs and the cluster
    /// token, so every member computes the same ids from the same --initial-cluster (and MemberAdd the same id
    /// from the same URLs).
    public static func memberID(peerURLs: [String], token: String) -> MemberID {
        var hash = FNV1a()
        hash.mix((peerURLs.sorted().joined(separator: ",") + "|" + token).utf8)
        return MemberID(hash.value == 0 ? 1 : hash.value)
    }
}
