import Foundation  // keelsim jepsen talks JSON to real processes: JSONSerialization and base64 (Data).
import Glibc
import RealNet

/// How a request to a real member ended when no HTTP answer arrived.
enum JepsenHTTPError: Error, CustomStringConvertible {
    /// `connect` failed: nothing was sent, so the request certainly had no effect.
    case refused
    /// Sent (maybe partly); no complete answer before the deadline or the connection broke.
    case indeterminate(String)

    var description: String {
        switch self {
        case .refused: "connection refused"
        case .indeterminate(let why): why
        }
    }
}

/// An HTTP answer: status and body (de-chunked).
struct JepsenResponse {
    var status: Int
    var body: [UInt8]

    /// The body as a JSON object, empty when it is not one.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

/// POSTs to real members over loopback with RealNet's HTTP client (keelctl's too), one request per
/// connection, bounded by a deadline.
enum JepsenHTTP {
    /// POSTs `body` to `path` on 127.0.0.1:`port` and reads the whole answer within `timeoutMs`.
    static func post(_ port: Int, _ path: String, _ body: String, timeoutMs: Int) throws(JepsenHTTPError)
        -> JepsenResponse
    {
        let deadline = HTTPClientConnection.nowMilliseconds() + Int64(timeoutMs)
        let connection: HTTPClientConnection
        do {
            connection = try HTTPClientConnection(host: "127.0.0.1", port: port, dialMilliseconds: timeoutMs,
                                                  tls: JepsenTLS.json)
        } catch {
            throw .refused  // Nothing was sent (a TLS handshake carries no request).
        }
        do {
            try connection.post(path, body: Array(body.utf8))
            try connection.readHead(deadline)
            return JepsenResponse(status: connection.status, body: try connection.readBody(deadline))
        } catch .timeout {
            throw .indeterminate("timed out")
        } catch {
            throw .indeterminate("\(error)")
        }
    }
}

/// Nanoseconds of the monotonic clock (the history's time base).
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Sleeps `milliseconds` (drivers may sleep; this is a real-time test).
func sleepMilliseconds(_ milliseconds: Int) {
    usleep(UInt32(max(0, milliseconds)) * 1000)
}

/// Standard base64 of a string's UTF-8 bytes.
func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

/// The string whose base64 is `text`, nil if absent or malformed.
func unbase64(_ text: Any?) -> String? {
    guard let text = text as? String, let data = Data(base64Encoded: text) else { return nil }
    return String(decoding: data, as: UTF8.self)
}
