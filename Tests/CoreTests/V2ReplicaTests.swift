import Core
import Testing

/// The v2 keys store wired into the Replica (issue 15): writes through the log, TTL expiry by the leader's sync,
/// waits on the member a client reached, the store in snapshots, and `enableV2`.
@Suite struct V2ReplicaTests {
    static let t0 = V2Time.seconds(1_800_000_000)

    static var config: ReplicaConfig {
        var c = TestCluster.defaultConfig
        c.enableV2 = true
        return c
    }

    static func cluster(_ config: ReplicaConfig = V2ReplicaTests.config) -> TestCluster {
        var c = TestCluster(members: [1, 2, 3], config: config)
        c.elect(1)
        return c
    }

    /// Sends a v2 request to `member` at wall time `now` and settles the network.
    static func v2(_ c: inout TestCluster, _ member: MemberID, _ kind: V2Request.Kind, now: V2Time = t0) -> UInt64 {
        let id = c.request(member, .v2(V2Request(now: now, kind)))
        c.deliverAll()
        return id
    }

    static func set(_ path: String, _ value: String, expiration: V2Time? = nil) -> V2Request.Kind {
        .write(.set(path: path, value: value, dir: false, expiration: expiration, refresh: false))
    }

    static func get(_ path: String, quorum: Bool = false) -> V2Request.Kind {
        .get(path: path, recursive: false, sorted: false, quorum: quorum)
    }

    static func v2Reply(_ c: TestCluster, _ id: UInt64) -> V2Reply? {
        guard case .v2(let reply)? = c.reply(id) else { return nil }
        return reply
    }

    static func event(_ c: TestCluster, _ id: UInt64) -> V2Event? {
        guard case .event(let event)? = v2Reply(c, id)?.result else { return nil }
        return event
    }

    static func error(_ c: TestCluster, _ id: UInt64) -> V2Error? {
        guard case .error(let error)? = v2Reply(c, id)?.result else { return nil }
        return error
    }

    /// The value of `path` in `member`'s v2 store, nil when missing.
    static func value(_ c: TestCluster, _ member: MemberID, _ path: String) -> String? {
        (try? c.replicas[member]!.v2Store.get(path, now: t0))?.node.value
    }

    @Test("a set on any member is applied on every member and readable there, plainly or by quorum")
    func setReplicates() {
        var c = Self.cluster()
        let onLeader = Self.v2(&c, 1, Self.set("/a", "1"))
        let onFollower = Self.v2(&c, 2, Self.set("/dir/b", "2"))
        let first = Self.event(c, onLeader)
        #expect(first?.action == .set)
        #expect(first?.node.value == "1")
        #expect(first?.etcdIndex == 1)
        #expect(Self.event(c, onFollower)?.node.key == "/dir/b")
        #expect(Self.event(c, onFollower)?.etcdIndex == 2)
        let reply = c.fullReply(onFollower)!
        #expect(Self.v2Reply(c, onFollower)?.raftIndex == reply.index)
        #expect(reply.index > .zero)
        #expect(reply.raftTerm == c.raft(1).term)
        for member in c.ids {
            #expect(Self.value(c, member, "/a") == "1")
            #expect(Self.value(c, member, "/dir/b") == "2")
            #expect(c.replicas[member]!.v2Store.index == 2)
            let plain = Self.v2(&c, member, Self.get("/dir/b"))
            #expect(Self.event(c, plain)?.action == .get)
            #expect(Self.event(c, plain)?.node.value == "2")
            #expect(Self.event(c, plain)?.etcdIndex == 2)
        }
        #expect(c.replicas[2]!.v2Store == c.replicas[1]!.v2Store)
        // A quorum GET on a follower waits for a ReadIndex round, then reads the applied store.
        let quorum = c.request(3, .v2(V2Request(now: Self.t0, Self.get("/a", quorum: true))))
        #expect(c.reply(quorum) == nil)
        c.deliverAll()
        #expect(Self.event(c, quorum)?.node.value == "1")
        let missing = Self.v2(&c, 2, Self.get("/nope"))
        #expect(Self.error(c, missing) == V2Error(.keyNotFound, cause: "/nope", index: 2))
    }

