import Core
import Testing

/// Hot-path value sizes (TigerBeetle asserts type sizes): an `Effect` or `Input` slot must stay small, so
/// big payloads are boxed (`indirect`) or referenced, never copied inline into every slot of a buffer.
@Suite struct LayoutTests {
    @Test("effects, inputs and messages stay small")
    func sizes() {
        #expect(MemoryLayout<Effect>.size <= 112, "Effect is \(MemoryLayout<Effect>.size) bytes")
        #expect(MemoryLayout<Input>.size <= 96, "Input is \(MemoryLayout<Input>.size) bytes")
        #expect(MemoryLayout<Message>.size <= 96, "Message is \(MemoryLayout<Message>.size) bytes")
        #expect(MemoryLayout<Entry>.size <= 32, "Entry is \(MemoryLayout<Entry>.size) bytes")
    }
}
