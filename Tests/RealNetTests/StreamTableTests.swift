import Testing

@testable import RealNet

/// `StreamTable`, the stream states of an HTTP/2 or gRPC connection, checked against a Dictionary model.
@Suite struct StreamTableTests {
    struct State: Equatable {
        var bytes: [UInt8] = []
        var ended = false
    }

    @Test("insert, update in place, remove and reuse of slots agree with a Dictionary")
    func againstDictionary() {
        var table = StreamTable<State>()
        var model: [UInt32: State] = [:]
        var prng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: UInt64) -> UInt64 {
            prng = prng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (prng >> 33) % bound
        }
        for _ in 0..<20_000 {
            let id = UInt32(2 * next(40) + 1)
            switch next(4) {
            case 0:
                table.insert(State(bytes: [UInt8(id & 0xFF)]), id: id)
                model[id] = State(bytes: [UInt8(id & 0xFF)])
            case 1:
                let updated = table.update(id) { state -> Int in
                    state.bytes.append(7)
                    return state.bytes.count
                }
                model[id]?.bytes.append(7)
                #expect(updated == model[id]?.bytes.count)
            case 2:
                #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            default:
                #expect(table[id] == model[id])
            }
            #expect(table.count == model.count && table.isEmpty == model.isEmpty)
        }
        #expect(table.keys.sorted() == model.keys.sorted())
        for id in model.keys { #expect(table[id] == model[id]) }
        table.removeAll()
        #expect(table.isEmpty && table[1] == nil && table.update(1) { $0.ended = true } == nil)
    }

    @Test("update of a missing id runs nothing and adds nothing; a thrown error leaves the state as it was")
    func missingAndThrowing() {
        struct Refused: Error {}
        var table = StreamTable<State>()
        var ran = false
        #expect(table.update(3) { _ in ran = true } == nil)
        #expect(!ran && table.isEmpty)
        table.insert(State(), id: 5)
        #expect(throws: Refused.self) {
            try table.update(5) { (state) throws(Refused) in
                guard state.ended else { throw Refused() }
            }
        }
        #expect(table[5] == State() && table.count == 1)
    }
}
