import Foundation  // Reading and writing corpus files (keelsim and tests only; never Core).

/// A target's inputs on disk: `fuzz-corpus/<target>/` holds seeds (valid inputs to mutate) and
/// `regressions/` (inputs that once broke something; the default tests replay every file of both).
public struct Corpus: Sendable {
    public let target: FuzzTarget
    public let directory: String
    public private(set) var seeds: [[UInt8]]
    public private(set) var regressions: [[UInt8]]

    /// Loads `root/<target>` (missing folders are empty).
    public init(root: String, target: FuzzTarget) {
        self.target = target
        directory = root + "/" + target.rawValue
        seeds = Corpus.files(in: directory)
        regressions = Corpus.files(in: directory + "/regressions")
    }

    /// Every input to start from: seeds and regressions, or one empty input when there are none.
    public var inputs: [[UInt8]] {
        let all = seeds + regressions
        return all.isEmpty ? [[]] : all
    }

    /// The contents of each regular file in `path`, by name order.
    static func files(in path: String) -> [[UInt8]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().compactMap { name in
            var isDirectory: ObjCBool = false
            let file = path + "/" + name
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !name.hasPrefix(".") else { return nil }
            return FileManager.default.contents(atPath: file).map { Array($0) }
        }
    }

    /// Saves `input` as a regression case named by its hash; returns the path.
    @discardableResult
    public static func saveRegression(_ input: [UInt8], root: String, target: FuzzTarget) -> String {
        let directory = root + "/" + target.rawValue + "/regressions"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in input { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let path = directory + "/" + String(hash, radix: 16)
        FileManager.default.createFile(atPath: path, contents: Data(input))
        return path
    }
}
