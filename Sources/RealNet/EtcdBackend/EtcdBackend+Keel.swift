import Core
import Glibc

/// Converting between etcd's backend and keel's replicated state, both ways, on keel's public Core types.
extension EtcdBackend {
    /// keel's state-machine state holding this backend's keys (every revision etcd kept since its compaction),
    /// leases, users and roles. The membership is left empty (`DataDir.restore` builds a new cluster's) and
    /// alarms are dropped (they name the old cluster's members). As etcd does on start, a compaction that was
    /// scheduled but not finished is completed: the compact revision is the later of the two.
    public func keelState() throws(EtcdBackendError) -> StateMachineState {
        let compact = max(finishedCompactRevision, scheduledCompactRevision)
        // The records' positions by key, then position (each key's records stay in revision order), grouped below.
        let names = records.map(\.kv.key)
        let order = names.indices.sorted {
            let order = Self.compare(names[$0], names[$1])
            return order != 0 ? order < 0 : $0 < $1
        }
        var keys: [KVStore.ImportedKey] = []
        var previous: (main: Int64, sub: Int64)? = nil
        for record in records {
            if let previous, (previous.main, previous.sub) >= (record.main, record.sub) {
                throw .inconsistent("key bucket revisions out of order at \(record.main).\(record.sub)")
            }
            previous = (record.main, record.sub)
        }
        var start = 0
        while start < order.count {
            let name = names[order[start]]
            var end = start + 1
            while end < order.count && names[order[end]] == name { end += 1 }
            let history = Self.compacted(order[start..<end].map { records[$0] }, at: compact)
            start = end
            if history.isEmpty { continue }
            let keyRecords = history.map { record in
                KeyRecord(revision: FullRevision(main: Revision(record.main), sub: Int32(record.sub)),
                          kv: record.isTombstone ? nil : record.kv)
            }
            keys.append(KVStore.ImportedKey(key: name, records: keyRecords))
        }
        let current = max(lastRevision, compact, 1)
        let store: KVStore
        let auth: AuthStore
        do {
            store = try KVStore.imported(currentRevision: Revision(current), compactRevision: Revision(compact),
                                         leases: leases.map { (LeaseID($0.id), $0.ttlSeconds) }, keys: keys)
        } catch {
            throw .inconsistent("the key history does not make a keel store: \(error)")
        }
        do {
            auth = try AuthStore.imported(users: users, roles: roles, isEnabled: authEnabled,
                                          revision: max(authRevision, 1))
        } catch {
            throw .inconsistent("users and roles do not make a keel auth store: \(error)")
        }
        return StateMachineState(clusterID: 0, memberContexts: [], store: store, auth: auth)
    }

    /// Byte-wise order of two keys (negative, 0 or positive, as `lexicographicallyPrecedes` orders them), by
    /// `memcmp`: a million-key restore sorts its keys with this.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let common = min(a.count, b.count)
        let order = common == 0 ? 0 : a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in memcmp(pa.baseAddress!, pb.baseAddress!, common) }
        }
        return order != 0 ? Int(order) : a.count - b.count
    }

    /// A key's records (in revision order) as etcd keeps them after compacting at `compact`: of those at or
    /// before it only the last survives, and not when it is a tombstone older than `compact`.
    static func compacted(_ history: [EtcdRevisionRecord], at compact: Int64) -> [EtcdRevisionRecord] {
        guard let last = history.lastIndex(where: { $0.main <= compact }) else { return history }
        var kept = Array(history[last...])
        if kept[0].isTombstone && kept[0].main < compact { kept.removeFirst() }
        return kept
    }

    /// The backend etcd would hold for keel's `state`: every key's history since the compact revision, the
    /// leases, users, roles, alarms and members; `consistentIndex` is the Raft index the state was applied
    /// through.
    public init(keel state: StateMachineState, consistentIndex: UInt64) {
        self.init()
        self.consistentIndex = consistentIndex
        state.store.forEachKeyIndex { keyIndex in
            for record in keyIndex.records {
                records.append(EtcdRevisionRecord(main: record.revision.main.value, sub: Int64(record.revision.sub),
                                                  isTombstone: record.isTombstone,
                                                  kv: record.kv ?? KeyValue(key: keyIndex.key)))
            }
        }
        records.sort { ($0.main, $0.sub) < ($1.main, $1.sub) }
        let compact = state.store.compactRevision.value
        finishedCompactRevision = compact
        scheduledCompactRevision = compact
        leases = state.store.lessor.ids.compactMap { id in
            state.store.lessor.lease(id).map { EtcdLease(id: id.value, ttlSeconds: $0.ttlSeconds) }
        }
        authEnabled = state.auth.isEnabled
        authRevision = state.auth.revision
        users = state.auth.users
        roles = state.auth.roles
        alarms = state.alarms
        members = state.memberContexts.sorted { $0.id < $1.id }.map { member in
            BoltPair(key: Array(String(member.id.value, radix: 16).utf8),
                     value: Self.memberJSON(id: member.id.value, MemberInfo.decode(member.context)))
        }
    }

    /// etcd's `membership.Member` as `json.Marshal` writes it: id, peerURLs, then name and clientURLs when set.
    static func memberJSON(id: UInt64, _ info: MemberInfo) -> [UInt8] {
        func quoted(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "<", ">", "&": out += "\\u00" + String(scalar.value, radix: 16)
                case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 16 ? "0" : "")
                    + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ",") + "]" }
        var json = "{\"id\":\(id),\"peerURLs\":\(info.peerURLs.isEmpty ? "null" : list(info.peerURLs))"
        if !info.name.isEmpty { json += ",\"name\":\(quoted(info.name))" }
        if !info.clientURLs.isEmpty { json += ",\"clientURLs\":\(list(info.clientURLs))" }
        return Array((json + "}").utf8)
    }
}
