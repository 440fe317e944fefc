import Core
import Testing

/// The Cluster and Maintenance decisions the Replica makes (`Replica+Cluster.swift`): etcd's membership and
/// MoveLeader checks, on the member asked and again when applied; member list, status, hash, Observe's
/// leader and the snapshot file.
@Suite struct ReplicaClusterTests {
    static func url(_ id: MemberID) -> String { "http://10.0.0.\(id):2380" }

    /// Three members whose contexts carry names and peer URLs, each configured with its own name, client URL
    /// and the cluster token.
    static func cluster() -> TestCluster {
        var c = TestCluster(members: [1, 2, 3], context: { id in
            MemberInfo(name: "m\(id)", peerURLs: [url(id)], clientURLs: ["http://10.0.0.\(id):2379"]).encoded()
        }, configure: { id, config in
            config.memberName = "self-\(id)"
            config.memberClientURLs = ["http://self-\(id):2379"]
            config.clusterToken = "token"
        })
        c.elect(1)
        return c
    }

    @Test("MemberAdd derives the id from the peer URLs and token, and answers the new member and the list")
    func memberAdd() {
        var c = Self.cluster()
        let urls = ["http://10.0.0.9:2380", "http://10.0.0.8:2380"]
        let add = c.request(1, .memberAdd(peerURLs: urls, learner: true))
        c.deliverAll()
        let id = MemberInfo.memberID(peerURLs: urls, token: "token")
        #expect(id == MemberInfo.memberID(peerURLs: urls.reversed(), token: "token"))
        #expect(id != MemberInfo.memberID(peerURLs: urls, token: "other"))
        guard case .members(let answer) = c.reply(add) else {
            Issue.record("MemberAdd answered \(String(describing: c.reply(add)))")
            return
        }
        #expect(answer.added == ClusterMember(id: id, peerURLs: urls, isLearner: true))
        #expect(answer.members.map(\.id) == ([1, 2, 3, id] as [MemberID]).sorted())
        #expect(c.raft(1).conf.learners == [id])
        #expect(c.raft(3).conf.learners == [id])
    }

    @Test("MemberAdd is refused for a taken peer URL, a taken id, and a second learner; URLs are checked first")
    func memberAddRefused() {
        var c = Self.cluster()
        let taken = c.request(2, .memberAdd(peerURLs: ["http://fresh:2380", Self.url(3)], learner: false))
        #expect(c.reply(taken) == .failed(.api(.peerURLExists)))
        let both = c.request(1, .addMember(2, learner: false, context: MemberInfo(name: "", peerURLs: [Self.url(2)])
            .encoded()))
        #expect(c.reply(both) == .failed(.api(.peerURLExists)))
        let id = c.request(1, .addMember(2, learner: true, context: MemberInfo(name: "", peerURLs: ["http://x:1"])
            .encoded()))
        #expect(c.reply(id) == .failed(.api(.memberIDExists)))
        _ = c.request(1, .memberAdd(peerURLs: ["http://learner:2380"], learner: true))
        c.deliverAll()
        #expect(c.raft(2).conf.learners.count == 1)
        let second = c.request(2, .memberAdd(peerURLs: ["http://second:2380"], learner: true))
        #expect(c.reply(second) == .failed(.api(.tooManyLearners)))
        let voter = c.request(1, .memberAdd(peerURLs: ["http://voter:2380"], learner: false))
        c.deliverAll()
        #expect(c.memberIDs(voter)?.count == 5, "a voter may join while a learner exists")
    }

