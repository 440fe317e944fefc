/// etcd's `--force-new-cluster`: a member restarts as the only member of its cluster, keeping its data.
///
/// Membership changes are appended after the member's last entry that remove every other member (promoting
/// this one first if it is a learner), and everything up to them is marked committed: a single-voter cluster
/// decides alone. The Replica applies them as it applies any change, so the state machine's member list and
/// Raft's configuration agree.
///
/// Unlike etcd, which drops the entries past its durable commit index, keel keeps the whole log: it does not
/// make a commit-only change durable (the commit index is relearned from the leader), so its durable commit
/// index may trail writes already acknowledged, and dropping the tail could lose them. Keeping it is what
/// this member would do as the leader of a one-voter cluster anyway: a leader's log is never truncated.
public enum ForceNewCluster {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// The member is not in the configuration its log records (removed, or never added).
        case notAMember(MemberID)

        public var description: String {
            switch self {
            case .notAMember(let id): "member \(hex64(id.value)) is not in the cluster its log records"
            }
        }
    }

    /// The configuration at the end of the log: the snapshot's, with every change after it that is valid.
    public static func finalConf(_ boot: RaftBoot) -> ConfState {
        var conf = boot.snapshot.meta.conf
        for entry in boot.entries where entry.kind == .confChange && entry.index > boot.snapshot.meta.index {
            guard let change = try? ConfChange.decode(entryData: entry.data), change.isValid(against: conf) else {
                continue  // Refused at apply, as the Replica refuses it.
            }
            conf = change.applied(to: conf)
        }
        return conf
    }

    /// The persist batch that makes `member` the only member: the changes after the last entry, committed.
    /// Nil when the member is already alone.
    public static func batch(_ boot: RaftBoot, member: MemberID) throws(Refusal) -> PersistBatch? {
        let conf = finalConf(boot)
        guard conf.isMember(member) else { throw .notAMember(member) }
        var changes: [ConfChange] = []
        if conf.isLearner(member) { changes.append(ConfChange(kind: .promote, member: member)) }
        for other in conf.voters + conf.learners where other != member {
            changes.append(ConfChange(kind: .remove, member: other))
        }
        guard !changes.isEmpty else { return nil }
        let last = boot.entries.last?.index ?? boot.snapshot.meta.index
        let term = boot.hardState.term
        var entries: [Entry] = []
        for (k, change) in changes.enumerated() {
            let data = change.entryData(header: EntryHeader(proposer: .none, requestID: 0))
            entries.append(Entry(term: term, index: last + UInt64(k + 1), kind: .confChange, data: data))
        }
        let hardState = HardState(term: term, vote: boot.hardState.vote, commit: entries[entries.count - 1].index)
        return PersistBatch(seq: 0, hardState: hardState, snapshot: nil, entries: entries)
    }
}
