import Core
import Testing

@testable import RealNet

/// Damaged bbolt files: each damage is a `BoltError` naming the page, never a trap or a hang; random mutations
/// of valid files only ever read or throw.
@Suite struct BoltDamageTests {
    static let root = BoltSamples.database(seed: 11, pairs: 400, depth: 2)
    static let file = BoltWriter.write(root)

    func failure(_ file: [UInt8]) -> BoltError? {
        do {
            _ = try BoltReader.read(file)
            return nil
        } catch {
            return error
        }
    }

    @Test("both metas damaged: no valid meta, each reason given")
    func noMeta() {
        var file = Self.file
        file[16] ^= 1
        file[4096 + 16 + 56] ^= 1
        let error = failure(file)
        guard case .noValidMeta(let page0, let page1) = error else {
            Issue.record("expected noValidMeta, got \(String(describing: error))")
            return
        }
        #expect(page0.contains("magic") && page1.contains("checksum"))
        #expect(failure(Array(file.prefix(100))) == .fileTooSmall(size: 100))
    }

    @Test("a meta naming pages past the end of the file is not valid")
    func metaPastEnd() {
        var file = Self.file
        for page in 0..<2 {
            file.boltPut64(UInt64(file.count / 4096 + 1), at: page * 4096 + 16 + 40)
            BoltSamples.resealMeta(&file, page: page)
        }
        guard case .noValidMeta(let page0, _) = failure(file) else { Issue.record("expected noValidMeta"); return }
        #expect(page0.contains("high-water mark"))
    }

    @Test("a leaf element pointing outside its page names the page")
    func leafOutOfPage() throws {
        let leaf = try #require(BoltSamples.pages(Self.file, flags: BoltLayout.leafPageFlag).last)
        var file = Self.file
        let element = Int(leaf) * 4096 + 16
        file.boltPut32(1 << 20, at: element + 12)  // vsize
        let error = failure(file)
        guard case .badPage(let id, let what) = error else {
            Issue.record("expected badPage, got \(String(describing: error))")
            return
        }
        #expect(id == leaf && what.contains("outside the page"))
    }

    @Test("a branch pointing at itself is a cycle, named; a header naming another page too")
    func cycleAndHeader() throws {
        let branch = try #require(BoltSamples.pages(Self.file, flags: BoltLayout.branchPageFlag).first)
        var file = Self.file
        file.boltPut64(branch, at: Int(branch) * 4096 + 16 + 8)
        let cycle = failure(file).map { "\($0)" } ?? "no error"
        #expect(cycle.contains("page \(branch): reached twice"), "\(cycle)")
        var renamed = Self.file
        renamed.boltPut64(branch + 1, at: Int(branch) * 4096)
        #expect(failure(renamed) == .badPage(id: branch, what: "header names page \(branch + 1)"))
    }

    @Test("a freelist out of range or listing a page in use is an error on the freelist page")
    func freelist() {
        var file = Self.file
        let freelist = 2 * 4096
        file.boltPut16(1, at: freelist + 10)
        file.boltPut64(1_000_000, at: freelist + 16)
        guard case .badPage(2, let what) = failure(file) else { Issue.record("expected freelist error"); return }
        #expect(what.contains("outside"))
        file.boltPut64(3, at: freelist + 16)
        #expect(failure(file) == .badPage(id: 3, what: "listed as free but in use"))
        file.boltPut16(0xFFFF, at: freelist + 10)
        file.boltPut64(UInt64.max, at: freelist + 16)
        guard case .badPage(2, let overrun) = failure(file) else { Issue.record("expected overrun"); return }
        #expect(overrun.contains("overruns"))
    }

    @Test("overflow past the high-water mark and a wrong page type are errors naming the page")
    func overflowAndType() throws {
        let leaf = try #require(BoltSamples.pages(Self.file, flags: BoltLayout.leafPageFlag).first)
        var file = Self.file
        file.boltPut32(UInt32.max, at: Int(leaf) * 4096 + 12)
        guard case .badPage(leaf, let what) = failure(file) else { Issue.record("expected overflow error"); return }
        #expect(what.contains("overflow"))
        var typed = Self.file
        typed.boltPut16(BoltLayout.metaPageFlag, at: Int(leaf) * 4096 + 8)
        #expect(failure(typed) == .badPage(id: leaf, what: "expected a branch or leaf page, found meta"))
    }

    @Test("random mutations of valid files never trap or hang: each reads or throws", arguments: [1, 2] as [UInt64])
    func mutations(seed: UInt64) {
        var prng = Prng(seed: seed)
        // Small files (branch pages, inline buckets, an overflow value): many rounds in a few seconds. The long
        // run belongs to a fuzzer; this one keeps the reader honest in every test run.
        let files = [BoltWriter.write(BoltSamples.database(seed: seed + 100, pairs: 300, depth: 2, bigValues: false)),
                     EtcdSamples.backend().boltFile()]
        var thrown = 0
        for round in 0..<500 {
            var file = files[round % files.count]
            for _ in 0..<(1 + prng.int(below: 8)) {
                let at = prng.chance(Ratio(1, 2))
                    ? prng.int(below: min(file.count, 3 * 4096)) : prng.int(below: file.count)
                switch prng.int(below: 3) {
                case 0: file[at] ^= UInt8(truncatingIfNeeded: 1 << prng.int(below: 8))
                case 1: file[at] = UInt8(truncatingIfNeeded: prng.next())
                default: file[at] = [0, 0xFF, 1, 2, 0x7F][prng.int(below: 5)]
                }
            }
            if prng.chance(Ratio(1, 2)) && file.count >= 2 * 4096 {
                BoltSamples.resealMeta(&file, page: 0)
                BoltSamples.resealMeta(&file, page: 1)
            }
            if prng.int(below: 20) == 0 { file.removeLast(prng.int(below: file.count)) }
            do { _ = try BoltReader.read(file) } catch { thrown += 1 }
            _ = try? EtcdSnapshotFile.status(file)
            _ = try? EtcdBackend.read(file).keelState()
        }
        #expect(thrown > 0, "some mutations must be caught")
    }
}
