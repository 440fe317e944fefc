extension StateMachineState {
    /// A state built from parts (an imported etcd backend): no applied-request window yet (a fresh one of
    /// `requestWindow` entries), the given store, auth store, alarms and membership.
    public init(clusterID: UInt64, memberContexts: [(id: MemberID, context: [UInt8])], alarms: [Alarm] = [],
                store: KVStore, auth: AuthStore, requestWindow: Int = 16_384) {
        invariant(requestWindow > 0, "the applied-request window needs room")
        self.init(clusterID: clusterID, memberContexts: memberContexts,
                  appliedRequests: AppliedRequests(capacity: requestWindow), alarms: alarms, store: store, auth: auth)
    }
}

extension StateMachineState {
    /// Reads `serialized()` bytes (versions 3 to 5) back into a state: a Replica installing a snapshot, and
    /// tools that convert one (the etcd-format Snapshot stream, `keelctl snapshot status`).
    /// - Throws: `DecodeError` for truncated, corrupt or inconsistent bytes.
    public static func decode(_ bytes: [UInt8], store config: KVStore.Config = KVStore.Config(),
                              requestWindow: Int = AppliedRequests().capacity) throws(DecodeError) -> StateMachineState
    {
        var reader = ByteReader(bytes)
        let version = try reader.u8()
        guard versionsReadable.contains(version) else {
            throw .badValue(offset: 0, what: "state machine snapshot version \(version)")
        }
        let clusterID = try reader.u64()
        var members: [(id: MemberID, context: [UInt8])] = []
        for _ in 0..<(try reader.count(itemBytesMin: 12)) {
            members.append((MemberID(try reader.u64()), try reader.blob()))
        }
        let applied = try AppliedRequests.decode(&reader, capacity: requestWindow)
        var alarms: [Alarm] = []
        for _ in 0..<(try reader.count(itemBytesMin: 9)) {
            let member = MemberID(try reader.u64())
            let at = reader.offset
            guard let type = AlarmKind(rawValue: try reader.u8()) else { throw .badValue(offset: at, what: "alarm") }
            alarms.append(Alarm(member: member, type: type))
        }
        let store = try KVStore.restore(from: try reader.blob(), config: config)
        let auth = version >= 4 ? try AuthStore.decode(&reader) : AuthStore()
        let v2 = version >= 5 ? try V2Store.decode(from: &reader) : V2Store()
        guard reader.isAtEnd else { throw .badValue(offset: reader.offset, what: "trailing snapshot bytes") }
        return StateMachineState(clusterID: clusterID, memberContexts: members, appliedRequests: applied,
                                 alarms: alarms, store: store, auth: auth, v2: v2)
    }
}