    @Test("a compare-and-swap against a changed value fails with etcd's 101 on the proposer; nothing changes")
    func compareAndSwapConflict() {
        var c = Self.cluster()
        _ = Self.v2(&c, 1, Self.set("/k", "a"))
        let stale = Self.v2(&c, 2, .write(.compareAndSwap(path: "/k", prevValue: "b", prevIndex: 0, value: "c",
                                                           expiration: nil, refresh: false)))
        #expect(Self.error(c, stale) == V2Error(.testFailed, cause: "[b != a]", index: 1))
        #expect(Self.v2Reply(c, stale)?.etcdIndex == 1)
        let badIndex = Self.v2(&c, 3, .write(.compareAndDelete(path: "/k", prevValue: "", prevIndex: 7)))
        #expect(Self.error(c, badIndex) == V2Error(.testFailed, cause: "[7 != 1]", index: 1))
        let swap = Self.v2(&c, 3, .write(.compareAndSwap(path: "/k", prevValue: "a", prevIndex: 1, value: "c",
                                                         expiration: nil, refresh: false)))
        #expect(Self.event(c, swap)?.action == .compareAndSwap)
        #expect(Self.event(c, swap)?.prevNode?.value == "a")
        let exists = Self.v2(&c, 2, .write(.create(path: "/k", value: "x", dir: false, inOrder: false,
                                                   expiration: nil)))
        #expect(Self.error(c, exists) == V2Error(.nodeExists, cause: "/k", index: 2))
        for member in c.ids {
            #expect(Self.value(c, member, "/k") == "c")
            #expect(c.replicas[member]!.v2Store.index == 2)
        }
    }

