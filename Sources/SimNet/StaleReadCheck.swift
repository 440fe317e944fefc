import Core

/// ReadIndex's promise, checked from outside: a leader answers a linearizable read only after a quorum has
/// confirmed, since the read arrived, that it still leads. Once an entry of a later term has been applied
/// anywhere, a quorum had moved past the leader's term, and every quorum shares a member with that one: no
/// confirmation can follow. So a linearizable read that reached a leader of term T after an entry of a term
/// above T was first applied, and that the leader then answered with a result, skipped the confirmation.
struct StaleReadCheck {
    /// Linearizable reads that reached a leader, by request id: when, and the leader's term then.
    var arrivals: [UInt64: (time: UInt64, term: Term)] = [:]
    /// Each time the highest term of any applied entry rose: the new term and when (ascending in both).
    var termRises: [(term: Term, time: UInt64)] = []
    var checked = 0

    static func isLinearizableRead(_ operation: Operation) -> Bool {
        switch operation {
        case .range(let r): !r.serializable
        case .txn(let t): Replica.isReadOnly(t)
        default: false
        }
    }

    mutating func arrived(_ request: ClientRequest, at leader: Replica, time: UInt64) {
        guard leader.raft.role == .leader, Self.isLinearizableRead(request.operation) else { return }
        arrivals[request.id] = (time, leader.raft.term)
    }

    mutating func applied(term: Term, at time: UInt64) {
        if term > (termRises.last?.term ?? .zero) { termRises.append((term, time)) }
    }

    /// The violation, if `reply` answers a read that reached its leader after a later term had applied.
    mutating func violation(_ reply: ClientReply) -> String? {
        guard let arrival = arrivals.removeValue(forKey: reply.id) else { return nil }
        switch reply.result {
        case .range, .txn: break
        default: return nil
        }
        checked += 1
        guard let later = termRises.last(where: { $0.time < arrival.time }), later.term > arrival.term else {
            return nil
        }
        return "the term \(arrival.term) leader answered linearizable read \(reply.id), which reached it at "
            + "\(formatTime(arrival.time)), after an entry of term \(later.term) was applied at "
            + "\(formatTime(later.time)): no quorum could have confirmed its leadership"
    }
}
