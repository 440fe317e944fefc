import Glibc
import RealNet
import Synchronization

/// `make-mirror [options] <destination>`: copies every key under `--prefix` from the cluster given by the global
/// flags into the destination cluster, then keeps following it by watch, as etcdctl's make-mirror does: the keys
/// at one revision first (pages of 1,000), then every later event from the next revision, one txn per source
/// revision (split at `--max-txn-ops`), a key's prefix rewritten with Go's `strings.Replace(key, prefix,
/// dest-prefix, 1)`. The count of keys and events mirrored is printed every 30 seconds. The destination takes
/// its own TLS flags (`--dest-cacert`, `--dest-cert`, `--dest-key`, `--dest-insecure-transport`) and no auth.
let mirrorCommand = Command(
    name: "make-mirror", usage: "keelctl make-mirror [options] <destination>",
    flags: [.value("prefix", ""), .value("dest-prefix", ""), .bool("no-dest-prefix"), .value("max-txn-ops", "128"),
            .value("dest-cacert", ""), .value("dest-cert", ""), .value("dest-key", ""),
            .value("dest-insecure-transport", "true")],
    run: runMakeMirror)

private func runMakeMirror(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("make-mirror takes one destination argument")
    }
    let arguments = invocation.arguments
    let prefix = Array(arguments.value("prefix").utf8)
    var destPrefix = Array(arguments.value("dest-prefix").utf8)
    if arguments.bool("no-dest-prefix") && !destPrefix.isEmpty {
        throw invocation.badArgs("`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one")
    }
    if !arguments.bool("no-dest-prefix") && destPrefix.isEmpty { destPrefix = prefix }
    guard let maxOps = Int(arguments.value("max-txn-ops")), maxOps > 0 else {
        throw invocation.badArgs("--max-txn-ops must be a positive integer")
    }
    var destination = invocation.options
    destination.endpoints = [try Endpoint(invocation.positionals[0])]
    destination.auth = AuthSession(user: "", password: "")
    destination.tls = try TLSOptions(["cacert": arguments.value("dest-cacert"), "cert": arguments.value("dest-cert"),
                                      "key": arguments.value("dest-key"),
                                      "insecure-transport": arguments.value("dest-insecure-transport")],
                                     given: { _ in false })
    var mirror = Mirror(source: invocation.client, destination: Client(options: destination), prefix: prefix,
                        destPrefix: destPrefix, maxOps: maxOps)
    let total = mirror.total
    _ = NativeThread(name: "mirror-progress") {
        while true {
            sleep(30)
            Out.line(String(total.value))
            Out.flush()
        }
    }
    try mirror.copyBase()
    try mirror.follow()
}

/// Keys and events mirrored so far, read by the progress thread.
final class MirrorTotal: Sendable {
    private let count = Atomic<Int64>(0)
    func add(_ n: Int) { count.add(Int64(n), ordering: .relaxed) }
    var value: Int64 { count.load(ordering: .relaxed) }
}

/// One mirroring run: the source's keys at `revision`, then its events after it.
struct Mirror {
    let source: Client
    let destination: Client
    let prefix: [UInt8]
    let destPrefix: [UInt8]
    let maxOps: Int
    let total = MirrorTotal()
    /// The source revision the base copy was read at.
    private(set) var revision: Int64 = 0

    init(source: Client, destination: Client, prefix: [UInt8], destPrefix: [UInt8], maxOps: Int) {
        self.source = source
        self.destination = destination
        self.prefix = prefix
        self.destPrefix = destPrefix
        self.maxOps = maxOps
    }

    /// The range end that covers `prefix` (every key when it is empty).
    var rangeEnd: [UInt8] { prefix.isEmpty ? [0] : prefixRangeEnd(prefix) }

    /// Copies every key under the prefix as of one revision, in pages.
    mutating func copyBase() throws(CtlError) {
        var from = prefix.isEmpty ? [0] : prefix
        while true {
            var request: [(String, JSON)] = [("key", .base64(from)), ("range_end", .base64(rangeEnd)),
                                             ("limit", .int(1000))]
            if revision > 0 { request.append(("revision", .int(revision))) }
            let response = try source.call("/v3/kv/range", .object(request))
            if revision == 0 { revision = response["header"]?["revision"]?.int64 ?? 0 }
            let kvs = response["kvs"]?.arrayValue ?? []
            var puts: [JSON] = []
            for kv in kvs {
                puts.append(put(kv["key"]?.bytes ?? [], kv["value"]?.bytes ?? []))
            }
            try apply(puts)
            total.add(kvs.count)
            guard response["more"]?.boolValue == true, let last = kvs.last?["key"]?.bytes else { return }
            from = last + [0]
        }
    }

    /// Follows the source's events after the base revision for ever, one destination txn per source revision.
    func follow() throws(CtlError) {
        let create = JSON.object([("key", .base64(prefix.isEmpty ? [0] : prefix)), ("range_end", .base64(rangeEnd)),
                                  ("start_revision", .int(revision + 1))])
        var stream = try source.openStream("/v3/watch", .object([("create_request", create)]), deadline: nil)
        while let response = try stream.next(nil) {
            if (response["compact_revision"]?.int64 ?? 0) != 0 {
                throw CtlError(message: "etcdserver: mvcc: required revision has been compacted",
                               exitCode: ExitCode.error)
            }
            if response["canceled"]?.boolValue == true {
                throw CtlError(message: response["cancel_reason"]?.stringValue ?? "watch canceled",
                               exitCode: ExitCode.error)
            }
            var ops: [JSON] = []
            var opsRevision: Int64 = 0
            for event in response["events"]?.arrayValue ?? [] {
                let kv = event["kv"] ?? .object([])
                let modRevision = kv["mod_revision"]?.int64 ?? 0
                if opsRevision != 0 && modRevision > opsRevision {
                    try apply(ops)
                    ops.removeAll()
                }
                opsRevision = modRevision
                if event["type"]?.stringValue == "DELETE" {
                    let key = JSON.base64(rewrite(kv["key"]?.bytes ?? []))
                    ops.append(.object([("request_delete_range", .object([("key", key)]))]))
                } else {
                    ops.append(put(kv["key"]?.bytes ?? [], kv["value"]?.bytes ?? []))
                }
                total.add(1)
            }
            try apply(ops)
        }
    }

    /// A txn op putting `key` (prefix rewritten) = `value`.
    private func put(_ key: [UInt8], _ value: [UInt8]) -> JSON {
        .object([("request_put", .object([("key", .base64(rewrite(key))), ("value", .base64(value))]))])
    }

    /// Writes `ops` to the destination in txns of at most `maxOps`.
    private func apply(_ ops: [JSON]) throws(CtlError) {
        var start = 0
        while start < ops.count {
            let end = min(start + maxOps, ops.count)
            _ = try destination.call("/v3/kv/txn", .object([("success", .array(Array(ops[start..<end])))]))
            start = end
        }
    }

    /// Go's `strings.Replace(key, prefix, destPrefix, 1)`: the first occurrence of the prefix (anywhere; at the
    /// start when the prefix is empty) becomes the destination prefix.
    func rewrite(_ key: [UInt8]) -> [UInt8] {
        if prefix == destPrefix { return key }
        if prefix.isEmpty { return destPrefix + key }
        guard key.count >= prefix.count else { return key }
        for start in 0...(key.count - prefix.count) where key[start..<(start + prefix.count)].elementsEqual(prefix) {
            return Array(key[..<start]) + destPrefix + Array(key[(start + prefix.count)...])
        }
        return key
    }
}
