import Core

/// The simulated network's current faults.
struct NetworkState {
    var drop = Ratio.zero
    var duplicate = Ratio.zero
    var corrupt = Ratio.zero
    /// Chance of a long delay (tens to hundreds of milliseconds) on top of the base latency.
    var longDelay = Ratio.zero
    /// Directed links cut, as (from slot, to slot) pairs, each tagged with the partition that cut it.
    var blocked: [(from: Int, to: Int, serial: UInt64)] = []

    func isBlocked(_ from: Int, _ to: Int) -> Bool {
        blocked.contains { $0.from == from && $0.to == to }
    }

    var isClean: Bool {
        drop == .zero && duplicate == .zero && corrupt == .zero && longDelay == .zero && blocked.isEmpty
    }
}

extension Simulator {
    /// Sends a message through the faulty network.
    func route(_ m: Message, from slot: Int) {
        stats.messagesSent += 1
        guard let target = self.slot(of: m.to) else {
            stats.messagesDropped += 1
            return
        }
        checkCodec(m)
        if network.isBlocked(slot, target) || prng.chance(network.drop) {
            stats.messagesDropped += 1
            mixTrace(6, UInt64(slot), UInt64(target))
            return
        }
        let copies = prng.chance(network.duplicate) ? 2 : 1
        if copies == 2 { stats.messagesDuplicated += 1 }
        for _ in 0..<copies {
            if prng.chance(network.corrupt) {
                corruptInFlight(m)
                continue
            }
            queue.push(now + networkDelay(), .deliver(slot: target, m))
        }
    }

    func networkDelay() -> UInt64 {
        var delay = 100 + UInt64(prng.int(below: 900))
        // Under network faults a small tail of messages is always late (real networks have tail latency).
        let tail = options.faults.network && network.longDelay == .zero ? Ratio(1, 100) : network.longDelay
        if prng.chance(tail) {
            delay += UInt64(prng.int(in: 5...400)) * Time.millisecond  // A long tail: reordering across ticks.
        }
        return delay
    }

    /// Every message crosses the real peer codec, so the simulator proves the wire format too.
    func checkCodec(_ m: Message) {
        codecWriter.reset()
        MessageCodec.encode(m, into: &codecWriter)
        do {
            let decoded = try MessageCodec.decode(codecWriter.bytes[...])
            if decoded != m { fail(.correctness, "codec", "message did not survive encode/decode: \(m.kind)") }
        } catch {
            fail(.correctness, "codec", "own frame failed to decode: \(error)")
        }
    }

    /// Flips a bit of the encoded frame: the checksum must reject it, so the message is dropped.
    func corruptInFlight(_ m: Message) {
        stats.messagesCorrupted += 1
        var frame = MessageCodec.encode(m)
        let offset = prng.int(below: frame.count)
        frame[offset] ^= UInt8(1) << UInt8(prng.int(below: 8))
        if let decoded = try? MessageCodec.decode(frame[...]), decoded != m {
            fail(.correctness, "corruption", "a corrupted \(m.kind) frame passed its checksum")
        }
        mixTrace(7, UInt64(offset))
    }
}
