import Core

/// What Keel knows of a member beyond its id: name and URLs. Stored, opaque to Raft, as the context of
/// the membership change that added it.
public struct MemberInfo: Equatable, Sendable {
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]

    public init(name: String, peerURLs: [String], clientURLs: [String] = []) {
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
    }

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
    /// token, so every member computes the same ids from the same --initial-cluster.
    public static func memberID(peerURLs: [String], token: String) -> MemberID {
        var hash = FNV1a()
        hash.mix((peerURLs.sorted().joined(separator: ",") + "|" + token).utf8)
        return MemberID(hash.value == 0 ? 1 : hash.value)
    }
}

/// A `host:port` taken from a URL such as `http://127.0.0.1:2380`.
public struct HostPort: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port` (or `host:port`); nil if it is not one.
    public init?(url: String) {
        var rest = Substring(url)
        if url.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if url.contains("://") {
            return nil  // https and unix sockets are not served yet.
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty || host == "localhost" { host = "127.0.0.1" }
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
