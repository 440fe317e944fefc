import Foundation  // JSONSerialization and base64 (through JepsenHTTP's helpers) for the gateway transport.
import RealNet

/// How `keelsim jepsen`'s clients and watches reach the members: gRPC (the default, as etcd's clients do)
/// or the JSON gateway. Only the carrier changes; the operations, the history and the checks are the same.
enum JepsenProtocol: String {
    case grpc
    case json
}

/// One workload operation on a full key (`jepsen/k0`), as a client issues it.
enum JepsenCall {
    case read(key: String)
    case write(key: String, value: String)
    /// A txn: if the key's value is `expected`, put `value`.
    case cas(key: String, expected: String, value: String)
    case delete(key: String)
}

/// What a call's answer means for the history, classified the same way whatever carried it.
enum JepsenReply: Equatable {
    /// The call succeeded: the value read (a read; nil for a missing key) and whether a cas's compare held
    /// (true for every other call).
    case ok(value: String?, succeeded: Bool)
    /// Certainly not applied: nothing was sent, or the server refused it with a definite error.
    case fail
    /// Unknown: it may have been applied (timeouts, broken connections, errors that may follow a proposal).
    case info
}

/// Carries one client's calls to the members. One per client thread; not shared.
protocol JepsenTransport {
    func call(_ call: JepsenCall, port: Int) -> JepsenReply
}

/// A transport for `jepsen`, `timeoutMs` bounding each call.
func makeJepsenTransport(_ kind: JepsenProtocol, timeoutMs: Int) -> any JepsenTransport {
    switch kind {
    case .grpc: JepsenGRPCTransport(timeoutMs: timeoutMs)
    case .json: JepsenJSONTransport(timeoutMs: timeoutMs)
    }
}

/// The JSON gateway (HTTP/1.1, one request per connection): ok is a 200 (a txn's `succeeded` read from the
/// body); fail is a refused connection (nothing was sent) or a 4xx; info is everything else (timeouts, broken
/// connections, 5xx: keel's 503s such as "request timed out" or "no leader" may follow a forwarded proposal).
struct JepsenJSONTransport: JepsenTransport {
    let timeoutMs: Int

    func call(_ call: JepsenCall, port: Int) -> JepsenReply {
        let (path, body) = request(call)
        let response: JepsenResponse
        do {
            response = try JepsenHTTP.post(port, path, body, timeoutMs: timeoutMs)
        } catch {
            switch error {
            case .refused: return .fail
            case .indeterminate: return .info
            }
        }
        guard response.status == 200 else { return (400..<500).contains(response.status) ? .fail : .info }
        let json = response.json
        switch call {
        case .read:
            let kvs = json["kvs"] as? [[String: Any]]
            return .ok(value: kvs?.first.map { unbase64($0["value"]) ?? "" }, succeeded: true)
        case .cas:
            return .ok(value: nil, succeeded: json["succeeded"] as? Bool == true)
        case .write, .delete:
            return .ok(value: nil, succeeded: true)
        }
    }

    /// The gateway path and JSON body of a call.
    private func request(_ call: JepsenCall) -> (String, String) {
        switch call {
        case .read(let key):
            return ("/v3/kv/range", #"{"key":"\#(base64(key))"}"#)
        case .write(let key, let value):
            return ("/v3/kv/put", #"{"key":"\#(base64(key))","value":"\#(base64(value))"}"#)
        case .cas(let key, let expected, let value):
            let encodedKey = base64(key)
            return ("/v3/kv/txn",
                    #"{"compare":[{"key":"\#(encodedKey)","target":"VALUE","value":"\#(base64(expected))"}],"#
                    + #""success":[{"request_put":{"key":"\#(encodedKey)","value":"\#(base64(value))"}}]}"#)
        case .delete(let key):
            return ("/v3/kv/deleterange", #"{"key":"\#(base64(key))"}"#)
        }
    }
}
