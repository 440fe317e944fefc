/// Why a bbolt file does not read as etcd 3.4's backend, or its data cannot become keel's state.
public enum EtcdBackendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's bbolt structure is damaged.
    case bolt(BoltError)
    /// A record in `bucket` does not decode; `key` is the record's key in hex.
    case badRecord(bucket: String, key: String, what: String)
    /// The records decode but do not make a consistent keel state (say, a key history keel cannot hold).
    case inconsistent(String)

    public var description: String {
        switch self {
        case .bolt(let error): "\(error)"
        case .badRecord(let bucket, let key, let what): "etcd backend: bucket \(bucket), key \(key): \(what)"
        case .inconsistent(let what): "etcd backend: \(what)"
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes.prefix(64) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self) + (bytes.count > 64 ? "…" : "")
    }
}
