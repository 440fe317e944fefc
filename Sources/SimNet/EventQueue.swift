/// A min-heap of timed events; ties break by insertion order, so the schedule is deterministic.
struct EventQueue<Payload> {
    private var heap: [(time: UInt64, seq: UInt64, payload: Payload)] = []
    private var seq: UInt64 = 0

    init() { heap.reserveCapacity(1024) }

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ time: UInt64, _ payload: Payload) {
        seq += 1
        heap.append((time, seq, payload))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !less(child, parent) { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (time: UInt64, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && less(left, smallest) { smallest = left }
            if right < heap.count && less(right, smallest) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.payload)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].seq < heap[b].seq
    }
}
