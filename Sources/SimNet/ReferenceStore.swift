import Core

/// The committed history replayed into one reference KVStore, in log order, as entries are first applied
/// anywhere. Answers "what should a member have said at revision R" for ranges and watches.
/// It never compacts, so every revision stays readable.
struct ReferenceStore {
    var store = KVStore()
    /// Every event in revision order, with the virtual time its entry was first applied.
    var events: [(event: KVEvent, time: UInt64)] = []
    /// First-applied index of each revoke of a lease, by lease id, with its time.
    var revokedAt: [Int64: UInt64] = [:]
    var grantedTTL: [Int64: Int64] = [:]
    /// The log index of each lease's grant.
    var grantedIndex: [Int64: LogIndex] = [:]
    /// Highest compaction committed.
    var compactRevision = Revision.zero
    /// The committed log as replayed here (in order, duplicates filtered as the members filter them).
    var log = CommittedLog()
    var appliedIndex: LogIndex { log.appliedIndex }
    /// Set if an entry could not be replayed in order (the checks that use the reference stop).
    var broken: Bool { log.broken }
    var eventsChecked = 0
    /// The independent model replaying the same entries; set when its events and `store`'s differ.
    var model = ModelStore()
    var disagreement: String?
    var entriesCrossChecked = 0

    /// Replays one committed entry. - Returns: the lease it revoked, if it revoked one.
    mutating func apply(_ entry: Entry, time: UInt64) -> LeaseID? {
        guard let (_, command) = log.next(entry) else { return nil }
        var revoked: LeaseID?
        var produced: [KVEvent] = []
        var granted: LeaseID?
        switch command {
        case .put(let r): produced = (try? store.put(r))?.events ?? []
        case .deleteRange(let r): produced = (try? store.deleteRange(r))?.events ?? []
        case .txn(let r): produced = (try? store.txn(r))?.events ?? []
        case .compact(let r):
            if r.revision > compactRevision && r.revision <= store.currentRevision { compactRevision = r.revision }
        case .leaseGrant(let r):
            if let response = try? store.leaseGrant(r) {
                grantedTTL[response.id.value] = response.ttlSeconds
                grantedIndex[response.id.value] = entry.index
                granted = response.id
            }
        case .leaseRevoke(let id):
            if let result = try? store.leaseRevoke(id) {
                produced = result.events
                revokedAt[id.value] = time
                revoked = id
            }
        case .memberAttributes, .memberPeerURLs, .alarm, .auth, .v2:
            break
        }
        for event in produced { events.append((event, time)) }
        crossCheck(command, produced: produced, granted: granted, index: entry.index)
        return revoked
    }

    /// Index of the first event with a revision above `revision`.
    func firstEvent(after revision: Revision) -> Int {
        var low = 0
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].event.kv.modRevision <= revision { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension ReferenceStore {
    /// Replays `command` in the independent model and compares its events with the store's: type, key and
    /// revisions of each, and a put's value, version and lease.
    mutating func crossCheck(_ command: KVCommand, produced: [KVEvent], granted: LeaseID?, index: LogIndex) {
        guard disagreement == nil else { return }
        let expected = model.apply(command, grantedLease: granted)
        entriesCrossChecked += 1
        func shape(_ e: KVEvent) -> String {
            e.type == .delete ? "DELETE \(e.kv.key) @\(e.kv.modRevision)"
                : "PUT \(e.kv.key)=\(e.kv.value) c\(e.kv.createRevision) m\(e.kv.modRevision) v\(e.kv.version) "
                  + "l\(e.kv.lease.value)"
        }
        let ours = produced.map(shape), theirs = expected.map(shape)
        if ours != theirs || store.currentRevision.value != model.revision {
            disagreement = "entry \(index) (\(command)): the store made \(ours) at revision \(store.currentRevision), "
                + "the independent model \(theirs) at revision \(model.revision)"
        }
    }
}
