/// gRPC's `grpc-timeout` header (gRPC over HTTP/2): at most 8 ASCII digits and a unit, H M S m u n.
enum GRPCTimeout {
    /// The timeout in milliseconds (sub-millisecond timeouts round up to 1), or nil when malformed.
    static func milliseconds(_ value: String) -> UInt64? {
        let bytes = value.utf8  // Read in place: no copy per call.
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last else { return nil }
        var amount: UInt64 = 0
        for byte in bytes.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        switch unit {
        case UInt8(ascii: "H"): return amount * 3_600_000
        case UInt8(ascii: "M"): return amount * 60_000
        case UInt8(ascii: "S"): return amount * 1000
        case UInt8(ascii: "m"): return amount
        case UInt8(ascii: "u"): return amount == 0 ? 0 : max(1, amount / 1000)
        case UInt8(ascii: "n"): return amount == 0 ? 0 : max(1, amount / 1_000_000)
        default: return nil
        }
    }
}
