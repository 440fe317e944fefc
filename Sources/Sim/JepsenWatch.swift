import Foundation  // NSLock, Thread and JSONSerialization: a watch stream read from a real process.
import Glibc
import RealNet

/// One event of the keys' history, as a watch reports it.
struct HistoryEvent: Equatable, CustomStringConvertible {
    var revision: Int
    var key: String
    /// The value put, nil for a delete.
    var value: String?

    var description: String { "rev \(revision) \(key) " + (value.map { "put \($0)" } ?? "delete") }
}

/// A watch on every workload key of one member, from revision 1, reconnecting from the last revision
/// seen + 1 whenever the member dies, pauses past the read timeout, or closes the stream. Over gRPC it is
/// a Watch stream (`JepsenWatch+GRPC.swift`), over JSON a `/v3/watch` request.
final class WatchStream: @unchecked Sendable {  // Fields are guarded by `lock`; the thread owns the socket.
    let port: Int
    let name: String
    let transport: JepsenProtocol
    private let lock = NSLock()
    private var stopped = false
    private var finished = false
    private var collected: [HistoryEvent] = []
    private var problems: [String] = []
    private var connections = 0
    private var calls = 0

    init(port: Int, name: String, protocol kind: JepsenProtocol) {
        self.port = port
        self.name = name
        transport = kind
    }

    var events: [HistoryEvent] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    var errors: [String] {
        lock.lock()
        defer { lock.unlock() }
        return problems
    }

    var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections
    }

    /// Watch calls opened (gRPC: several may share a connection, one per idle second).
    var callCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }

    var lastRevision: Int {
        lock.lock()
        defer { lock.unlock() }
        return collected.last?.revision ?? 0
    }

    var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func start() {
        Thread { self.run() }.start()
    }

    /// Asks the thread to stop and waits (at most 5 s) until it has.
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        var naps = 0
        while naps < 250 {
            lock.lock()
            let done = finished
            lock.unlock()
            if done { return }
            naps += 1
            sleepMilliseconds(20)
        }
    }

    /// Waits until the stream has seen `revision` (bounded); returns whether it did.
    func waitFor(revision: Int, timeoutMs: Int) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(timeoutMs) * 1_000_000
        while monotonicNanoseconds() < deadline {
            if lastRevision >= revision { return true }
            sleepMilliseconds(20)
        }
        return lastRevision >= revision
    }

    private func run() {
        var attempts = 0
        while !isStopped && attempts < 100_000 {
            attempts += 1
            switch transport {
            case .grpc: grpcStream()
            case .json: stream()
            }
            if !isStopped { sleepMilliseconds(100) }
        }
        lock.lock()
        finished = true
        lock.unlock()
    }

    /// One connection: create the watch from the next revision and read events until it breaks. Reads wait
    /// at most 300 ms at a time, so a stop is noticed while the member is idle or paused.
    private func stream() {
        guard let connection = try? HTTPClientConnection(host: "127.0.0.1", port: port, dialMilliseconds: 300,
                                                         tls: JepsenTLS.json)
        else { return }
        opened(connection: true)
        let start = lastRevision + 1
        let body = #"{"create_request":{"key":"\#(base64(JepsenClient.keyPrefix))","#
            + #""range_end":"\#(base64("jepsen0"))","start_revision":"\#(start)"}}"#
        func soon() -> Int64 { HTTPClientConnection.nowMilliseconds() + 300 }
        do {
            try connection.post("/v3/watch", body: Array(body.utf8))
            var headRead = false
            while !isStopped && !headRead {
                do {
                    try connection.readHead(soon())
                    headRead = true
                } catch .timeout { continue }
            }
            guard headRead else { return }
            guard connection.status == 200 else {
                note("\(name): watch refused: HTTP \(connection.status)")
                return
            }
            var lines = HTTPLineReader(connection)
            while !isStopped {
                let line: [UInt8]?
                do { line = try lines.next(soon()) } catch .timeout { continue }  // Idle or paused member.
                guard let line, handle(line) else { return }
            }
        } catch {
            return  // The member died or closed the stream: reconnect from the last revision seen.
        }
    }

    /// Takes one `{"result":…}` line; false if the stream must be dropped.
    private func handle(_ line: [UInt8]) -> Bool {
        guard !line.isEmpty else { return true }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
              let result = object["result"] as? [String: Any] else {
            note("\(name): unreadable stream line: \(String(decoding: line.prefix(200), as: UTF8.self))")
            return false
        }
        if result["canceled"] as? Bool == true {
            note("\(name): watch canceled: \(result)")
            return false
        }
        var events: [HistoryEvent] = []
        for case let event as [String: Any] in result["events"] as? [Any] ?? [] {
            guard let kv = event["kv"] as? [String: Any], let key = unbase64(kv["key"]),
                  let revision = Int(kv["mod_revision"] as? String ?? "") else {
                note("\(name): malformed event \(event)")
                return false
            }
            let isDelete = event["type"] as? String == "DELETE"
            events.append(HistoryEvent(revision: revision, key: key,
                                       value: isDelete ? nil : (unbase64(kv["value"]) ?? "")))
        }
        return append(events)
    }

    /// Counts a connection (when `connection`) and a watch call.
    func opened(connection: Bool) {
        lock.lock()
        if connection { connections += 1 }
        calls += 1
        lock.unlock()
    }

    /// Adds events in order; false (noted) at one not after the last, and the stream must be dropped.
    func append(_ events: [HistoryEvent]) -> Bool {
        for next in events {
            lock.lock()
            let last = collected.last?.revision ?? 0
            if next.revision <= last {
                lock.unlock()
                note("\(name): event out of order: \(next) after revision \(last)")
                return false
            }
            collected.append(next)
            lock.unlock()
        }
        return true
    }

    func note(_ problem: String) {
        lock.lock()
        if problems.count < 100 { problems.append(problem) }
        lock.unlock()
    }
}
