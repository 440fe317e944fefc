import Core
import Testing

/// The bytes of a string (keys and values in tests are mostly ASCII).
func b(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A key-value as etcd's transcripts print it.
func kv(
    _ key: String, _ value: String, create: Revision, mod: Revision, version: Int64, lease: LeaseID = .none
) -> KeyValue {
    KeyValue(key: b(key), createRevision: create, modRevision: mod, version: version, value: b(value), lease: lease)
}

extension KVStore {
    /// Puts `key=value` and returns the new revision (test shorthand; traps on error).
    @discardableResult
    mutating func put(_ key: String, _ value: String, lease: LeaseID = .none) -> Revision {
        try! put(PutRequest(key: b(key), value: b(value), lease: lease)).response.revision
    }

    /// The live keys of a range as `key=value` strings, for compact assertions.
    func pairs(_ key: String, _ rangeEnd: String = "", revision: Revision = .zero) -> [String] {
        let response = try! range(RangeRequest(key: b(key), rangeEnd: b(rangeEnd), revision: revision))
        return response.kvs.map { String(decoding: $0.key, as: UTF8.self) + "=" + String(decoding: $0.value, as: UTF8.self) }
    }

    /// The one key `key`, or nil.
    func get(_ key: String, revision: Revision = .zero) -> KeyValue? {
        try! range(RangeRequest(key: b(key), revision: revision)).kvs.first
    }
}

/// Runs `body` and returns the APIError it throws, or nil when it succeeds.
func apiError<T>(_ body: () throws -> T) -> APIError? {
    do {
        _ = try body()
        return nil
    } catch let error as APIError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
