/// etcd's v2 error codes (`v2error/error.go`), the ones a v2 keys request can meet.
public enum V2ErrorCode: Int, Sendable, Equatable, CaseIterable {
    case keyNotFound = 100
    case testFailed = 101
    case notFile = 102
    case notDirectory = 104
    case nodeExists = 105
    case rootReadOnly = 107
    case directoryNotEmpty = 108
    case unauthorized = 110
    case valueRequired = 200
    case prevValueRequired = 201
    case ttlNaN = 202
    case indexNaN = 203
    case valueOrTTLRequired = 204
    case timeoutNaN = 205
    case nameRequired = 206
    case indexOrValueRequired = 207
    case indexValueMutex = 208
    case invalidField = 209
    case invalidForm = 210
    case refreshValue = 211
    case refreshTTLRequired = 212
    case raftInternal = 300
    case leaderElect = 301
    case watcherCleared = 400
    case eventIndexCleared = 401

    /// etcd's `message` text for the code, exactly.
    public var message: String {
        switch self {
        case .keyNotFound: "Key not found"
        case .testFailed: "Compare failed"
        case .notFile: "Not a file"
        case .notDirectory: "Not a directory"
        case .nodeExists: "Key already exists"
        case .rootReadOnly: "Root is read only"
        case .directoryNotEmpty: "Directory not empty"
        case .unauthorized: "The request requires user authentication"
        case .valueRequired: "Value is Required in POST form"
        case .prevValueRequired: "PrevValue is Required in POST form"
        case .ttlNaN: "The given TTL in POST form is not a number"
        case .indexNaN: "The given index in POST form is not a number"
        case .valueOrTTLRequired: "Value or TTL is required in POST form"
        case .timeoutNaN: "The given timeout in POST form is not a number"
        case .nameRequired: "Name is required in POST form"
        case .indexOrValueRequired: "Index or value is required"
        case .indexValueMutex: "Index and value cannot both be specified"
        case .invalidField: "Invalid field"
        case .invalidForm: "Invalid POST form"
        case .refreshValue: "Value provided on refresh"
        case .refreshTTLRequired: "A TTL must be provided on refresh"
        case .raftInternal: "Raft Internal Error"
        case .leaderElect: "During Leader Election"
        case .watcherCleared: "watcher is cleared due to etcd recovery"
        case .eventIndexCleared: "The event in requested index is outdated and cleared"
        }
    }

    /// The HTTP status etcd answers the error with (`errorStatus`; 400 for every code it does not list).
    public var httpStatus: Int {
        switch self {
        case .keyNotFound: 404
        case .notFile, .directoryNotEmpty: 403
        case .unauthorized: 401
        case .testFailed, .nodeExists: 412
        case .raftInternal, .leaderElect: 500
        default: 400
        }
    }
}

/// A v2 request the store refuses: etcd's JSON body `{"errorCode", "message", "cause", "index"}`.
///
/// `index` is the store's index when it refused (also the `X-Etcd-Index` header); `cause` is usually the path
/// concerned, or the compare that failed (`[a != b]`), and JSON omits it when empty.
public struct V2Error: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: V2ErrorCode
    public var cause: String
    public var index: UInt64

    public init(_ code: V2ErrorCode, cause: String, index: UInt64) {
        self.code = code
        self.cause = cause
        self.index = index
    }

    public var message: String { code.message }

    /// etcd's `Error()` text: `message (cause)`.
    public var description: String { "\(code.message) (\(cause))" }
}
