/// A single-member membership change, carried in a `.confChange` log entry and applied by every member
/// when it applies that entry (etcd's approach; one change in flight at a time, thesis §4.1).
public struct ConfChange: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case addVoter = 1
        case addLearner = 2
        case remove = 3
        case promote = 4
    }

    public var kind: Kind
    public var member: MemberID
    /// Opaque to Raft: the member's name and URLs, for the membership list.
    public var context: [UInt8]

    public init(kind: Kind, member: MemberID, context: [UInt8] = []) {
        self.kind = kind
        self.member = member
        self.context = context
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + context.count)
        writer.u8(kind.rawValue)
        writer.u64(member.value)
        writer.blob(context)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> ConfChange {
        var reader = ByteReader(bytes)
        let tag = try reader.u8()
        guard let kind = Kind(rawValue: tag) else { throw .badTag(offset: 0, tag: tag) }
        let member = MemberID(try reader.u64())
        let context = try reader.blob()
        return ConfChange(kind: kind, member: member, context: context)
    }

    /// Whether this change makes sense against `conf` (checked at proposal and again at apply).
    public func isValid(against conf: ConfState) -> Bool {
        if member.isNone || conf.isRemoved(member) { return false }
        switch kind {
        case .addVoter: return !conf.isVoter(member)
        case .addLearner: return !conf.isMember(member)
        case .remove: return conf.isMember(member) && !(conf.voters == [member])
        case .promote: return conf.isLearner(member)
        }
    }

    /// `conf` after this change. - Precondition: `isValid(against: conf)`.
    public func applied(to conf: ConfState) -> ConfState {
        invariant(isValid(against: conf), "applying invalid conf change \(kind) \(member)")
        var voters = conf.voters
        var learners = conf.learners
        var removed = conf.removed
        switch kind {
        case .addVoter, .promote:
            learners.removeAll { $0 == member }
            voters.append(member)
        case .addLearner:
            learners.append(member)
        case .remove:
            voters.removeAll { $0 == member }
            learners.removeAll { $0 == member }
            removed.append(member)
        }
        let result = ConfState(voters: voters, learners: learners, removed: removed)
        result.checkInvariants()
        return result
    }
}

extension ConfChange {
    /// Entry data of a membership change: the proposer header (see `EntryHeader`) then the change.
    public func entryData(header: EntryHeader) -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + context.count)
        header.encode(into: &writer)
        writer.bytes.append(contentsOf: encoded())
        return writer.bytes
    }

    /// Decodes a `.confChange` entry's data.
    public static func decode(entryData: [UInt8]) throws(DecodeError) -> ConfChange {
        guard entryData.count >= EntryHeader.size else { throw .truncated(offset: 0, needed: EntryHeader.size) }
        return try decode(Array(entryData[EntryHeader.size...]))
    }
}

/// The first bytes of every non-empty entry: who proposed it and the proposal's id, so the member that
/// holds the client's request answers it when the entry is applied (etcd does the same with request ids).
public struct EntryHeader: Equatable, Sendable {
    public static let size = 16
    public var proposer: MemberID
    public var requestID: UInt64

    public init(proposer: MemberID, requestID: UInt64) {
        self.proposer = proposer
        self.requestID = requestID
    }

    public func encode(into writer: inout ByteWriter) {
        writer.u64(proposer.value)
        writer.u64(requestID)
    }

    public static func decode(_ reader: inout ByteReader) throws(DecodeError) -> EntryHeader {
        EntryHeader(proposer: MemberID(try reader.u64()), requestID: try reader.u64())
    }
}
