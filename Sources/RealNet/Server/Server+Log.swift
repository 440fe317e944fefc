import Core

/// What the log last said about the member's Raft state, the membership and compaction: the events etcd logs
/// are found by comparing the Replica's state after each step with this (the log observes; it decides nothing).
struct LoggedState {
    var role = Role.follower
    var term = Term(0)
    /// Members by id with their peer URLs, and which of them are learners.
    var members: [(id: MemberID, peerURLs: [String])] = []
    /// The member contexts `members` was decoded from.
    var contexts: [(id: MemberID, context: [UInt8])] = []
    var learners: [MemberID] = []
    var compactRevision = Revision.zero
    var started = false
}

extension Server {
    func log(_ event: LogEvent) { emit(event) }

    var memberIDText: String { Server.idText(identity.id) }

    /// etcd's `types.ID` in logs: lower-case hex without leading zeros (Go's `%x`).
    public static func idText(_ id: MemberID) -> String { String(id.value, radix: 16) }
    var clusterIDText: String { String(replica.clusterID, radix: 16) }

    /// Logs what changed since the last step: Raft role and term (etcd's raft package lines), members added,
    /// removed or promoted (etcd's membership lines), and a compaction applied (mvcc's).
    func logStateChanges() {
        let raft = replica.raft
        if !logged.started {
            logged.started = true
            logged.role = raft.role
            logged.term = raft.term
            logged.contexts = replica.memberContexts
            logged.members = currentMembers()
            logged.learners = raft.conf.learners
            logged.compactRevision = replica.store.compactRevision
            for member in logged.members {
                log(LogEvent(.info, "membership", "recovered/added member from store",
                             ["cluster-id": .string(clusterIDText), "local-member-id": .string(memberIDText),
                              "recovered-remote-peer-id": .string(Server.idText(member.id)),
                              "recovered-remote-peer-urls": .strings(member.peerURLs)],
                             text: "added member \(Server.idText(member.id)) \(goList(member.peerURLs)) to cluster "
                                + "\(clusterIDText) from store"))
            }
            log(LogEvent(.info, "raft", "\(memberIDText) became follower at term \(raft.term)"))
            return
        }
        if raft.role != logged.role || raft.term != logged.term {
            let term = raft.term
            switch raft.role {
            case .follower:
                log(LogEvent(.info, "raft", "\(memberIDText) became follower at term \(term)"))
            case .preCandidate:
                log(LogEvent(.info, "raft", "\(memberIDText) is starting a new election at term \(logged.term)"))
                log(LogEvent(.info, "raft", "\(memberIDText) became pre-candidate at term \(term)"))
            case .candidate:
                if logged.role != .preCandidate {
                    log(LogEvent(.info, "raft", "\(memberIDText) is starting a new election at term \(logged.term)"))
                }
                log(LogEvent(.info, "raft", "\(memberIDText) became candidate at term \(term)"))
            case .leader:
                log(LogEvent(.info, "raft", "\(memberIDText) became leader at term \(term)"))
            }
            logged.role = raft.role
            logged.term = term
        }
        // Called after every step: the contexts are compared as bytes, and decoded only when they changed.
        if !replica.memberContexts.elementsEqual(logged.contexts, by: { $0.id == $1.id && $0.context == $1.context }) {
            logged.contexts = replica.memberContexts
            let members = currentMembers()
            if !members.elementsEqual(logged.members, by: { $0.id == $1.id && $0.peerURLs == $1.peerURLs }) {
                logMembershipChanges(from: logged.members, to: members)
                logged.members = members
            }
        }
        if raft.conf.learners != logged.learners {
            for id in logged.learners where !raft.conf.learners.contains(id) && raft.conf.voters.contains(id) {
                log(LogEvent(.info, "membership", "promote member",
                             ["cluster-id": .string(clusterIDText), "local-member-id": .string(memberIDText)],
                             text: "promote member \(Server.idText(id)) in cluster \(clusterIDText)"))
            }
            logged.learners = raft.conf.learners
        }
        let compacted = replica.store.compactRevision
        if compacted > logged.compactRevision {
            log(LogEvent(.info, "mvcc", "finished scheduled compaction", ["compact-revision": .number(compacted.value)],
                         text: "finished scheduled compaction at \(compacted.value)"))
            logged.compactRevision = compacted
        }
    }

