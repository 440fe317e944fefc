extension Replica {
    /// The state-machine snapshot `bytes` (the format of `stateMachineSnapshot()`) with its membership replaced by
    /// `members` and its cluster id derived from them, for `keelctl snapshot restore` (etcd's restore likewise
    /// builds a new cluster's membership around the old data). Request window, alarms, store and auth are kept.
    /// - Returns: the rewritten bytes, which `restoreStateMachine` accepts.
    public static func restoredStateMachine(_ bytes: [UInt8], members: [(id: MemberID, context: [UInt8])])
        throws(DecodeError) -> [UInt8] {
        invariant(!members.isEmpty, "a restored cluster needs a member")
        var reader = ByteReader(bytes)
        let version = try reader.u8()
        guard StateMachineState.versionsReadable.contains(version) else {
            throw .badValue(offset: 0, what: "state machine snapshot version \(version)")
        }
        _ = try reader.u64()
        for _ in 0..<(try reader.count(itemBytesMin: 12)) {
            _ = try reader.u64()
            _ = try reader.blob()
        }
        let sorted = members.sorted { $0.id < $1.id }
        var writer = ByteWriter(capacity: bytes.count + 256)
        writer.u8(version)  // The tail (window, alarms, store, auth) keeps its version's layout.
        writer.u64(clusterID(sorted))
        writer.u32(UInt32(sorted.count))
        for member in sorted {
            writer.u64(member.id.value)
            writer.blob(member.context)
        }
        let tail = bytes[reader.offset...]
        writer.bytes.append(contentsOf: tail)
        invariant(writer.bytes.count >= tail.count + 13, "rewritten snapshot holds the old tail")
        return writer.bytes
    }
}
