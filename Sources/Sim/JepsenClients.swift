import Core
import Foundation  // NSLock and Thread: clients run on real threads against real processes.
import Glibc

/// The history of a real run, as JSON Lines (HISTORY-FORMAT.md), times from the monotonic clock.
final class HistoryRecorder: @unchecked Sendable {  // Every field is guarded by `lock`.
    private let lock = NSLock()
    private(set) var lines: [String] = []
    /// Acknowledged writes: key -> values a `write` or `cas` put and heard `ok` for.
    private(set) var acked: [String: [String]] = [:]
    private(set) var counts: [String: Int] = [:]

    /// Appends one event; the time is read under the lock, so times never decrease down the file.
    func record(process: Int, type: String, f: String, key: String, value: String) {
        lock.lock()
        defer { lock.unlock() }
        let time = monotonicNanoseconds()
        lines.append(#"{"process":\#(process),"type":"\#(type)","f":"\#(f)","key":"\#(key)","value":\#(value),"#
            + #""time":\#(time)}"#)
        if type != "invoke" { counts["\(f) \(type)", default: 0] += 1 }
    }

    func acknowledge(key: String, value: String) {
        lock.lock()
        acked[key, default: []].append(value)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What a client operation's answer means for the history.
enum Outcome {
    case ok(String)
    case fail
    case info
}

/// One workload client: a thread issuing read, write, cas and delete on a few keys, one at a time.
final class JepsenClient: @unchecked Sendable {  // Runs on its own thread; shares only the recorder.
    static let keyPrefix = "jepsen/"
    let index: Int
    let clients: Int
    let keys: Int
    let ports: [Int]
    let recorder: HistoryRecorder
    let deadlineNs: UInt64
    let timeoutMs: Int
    private var prng: Core.Prng
    private var process: Int
    private var written = 0
    /// The last value this client saw per key (what its cas expects).
    private var lastSeen: [Int: String] = [:]

    init(index: Int, clients: Int, keys: Int, ports: [Int], seed: UInt64, recorder: HistoryRecorder,
         deadlineNs: UInt64, timeoutMs: Int) {
        self.index = index
        self.clients = clients
        self.keys = keys
        self.ports = ports
        self.recorder = recorder
        self.deadlineNs = deadlineNs
        self.timeoutMs = timeoutMs
        prng = Core.Prng(seed: seed, stream: UInt64(index) + 1)
        process = index
    }

    /// Issues operations until the deadline (at most 1 000 000), each followed by a short think time.
    func run() {
        var port = ports[index % ports.count]
        var count = 0
        while monotonicNanoseconds() < deadlineNs && count < 1_000_000 {
            count += 1
            let key = prng.int(below: keys)
            let roll = prng.int(below: 100)
            let outcome: Outcome
            if roll < 40 {
                outcome = read(key, port: port)
            } else if roll < 70 {
                outcome = write(key, port: port)
            } else if roll < 90 {
                outcome = cas(key, port: port)
            } else {
                outcome = delete(key, port: port)
            }
            if case .info = outcome {
                process += clients  // A process with an unknown operation never issues another.
                port = ports[prng.int(below: ports.count)]
            }
            sleepMilliseconds(5 + prng.int(below: 10))
        }
    }

    private func nextValue() -> String {
        written += 1
        return "\(index)-\(written)"
    }

    private func post(_ port: Int, _ path: String, _ body: String) -> Result<JepsenResponse, JepsenHTTPError> {
        do {
            return .success(try JepsenHTTP.post(port, path, body, timeoutMs: timeoutMs))
        } catch {
            return .failure(error)
        }
    }

    func read(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        recorder.record(process: process, type: "invoke", f: "read", key: name, value: "null")
        let body = #"{"key":"\#(base64(Self.keyPrefix + name))"}"#
        switch post(port, "/v3/kv/range", body) {
        case .success(let response) where response.status == 200:
            let kvs = response.json["kvs"] as? [[String: Any]]
            let value = kvs?.first.map { unbase64($0["value"]) ?? "" }
            lastSeen[key] = value
            recorder.record(process: process, type: "ok", f: "read", key: name,
                            value: value.map { "\"\($0)\"" } ?? "null")
            return .ok(value ?? "")
        default:
            // A read changes nothing, so one that did not answer certainly failed.
            recorder.record(process: process, type: "fail", f: "read", key: name, value: "null")
            return .fail
        }
    }

    func write(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        let value = nextValue()
        recorder.record(process: process, type: "invoke", f: "write", key: name, value: "\"\(value)\"")
        let body = #"{"key":"\#(base64(Self.keyPrefix + name))","value":"\#(base64(value))"}"#
        let outcome = classify(post(port, "/v3/kv/put", body)) { _ in true }
        finish(outcome, f: "write", key: key, value: "\"\(value)\"", written: value)
        return outcome
    }

    func cas(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        let expected = lastSeen[key] ?? "none"
        let value = nextValue()
        let pair = "[\"\(expected)\",\"\(value)\"]"
        recorder.record(process: process, type: "invoke", f: "cas", key: name, value: pair)
        let encodedKey = base64(Self.keyPrefix + name)
        let body = #"{"compare":[{"key":"\#(encodedKey)","target":"VALUE","value":"\#(base64(expected))"}],"#
            + #""success":[{"request_put":{"key":"\#(encodedKey)","value":"\#(base64(value))"}}]}"#
        let outcome = classify(post(port, "/v3/kv/txn", body)) { $0["succeeded"] as? Bool == true }
        finish(outcome, f: "cas", key: key, value: pair, written: value)
        return outcome
    }

    func delete(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        recorder.record(process: process, type: "invoke", f: "delete", key: name, value: "null")
        let body = #"{"key":"\#(base64(Self.keyPrefix + name))"}"#
        let outcome = classify(post(port, "/v3/kv/deleterange", body)) { _ in true }
        finish(outcome, f: "delete", key: key, value: "null", written: nil)
        return outcome
    }

    /// ok: a 200 whose body passes `succeeded`; fail: refused before sending, a 4xx, or a 200 that did not
    /// succeed (a cas whose compare was false); info: everything else (timeouts, broken connections, 5xx —
    /// keel's 503s such as "request timed out" or "no leader" may follow a forwarded proposal).
    private func classify(_ result: Result<JepsenResponse, JepsenHTTPError>,
                          succeeded: ([String: Any]) -> Bool) -> Outcome {
        switch result {
        case .failure(.refused): return .fail
        case .failure(.indeterminate): return .info
        case .success(let response):
            if response.status == 200 { return succeeded(response.json) ? .ok("") : .fail }
            if (400..<500).contains(response.status) { return .fail }
            return .info
        }
    }

    private func finish(_ outcome: Outcome, f: String, key: Int, value: String, written: String?) {
        let name = "k\(key)"
        switch outcome {
        case .ok:
            recorder.record(process: process, type: "ok", f: f, key: name, value: value)
            if let written {
                recorder.acknowledge(key: name, value: written)
                lastSeen[key] = written
            } else {
                lastSeen[key] = nil
            }
        case .fail:
            recorder.record(process: process, type: "fail", f: f, key: name, value: value)
        case .info:
            recorder.record(process: process, type: "info", f: f, key: name, value: value)
        }
    }
}
