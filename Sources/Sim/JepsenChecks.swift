import Checker
import Foundation  // JSON answers from the real cluster (JSONSerialization through JepsenResponse).
import Glibc

extension JepsenRun {
    /// After the heal: convergence, final reads, the keys' history on every member, acknowledged writes,
    /// the watch streams and linearizability. Appends each broken check to `failures`.
    mutating func check(recorder: HistoryRecorder, watches: [WatchStream]) {
        guard let revision = converge() else {
            failures.append("liveness: the members did not reach one revision within 30 s of the heal")
            return
        }
        print("converged at revision \(revision)")
        finalReads(recorder: recorder)
        var histories: [[HistoryEvent]] = []
        for member in members {
            let replay = WatchStream(port: member.clientPort, name: "\(member.name) replay",
                                     protocol: flags.transport)
            replay.start()
            if !replay.waitFor(revision: revision, timeoutMs: 15_000) {
                failures.append("\(member.name): a watch from revision 1 did not reach revision \(revision)")
            }
            replay.stop()
            failures += replay.errors
            histories.append(replay.events)
        }
        let history = histories[0]
        for (member, other) in zip(members, histories).dropFirst() where other != history {
            let index = firstDifference(history, other) ?? min(history.count, other.count)
            failures.append("\(member.name)'s history differs from m0's at event \(index)"
                + " (\(other.count) vs \(history.count) events)")
        }
        checkContiguous(history)
        checkAcknowledged(history, recorder: recorder)
        for watch in watches {
            _ = watch.waitFor(revision: history.last?.revision ?? 0, timeoutMs: 15_000)
            checkWatch(watch, against: history)
        }
        checkLinearizable(recorder)
    }

    /// Waits (at most 30 s) until every member answers with one revision twice in a row.
    private func converge() -> Int? {
        var previous: [Int] = []
        let deadline = monotonicNanoseconds() + 30_000_000_000
        while monotonicNanoseconds() < deadline {
            let revisions = members.map { $0.status(timeoutMs: 2000)?.revision ?? -1 }
            if !revisions.contains(-1), Set(revisions).count == 1, revisions == previous,
               members.contains(where: { $0.status()?.leader != "0" }) {
                return revisions[0]
            }
            previous = revisions
            sleepMilliseconds(500)
        }
        return nil
    }

    /// A linearizable read of every key by a fresh process, recorded in the history (retried a few times).
    private mutating func finalReads(recorder: HistoryRecorder) {
        let client = JepsenClient(index: 1_000_000, clients: 1, keys: flags.keys, ports: members.map(\.clientPort),
                                  seed: flags.seed, recorder: recorder, deadlineNs: 0, timeoutMs: 5000,
                                  protocol: flags.transport)
        for key in 0..<flags.keys {
            var attempt = 0
            while attempt < 10 {
                if case .ok = client.read(key, port: members[attempt % members.count].clientPort) { break }
                attempt += 1
                sleepMilliseconds(500)
            }
            if attempt == 10 { failures.append("liveness: no final read of k\(key) succeeded") }
        }
    }

    /// The keys' history has one event per revision from its first to its last: no gaps.
    private mutating func checkContiguous(_ history: [HistoryEvent]) {
        for (previous, next) in zip(history, history.dropFirst()) where next.revision != previous.revision + 1 {
            failures.append("the keys' history jumps from revision \(previous.revision) to \(next.revision)")
            return
        }
    }

    /// Every write or cas a client heard succeed put its value into the key's history.
    private mutating func checkAcknowledged(_ history: [HistoryEvent], recorder: HistoryRecorder) {
        var present: [String: Set<String>] = [:]
        for event in history {
            if let value = event.value { present[event.key, default: []].insert(value) }
        }
        var ackedCount = 0
        var lost: [String] = []
        for (key, values) in recorder.acked.sorted(by: { $0.key < $1.key }) {
            for value in values {
                ackedCount += 1
                if present[JepsenClient.keyPrefix + key]?.contains(value) != true { lost.append("\(key)=\(value)") }
            }
        }
        print("acknowledged writes: \(ackedCount), present in the history: \(ackedCount - lost.count),"
            + " lost: \(lost.count)")
        if !lost.isEmpty {
            failures.append("\(lost.count) acknowledged writes lost: \(lost.prefix(10).joined(separator: ", "))")
        }
    }

    /// A stream opened during the run saw exactly the history, in order, from revision 1.
    private mutating func checkWatch(_ watch: WatchStream, against history: [HistoryEvent]) {
        let seen = watch.events
        failures += watch.errors
        let calls = watch.transport == .grpc ? ", \(watch.callCount) watch calls" : ""
        print("watch \(watch.name): \(seen.count) of \(history.count) events, \(watch.connectionCount) connections"
            + calls)
        if let index = firstDifference(seen, history) {
            failures.append("watch \(watch.name): event \(index) is \(seen[index]), the history has \(history[index])")
        } else if seen.count != history.count {
            failures.append("watch \(watch.name) saw \(seen.count) events; the history has \(history.count)")
        }
    }

    /// The clients' history is linearizable (the Checker, with a 120 s budget).
    private mutating func checkLinearizable(_ recorder: HistoryRecorder) {
        let parsed: History
        do {
            parsed = try HistoryReader.parse(Array(recorder.text.utf8))
        } catch {
            failures.append("the recorded history does not parse: line \(error.line): \(error.message)")
            return
        }
        let counts = recorder.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        print("operations: " + counts.joined(separator: ", "))
        let report = Linearizability.report(parsed, budget: Budget(timeoutSeconds: 120, statesMax: nil,
                                                                   memoryBytesMax: 2048 * 1024 * 1024))
        print("history: \(report.operationsCount) operations on \(report.keys.count) keys: \(report.verdict.summary)")
        switch report.verdict {
        case .linearizable: break
        case .notLinearizable(let violation):
            print(violation.explanation)
            failures.append("not linearizable (key \(violation.key))")
        case .unknown(let reason):
            failures.append("linearizability unknown: \(reason)")
        }
    }
}

/// The first index where `a` and `b` differ, within their common length.
func firstDifference(_ a: [HistoryEvent], _ b: [HistoryEvent]) -> Int? {
    (0..<min(a.count, b.count)).first { a[$0] != b[$0] }
}
