/// etcd's `Compare`: one condition of a txn over a key or a range of keys.
public struct Compare: Equatable, Sendable {
    /// etcd's `Compare.CompareResult`.
    public enum Result: Int, Sendable, Equatable {
        case equal = 0, greater = 1, less = 2, notEqual = 3
    }

    /// etcd's `Compare.CompareTarget`.
    public enum Target: Int, Sendable, Equatable {
        case version = 0, create = 1, mod = 2, value = 3, lease = 4
    }

    /// etcd's `target_union` oneof: the value compared against. When the member set does not match `target`
    /// (or none is set), the target is compared with its zero value (transcript #97).
    public enum Operand: Equatable, Sendable {
        case version(Int64)
        case createRevision(Revision)
        case modRevision(Revision)
        case value([UInt8])
        case lease(LeaseID)
    }

    public var result: Result
    public var target: Target
    public var key: [UInt8]
    /// With a range end, every key in the range must satisfy the compare (`[key, range_end)`, `"\0"` = onward).
    public var rangeEnd: [UInt8]
    public var operand: Operand?

    public init(key: [UInt8], rangeEnd: [UInt8] = [], target: Target, result: Result, operand: Operand?) {
        self.result = result
        self.target = target
        self.key = key
        self.rangeEnd = rangeEnd
        self.operand = operand
    }

    /// `key`'s version compared with `version` (0 means "missing").
    public static func version(_ key: [UInt8], _ result: Result, _ version: Int64) -> Compare {
        Compare(key: key, target: .version, result: result, operand: .version(version))
    }

    /// `key`'s create revision compared with `revision` (`== 0` is "the key does not exist").
    public static func create(_ key: [UInt8], _ result: Result, _ revision: Revision) -> Compare {
        Compare(key: key, target: .create, result: result, operand: .createRevision(revision))
    }

    /// `key`'s mod revision compared with `revision`.
    public static func mod(_ key: [UInt8], _ result: Result, _ revision: Revision) -> Compare {
        Compare(key: key, target: .mod, result: result, operand: .modRevision(revision))
    }

    /// `key`'s value compared bytewise with `value` (always false on a missing key).
    public static func value(_ key: [UInt8], _ result: Result, _ value: [UInt8]) -> Compare {
        Compare(key: key, target: .value, result: result, operand: .value(value))
    }

    /// `key`'s lease compared with `lease`.
    public static func lease(_ key: [UInt8], _ result: Result, _ lease: LeaseID) -> Compare {
        Compare(key: key, target: .lease, result: result, operand: .lease(lease))
    }
}

/// etcd's `RequestOp`: one operation of a txn branch.
public enum RequestOp: Equatable, Sendable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    /// An op with no request set (JSON `{}`); etcd rejects it with `key not found` (transcript #99).
    case unset
}

/// etcd's `ResponseOp`, in the order of the ops.
public enum ResponseOp: Equatable, Sendable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
}

/// etcd's `TxnRequest`: if every compare holds, run `success`, else `failure`; atomically, at one revision.
public struct TxnRequest: Equatable, Sendable {
    public var compare: [Compare]
    public var success: [RequestOp]
    public var failure: [RequestOp]

    public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// etcd's `TxnResponse`.
public struct TxnResponse: Equatable, Sendable {
    /// The header revision: the store's revision after the txn. Inner responses carry the same revision (etcd
    /// prints a nested txn's header as `{}`, which is the API layer's business).
    public var revision: Revision
    public var succeeded: Bool
    public var responses: [ResponseOp]

    public init(revision: Revision, succeeded: Bool, responses: [ResponseOp] = []) {
        self.revision = revision
        self.succeeded = succeeded
        self.responses = responses
    }
}
