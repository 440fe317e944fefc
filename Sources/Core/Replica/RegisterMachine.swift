/// A command in a normal log entry, after its `EntryHeader`.
public enum RegisterCommand: Equatable, Sendable {
    case write(key: String, value: String)
    case cas(key: String, expected: String, new: String)
    case delete(key: String)

    public func entryData(header: EntryHeader) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        header.encode(into: &writer)
        switch self {
        case .write(let key, let value):
            writer.u8(1)
            writer.string(key)
            writer.string(value)
        case .cas(let key, let expected, let new):
            writer.u8(2)
            writer.string(key)
            writer.string(expected)
            writer.string(new)
        case .delete(let key):
            writer.u8(3)
            writer.string(key)
        }
        return writer.bytes
    }

    public static func decode(entryData: [UInt8]) throws(DecodeError) -> (EntryHeader, RegisterCommand) {
        var reader = ByteReader(entryData)
        let header = try EntryHeader.decode(&reader)
        let tag = try reader.u8()
        let command: RegisterCommand
        switch tag {
        case 1: command = .write(key: try reader.string(), value: try reader.string())
        case 2: command = .cas(key: try reader.string(), expected: try reader.string(), new: try reader.string())
        case 3: command = .delete(key: try reader.string())
        default: throw .badTag(offset: EntryHeader.size, tag: tag)
        }
        return (header, command)
    }
}

/// The minimal replicated state machine of the consensus issue: a map of string registers.
///
/// `digest` is an order-independent hash of the contents (a wrapping sum of per-pair FNV-1a hashes),
/// updated on every change, so members' states can be compared cheaply at equal applied indexes.
public struct RegisterMachine: Sendable, Equatable {
    private var values: [String: String] = [:]
    public private(set) var digest: UInt64 = 0

    public init() {}

    public var count: Int { values.count }

    public func read(_ key: String) -> String? { values[key] }

    /// Applies a command. - Returns: for a cas, whether it succeeded; otherwise true.
    public mutating func apply(_ command: RegisterCommand) -> Bool {
        switch command {
        case .write(let key, let value):
            set(key, value)
            return true
        case .cas(let key, let expected, let new):
            guard values[key] == expected else { return false }
            set(key, new)
            return true
        case .delete(let key):
            set(key, nil)
            return true
        }
    }

    private mutating func set(_ key: String, _ value: String?) {
        if let old = values[key] { digest &-= RegisterMachine.pairHash(key, old) }
        values[key] = value
        if let value { digest &+= RegisterMachine.pairHash(key, value) }
    }

    static func pairHash(_ key: String, _ value: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        hash = (hash ^ 0xFF) &* 0x100_0000_01B3
        for byte in value.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// Serializes the map in key order, so equal states give equal bytes.
    public func serialized() -> [UInt8] {
        var writer = ByteWriter(capacity: values.count * 32 + 8)
        writer.u32(UInt32(values.count))
        for key in values.keys.sorted() {
            writer.string(key)
            writer.string(values[key]!)
        }
        return writer.bytes
    }

    public static func deserialize(_ bytes: [UInt8]) throws(DecodeError) -> RegisterMachine {
        var machine = RegisterMachine()
        if bytes.isEmpty { return machine }
        var reader = ByteReader(bytes)
        let count = try reader.count(itemBytesMin: 8)
        for _ in 0..<count {
            let key = try reader.string()
            machine.set(key, try reader.string())
        }
        return machine
    }
}
