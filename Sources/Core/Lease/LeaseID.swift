/// A lease's identity (etcd's `LeaseID`, an int64). 0 means "no lease"; negative IDs are valid (etcd accepts
/// them, transcript #147).
public struct LeaseID: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: Int64
    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }
    public static func < (a: LeaseID, b: LeaseID) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    /// No lease: a key without a lease, or "server picks" in a grant request.
    public static let none = LeaseID(0)
    public var isNone: Bool { value == 0 }
}
