import Foundation  // Date for timings; the daemon helpers use Process.
import Testing

@testable import RealNet

/// A real daemon's answers to client PINGs (grpc-go's clients ping after every read that brought DATA). With
/// no call awaiting an answer the ACK goes at once; with one, it may wait for that answer's write. Ticks are
/// a second apart here, so an ACK left for the tick that should not have been would show.
@Suite(.serialized) struct GRPCPingTests {
    @Test("a PING is answered at once when no call awaits an answer, and no later than the answer when one does",
          .timeLimit(.minutes(1)))
    func pingAnswers() throws {
        let cluster = try KeelCluster(size: 1, extra: ["--heartbeat-interval", "1000", "--election-timeout", "5000"])
        defer { cluster.stopAll() }
        let client = try GRPCTestClient(port: cluster.members[0].clientPort)
        client.handshake()
        let pingType: UInt8 = 0x6

        // One PING only: more without a stream would be strikes under keepalive enforcement, as in grpc-go.
        let before = client.frameTypes.count
        let sent = Date()
        client.send(H2.ping(7))
        #expect(client.pump(seconds: 5) { client.frameTypes[before...].contains(pingType) })
        #expect(Date().timeIntervalSince(sent) < 0.5, "an idle connection's PING ACK waited for a tick")

        for round in 0..<20 {  // Each answer's DATA clears the strikes the next PING would add.
            let id = client.call(GRPCRobustnessTests.putPath, [GRPCProto.put("ping/\(round)", [1, 2, 3])])
            client.queue(H2.ping(UInt64(round)))
            let before = client.frameTypes.count
            let sent = Date()
            #expect(client.pump(seconds: 5) { client.streams[id]?.ended == true })
            #expect(client.streams[id]?.trailers?.first { $0.name == "grpc-status" }?.value == "0")
            // Held or not, the ACK is written no later than the answer (a held one goes in the same write).
            #expect(client.frameTypes[before...].contains(pingType), "a PING ACK held past its connection's answer")
            #expect(Date().timeIntervalSince(sent) < 0.5)
            client.streams[id] = nil
        }
    }
}
