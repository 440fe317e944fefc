import Core

/// The streaming calls: Watch and LeaseKeepAlive (bidirectional), Observe, Snapshot and health Watch.
extension GRPCServerConnection {
    // MARK: Watch

    /// Opens a Replica watch stream for the call and handles its first request.
    func startWatch(_ id: UInt32, first: ArraySlice<UInt8>, reader: GRPCMessageReader) {
        let stream = server.openWatchStream(for: self, tag: Int(id), auth: streams[id]?.auth)
        streams.update(id) { $0.call = .watch(WatchCall(reader: reader, stream: stream)) }
        sendResponseHeadersIfNeeded(id)  // etcd's watch stream sends its headers at once.
        watchRequest(first, on: id, stream: stream)
        readWatchRequests(id)
    }

    /// Handles every whole request message buffered on a watch stream.
    func readWatchRequests(_ id: UInt32) {
        while case .watch(var watch)? = streams[id]?.call {
            streams.update(id) { $0.call = .finishing }
            let next: ArraySlice<UInt8>?
            do throws(RPCError) {
                next = try watch.reader.next()
            } catch {
                streams.update(id) { $0.call = .watch(watch) }
                return finish(id, error)
            }
            streams.update(id) { $0.call = .watch(watch) }
            guard let request = next else { return }
            server.metrics.grpcReceivedBytes += UInt64(request.count)
            countMessage(sent: false, on: id)
            watchRequest(request, on: id, stream: watch.stream)
        }
    }

    func watchRequest(_ bytes: ArraySlice<UInt8>, on id: UInt32, stream: WatchStreamID) {
        let request: WatchStreamRequest
        do throws(ProtobufDecodeError) {
            request = try ProtobufRequestDecoder.decodeWatchRequest(bytes)
        } catch {
            return finish(id, Self.unmarshalError(error))
        }
        // Queued, not stepped one by one: the requests of one read share a Replica step (and its per-step
        // watch work, which grows with the watchers on the stream), as unary requests do.
        switch request {
        case .create(let create): server.enqueue(.watch(.create(stream, create)))
        case .cancel(let watchID): server.enqueue(.watch(.cancel(stream, watchID)))
        case .progress: server.enqueue(.watch(.progress(stream)))
        case .empty: break
        }
    }

    /// Watch responses from the Replica (or, for an Observe, a sign that its election may have changed).
    func deliver(_ responses: [WatchResponse], tag: Int) {
        let id = UInt32(truncatingIfNeeded: tag)
        guard let state = streams[id] else { return }
        switch state.call {
        case .watch(var watch):
            // The hub hands every watcher that wants all of a write's events the same array: encode those
            // events once per delivery (identity by buffer address, safe while `responses` holds them alive).
            // All of one delivery's messages go to HTTP/2 as one payload: DATA frames of up to the peer's frame
            // size, each holding several messages, instead of a frame (and its bookkeeping) per message.
            encodedEvents.reset()
            var encodedFrom: (address: UnsafeRawPointer?, count: Int) = (nil, 0)
            message.removeAll(keepingCapacity: true)
            for response in responses {
                let address = response.events.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
                if address == nil || address != encodedFrom.address || response.events.count != encodedFrom.count {
                    encodedEvents.reset()
                    ProtobufEncoder.events(response.events, into: &encodedEvents)
                    encodedFrom = (address, response.events.count)
                }
                writer.reset()
                ProtobufEncoder.encodeAllButEvents(response, header: server.header(revision: response.revision),
                                                   into: &writer)
                writer.bytes.append(contentsOf: encodedEvents.bytes)
                server.metrics.grpcSentBytes += UInt64(writer.bytes.count)
                GRPCMessageReader.frame(writer.bytes, into: &message)
            }
            countMessage(sent: true, on: id, count: UInt64(responses.count))  // Once per delivery: a hash each.
            if !message.isEmpty {
                sendResponseHeadersIfNeeded(id)
                http2.sendData(message, stream: id, endStream: false)
            }
            if !watch.blocked && isBackedUp(id) {
                watch.blocked = true  // A slow reader: the Replica keeps its events (bounded) until it drains.
                streams.update(id) { $0.call = .watch(watch) }
                server.enqueue(.watch(.flowControl(watch.stream, blocked: true)))
            }
            flushSoon()
        case .observe:
            sendObservedLeader(id)
        default:
            return
        }
    }

    /// Whether a stream's output is backed up: its own HTTP/2 queue, or the socket.
    func isBackedUp(_ id: UInt32) -> Bool {
        http2.queuedBytes(stream: id) > Self.watchQueuedBytesHigh || connection?.isWriteBlocked == true
    }

    /// A stream's queue drained: a blocked watch takes events again.
    func resumeWatch(_ id: UInt32) {
        guard case .watch(var watch)? = streams[id]?.call, watch.blocked, !isBackedUp(id) else { return }
        watch.blocked = false
        streams.update(id) { $0.call = .watch(watch) }
        server.enqueue(.watch(.flowControl(watch.stream, blocked: false)))
    }

    /// The socket drained: every blocked watch whose own queue is short takes events again.
    func resumeBlockedWatches() {
        for id in streams.keys.sorted() { resumeWatch(id) }
    }

    // MARK: LeaseKeepAlive

    /// Handles every whole request message buffered on a keep-alive stream.
    func readKeepAlives(_ id: UInt32) {
        while case .keepAlive(var call)? = streams[id]?.call {
            streams.update(id) { $0.call = .finishing }
            let next: ArraySlice<UInt8>?
            do throws(RPCError) {
                next = try call.reader.next()
            } catch {
                streams.update(id) { $0.call = .keepAlive(call) }
                return finish(id, error)
            }
            streams.update(id) { $0.call = .keepAlive(call) }
            guard let request = next else { return }
            server.metrics.grpcReceivedBytes += UInt64(request.count)
            countMessage(sent: false, on: id)
            keepAlive(request, on: id)
        }
    }

    /// One keep-alive request: renewed through the Replica, answered in `answer(_:endpoint:tag:)`.
    func keepAlive(_ bytes: ArraySlice<UInt8>, on id: UInt32) {
        let lease: LeaseID
        do throws(ProtobufDecodeError) {
            lease = try ProtobufRequestDecoder.decodeKeepAlive(bytes)
        } catch {
            return finish(id, Self.unmarshalError(error))
        }
        guard case .keepAlive(var call)? = streams[id]?.call else { return }
        call.outstanding += 1
        streams.update(id) { $0.call = .keepAlive(call) }
        server.submit(.leaseKeepAlive(lease), caller: self, tag: Int(id), endpoint: .leaseKeepAlive, auth: nil)
    }

    // MARK: Observe

    /// Observe: a watch on the election's keys; each change that moves the leader sends it.
    func startObserve(_ id: UInt32, name: [UInt8]) {
        let stream = server.openWatchStream(for: self, tag: Int(id), auth: streams[id]?.auth)
        streams.update(id) { $0.call = .observe(ObserveCall(name: name, stream: stream)) }
        server.step(.watch(.create(stream, Replica.observeWatch(name: name))))
        sendObservedLeader(id)
    }

    func sendObservedLeader(_ id: UInt32) {
        guard case .observe(var observe)? = streams[id]?.call else { return }
        guard let leader = server.replica.electionLeader(name: observe.name), leader != observe.lastLeader else {
            return
        }
        observe.lastLeader = leader
        streams.update(id) { $0.call = .observe(observe) }
        sendMessage(.leader(leader, server.header(revision: server.replica.store.currentRevision)), on: id)
        flushSoon()
    }

    // MARK: Snapshot

    /// Snapshot: the state in 32 KiB messages, each with the bytes still to come, then OK. The file (etcd's
    /// format: bbolt database, SHA-256) is built on the snapshot thread; a stream reset meanwhile gets nothing.
    func sendSnapshot(_ id: UInt32) {
        streams.update(id) { $0.call = .finishing }
        server.buildEtcdSnapshot { [weak self] bytes in
            guard let self, isOpen, streams[id] != nil else { return }
            sendSnapshot(bytes, on: id)
        }
    }

    func sendSnapshot(_ bytes: [UInt8], on id: UInt32) {
        var offset = 0
        repeat {
            let end = min(offset + SnapshotStream.chunkBytes, bytes.count)
            writer.reset()
            ProtobufEncoder.encodeSnapshotChunk(remainingBytes: UInt64(bytes.count - end), blob: bytes[offset..<end],
                                                into: &writer)
            sendEncodedMessage(on: id)
            offset = end
        } while offset < bytes.count
        finish(id, nil)
    }

    // MARK: Health

    /// `grpc.health.v1.Health`: etcd registers the empty service name as SERVING; any other name is unknown.
    func startHealth(_ method: GRPCMethod, request: ArraySlice<UInt8>, on id: UInt32) {
        let service: String
        do throws(ProtobufDecodeError) {
            service = try ProtobufRequestDecoder.decodeHealthCheck(request)
        } catch {
            return finish(id, Self.unmarshalError(error))
        }
        let known = service.isEmpty
        if method == .healthCheck {
            guard known else { return finish(id, RPCError(code: .notFound, message: "unknown service")) }
            writer.reset()
            ProtobufEncoder.encodeHealth(status: 1, into: &writer)  // SERVING
            sendEncodedMessage(on: id)
            return finish(id, nil)
        }
        streams.update(id) { $0.call = .healthWatch }
        writer.reset()
        ProtobufEncoder.encodeHealth(status: known ? 1 : 3, into: &writer)  // SERVING, SERVICE_UNKNOWN
        sendEncodedMessage(on: id)
        flushSoon()
    }
}
