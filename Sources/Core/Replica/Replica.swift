/// One cluster member's whole logic: events in, effects out (DESIGN.md, "The one rule").
///
/// Owns Raft, the state machine, and the client requests waiting on them. The simulator and the daemon
/// drive this same value; neither adds behaviour of its own.
public struct Replica: Sendable {
    public private(set) var raft: Raft
    public private(set) var machine: RegisterMachine
    public let config: ReplicaConfig
    /// Member contexts (name, URLs) by id, as applied from membership changes. Sorted by id.
    public private(set) var memberContexts: [(id: MemberID, context: [UInt8])]

    /// Prefix of this incarnation's request ids, drawn from the seed so a restart never reuses one.
    private let requestIDBase: UInt64
    private var requestSeq: UInt64 = 0
    private var ticks: UInt64 = 0
    /// Proposals and reads waiting, by their log request id or read context.
    private var waiting: [UInt64: Waiter] = [:]
    /// Deadlines in the order they were set (so also in time order); entries may be stale.
    private var deadlines: [(tick: UInt64, key: UInt64)] = []
    private var deadlineHead = 0
    /// Reads with a confirmed index, waiting for the state machine to catch up.
    private var readsAwaitingApply: [(index: LogIndex, key: UInt64)] = []
    /// Refusals found while handling a request, answered at the end of the step.
    private var immediateReplies: [ClientReply] = []

    struct Waiter: Sendable {
        var request: ClientRequest
    }

    public init(id: MemberID, config: ReplicaConfig, seed: UInt64, boot: RaftBoot) {
        raft = Raft(id: id, config: config.raft, seed: seed, boot: boot)
        self.config = config
        var prng = Prng(seed: seed, stream: id.value ^ 0x5EED)
        requestIDBase = prng.next() & 0xFFFF_FFFF_0000_0000
        memberContexts = []
        do {
            machine = try RegisterMachine.deserialize(boot.snapshot.data)
        } catch {
            fatalError("snapshot passed recovery checksums but does not decode: \(error)")
        }
    }

    public var id: MemberID { raft.id }
    public var applied: LogIndex { raft.log.applied }
    public var pendingRequestCount: Int { waiting.count }

    /// Handles one input and appends what must happen next to `effects`.
    public mutating func step(_ input: Input, into effects: inout Effects) {
        switch input {
        case .tick:
            ticks += 1
            raft.tick()
            expireRequests(into: &effects)
        case .received(let message):
            raft.step(message)
            if let snap = raft.takeInstalledSnapshot() { restore(from: snap) }
        case .request(let request):
            handle(request, into: &effects)
        case .persisted(let seq):
            raft.persisted(seq: seq)
        }
        finishStep(into: &effects)
    }

