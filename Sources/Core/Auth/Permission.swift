/// etcd's `authpb.Permission.Type`: READ 0, WRITE 1, READWRITE 2. Proto3 enums are open, so any other number a
/// client sends is kept and given back as sent (etcd stores it as is).
public struct PermissionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let read = PermissionType(rawValue: 0)
    public static let write = PermissionType(rawValue: 1)
    public static let readWrite = PermissionType(rawValue: 2)
    /// The names jsonpb reads and writes, by number.
    public static let names = ["READ", "WRITE", "READWRITE"]
}

/// One key permission of a role (etcd's `authpb.Permission`), kept exactly as granted: `key` alone is one key;
/// `[key, rangeEnd)` a range; `rangeEnd` = prefix end a prefix; `rangeEnd` = `[0]` every key from `key` (etcd's
/// from-key). `AuthStore+Permissions.swift` checks requests against them.
public struct Permission: Hashable, Sendable {
    public var type: PermissionType
    public var key: [UInt8]
    public var rangeEnd: [UInt8]

    public init(type: PermissionType = .read, key: [UInt8], rangeEnd: [UInt8] = []) {
        self.type = type
        self.key = key
        self.rangeEnd = rangeEnd
    }
}

/// Byte-wise order of names and keys: what etcd's bolt buckets and Go's `sort.Strings`/`bytes.Compare` give.
@inline(__always)
func bytesPrecede(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }
