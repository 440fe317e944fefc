import Core
import Testing

/// A dumb reference of the store: the whole key map at every revision.
struct ReferenceStore {
    struct Version: Equatable {
        var value: [UInt8]
        var create: Revision
        var mod: Revision
        var version: Int64
    }

    /// `states[r]` is the store at revision r; `states[0]` is unused, `states[1]` is empty.
    var states: [[[UInt8]: Version]] = [[:], [:]]
    var compactRevision: Revision = .zero
    var current: Revision { Revision(Int64(states.count - 1)) }

    /// Applies one write: `puts` then `deletes` (keys), at one new revision when anything changed.
    mutating func write(puts: [([UInt8], [UInt8])], deletes: [[UInt8]]) {
        var next = states[states.count - 1]
        let revision = current.next
        var changed = false
        for (key, value) in puts {
            let old = next[key]
            next[key] = Version(value: value, create: old?.create ?? revision, mod: revision, version: (old?.version ?? 0) + 1)
            changed = true
        }
        for key in deletes where next[key] != nil {
            next[key] = nil
            changed = true
        }
        if changed { states.append(next) }
    }

    func kvs(at revision: Revision, from: [UInt8], to: [UInt8]) -> [KeyValue] {
        states[Int(revision.value)].filter { !Bytes.less($0.key, from) && Bytes.less($0.key, to) }
            .sorted { Bytes.less($0.key, $1.key) }
            .map { KeyValue(key: $0.key, createRevision: $0.value.create, modRevision: $0.value.mod,
                            version: $0.value.version, value: $0.value.value) }
    }
}

/// Random puts, deletes, txns and compactions against `ReferenceStore`; snapshot round trips; hash equality.
@Suite struct MVCCModelTests {
    static let keys: [[UInt8]] = ["a", "b", "c", "d", "e", "f"].map { b($0) }

    /// One random write, applied to both. - Returns: the events the store reported.
    static func randomWrite(
        _ store: inout KVStore, _ reference: inout ReferenceStore, _ prng: inout Prng, compactions: Bool = true
    ) -> [KVEvent] {
        let key = keys[prng.int(below: keys.count)]
        let value = b("v\(prng.int(below: 100))")
        switch prng.int(below: 10) {
        case 0..<4:
            reference.write(puts: [(key, value)], deletes: [])
            return try! store.put(PutRequest(key: key, value: value, prevKV: true)).events
        case 4..<6:
            let end = keys[prng.int(below: keys.count)] + [0]
            let doomed = keys.filter { !Bytes.less($0, key) && Bytes.less($0, end) }
            reference.write(puts: [], deletes: doomed)
            return try! store.deleteRange(DeleteRangeRequest(key: key, rangeEnd: end)).events
        case 6..<9:
            // A txn: compare the key's version; success puts two other keys and deletes a third.
            var shuffled = keys
            prng.shuffle(&shuffled)
            let version = Int64(prng.int(below: 3))
            let holds = (reference.states.last![key]?.version ?? 0) == version
            let success: [RequestOp] = [
                .put(PutRequest(key: shuffled[0], value: value)), .put(PutRequest(key: shuffled[1], value: value)),
                .deleteRange(DeleteRangeRequest(key: shuffled[2])), .range(RangeRequest(key: shuffled[0])),
            ]
            let failure: [RequestOp] = [.deleteRange(DeleteRangeRequest(key: shuffled[3]))]
            if holds {
                reference.write(puts: [(shuffled[0], value), (shuffled[1], value)], deletes: [shuffled[2]])
            } else {
                reference.write(puts: [], deletes: [shuffled[3]])
            }
            let result = try! store.txn(TxnRequest(compare: [.version(key, .equal, version)], success: success,
                                                    failure: failure))
            #expect(result.response.succeeded == holds)
            return result.events
        default:
            let current = store.currentRevision
            if compactions && current > store.compactRevision.next && prng.int(below: 3) == 0 {
                let revision = Revision(Int64(prng.int(in: Int(store.compactRevision.value) + 1...Int(current.value))))
                _ = try! store.compact(CompactionRequest(revision: revision))
                reference.compactRevision = revision
            }
            return []
        }
    }

    /// Checks every readable revision of `store` against the reference, and the unreadable ones' errors.
    static func check(_ store: KVStore, _ reference: ReferenceStore) {
        store.checkConsistency()
        #expect(store.currentRevision == reference.current)
        #expect(store.compactRevision == reference.compactRevision)
        let first = max(1, reference.compactRevision.value)
        for revision in first...reference.current.value {
            let response = try! store.range(RangeRequest(key: [0], rangeEnd: [0], revision: Revision(revision)))
            let expected = reference.kvs(at: Revision(revision), from: [0], to: [0xFF])
            #expect(response.kvs == expected, "revision \(revision)")
            #expect(response.count == Int64(expected.count))
            let b = try! store.range(RangeRequest(key: b("b"), rangeEnd: b("d"), revision: Revision(revision)))
            #expect(b.kvs == reference.kvs(at: Revision(revision), from: [0x62], to: [0x64]))
        }
        if reference.compactRevision.value > 1 {
            let old = RangeRequest(key: b("a"), revision: reference.compactRevision.previous)
            #expect(throws: APIError.compacted) { try store.range(old) }
        }
        #expect(throws: APIError.futureRevision) { try store.range(RangeRequest(key: b("a"), revision: reference.current.next)) }
    }

