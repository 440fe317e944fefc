/// etcd's publish: a member puts its name and client URLs into the membership through the log, so every
/// member lists them (and counts it as started, `reconfigQuorumError`). Decided here, on ticks, so the
/// simulator's members publish exactly as the daemon's do.
extension Replica {
    /// Ticks between attempts while the member's entry still differs from what it would publish (etcd retries
    /// its publish request until it applies).
    static let publishRetryTicks: UInt64 = 50

    /// Proposes this member's attributes when a leader is known and the membership does not show them yet;
    /// again every `publishRetryTicks` until it does. Nobody waits for the answer.
    mutating func publishAttributesIfNeeded() {
        guard !raft.leader.isNone, !raft.isRemoved, ticks >= publishRetryTick,
              !config.memberName.isEmpty || !config.memberClientURLs.isEmpty,
              let current = memberContexts.first(where: { $0.id == id }) else { return }
        publishRetryTick = ticks + Replica.publishRetryTicks  // Looked at (decoded) once per period, not per tick.
        let info = MemberInfo.decode(current.context)
        let wanted = MemberInfo(name: config.memberName, peerURLs: info.peerURLs, clientURLs: config.memberClientURLs)
        guard wanted != info else { return }
        let requestID = nextRequestID()
        let data = KVCommand.memberAttributes(id, context: wanted.encoded())
            .entryData(header: EntryHeader(proposer: id, requestID: requestID), principal: .system)
        _ = raft.propose(kind: .normal, data: data, context: requestID)
    }
}
