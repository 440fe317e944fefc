import Core

/// etcd's `ResponseHeader`, which the daemon fills: cluster and member identity, the store revision, the
/// Raft term. Zero fields are omitted when written (cluster RPCs have no revision, txn inner headers only a
/// revision, a nested txn's header is `{}`; API.md section 3).
public struct ResponseHeader: Equatable, Sendable {
    public var clusterID: UInt64
    public var memberID: UInt64
    public var revision: Int64
    public var raftTerm: UInt64

    public init(clusterID: UInt64, memberID: UInt64, revision: Int64, raftTerm: UInt64) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.revision = revision
        self.raftTerm = raftTerm
    }

    /// This header at another revision (Core's responses carry the revision they were made at).
    public func at(_ revision: Revision) -> ResponseHeader {
        ResponseHeader(clusterID: clusterID, memberID: memberID, revision: revision.value, raftTerm: raftTerm)
    }

    /// Only a revision: the header of a response inside a txn.
    public static func only(_ revision: Revision) -> ResponseHeader {
        ResponseHeader(clusterID: 0, memberID: 0, revision: revision.value, raftTerm: 0)
    }

    /// The empty header `{}` of a nested txn (#94).
    public static let empty = ResponseHeader(clusterID: 0, memberID: 0, revision: 0, raftTerm: 0)
}
