/// `grpc.health.v1.Health`, which etcd's gRPC server registers beside its own services: `HealthCheckRequest`
/// (1 `service` string) and `HealthCheckResponse` (1 `status` enum).
///
/// grpc-go's health messages are golang/protobuf's, not gogo's: a field with the wrong wire type is skipped as
/// unknown, and a `service` that is not UTF-8 is refused. Other malformed input fails as the gogo rules of
/// `ProtobufReader` say (golang/protobuf's texts differ slightly there).
extension ProtobufRequestDecoder {
    /// Decodes a `HealthCheckRequest`: the service name ("" for the server as a whole).
    public static func decodeHealthCheck(_ bytes: ArraySlice<UInt8>) throws(ProtobufDecodeError) -> String {
        var r = ProtobufReader(bytes, message: "HealthCheckRequest")
        var service = ""
        while let field = try r.nextField() {
            guard field.number == 1, field.wireType == 2 else {
                try r.skip(field)
                continue
            }
            let raw = try r.bytes(field, "Service")
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw .invalidUTF8(field: "grpc.health.v1.HealthCheckRequest.service")
            }
            service = text
        }
        return service
    }
}

extension ProtobufEncoder {
    /// A `HealthCheckResponse`: 1 `status` (0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN).
    public static func encodeHealth(status: Int32, into writer: inout ProtobufWriter) {
        writer.enumField(1, status)
    }
}
