/// Why a request's protobuf bytes were refused, as etcd 3.4's generated (gogo) `Unmarshal` refuses them.
///
/// `description` is Go's error text, so the gRPC layer can answer as grpc-go does for a body it cannot
/// unmarshal: code 13 (INTERNAL), `grpc: error unmarshalling request: <description>`. Two cases are not
/// unmarshalling errors in etcd: `nestingTooDeep` is Keel's own cap (Go recurses without one), and
/// `leaderMissing` is the v3election server's answer to a Proclaim or Resign without `leader`, code 2 (UNKNOWN),
/// as the gateway gives it (#230, #231). Offsets count from the start of the whole request.
public enum ProtobufDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end inside a tag, a varint, a fixed-size value or a group (Go: `unexpected EOF`).
    case truncated(offset: Int)
    /// A varint longer than 10 bytes (Go: `proto: integer overflow`).
    case varintOverflow(offset: Int)
    /// A length that reads as a negative Go `int` (Go: `proto: negative length found during unmarshaling`).
    case negativeLength(offset: Int)
    /// A length that runs past the end of the enclosing message (Go: `unexpected EOF`).
    case lengthOutOfBounds(offset: Int)
    /// A known field sent with another wire type; `field` is the Go field name (`RangeEnd`).
    case badWireType(field: String, wireType: Int)
    /// A tag whose field number is 0 or negative as a Go `int32`; `tag` is the whole tag varint.
    case illegalTag(message: String, tag: UInt64)
    /// An end-group tag (wire type 4) where a field starts.
    case endGroup(message: String)
    /// Wire type 6 or 7 on an unknown field.
    case illegalWireType(Int)
    /// Messages nested deeper than `ProtobufRequestDecoder.nestingDepthMax` (txn within txn).
    case nestingTooDeep(limit: Int)
    /// Proclaim or Resign without `leader`: etcd's `ErrMissingLeaderKey`, code 2.
    case leaderMissing
    /// A `string` field that is not UTF-8, in a message golang/protobuf decodes (`grpc.health.v1` only; etcd's
    /// own gogo code does not check); `field` is the full proto name.
    case invalidUTF8(field: String)

    public var description: String {
        switch self {
        case .truncated, .lengthOutOfBounds: "unexpected EOF"
        case .varintOverflow: "proto: integer overflow"
        case .negativeLength: "proto: negative length found during unmarshaling"
        case .badWireType(let field, let wireType): "proto: wrong wireType = \(wireType) for field \(field)"
        case .illegalTag(let message, let tag):
            "proto: \(message): illegal tag \(Int32(truncatingIfNeeded: tag >> 3)) (wire type \(tag))"
        case .endGroup(let message): "proto: \(message): wiretype end group for non-group"
        case .illegalWireType(let wireType): "proto: illegal wireType \(wireType)"
        case .nestingTooDeep(let limit): "proto: messages nested deeper than \(limit)"
        case .leaderMissing: "\"leader\" field must be provided"
        case .invalidUTF8(let field): "proto: field \"\(field)\" contains invalid UTF-8"
        }
    }
}