    @Test("a TTL key expires on every member once the leader's wall clock passes it, not a follower's")
    func ttlExpiresByLeaderSync() {
        var c = Self.cluster()
        let expiration = Self.t0.adding(seconds: 5)
        let set = Self.v2(&c, 2, Self.set("/t", "v", expiration: expiration))
        #expect(Self.event(c, set)?.node.ttl == 5)
        #expect(Self.event(c, set)?.node.expiration == expiration)
        for member in c.ids { #expect(c.replicas[member]!.v2Store.hasExpiringNodes) }
        // Before the expiration on the leader's clock: its syncs (if any) remove nothing.
        c.step(1, .wallClock(Self.t0.adding(seconds: 4)))
        // A follower's clock past it decides nothing: only the leader proposes syncs.
        c.step(2, .wallClock(Self.t0.adding(seconds: 60)))
        for _ in 0..<20 {
            c.tick(1)
            c.tick(2)
            c.deliverAll()
        }
        for member in c.ids { #expect(Self.value(c, member, "/t") == "v") }
        let applied = c.raft(1).log.applied
        c.step(1, .wallClock(Self.t0.adding(seconds: 6)))
        for _ in 0..<10 {
            c.tick(1)
            c.deliverAll()
        }
        #expect(c.raft(1).log.applied > applied)
        for member in c.ids {
            let store = c.replicas[member]!.v2Store
            #expect(Self.value(c, member, "/t") == nil)
            #expect(!store.hasExpiringNodes)
            #expect(store.index == 2)
            let expired = store.history.events.last
            #expect(expired?.action == .expire)
            #expect(expired?.node.key == "/t")
            #expect(expired?.index == 2)
        }
        #expect(c.replicas[3]!.v2Store == c.replicas[1]!.v2Store)
        // Nothing expiring: the leader proposes nothing more.
        let quiet = c.raft(1).log.lastIndex
        for _ in 0..<20 { c.tick(1) }
        c.deliverAll()
        #expect(c.raft(1).log.lastIndex == quiet)
    }

    @Test("a wait on a follower gets exactly the next matching event; every member answers its own waits")
    func waitGetsNextEvent() {
        var c = Self.cluster()
        _ = Self.v2(&c, 1, Self.set("/w", "0"))
        var waits: [MemberID: UInt64] = [:]
        for member in c.ids {
            waits[member] = Self.v2(&c, member, .wait(path: "/w", recursive: false, waitIndex: 0))
        }
        #expect(waits.values.allSatisfy { c.reply($0) == nil })
        #expect(c.replicas[3]!.v2WaitCount == 1)
        _ = Self.v2(&c, 2, Self.set("/other", "x"))
        #expect(waits.values.allSatisfy { c.reply($0) == nil })
        let write = Self.v2(&c, 1, Self.set("/w", "1"))
        let writeIndex = c.fullReply(write)!.index
        for (member, id) in waits {
            let event = Self.event(c, id)
            #expect(event?.action == .set, "member \(member)")
            #expect(event?.node.value == "1")
            #expect(event?.prevNode?.value == "0")
            #expect(event?.index == 3)
            #expect(Self.v2Reply(c, id)?.raftIndex == writeIndex)
            #expect(c.replicas[member]!.v2WaitCount == 0)
        }
        _ = Self.v2(&c, 1, Self.set("/w", "2"))
        for id in waits.values { #expect(c.replies.filter { $0.id == id }.count == 1) }
        // A wait at an index still in the history is answered at once; a recursive one sees children.
        let past = Self.v2(&c, 3, .wait(path: "/w", recursive: false, waitIndex: 2))
        #expect(Self.event(c, past)?.node.value == "1")
        #expect(Self.event(c, past)?.etcdIndex == 4)
        let recursive = Self.v2(&c, 3, .wait(path: "/", recursive: true, waitIndex: 2))
        #expect(Self.event(c, recursive)?.node.key == "/other")
        // A cancelled wait is never answered.
        let cancelled = Self.v2(&c, 2, .wait(path: "/w", recursive: false, waitIndex: 0))
        let wasParked = c.replicas[2]!.cancelV2Wait(requestID: cancelled)
        #expect(wasParked)
        _ = Self.v2(&c, 1, Self.set("/w", "3"))
        #expect(c.reply(cancelled) == nil)
        #expect(c.replicas[2]!.v2WaitCount == 0)
    }

    @Test("a member restored from a snapshot has the same v2 store; its parked waits are cleared")
    func snapshotCarriesV2Store() {
        var config = Self.config
        config.snapshotCount = 5
        config.raft.logEntriesRetained = 2
        var c = Self.cluster(config)
        let parked = Self.v2(&c, 3, .wait(path: "/never", recursive: false, waitIndex: 0))
        c.cut = [3]
        _ = Self.v2(&c, 1, .write(.create(path: "/dir", value: "", dir: true, inOrder: false, expiration: nil)))
        for n in 0..<20 {
            let expiration = n % 5 == 0 ? Self.t0.adding(seconds: 99) : nil
            _ = Self.v2(&c, 1, Self.set("/dir/k\(n)", "v\(n)", expiration: expiration))
        }
        _ = Self.v2(&c, 2, .write(.create(path: "/queue", value: "job", dir: false, inOrder: true, expiration: nil)))
        _ = Self.v2(&c, 1, .write(.delete(path: "/dir/k3", dir: false, recursive: false)))
        #expect(c.raft(1).log.compactedIndex > LogIndex(10))
        c.cut = []
        var chunks = 0
        for _ in 0..<10 {
            c.tickAll()
            while !c.inflight.isEmpty {
                let m = c.inflight.removeFirst()
                if case .snapshot = m.body { chunks += 1 }
                c.step(m.to, .received(m))
            }
        }
        #expect(chunks > 0)
        let leader = c.replicas[1]!.v2Store
        #expect(leader.index == 23)
        #expect(c.replicas[3]!.v2Store == leader)
        #expect(c.replicas[3]!.v2Store.expiringNodeCount == 4)
        #expect(Self.error(c, parked)?.code == .watcherCleared)
        #expect(c.replicas[3]!.v2WaitCount == 0)
        // A restart boots from the snapshot on disk (and the log after it) to the same store.
        c.crash(2)
        c.boot(2)
        c.tickAll()
        c.deliverAll()
        #expect(c.replicas[2]!.v2Store == leader)
        #expect(Self.value(c, 2, "/dir/k7") == "v7")
    }

    @Test("snapshots without v2 changes keep version 4; with them, version 5 carries the store")
    func snapshotVersions() throws {
        var c = Self.cluster()
        let plain = c.replicas[1]!.stateMachineSnapshot()
        #expect(plain.first == 4)
        #expect(try StateMachineState.decode(plain).v2 == V2Store())
        _ = Self.v2(&c, 1, Self.set("/a", "1", expiration: Self.t0.adding(seconds: 3)))
        let bytes = c.replicas[1]!.stateMachineSnapshot()
        #expect(bytes.first == 5)
        let state = try StateMachineState.decode(bytes)
        #expect(state.v2 == c.replicas[1]!.v2Store)
        #expect(state.v2.hasExpiringNodes)
        #expect(state.serialized() == bytes)
    }

    @Test("every v2 command survives its log encoding")
    func commandCodec() throws {
        let e = Self.t0.adding(seconds: 9)
        let writes: [V2Write] = [
            .set(path: "/a", value: "x", dir: false, expiration: e, refresh: true),
            .set(path: "/d", value: "", dir: true, expiration: nil, refresh: false),
            .create(path: "/q", value: "v", dir: false, inOrder: true, expiration: e),
            .update(path: "/a", value: "y", expiration: nil, refresh: false),
            .compareAndSwap(path: "/a", prevValue: "y", prevIndex: 3, value: "z", expiration: e, refresh: false),
            .delete(path: "/d", dir: true, recursive: true),
            .compareAndDelete(path: "/a", prevValue: "", prevIndex: 4),
        ]
        var commands = writes.map { KVCommand.v2(.write($0, now: Self.t0)) }
        commands.append(.v2(.sync(now: e)))
        for command in commands {
            let data = command.entryData(header: EntryHeader(proposer: 2, requestID: 9))
            #expect(try KVCommand.decode(entryData: data).1 == command)
        }
    }

    @Test("with enableV2 off every v2 request is refused and nothing is proposed")
    func refusedWhenDisabled() {
        var c = Self.cluster(TestCluster.defaultConfig)
        let last = c.raft(1).log.lastIndex
        let kinds: [V2Request.Kind] = [Self.set("/a", "1"), Self.get("/a"), Self.get("/a", quorum: true),
                                       .wait(path: "/a", recursive: false, waitIndex: 0)]
        for kind in kinds {
            let id = Self.v2(&c, 1, kind)
            #expect(c.reply(id) == .failed(.v2Disabled))
        }
        #expect(c.raft(1).log.lastIndex == last)
        #expect(c.replicas[1]!.v2Store.index == 0)
        #expect(c.replicas[1]!.v2WaitCount == 0)
    }
}
