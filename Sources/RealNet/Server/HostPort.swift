import Core

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
