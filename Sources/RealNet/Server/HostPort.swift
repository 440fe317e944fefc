import Core

/// A `host:port` taken from a URL such as `http://127.0.0.1:2380`.
public struct HostPort: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// An `https://` URL: TLS on this address.
    public var secure = false

    public init(host: String, port: Int, secure: Bool = false) {
        self.host = host
        self.port = port
        self.secure = secure
    }

    /// Parses `http://host:port`, `https://host:port` (or `host:port`); nil if it is not one.
    public init?(url: String) {
        var rest = Substring(url)
        if url.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if url.hasPrefix("https://") {
            rest = rest.dropFirst(8)
            secure = true
        } else if url.contains("://") {
            return nil  // Unix sockets are not served.
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
