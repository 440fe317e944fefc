import Core

/// Why a gateway request fails before it reaches the store.
public enum GatewayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The gateway could not decode the body (JSON syntax, types, base64, enum names), with Go's message.
    /// Unary and server-streaming calls: 400, code 3; bidirectional streams (watch, keepalive): 500, code 2
    /// (#127, #128). Sent with `Content-Length`, no trailer (#6).
    case decode(String)
    /// The body decoded but etcd's API layer rejects the request before running it (`key is not provided`,
    /// `duplicate key given in txn request`, `"leader" field must be provided`, …): an RPC error (#5).
    case rpc(RPCError)

    public var description: String {
        switch self {
        case .decode(let message): "gateway decode: \(message)"
        case .rpc(let error): error.description
        }
    }
}
