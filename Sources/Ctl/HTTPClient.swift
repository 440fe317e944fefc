import Glibc
import RealNet

/// Milliseconds on the monotonic clock (`clock_gettime(CLOCK_MONOTONIC)`).
func monotonicMilliseconds() -> Int64 { HTTPClientConnection.nowMilliseconds() }

/// Microseconds on the monotonic clock.
func monotonicMicroseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
}

/// keelctl's JSON gateway transport is RealNet's HTTP client (shared with keelsim's real-cluster test).
typealias TransportError = HTTPClientError
typealias HTTPConnection = HTTPClientConnection
typealias LineReader = HTTPLineReader

extension HTTPClientConnection {
    /// Connects to one `--endpoints` entry, named as the user wrote it in messages (over TLS with `tls`).
    convenience init(endpoint: Endpoint, dialMilliseconds: Int, tls: ClientTLS?) throws(TransportError) {
        try self.init(host: endpoint.host, port: endpoint.port, label: endpoint.display,
                      dialMilliseconds: dialMilliseconds, tls: tls)
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars = scalars.dropFirst() }
        while scalars.last == " " || scalars.last == "\t" || scalars.last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
