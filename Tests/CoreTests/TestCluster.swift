import Core
import SimNet

/// A hand-driven cluster for behaviour tests: messages wait in a queue until delivered, persists complete
/// when told (or at once with `autoPersist`), and links can be cut.
struct TestCluster {
    var replicas: [MemberID: Replica] = [:]
    var disks: [MemberID: SimDisk] = [:]
    var wals: [MemberID: WAL] = [:]
    var inflight: [Message] = []
    var pendingPersists: [MemberID: [PersistBatch]] = [:]
    var replies: [ClientReply] = []
    var watchResponses: [(WatchStreamID, [WatchResponse])] = []
    var serialized: [(MemberID, SnapshotJob)] = []
    var cut: Set<MemberID> = []
    var autoPersist = true
    var config: ReplicaConfig
    /// Each member's own settings on top of `config` (its name and client URLs, say).
    var configure: (MemberID, inout ReplicaConfig) -> Void
    var nextRequest: UInt64 = 1
    /// Numbers the token prefixes the stand-in password checker hands out.
    var tokenSerial = 0

    /// The stand-in for bcrypt in Core tests: Core only compares what the driver made.
    static func hash(_ password: String) -> [UInt8] { Array("h:\(password)".utf8) }
    static func hash(_ password: [UInt8]) -> [UInt8] { Array("h:".utf8) + password }

    /// - Parameter context: each boot member's membership context (`MemberInfo` bytes; empty by default).
    init(members: [UInt64], config: ReplicaConfig = TestCluster.defaultConfig,
         context: (MemberID) -> [UInt8] = { _ in [] },
         configure: @escaping (MemberID, inout ReplicaConfig) -> Void = { _, _ in }) {
        self.config = config
        self.configure = configure
        let ids = members.map { MemberID($0) }
        for id in ids {
            var disk = SimDisk()
            try! WAL.bootstrap(members: ids.map { ($0, context($0)) }, on: &disk)
            disk.completeSync()
            disks[id] = disk
            boot(id)
        }
    }

    static var defaultConfig: ReplicaConfig {
        var c = ReplicaConfig()
        c.raft.electionTicks = 10
        c.snapshotCount = 1000
        // Members here mostly have no names, so none counts as started: --strict-reconfig-check is tested on
        // its own (StrictReconfigTests).
        c.strictReconfigCheck = false
        return c
    }

    /// Recovers a member from its disk and starts it (used at creation and after `crash`).
    mutating func boot(_ id: MemberID, seed: UInt64 = 7) {
        var disk = disks[id] ?? SimDisk()
        let recovered = try! Recovery.recover(from: &disk)
        disks[id] = disk
        wals[id] = recovered.wal
        var own = config
        configure(id, &own)
        replicas[id] = Replica(id: id, config: own, seed: seed, boot: recovered.boot)
        var effects = Effects()
        replicas[id]!.step(.tick, into: &effects)
        handle(effects, from: id)
    }

    /// Adds a brand-new member with an empty disk (it will learn the cluster from the leader).
    mutating func addEmpty(_ id: MemberID) {
        disks[id] = SimDisk()
        boot(id)
    }

    mutating func crash(_ id: MemberID) {
        var prng = Prng(seed: 1)
        _ = disks[id]!.crash(prng: &prng, tornWrites: false)
        replicas[id] = nil
        pendingPersists[id] = nil
        inflight.removeAll { $0.to == id }
    }

    var ids: [MemberID] { replicas.keys.sorted() }

    mutating func step(_ id: MemberID, _ input: Input) {
        guard replicas[id] != nil else { return }
        var effects = Effects()
        replicas[id]!.step(input, into: &effects)
        handle(effects, from: id)
    }

    mutating func handle(_ effects: Effects, from id: MemberID) {
        var loads: [LogIndex] = []
        var checks: [PasswordCheck] = []
        for effect in effects.items {
            switch effect {
            case .send(let m): inflight.append(m)
            case .persist(let batch):
                try! wals[id]!.write(batch, to: &disks[id]!)
                pendingPersists[id, default: []].append(batch)
            case .reply(let r): replies.append(r)
            case .watch(let stream, let responses): watchResponses.append((stream, responses))
            case .serializeSnapshot(let job): serialized.append((id, job))
            case .releaseStorage(let through): try! wals[id]!.release(through: through, on: &disks[id]!)
            case .loadSnapshot(let index): loads.append(index)
            case .checkPassword(let check): checks.append(check)
            }
        }
        for check in checks {  // Checked at once with the stand-in hash, as a quick bcrypt thread would.
            tokenSerial += 1
            let prefix = Array("TOKEN\(String(tokenSerial, radix: 10))".utf8)
            step(id, .passwordChecked(PasswordVerdict(check, matches: TestCluster.hash(check.password) == check.hash,
                                                      tokenPrefix: prefix)))
        }
        for index in loads {  // Read back at once, as a quick thread would.
            step(id, .snapshotLoaded(index: index, data: SnapshotCodec.loadData(index: index, from: disks[id]!)))
        }
        while let (member, job) = serialized.first {  // Serialized at once, as a quick thread would.
            serialized.removeFirst()
            // Both ways the drivers do it: the file written by the serializer (even indexes), or by the WAL.
            let done = job.meta.index.value % 2 == 0 ? job.serializeAndSave(to: &disks[member]!) : job.serialize()
            step(member, .snapshotSerialized(done))
        }
        if autoPersist { completePersists(id) }
    }

