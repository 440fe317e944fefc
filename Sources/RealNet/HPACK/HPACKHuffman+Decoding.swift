/// Huffman decoding, four bits at a time, by a state table derived from `HPACKHuffman.codes` at start-up.
///
/// A state is an internal node of the code tree (the root is 0); the code has 257 leaves, so 256 internal
/// nodes and states fit a `UInt8`. For each state and nibble the table holds the state reached, the symbol
/// completed on the way (codes are at least 5 bits, so at most one per nibble) and whether EOS was reached.
extension HPACKHuffman {
    /// The derived decoder tables.
    struct DecodingTable: Sendable {
        /// `transitions[state << 4 | nibble]`: bits 0-7 next state, 8-15 symbol, `emitFlag`, `failFlag`.
        var transitions: [UInt32]
        /// `accepting[state]`: the bits since the last symbol are at most 7 ones, which is valid padding.
        var accepting: [Bool]

        static let emitFlag: UInt32 = 1 << 16
        static let failFlag: UInt32 = 1 << 17
    }

    /// Built once, on first use, from `codes`.
    static let decodingTable: DecodingTable = buildDecodingTable()

    /// Appends the decoding of `bytes` to `out`.
    /// - Throws: `badHuffman` for EOS or bad padding; `stringTooLong` past `countMax` decoded octets.
    static func decode(
        _ bytes: ArraySlice<UInt8>, into out: inout [UInt8], countMax: Int
    ) throws(HPACKError) {
        let table = decodingTable
        let start = out.count
        // Codes are at least 5 bits, so a string decodes to at most 8/5 of its length.
        out.reserveCapacity(start + Swift.min(countMax, bytes.count * 8 / 5))
        var state = 0
        try table.transitions.withUnsafeBufferPointer { (transitions) throws(HPACKError) in
            for byte in bytes {
                for half in 0..<2 {
                    let nibble = half == 0 ? byte >> 4 : byte & 0x0F
                    let transition = transitions[state << 4 | Int(nibble)]
                    if transition & DecodingTable.failFlag != 0 { throw .badHuffman }
                    if transition & DecodingTable.emitFlag != 0 {
                        guard out.count - start < countMax else {
                            throw .stringTooLong(out.count - start + 1, max: countMax)
                        }
                        out.append(UInt8(truncatingIfNeeded: transition >> 8))
                    }
                    state = Int(transition & 0xFF)
                }
            }
        }
        guard table.accepting[state] else { throw .badHuffman }
    }

    /// Marks an unset child while the tree is built.
    private static let unset = Int.min

    /// Builds the code tree from `codes`, then walks it nibble by nibble from every internal node.
    /// Traps if `codes` is not a complete prefix code: that is a transcription bug, not bad input.
    static func buildDecodingTable() -> DecodingTable {
        precondition(codes.count == 257, "Appendix B has 257 symbols")
        // children[2 * node + bit]: >= 0 an internal node, < 0 the leaf of symbol -(child + 1).
        var children = [unset, unset]
        for (symbol, entry) in codes.enumerated() {
            let bitCount = Int(entry.bitCount)
            precondition(bitCount >= 5 && bitCount <= 30, "Huffman code length out of range")
            var node = 0
            for position in stride(from: bitCount - 1, through: 0, by: -1) {
                let slot = 2 * node + Int(entry.code >> UInt32(position) & 1)
                if position == 0 {
                    precondition(children[slot] == unset, "Huffman code \(symbol) is not prefix-free")
                    children[slot] = -(symbol + 1)
                } else if children[slot] == unset {
                    children[slot] = children.count / 2
                    children.append(contentsOf: [unset, unset])
                    node = children[slot]
                } else {
                    precondition(children[slot] >= 0, "Huffman code \(symbol) extends another code")
                    node = children[slot]
                }
            }
        }
        let stateCount = children.count / 2
        precondition(stateCount == 256, "a complete code of 257 symbols has 256 internal nodes")
        precondition(!children.contains(unset), "the Huffman code is not complete")

        var transitions = [UInt32](repeating: 0, count: stateCount * 16)
        for state in 0..<stateCount {
            for nibble in 0..<16 {
                transitions[state << 4 | nibble] = transition(from: state, nibble: nibble, children: children)
            }
        }
        // Valid padding is a prefix of EOS, all ones, of at most 7 bits: the first 8 nodes down the 1 side.
        var accepting = [Bool](repeating: false, count: stateCount)
        var node = 0
        for _ in 0...7 {
            precondition(node >= 0, "a code of 7 or fewer ones exists")
            accepting[node] = true
            node = children[2 * node + 1]
        }
        return DecodingTable(transitions: transitions, accepting: accepting)
    }

    /// The table entry for reading `nibble`, high bit first, from internal node `state`.
    private static func transition(from state: Int, nibble: Int, children: [Int]) -> UInt32 {
        var node = state
        var result: UInt32 = 0
        for position in stride(from: 3, through: 0, by: -1) {
            let child = children[2 * node + (nibble >> position & 1)]
            if child >= 0 {
                node = child
                continue
            }
            let symbol = -(child + 1)
            if symbol == eos { return DecodingTable.failFlag }
            precondition(result & DecodingTable.emitFlag == 0, "two Huffman symbols in one nibble")
            result = DecodingTable.emitFlag | UInt32(symbol) << 8
            node = 0
        }
        return result | UInt32(node)
    }
}