    @Test("random writes and compactions match the reference at every revision", arguments: [1, 2, 3, 4] as [UInt64])
    func model(seed: UInt64) {
        var prng = Prng(seed: seed)
        var store = KVStore()
        var reference = ReferenceStore()
        var events: [KVEvent] = []
        for step in 0..<300 {
            let produced = Self.randomWrite(&store, &reference, &prng)
            #expect(produced.allSatisfy { $0.kv.modRevision == store.currentRevision })
            events += produced
            if step % 25 == 0 { Self.check(store, reference) }
        }
        Self.check(store, reference)
        // The history a watch replays is exactly the events the writes reported (prev values before the compact
        // revision may be gone).
        let compact = max(store.compactRevision, 1)
        let replay = store.events(in: KeyRange(key: [0], rangeEnd: [0]), from: compact, through: store.currentRevision)
        let reported = events.filter { $0.kv.modRevision >= compact }
        #expect(replay.count == reported.count)
        for (a, b) in zip(replay, reported) {
            #expect(a.type == b.type && a.kv == b.kv)
            if a.kv.modRevision > compact { #expect(a.prevKV == b.prevKV) }
        }
    }

    @Test("a snapshot restores an equal store: same hash, same ranges, same leases", arguments: [5, 6] as [UInt64])
    func snapshotRoundTrip(seed: UInt64) throws {
        var prng = Prng(seed: seed)
        var store = KVStore()
        var reference = ReferenceStore()
        _ = try store.leaseGrant(LeaseGrantRequest(ttlSeconds: 100, id: 9))
        _ = try store.leaseGrant(LeaseGrantRequest(ttlSeconds: 5))
        for _ in 0..<150 { _ = Self.randomWrite(&store, &reference, &prng) }
        _ = try store.put(PutRequest(key: b("leased"), value: b("x"), lease: 9))
        let bytes = store.snapshot()
        let restored = try KVStore.restore(from: bytes)
        #expect(restored == store)
        #expect(try restored.hashKV() == store.hashKV())
        #expect(restored.snapshot() == bytes)
        #expect(restored.lessor.lease(9)?.keys == [b("leased")])
        for revision in max(1, store.compactRevision.value)...store.currentRevision.value {
            let all = RangeRequest(key: [0], rangeEnd: [0], revision: Revision(revision))
            #expect(try restored.range(all) == store.range(all))
        }
        // Later grants pick the same IDs on both.
        var one = store, two = restored
        #expect(try one.leaseGrant(LeaseGrantRequest(ttlSeconds: 5)) == two.leaseGrant(LeaseGrantRequest(ttlSeconds: 5)))
    }

    @Test("snapshot decoding rejects truncated, corrupt and inconsistent bytes with typed errors")
    func snapshotErrors() throws {
        var store = KVStore()
        store.put("a", "1")
        store.put("b", "2")
        let bytes = store.snapshot()
        for cut in [0, 3, 10, bytes.count - 1] {
            #expect(throws: DecodeError.self) { try KVStore.restore(from: Array(bytes.prefix(cut))) }
        }
        var flipped = bytes
        flipped[12] ^= 0x40
        #expect(throws: DecodeError.self) { try KVStore.restore(from: flipped) }
        // A well-formed checksum over inconsistent content (current revision below a record) is still refused.
        var body = Array(bytes.dropLast(4))
        body[4] = 1
        for k in 5..<12 { body[k] = 0 }
        var writer = ByteWriter()
        writer.bytes = body
        writer.u32(CRC32C.checksum(body))
        #expect(throws: DecodeError.self) { try KVStore.restore(from: writer.bytes) }
    }

    @Test("hashes: equal for equal histories, at a past revision equal to the store as it was, sensitive to values")
    func hashes() throws {
        func run(seed: UInt64, steps: Int, compactions: Bool) -> (KVStore, [(Revision, UInt32)]) {
            var prng = Prng(seed: seed)
            var store = KVStore()
            var reference = ReferenceStore()
            var seen: [(Revision, UInt32)] = []
            for _ in 0..<steps {
                _ = Self.randomWrite(&store, &reference, &prng, compactions: compactions)
                seen.append((store.currentRevision, try! store.hashKV().hash))
            }
            return (store, seen)
        }
        let (one, _) = run(seed: 7, steps: 200, compactions: true)
        let (two, _) = run(seed: 7, steps: 200, compactions: true)
        #expect(try one.hashKV() == two.hashKV())
        #expect(try one.hashKV().revision == one.currentRevision && one.hashKV().compactRevision == one.compactRevision)
        #expect(try KVStore().hashKV().compactRevision == Revision(-1), "never compacted reads -1, as etcd's")
        let (other, _) = run(seed: 8, steps: 200, compactions: true)
        #expect(try other.hashKV().hash != one.hashKV().hash)
        let (grown, seen) = run(seed: 9, steps: 100, compactions: false)
        for (revision, hash) in seen {
            #expect(try grown.hashKV(revision: revision).hash == hash, "revision \(revision)")
        }
        var changed = one
        var different = one
        changed.put("zz", "1")
        different.put("zz", "2")
        #expect(try changed.hashKV().hash != different.hashKV().hash)
        #expect(throws: APIError.futureRevision) { try one.hashKV(revision: one.currentRevision.next) }
        if one.compactRevision.value > 1 {
            #expect(throws: APIError.compacted) { try one.hashKV(revision: one.compactRevision.previous) }
        }
    }
}
