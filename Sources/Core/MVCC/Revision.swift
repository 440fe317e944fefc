/// A store revision (etcd's `main` revision): the logical clock of the key-value store.
///
/// An empty store is at revision 1, like etcd; every write request (put, delete that deleted something, txn
/// that wrote something, lease revoke that deleted keys) advances it by exactly one. In requests, a
/// revision `<= 0` means "the current one" (etcd's convention).
/// Invariant (of the store): `compactRevision <= currentRevision`, and the current revision never decreases.
public struct Revision: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: Int64
    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }
    public static func < (a: Revision, b: Revision) -> Bool { a.value < b.value }
    public var description: String { String(value) }
    /// "No revision": the zero value, omitted on the wire.
    public static let zero = Revision(0)
    public var next: Revision { Revision(value + 1) }
    public var previous: Revision { Revision(value - 1) }
}

/// A revision with its sub-revision: the position of one change inside a write (etcd's `revision{main, sub}`).
///
/// A txn writes all its changes at one main revision; `sub` numbers them 0, 1, 2, … in the order the txn made
/// them, which is the order watchers receive them.
public struct FullRevision: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var main: Revision
    public var sub: Int32

    public init(main: Revision, sub: Int32) {
        invariant(sub >= 0, "sub-revision \(sub) is negative")
        self.main = main
        self.sub = sub
    }

    public static func < (a: FullRevision, b: FullRevision) -> Bool {
        a.main != b.main ? a.main < b.main : a.sub < b.sub
    }

    public var description: String { "\(main).\(sub)" }
}