    mutating func completePersists(_ id: MemberID) {
        while let batch = pendingPersists[id]?.first {
            pendingPersists[id]!.removeFirst()
            disks[id]!.completeSync()
            step(id, .persisted(seq: batch.seq))
        }
    }

    mutating func tick(_ id: MemberID, times: Int = 1) {
        for _ in 0..<times { step(id, .tick) }
    }

    mutating func tickAll(times: Int = 1) {
        for _ in 0..<times { for id in ids { tick(id) } }
    }

    /// Delivers queued messages (and those they cause) until the network is quiet.
    mutating func deliverAll(limit: Int = 100_000) {
        var delivered = 0
        while !inflight.isEmpty && delivered < limit {
            let m = inflight.removeFirst()
            delivered += 1
            if cut.contains(m.from) || cut.contains(m.to) { continue }
            step(m.to, .received(m))
        }
    }

    /// Ticks one member until it campaigns, then settles the network.
    mutating func elect(_ id: MemberID) {
        for _ in 0..<40 where replicas[id]!.raft.role != .leader {
            tick(id)
            deliverAll()
        }
    }

    var leaders: [MemberID] { ids.filter { replicas[$0]!.raft.role == .leader } }

    mutating func request(_ id: MemberID, _ operation: Operation, token: [UInt8]? = nil) -> UInt64 {
        let requestID = nextRequest
        nextRequest += 1
        step(id, .request(ClientRequest(id: requestID, operation: operation, credentials: token.map { .simple($0) })))
        return requestID
    }

    func reply(_ requestID: UInt64) -> ReplyResult? {
        replies.first { $0.id == requestID }?.result
    }

    func raft(_ id: UInt64) -> Raft { replicas[MemberID(id)]!.raft }
}

/// Register-style shorthands over etcd's operations, for behaviour tests.
extension Operation {
    static func write(key: String, value: String) -> Operation {
        .put(PutRequest(key: Array(key.utf8), value: Array(value.utf8)))
    }

    static func read(key: String, serializable: Bool) -> Operation {
        .range(RangeRequest(key: Array(key.utf8), serializable: serializable))
    }

    static func cas(key: String, expected: String, new: String) -> Operation {
        .txn(TxnRequest(compare: [.value(Array(key.utf8), .equal, Array(expected.utf8))],
                        success: [.put(PutRequest(key: Array(key.utf8), value: Array(new.utf8)))]))
    }
}

extension TestCluster {
    func fullReply(_ requestID: UInt64) -> ClientReply? {
        replies.first { $0.id == requestID }
    }

    /// The log index a write was applied at, if it was answered with success.
    func appliedIndex(_ requestID: UInt64) -> LogIndex? {
        guard let r = fullReply(requestID) else { return nil }
        switch r.result {
        case .put, .deleteRange, .txn, .members: return r.index
        default: return nil
        }
    }

    /// The member ids a membership call or member list answered with (nil if unanswered or failed).
    func memberIDs(_ requestID: UInt64) -> [MemberID]? {
        guard case .members(let response) = reply(requestID) else { return nil }
        return response.members.map(\.id)
    }

    /// A read's answer: nil if unanswered or failed, `.some(nil)` for an absent key.
    func readValue(_ requestID: UInt64) -> String?? {
        guard case .range(let response) = reply(requestID) else { return nil }
        return .some(response.kvs.first.map { String(decoding: $0.value, as: UTF8.self) })
    }

    func casSucceeded(_ requestID: UInt64) -> Bool? {
        guard case .txn(let response) = reply(requestID) else { return nil }
        return response.succeeded
    }

    /// A key's value in a member's store.
    func value(_ member: UInt64, _ key: String) -> String? {
        let response = try? replicas[MemberID(member)]!.store.range(RangeRequest(key: Array(key.utf8)))
        return response?.kvs.first.map { String(decoding: $0.value, as: UTF8.self) }
    }
}
