import Core
import RealNet

extension WatchStream {
    /// One gRPC connection: a Watch call created from the next revision, its responses read until the
    /// connection breaks or the server ends the call. A read that waits a second for nothing (an idle or
    /// paused member) cancels the call (the client cancels at its deadline); a new call then picks up from
    /// the last revision seen + 1 on the same connection, so a stop is noticed within a second.
    func grpcStream() {
        guard let connection = try? GRPCClientConnection(host: "127.0.0.1", port: port, dialMilliseconds: 300,
                                                         userAgent: "keelsim-jepsen", tls: JepsenTLS.grpc)
        else { return }
        defer { connection.close() }
        var fresh = true
        while !isStopped {
            let create = WatchCreateRequest(key: Array(JepsenClient.keyPrefix.utf8), rangeEnd: Array("jepsen0".utf8),
                                            startRevision: Revision(Int64(lastRevision + 1)))
            let call: GRPCCallID
            do {
                call = try connection.startCall(GatewayEndpoint.watch.grpcMethod, deadline: nil)
                // The request side stays open, as etcd's clients keep it.
                try connection.send(ProtobufRequestEncoder.encode(WatchStreamRequest.create(create)), on: call,
                                    deadline: ClientSocket.nowMilliseconds() + 1000)
            } catch {
                return  // The connection is gone: reconnect.
            }
            opened(connection: fresh)
            fresh = false
            while !isStopped {
                let message: [UInt8]?
                do {
                    message = try connection.receive(call, deadline: ClientSocket.nowMilliseconds() + 1000)
                } catch .deadlineExceeded {
                    break  // Idle or paused; the call was cancelled: a new one from the last revision + 1.
                } catch {
                    if case .status(let status) = error, JepsenGRPCTransport.isServerStatus(status),
                       status.code != .unavailable {
                        note("\(name): watch ended: \(status)")
                    }
                    return  // The member died or ended the stream: reconnect from the last revision seen.
                }
                guard let message else {
                    note("\(name): the server ended the watch call with OK")
                    return
                }
                guard handle(message) else {
                    connection.cancel(call)
                    return
                }
            }
        }
    }

    /// Takes one WatchResponse message; false if the stream must be dropped.
    private func handle(_ message: [UInt8]) -> Bool {
        let response: WatchResponse
        do {
            response = try ProtobufResponseDecoder.decodeWatchResponse(message[...]).0
        } catch {
            note("\(name): unreadable watch message: \(error)")
            return false
        }
        if response.canceled {
            note("\(name): watch canceled: \(response.cancelReason)")
            return false
        }
        return append(response.events.map { event in
            HistoryEvent(revision: Int(event.kv.modRevision.value), key: String(decoding: event.kv.key, as: UTF8.self),
                         value: event.type == .delete ? nil : String(decoding: event.kv.value, as: UTF8.self))
        })
    }
}