    private mutating func finishStep(into effects: inout Effects) {
        for (context, refusal) in raft.takeRefusedProposals() {
            complete(context, .failed(refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal)),
                     into: &effects)
        }
        applyCommitted(into: &effects)
        maybeSnapshot()
        if let batch = raft.flush() { effects.append(.persist(batch)) }
        let results = raft.takeReadResults()
        for (context, index) in results.ready { readConfirmed(context, index: index, into: &effects) }
        for context in results.failed { complete(context, .failed(.readFailed), into: &effects) }
        var messages: [Message] = []
        raft.takeMessages(into: &messages)
        for m in messages { effects.append(.send(m)) }
        if let through = raft.takeReleasable() { effects.append(.releaseStorage(through: through)) }
    }

    // MARK: Requests

    private mutating func handle(_ request: ClientRequest, into effects: inout Effects) {
        if waiting.count >= config.pendingRequestsMax {
            effects.append(.reply(ClientReply(id: request.id, result: .failed(.refused(.tooLarge)))))
            return
        }
        switch request.operation {
        case .read(let key, let serializable):
            if serializable {
                effects.append(.reply(ClientReply(id: request.id, result: .value(machine.read(key), index: applied))))
                return
            }
            let context = nextRequestID()
            guard raft.readIndex(context: context) else {
                effects.append(.reply(ClientReply(id: request.id, result: .failed(.notLeader(leader: .none)))))
                return
            }
            wait(context, request)
        case .write(let key, let value):
            propose(.normal, request) { RegisterCommand.write(key: key, value: value).entryData(header: $0) }
        case .cas(let key, let expected, let new):
            propose(.normal, request) {
                RegisterCommand.cas(key: key, expected: expected, new: new).entryData(header: $0)
            }
        case .delete(let key):
            propose(.normal, request) { RegisterCommand.delete(key: key).entryData(header: $0) }
        case .addMember(let member, let learner, let context):
            let change = ConfChange(kind: learner ? .addLearner : .addVoter, member: member, context: context)
            propose(.confChange, request) { change.entryData(header: $0) }
        case .removeMember(let member):
            propose(.confChange, request) { ConfChange(kind: .remove, member: member).entryData(header: $0) }
        case .promoteMember(let member):
            propose(.confChange, request) { ConfChange(kind: .promote, member: member).entryData(header: $0) }
        case .transferLeadership(let target):
            let result: ReplyResult
            if let refusal = raft.transferLeadership(to: target) {
                result = .failed(refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal))
            } else {
                result = .transferStarted
            }
            effects.append(.reply(ClientReply(id: request.id, result: result)))
        }
        _ = effects
    }

    private mutating func propose(_ kind: EntryKind, _ request: ClientRequest, data: (EntryHeader) -> [UInt8]) {
        let requestID = nextRequestID()
        let bytes = data(EntryHeader(proposer: id, requestID: requestID))
        switch raft.propose(kind: kind, data: bytes, context: requestID) {
        case .appended, .forwarded:
            wait(requestID, request)
        case .refused(let refusal):
            let error: RequestError = refusal == .notLeader ? .notLeader(leader: raft.leader) : .refused(refusal)
            immediateReplies.append(ClientReply(id: request.id, result: .failed(error)))
        }
    }

    private mutating func nextRequestID() -> UInt64 {
        requestSeq += 1
        invariant(requestSeq < 1 << 32, "request id space exhausted for this incarnation")
        return requestIDBase | requestSeq
    }

    private mutating func wait(_ key: UInt64, _ request: ClientRequest) {
        invariant(waiting[key] == nil, "request id \(key) reused")
        waiting[key] = Waiter(request: request)
        deadlines.append((ticks + config.requestTimeoutTicks, key))
    }

    /// Answers the request waiting on `key`, if it still waits.
    private mutating func complete(_ key: UInt64, _ result: ReplyResult, into effects: inout Effects) {
        guard let waiter = waiting.removeValue(forKey: key) else { return }
        effects.append(.reply(ClientReply(id: waiter.request.id, result: result)))
    }

    private mutating func expireRequests(into effects: inout Effects) {
        while deadlineHead < deadlines.count && deadlines[deadlineHead].tick <= ticks {
            complete(deadlines[deadlineHead].key, .failed(.timedOut), into: &effects)
            deadlineHead += 1
        }
        if deadlineHead > 1024 && deadlineHead * 2 > deadlines.count {
            deadlines.removeFirst(deadlineHead)
            deadlineHead = 0
        }
    }

    private mutating func readConfirmed(_ context: UInt64, index: LogIndex, into effects: inout Effects) {
        guard let waiter = waiting[context] else { return }
        if applied >= index {
            complete(context, .value(machine.read(waiter.request.key), index: applied), into: &effects)
        } else {
            readsAwaitingApply.append((index, context))
        }
    }

    // MARK: Apply

    private mutating func applyCommitted(into effects: inout Effects) {
        while true {
            let entries = raft.log.applicable(bytesMax: 1 << 20)
            guard let last = entries.last else { break }
            for entry in entries { apply(entry, into: &effects) }
            raft.appliedTo(last.index)
        }
        if !readsAwaitingApply.isEmpty {
            var remaining: [(index: LogIndex, key: UInt64)] = []
            for read in readsAwaitingApply {
                if read.index <= applied, let waiter = waiting[read.key] {
                    complete(read.key, .value(machine.read(waiter.request.key), index: applied), into: &effects)
                } else if read.index > applied {
                    remaining.append(read)
                }
            }
            readsAwaitingApply = remaining
        }
        for reply in immediateReplies { effects.append(.reply(reply)) }
        immediateReplies.removeAll(keepingCapacity: true)
    }

    private mutating func apply(_ entry: Entry, into effects: inout Effects) {
        if entry.data.isEmpty { return }
        switch entry.kind {
        case .normal:
            let decoded: (EntryHeader, RegisterCommand)
            do { decoded = try RegisterCommand.decode(entryData: entry.data) } catch {
                fatalError("committed entry \(entry.index) does not decode: \(error)")
            }
            let succeeded = machine.apply(decoded.1)
            guard decoded.0.proposer == id else { return }
            let result: ReplyResult
            if case .cas = decoded.1 {
                result = .cas(succeeded: succeeded, index: entry.index)
            } else {
                result = .applied(index: entry.index)
            }
            complete(decoded.0.requestID, result, into: &effects)
        case .confChange:
            let change: ConfChange
            let header: EntryHeader
            do {
                change = try ConfChange.decode(entryData: entry.data)
                var reader = ByteReader(entry.data)
                header = try EntryHeader.decode(&reader)
            } catch {
                fatalError("committed conf change \(entry.index) does not decode: \(error)")
            }
            let took = raft.applyConfChange(change)
            if took { recordMember(change) }
            if header.proposer == id {
                complete(header.requestID, .membership(applied: took, index: entry.index), into: &effects)
            }
        }
    }

    private mutating func recordMember(_ change: ConfChange) {
        switch change.kind {
        case .addVoter, .addLearner:
            memberContexts.removeAll { $0.id == change.member }
            memberContexts.append((change.member, change.context))
            memberContexts.sort { $0.id < $1.id }
        case .remove:
            memberContexts.removeAll { $0.id == change.member }
        case .promote:
            break
        }
    }

    // MARK: Snapshots

    private mutating func maybeSnapshot() {
        let last = raft.snapshot.meta.index
        guard applied.value >= last.value + config.snapshotCount, !raft.isSavingSnapshot,
              let term = raft.log.term(at: applied) else { return }
        let meta = SnapshotMeta(index: applied, term: term, conf: raft.conf)
        raft.saveLocalSnapshot(Snapshot(meta: meta, data: machine.serialized()))
    }

    private mutating func restore(from snap: Snapshot) {
        do {
            machine = try RegisterMachine.deserialize(snap.data)
        } catch {
            fatalError("leader's snapshot \(snap.meta.index) does not decode: \(error)")
        }
    }
}

extension ClientRequest {
    /// The key a read asks for.
    var key: String {
        if case .read(let key, _) = operation { return key }
        return ""
    }
}