    /// The members the Replica knows, with the peer URLs their contexts give, sorted by id.
    private func currentMembers() -> [(id: MemberID, peerURLs: [String])] {
        replica.memberContexts.map { (id: $0.id, peerURLs: MemberInfo.decode($0.context).peerURLs) }
    }

    private func logMembershipChanges(from old: [(id: MemberID, peerURLs: [String])],
                                      to new: [(id: MemberID, peerURLs: [String])]) {
        let cluster = clusterIDText
        for member in new {
            let id = Server.idText(member.id)
            if let before = old.first(where: { $0.id == member.id }) {
                guard before.peerURLs != member.peerURLs else { continue }
                log(LogEvent(.info, "membership", "updated member",
                             ["cluster-id": .string(cluster), "local-member-id": .string(memberIDText),
                              "updated-remote-peer-id": .string(id),
                              "updated-remote-peer-urls": .strings(member.peerURLs)],
                             text: "updated member \(id) \(goList(member.peerURLs)) in cluster \(cluster)"))
            } else {
                log(LogEvent(.info, "membership", "added member",
                             ["cluster-id": .string(cluster), "local-member-id": .string(memberIDText),
                              "added-peer-id": .string(id), "added-peer-peer-urls": .strings(member.peerURLs)],
                             text: "added member \(id) \(goList(member.peerURLs)) to cluster \(cluster)"))
            }
        }
        for member in old where !new.contains(where: { $0.id == member.id }) {
            let id = Server.idText(member.id)
            log(LogEvent(.info, "membership", "removed member",
                         ["cluster-id": .string(cluster), "local-member-id": .string(memberIDText),
                          "removed-remote-peer-id": .string(id), "removed-remote-peer-urls": .strings(member.peerURLs)],
                         text: "removed member \(id) from cluster \(cluster)"))
        }
    }

    /// Go's `%v` of a string slice: `[a b]`.
    private func goList(_ list: [String]) -> String { "[" + list.joined(separator: " ") + "]" }

    /// etcd's raft.node lines for a new leader, or for losing one.
    func logLeaderChange(from old: MemberID, to new: MemberID) {
        let term = replica.raft.term
        if !new.isNone {
            log(LogEvent(.info, "raft",
                         "raft.node: \(memberIDText) elected leader \(Server.idText(new)) at term \(term)"))
        } else {
            log(LogEvent(.info, "raft", "raft.node: \(memberIDText) lost leader \(Server.idText(old)) at term \(term)"))
        }
    }

    /// The first time a leader is known: etcd's "ready to serve" lines, one per client listener.
    func logServing() {
        log(LogEvent(.info, "embed", "ready to serve client requests"))
        for url in config.listenClientURLs {
            let address = HostPort(url: url)?.description ?? url
            if url.hasPrefix("https://") {
                log(LogEvent(.info, "embed", "serving client traffic securely", ["address": .string(address)],
                             text: "serving client requests on \(address)"))
            } else {
                log(LogEvent(.info, "embed", "serving client traffic insecurely; this is strongly discouraged!",
                             ["address": .string(address)],
                             text: "serving insecure client requests on \(address), this is strongly discouraged!"))
            }
        }
    }

    /// A snapshot from the leader replaced this member's log and state.
    func logInstalled(_ meta: SnapshotMeta) {
        log(LogEvent(.info, "etcdserver", "applied snapshot",
                     ["current-applied-index": .number(replica.applied.value),
                      "incoming-leader-snapshot-index": .number(meta.index.value),
                      "incoming-leader-snapshot-term": .number(meta.term.value)],
                     text: "installed a snapshot at index \(meta.index) from the leader"))
    }

    /// The Replica asked for a snapshot of its state at `index`.
    func logSnapshotTriggered(at index: LogIndex) {
        log(LogEvent(.info, "etcdserver", "triggering snapshot",
                     ["local-member-id": .string(memberIDText),
                      "local-member-applied-index": .number(replica.applied.value),
                      "local-member-snapshot-index": .number(replica.raft.snapshot.meta.index.value),
                      "local-member-snapshot-count": .number(config.snapshotCount)],
                     text: "taking a snapshot at index \(index)"))
    }
}
