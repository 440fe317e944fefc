import Core

/// A `/v2/keys` request of an HTTP/1.1 client connection, waiting for the Replica's answer in its slot.
struct V2Call {
    /// The Replica request id (`Server.pending`), to cancel a wait when the client goes away.
    var requestID: UInt64
    var noValueOnSuccess: Bool
    /// A HEAD: the answer's head only.
    var head: Bool
    /// `wait=true`: parked on the Replica until an event comes (`Replica.cancelV2Wait` ends it).
    var isWait: Bool
    /// A wait's store index and Raft commit index when it began (its answer's `X-Etcd-Index`, `X-Raft-Index`).
    var waitEtcdIndex: UInt64 = 0
    var waitRaftIndex: UInt64 = 0
    /// The keys request, for `/v2/stats/store`'s counts (nil for a members call).
    var storeKind: V2Request.Kind?
    /// A `/v2/members` change waiting for its answer (`V2Members.swift`); nil for a keys request.
    var member: V2MemberCall?
}

/// etcd's v2 keys API on the client port (with --enable-v2): requests go to the Replica as `Operation.v2`, and
/// its `.v2` replies are written in the request's slot, so pipelined answers keep their order.
extension ClientConnection {
    func serveV2(_ request: HTTPRequest, slot: Int) {
        let head = request.method == .head
        var out: [UInt8] = []
        let parsed = V2HTTP.parse(method: request.method, target: request.target,
                                  contentType: request.header("Content-Type"), body: request.body, now: V2Clock.now())
        switch parsed {
        case .methodNotAllowed:
            Gateway.writeRouteAnswer(.methodNotAllowed(allow: V2HTTP.allowedMethods), date: HTTPDate.now(), into: &out)
            complete(slot: slot, out)
        case .refused(let error):
            V2HTTP.writeError(error, clusterID: server.clusterIDText, head: head, close: false, date: HTTPDate.now(),
                              writer: &writer, into: &out)
            complete(slot: slot, out)
        case .request(let v2, let noValueOnSuccess):
            var isWait = false
            var endpoint = GatewayEndpoint.range  // For the server's metrics: reads count as ranges, writes as puts.
            switch v2.kind {
            case .wait: isWait = true
            case .get: break
            case .write: endpoint = .put
            }
            v2Calls[slot] = V2Call(requestID: server.nextRequestID, noValueOnSuccess: noValueOnSuccess, head: head,
                                   isWait: isWait, waitEtcdIndex: server.replica.v2Store.index,
                                   waitRaftIndex: server.replica.raft.log.committed.value, storeKind: v2.kind)
            server.submit(.v2(v2), caller: self, tag: slot, endpoint: endpoint, auth: nil)
        }
    }

    /// Whether the call in `slot` is a v2 keys request (its answer is `answerV2`'s, not the gateway's).
    func isV2Call(slot: Int) -> Bool { v2Calls[slot] != nil }

    /// Writes the Replica's answer to the v2 call in `slot`: the event, the store's error, or etcd's
    /// "Raft Internal Error" (300, 500) for a request that failed in Raft (timed out, no leader).
    func answerV2(_ reply: ClientReply, slot: Int) {
        guard let call = v2Calls.removeValue(forKey: slot) else { return }
        if let member = call.member { return answerV2Member(reply, member, slot: slot) }
        if case .v2(let v2) = reply.result, let kind = call.storeKind {
            if case .event = v2.result { server.metrics.v2Store.count(kind, succeeded: true) }
            if case .error = v2.result { server.metrics.v2Store.count(kind, succeeded: false) }
        }
        var out: [UInt8] = []
        let date = HTTPDate.now()
        let clusterID = server.clusterIDText
        switch reply.result {
        case .v2(let v2):
            switch v2.result {
            case .event(let event) where call.isWait:
                V2HTTP.writeWaitEvent(event, etcdIndex: call.waitEtcdIndex, raftIndex: call.waitRaftIndex,
                                      raftTerm: reply.raftTerm.value, clusterID: clusterID, head: call.head,
                                      close: false, date: date, writer: &writer, into: &out)
            case .event(let event):
                V2HTTP.writeEvent(event, raftIndex: v2.raftIndex.value, raftTerm: reply.raftTerm.value,
                                  clusterID: clusterID, noValueOnSuccess: call.noValueOnSuccess, head: call.head,
                                  close: false, date: date, writer: &writer, into: &out)
            case .error(let error):
                V2HTTP.writeError(error, clusterID: clusterID, head: call.head, close: false, date: date,
                                  writer: &writer, into: &out)
            }
        case .failed(let error):
            V2HTTP.writeError(V2Error(.raftInternal, cause: ServiceLayer.rpcError(error).message, index: 0),
                              clusterID: clusterID, head: call.head, close: false, date: date, writer: &writer,
                              into: &out)
        default:
            V2HTTP.writeError(V2Error(.raftInternal, cause: "unexpected reply", index: 0), clusterID: clusterID,
                              head: call.head, close: false, date: date, writer: &writer, into: &out)
        }
        complete(slot: slot, out)
    }

    /// The client went away: its parked waits end on the Replica (etcd removes the watcher when the long poll's
    /// connection closes).
    func cancelV2Waits() {
        for slot in v2Calls.keys.sorted() where v2Calls[slot]!.isWait {
            server.cancelV2Wait(requestID: v2Calls[slot]!.requestID)
        }
        v2Calls.removeAll()
    }
}

extension Server {
    /// Hands a v2 reply to its connection; false for every other call.
    func answerV2(_ reply: ClientReply, _ call: PendingCall) -> Bool {
        guard config.enableV2, let connection = call.caller as? ClientConnection, connection.isV2Call(slot: call.tag)
        else {
            return false
        }
        connection.answerV2(reply, slot: call.tag)
        return true
    }

    /// Ends a parked v2 wait whose client went away; no answer follows.
    func cancelV2Wait(requestID: UInt64) {
        guard replica.cancelV2Wait(requestID: requestID), pending.removeValue(forKey: requestID) != nil else { return }
        metrics.proposalsPending -= 1
    }
}
