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
    private let transport: any JepsenTransport
    private var prng: Core.Prng
    private var process: Int
    private var written = 0
    /// The last value this client saw per key (what its cas expects).
    private var lastSeen: [Int: String] = [:]

    init(index: Int, clients: Int, keys: Int, ports: [Int], seed: UInt64, recorder: HistoryRecorder,
         deadlineNs: UInt64, timeoutMs: Int, protocol kind: JepsenProtocol) {
        self.index = index
        self.clients = clients
        self.keys = keys
        self.ports = ports
        self.recorder = recorder
        self.deadlineNs = deadlineNs
        self.timeoutMs = timeoutMs
        transport = makeJepsenTransport(kind, timeoutMs: timeoutMs)
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

    func read(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        recorder.record(process: process, type: "invoke", f: "read", key: name, value: "null")
        guard case .ok(let value, _) = transport.call(.read(key: Self.keyPrefix + name), port: port) else {
            // A read changes nothing, so one that did not answer certainly failed.
            recorder.record(process: process, type: "fail", f: "read", key: name, value: "null")
            return .fail
        }
        lastSeen[key] = value
        recorder.record(process: process, type: "ok", f: "read", key: name, value: value.map { "\"\($0)\"" } ?? "null")
        return .ok(value ?? "")
    }

    func write(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        let value = nextValue()
        recorder.record(process: process, type: "invoke", f: "write", key: name, value: "\"\(value)\"")
        let outcome = Self.outcome(transport.call(.write(key: Self.keyPrefix + name, value: value), port: port))
        finish(outcome, f: "write", key: key, value: "\"\(value)\"", written: value)
        return outcome
    }

    func cas(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        let expected = lastSeen[key] ?? "none"
        let value = nextValue()
        let pair = "[\"\(expected)\",\"\(value)\"]"
        recorder.record(process: process, type: "invoke", f: "cas", key: name, value: pair)
        let call = JepsenCall.cas(key: Self.keyPrefix + name, expected: expected, value: value)
        let outcome = Self.outcome(transport.call(call, port: port))
        finish(outcome, f: "cas", key: key, value: pair, written: value)
        return outcome
    }

    func delete(_ key: Int, port: Int) -> Outcome {
        let name = "k\(key)"
        recorder.record(process: process, type: "invoke", f: "delete", key: name, value: "null")
        let outcome = Self.outcome(transport.call(.delete(key: Self.keyPrefix + name), port: port))
        finish(outcome, f: "delete", key: key, value: "null", written: nil)
        return outcome
    }

    /// A write's outcome: ok when it succeeded (a cas whose compare was false is a fail); the transport
    /// decides what is certainly not applied (fail) and what is unknown (info).
    private static func outcome(_ reply: JepsenReply) -> Outcome {
        switch reply {
        case .ok(_, let succeeded): succeeded ? .ok("") : .fail
        case .fail: .fail
        case .info: .info
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
