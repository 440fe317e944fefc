import Core
import RealNet
import SimNet

/// Every decoder that reads bytes from outside, as one fuzz target each: a function that must return
/// (accepting or refusing the input) whatever the input, never trap, hang or allocate without bound.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// HTTP/2 frames after the client preface, answered as the gRPC layer answers requests.
    case http2
    /// HPACK header blocks, several in a row through one dynamic table.
    case hpack
    /// gRPC length-prefixed messages split across DATA frames.
    case grpcFraming = "grpc-framing"
    /// Protobuf request messages of every etcd method, and the watch, keep-alive and health messages.
    case protobuf
    /// What keelctl reads from a server: HTTP/2 frames after its preface, on three open streams.
    case http2Client = "http2-client"
    /// Protobuf response messages of every etcd method keelctl decodes, watch responses and snapshot chunks.
    case protobufResponse = "protobuf-response"
    /// HTTP/1.1 requests, pipelined.
    case http1
    /// The JSON gateway's request bodies for every endpoint, and the watch and keep-alive stream bodies.
    case json
    /// Raft messages between members (the peer frame codec).
    case peer
    /// A WAL segment on recovery (raw, and re-framed with valid checksums so the records' payloads are reached).
    case wal
    /// Snapshot files on recovery, and the state machine inside them.
    case snapshot
    /// Raft entry payloads as the Replica decodes them on apply.
    case entry
    /// etcd's snapshot files (bbolt databases) as `keelctl snapshot status` and `restore` read them.
    case etcdSnapshot = "etcd-snapshot"

    /// Runs the target over one input.
    public func run(_ input: [UInt8]) {
        switch self {
        case .http2: WireTargets.http2(input)
        case .hpack: WireTargets.hpack(input)
        case .grpcFraming: WireTargets.grpcFraming(input)
        case .protobuf: WireTargets.protobuf(input)
        case .http2Client: ClientTargets.http2(input)
        case .protobufResponse: ClientTargets.protobufResponse(input)
        case .http1: WireTargets.http1(input)
        case .json: WireTargets.json(input)
        case .peer: StorageTargets.peer(input)
        case .wal: StorageTargets.wal(input)
        case .snapshot: StorageTargets.snapshot(input)
        case .entry: StorageTargets.entry(input)
        case .etcdSnapshot: EtcdSnapshotTargets.etcdSnapshot(input)
        }
    }
}

/// Splits an input into chunks at points its own bytes choose, so one input also fuzzes how reads are cut.
struct Chunker {
    /// `input` minus its first byte, cut into up to 1 + first byte % 4 pieces.
    static func split(_ input: [UInt8]) -> [[UInt8]] {
        guard let first = input.first else { return [] }
        let body = Array(input.dropFirst())
        let pieces = 1 + Int(first % 4)
        guard pieces > 1, body.count > 1 else { return [body] }
        var cuts: [Int] = []
        var state = UInt64(first) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(body.count)
        for _ in 1..<pieces {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            cuts.append(Int(state >> 33) % body.count)
        }
        cuts.sort()
        var result: [[UInt8]] = []
        var start = 0
        for cut in cuts where cut > start {
            result.append(Array(body[start..<cut]))
            start = cut
        }
        result.append(Array(body[start...]))
        return result
    }
}
