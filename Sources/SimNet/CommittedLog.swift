import Core

/// The committed log walked in index order as the members apply it, for the checks' own replays
/// (`ReferenceStore`, `V2Checks`): the members' duplicate filter replayed (a membership change's header counts
/// too; a command appended twice is handed out once), and an index out of order (a snapshot nobody replayed)
/// stops the walk for good.
struct CommittedLog {
    private(set) var appliedIndex = LogIndex.zero
    /// Set once an entry came out of order: the checks that replay stop.
    private(set) var broken = false
    private var appliedRequests = AppliedRequests()

    /// The command in `entry`, if `entry` is the next index and this is its command's first application.
    mutating func next(_ entry: Entry) -> (header: EntryHeader, command: KVCommand)? {
        guard !broken else { return nil }
        guard entry.index == appliedIndex.next else {
            broken = true
            return nil
        }
        appliedIndex = entry.index
        if entry.kind == .confChange, entry.data.count >= EntryHeader.size {
            var reader = ByteReader(entry.data)
            if let header = try? EntryHeader.decode(&reader) { _ = appliedRequests.firstApplication(of: header) }
            return nil
        }
        guard entry.kind == .normal, !entry.data.isEmpty,
              let (header, command) = try? KVCommand.decode(entryData: entry.data),
              appliedRequests.firstApplication(of: header) else { return nil }
        return (header, command)
    }
}
