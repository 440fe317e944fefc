import Foundation  // The corpus folder's path.
import Fuzz
import Testing

/// Every input in `fuzz-corpus` (seeds, and regressions: inputs that once broke a decoder) runs through its
/// target on every test run, then a short burst of mutations of them; any trap fails the run.
@Suite struct CorpusReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fuzz-corpus").path

    @Test("every target has seeds in the repository", arguments: FuzzTarget.allCases)
    func seedsExist(_ target: FuzzTarget) {
        let corpus = Corpus(root: Self.root, target: target)
        #expect(!corpus.seeds.isEmpty, "fuzz-corpus/\(target.rawValue) has no seeds")
    }

    @Test("seeds and regressions replay, then 3000 mutations of them", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) {
        let corpus = Corpus(root: Self.root, target: target)
        for input in corpus.inputs { target.run(input) }
        var mutator = Mutator(seed: 20261204)
        let inputs = corpus.inputs
        for _ in 0..<3000 {
            let input = mutator.mutate(inputs[mutator.pick(below: inputs.count)],
                                       other: inputs[mutator.pick(below: inputs.count)])
            target.run(input)
        }
    }
}
