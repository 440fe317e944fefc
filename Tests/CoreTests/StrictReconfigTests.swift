import Core
import Testing

/// etcd's --strict-reconfig-check (on by default) and the publish that makes a member count as started.
@Suite struct StrictReconfigTests {
    /// Three members bootstrapped without names (none started but the member asked), configured to publish
    /// `names` (empty: they never publish).
    static func cluster(strict: Bool = true, publish: Bool = false) -> TestCluster {
        var config = TestCluster.defaultConfig
        config.strictReconfigCheck = strict
        var c = TestCluster(members: [1, 2, 3], config: config, context: { id in
            MemberInfo(name: "", peerURLs: ["http://10.0.0.\(id):2380"]).encoded()
        }, configure: { id, config in
            if publish {
                config.memberName = "m\(id)"
                config.memberClientURLs = ["http://10.0.0.\(id):2379"]
            }
        })
        c.elect(1)
        return c
    }

    @Test("with too few started voters, adding, removing or promoting a voter is refused where it arrives")
    func refusedWithoutStartedQuorum() {
        var c = Self.cluster()
        let refused = ReplyResult.failed(.api(.notEnoughStartedMembers))
        #expect(c.ask(1, .addMember(9, learner: false, context: MemberInfo(name: "", peerURLs: ["http://x:1"])
            .encoded())) == refused)
        #expect(c.ask(2, .removeMember(3)) == refused)
        // A learner is not counted: adding one is allowed, promoting it is not.
        let learner = c.request(1, .addMember(8, learner: true, context: MemberInfo(name: "", peerURLs: ["http://y:1"])
            .encoded()))
        c.deliverAll()
        guard case .members = c.reply(learner) else {
            Issue.record("learner add answered \(String(describing: c.reply(learner)))")
            return
        }
        #expect(c.ask(1, .promoteMember(8)) == refused)
        #expect(c.raft(1).conf.voters == [1, 2, 3] && c.raft(1).conf.learners == [8])
        #expect(APIError.notEnoughStartedMembers.message
                == "etcdserver: re-configuration failed due to not enough started members")
        #expect(APIError.notEnoughStartedMembers.code == .failedPrecondition)
    }

    @Test("--strict-reconfig-check=false lets the same changes through")
    func notStrict() {
        var c = Self.cluster(strict: false)
        let remove = c.request(2, .removeMember(3))
        c.deliverAll()
        guard case .members(let answer) = c.reply(remove) else {
            Issue.record("remove answered \(String(describing: c.reply(remove)))")
            return
        }
        #expect(answer.members.map(\.id) == [1, 2])
    }

    @Test("members publish their names through the log once a leader is known; then the changes are allowed")
    func publishedMembersCountAsStarted() {
        var c = Self.cluster(publish: true)
        for _ in 0..<3 {
            c.tickAll()
            c.deliverAll()
        }
        for member in [1, 2, 3] as [MemberID] {
            let list = c.replicas[1]!.memberContexts.first { $0.id == member }.map { MemberInfo.decode($0.context) }
            #expect(list == MemberInfo(name: "m\(member)", peerURLs: ["http://10.0.0.\(member):2380"],
                                       clientURLs: ["http://10.0.0.\(member):2379"]))
        }
        // Published once: no more proposals while the membership shows them.
        let applied = c.replicas[1]!.applied
        for _ in 0..<120 {
            c.tickAll()
            c.deliverAll()
        }
        #expect(c.replicas[1]!.applied == applied)
        let remove = c.request(2, .removeMember(3))
        c.deliverAll()
        guard case .members(let answer) = c.reply(remove) else {
            Issue.record("remove answered \(String(describing: c.reply(remove)))")
            return
        }
        #expect(answer.members.map(\.id) == [1, 2])
    }
}