    @Test("a member whose view lags lets an add through, and every member refuses it when it applies")
    func memberAddCheckedWhenApplied() {
        var c = Self.cluster()
        c.cut = [3]
        let urls = ["http://twice:2380"]
        let first = c.request(1, .memberAdd(peerURLs: urls, learner: true))
        c.deliverAll()
        #expect(c.memberIDs(first)?.count == 4)
        c.cut = []
        #expect(c.replicas[3]!.memberList().count == 3, "member 3 has not heard of the add")
        let again = c.request(3, .addMember(77, learner: false, context: MemberInfo(name: "", peerURLs: urls)
            .encoded()))
        #expect(c.reply(again) == nil, "member 3's own view lets it through to the leader")
        for _ in 0..<5 {
            c.tickAll()
            c.deliverAll()
        }
        #expect(c.reply(again) == .failed(.api(.peerURLExists)))
        for id in c.ids { #expect(!c.replicas[id]!.raft.conf.isMember(77), "member \(id) added it") }
        #expect(c.raft(3).log.applied == c.raft(1).log.applied)
    }

    @Test("MemberRemove and MemberPromote need a member, and promote a learner only")
    func removeAndPromote() {
        var c = Self.cluster()
        #expect(c.ask(2, .removeMember(9)) == .failed(.api(.memberNotFound)))
        #expect(c.ask(2, .promoteMember(9)) == .failed(.api(.memberNotFound)))
        #expect(c.ask(2, .promoteMember(3)) == .failed(.api(.memberNotLearner)))
        let remove = c.request(2, .removeMember(3))
        c.deliverAll()
        #expect(c.memberIDs(remove) == [1, 2])
        #expect(c.ask(1, .removeMember(3)) == .failed(.api(.memberNotFound)))
    }

    @Test("MemberUpdate replaces the peer URLs when applied and keeps the name, even from a stale member")
    func memberUpdate() {
        var c = Self.cluster()
        #expect(c.ask(1, .updateMember(9, peerURLs: ["http://x:1"])) == .failed(.api(.memberNotFound)))
        c.cut = [3]
        c.tick(2)  // Member 2 knows a leader: it publishes its configured name and client URLs.
        c.deliverAll()
        c.cut = []
        let update = c.request(3, .updateMember(2, peerURLs: ["http://moved:2380"]))
        for _ in 0..<5 {
            c.tickAll()
            c.deliverAll()
        }
        guard case .members(let answer) = c.reply(update) else {
            Issue.record("MemberUpdate answered \(String(describing: c.reply(update)))")
            return
        }
        let expected = ClusterMember(id: 2, name: "self-2", peerURLs: ["http://moved:2380"],
                                     clientURLs: ["http://self-2:2379"])
        #expect(answer.members.first { $0.id == 2 } == expected)
        #expect(c.replicas[1]!.memberList().first { $0.id == 2 } == expected)
    }

    @Test("MoveLeader: only the leader moves it, and only to a voter")
    func moveLeader() {
        var c = Self.cluster()
        _ = c.request(1, .memberAdd(peerURLs: ["http://learner:2380"], learner: true))
        c.deliverAll()
        let learner = c.raft(1).conf.learners[0]
        #expect(c.ask(2, .transferLeadership(to: 3)) == .failed(.api(.notLeader)))
        #expect(c.ask(1, .transferLeadership(to: learner)) == .failed(.api(.badLeaderTransferee)))
        #expect(c.ask(1, .transferLeadership(to: 9)) == .failed(.api(.badLeaderTransferee)))
        #expect(c.ask(1, .transferLeadership(to: 1)) == .transferStarted)
        #expect(c.ask(1, .transferLeadership(to: 2)) == .transferStarted)
        c.deliverAll()
        #expect(c.leaders == [2])
    }

    @Test("the member list: ids in order, names and URLs from the contexts, this member's own from its config")
    func memberList() {
        var c = Self.cluster()
        let list = c.request(2, .memberList)
        guard case .members(let answer) = c.reply(list) else {
            Issue.record("MemberList answered \(String(describing: c.reply(list)))")
            return
        }
        #expect(answer.added == nil)
        #expect(answer.members == [
            ClusterMember(id: 1, name: "m1", peerURLs: [Self.url(1)], clientURLs: ["http://10.0.0.1:2379"]),
            ClusterMember(id: 2, name: "self-2", peerURLs: [Self.url(2)], clientURLs: ["http://self-2:2379"]),
            ClusterMember(id: 3, name: "m3", peerURLs: [Self.url(3)], clientURLs: ["http://10.0.0.3:2379"]),
        ])
        _ = c.request(1, .addMember(4, learner: true, context: MemberInfo(name: "", peerURLs: ["http://4:1"])
            .encoded()))
        c.deliverAll()
        #expect(c.replicas[3]!.memberList().last == ClusterMember(id: 4, peerURLs: ["http://4:1"], isLearner: true))
    }

    @Test("status: version, leader, commit and applied index, term, alarms, learner flag")
    func status() {
        var c = Self.cluster()
        _ = c.request(1, .write(key: "k", value: "v"))
        _ = c.request(1, .alarm(activate: true, member: 1, type: .noSpace))
        c.deliverAll()
        let asked = c.request(3, .status)
        guard case .status(let status) = c.reply(asked) else {
            Issue.record("Status answered \(String(describing: c.reply(asked)))")
            return
        }
        let replica = c.replicas[3]!
        #expect(status.version == "3.4.23")
        #expect(status.leader == 1)
        #expect(status.raftTerm == c.raft(1).term)
        #expect(status.raftIndex == replica.raft.log.committed && status.raftAppliedIndex == replica.applied)
        #expect(status.raftIndex >= status.raftAppliedIndex)
        #expect(status.dbSize == replica.backendBytes && status.dbSize > 0)
        #expect(status.errors == ["memberID:1 alarm:NOSPACE "])
        #expect(!status.isLearner)
        #expect(c.fullReply(asked)?.revision == replica.store.currentRevision)
        _ = c.request(1, .addMember(4, learner: true, context: []))
        c.deliverAll()
        c.addEmpty(4)
        c.tickAll(times: 3)
        c.deliverAll()
        guard case .status(let learner) = c.ask(4, .status) else {
            Issue.record("the learner's Status failed")
            return
        }
        #expect(learner.isLearner && learner.leader == 1 && learner.raftAppliedIndex == c.raft(1).log.applied)
    }

    @Test("Hash is the store's digest: equal on members that applied the same, different after a write")
    func hash() {
        var c = Self.cluster()
        _ = c.request(1, .write(key: "k", value: "v"))
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        let hashes = c.ids.map { id -> UInt32? in
            guard case .hash(let hash) = c.ask(id, .hash) else { return nil }
            return hash
        }
        #expect(hashes[0] != nil && Set(hashes).count == 1)
        #expect(hashes[0] == (try? c.replicas[1]!.store.hashKV())?.hash)
        _ = c.request(1, .write(key: "k", value: "w"))
        c.deliverAll()
        guard case .hash(let after) = c.ask(1, .hash) else {
            Issue.record("no hash")
            return
        }
        #expect(after != hashes[0])
    }

    @Test("Observe's leader is the oldest key under the name's prefix, by create revision, not key order")
    func observeLeader() {
        var c = Self.cluster()
        #expect(c.replicas[2]!.electionLeader(name: Array("e".utf8)) == nil)
        for key in ["e/b", "e/a", "e0", "e", "f/a"] { _ = c.request(1, .write(key: key, value: key)) }
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        let leader = c.replicas[2]!.electionLeader(name: Array("e".utf8))
        #expect(leader.map { String(decoding: $0.key, as: UTF8.self) } == "e/b")
        let watch = Replica.observeWatch(name: Array("e".utf8))
        #expect(watch.key == Array("e/".utf8) && watch.rangeEnd == Array("e0".utf8))
        _ = c.request(1, .deleteRange(DeleteRangeRequest(key: Array("e/b".utf8))))
        c.deliverAll()
        c.tickAll()
        c.deliverAll()
        #expect(c.replicas[3]!.electionLeader(name: Array("e".utf8)).map(\.value) == Array("e/a".utf8))
    }

    @Test("the snapshot file holds the applied state and the configuration, and boots a member that lists alike")
    func snapshotFile() throws {
        var c = Self.cluster()
        for n in 0..<5 { _ = c.request(1, .write(key: "k\(n)", value: "v\(n)")) }
        c.deliverAll()
        let replica = c.replicas[1]!
        let snapshot = try SnapshotCodec.decode(replica.snapshotFile())
        #expect(snapshot.meta.index == replica.applied)
        #expect(snapshot.meta.term == replica.raft.term)
        #expect(snapshot.meta.conf == replica.raft.conf)
        #expect(snapshot.data == replica.stateMachineSnapshot())
        let booted = Replica(id: 1, config: replica.config, seed: 3, boot: RaftBoot(
            hardState: HardState(term: snapshot.meta.term, commit: snapshot.meta.index), snapshot: snapshot,
            entries: []))
        #expect(booted.memberList() == replica.memberList())
        #expect(try booted.store.hashKV().hash == replica.store.hashKV().hash)
    }

    @Test("the member id MemberAdd and --initial-cluster derive is the one the daemon always derived")
    func memberIDIsStable() {
        #expect(MemberInfo.memberID(peerURLs: ["http://127.0.0.1:2380"], token: "etcd-cluster")
                == MemberID(0xCBF6_EAD2_1400_D8D6))
    }
}

extension TestCluster {
    /// Sends `operation` to member `id` and returns its answer so far.
    mutating func ask(_ id: MemberID, _ operation: Operation) -> ReplyResult? {
        let requestID = request(id, operation)
        return reply(requestID)
    }
}
