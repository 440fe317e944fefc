import Checker
import Testing

/// One hand-built history per rule of the model and of real-time order.
@Suite struct RuleTests {
    @Test("a read sees the latest write")
    func readAfterWrite() {
        var s = Script()
        s.read(1, nil)
        s.call(1, .write, "1")
        s.read(2, "1")
        #expect(verdict(s).isLinearizable)
    }

    @Test("a stale read is refused")
    func staleRead() {
        var s = Script()
        s.call(1, .write, "1")
        s.call(1, .write, "2")
        s.read(2, "1")
        let violation = verdict(s).violation
        #expect(violation?.key == "x")
        // Placing write "2" would leave nothing to produce the "1" that the read needs.
        #expect(violation?.explanation.contains("nothing left could make the value \"1\" again, which process 2"
            + " read -> \"1\" (ok, lines 5-6) needs") == true)
        #expect(violation?.prefixEvents == [0])
        #expect(violation?.unplacedEvents.sorted() == [2, 4])
    }

    @Test("a lost update by two cas from the same value is refused")
    func lostUpdateCas() {
        var s = Script()
        s.call(1, .write, "0")
        s.call(1, .cas, "0", "1")
        s.call(2, .cas, "0", "2")
        let explanation = verdict(s).violation?.explanation ?? ""
        #expect(explanation.contains("it expected \"0\", but the value is \"1\"")
            || explanation.contains("nothing left could make the value \"0\" again"), "\(explanation)")
    }

    @Test("a lost append is refused")
    func lostUpdateAppend() {
        var s = Script()
        s.call(1, .append, "a")
        s.call(2, .append, "b")
        s.read(3, "b")
        #expect(verdict(s).violation != nil)
    }

    @Test("a read of a value never written is refused")
    func readOfUnwrittenValue() {
        var s = Script()
        s.invoke(1, .write, "1")
        s.invoke(2, .read)
        s.ok(2, read: "9")
        s.ok(1)
        let violation = verdict(s).violation
        #expect(violation?.explanation.contains(
            "process 2 read -> \"9\" (ok, lines 2-3): no operation on the key ever wrote \"9\"") == true)
        #expect(violation?.unplacedEvents == [1])
        var absent = Script()
        absent.read(1, "1")
        #expect(verdict(absent).violation != nil)
    }

    @Test("a failed write that is later observed is refused")
    func failedWriteObserved() {
        var s = Script()
        s.call(1, .write, "1")
        s.invoke(2, .write, "2")
        s.fail(2)
        s.read(3, "2")
        #expect(verdict(s).violation != nil)
        var unobserved = Script()
        unobserved.call(1, .write, "1")
        unobserved.invoke(2, .write, "2")
        unobserved.fail(2)
        unobserved.read(3, "1")
        #expect(verdict(unobserved).isLinearizable)
    }

    @Test("a cas succeeds only on its expected value and a failed cas changes nothing")
    func casSemantics() {
        var success = Script()
        success.call(1, .write, "1")
        success.call(1, .cas, "1", "2")
        success.read(2, "2")
        #expect(verdict(success).isLinearizable)

        var wrongExpectation = Script()
        wrongExpectation.call(1, .write, "1")
        wrongExpectation.call(1, .cas, "5", "2")
        #expect(verdict(wrongExpectation).violation != nil)

        var onAbsent = Script()
        onAbsent.call(1, .cas, "1", "2")
        #expect(verdict(onAbsent).violation != nil)

        var failed = Script()
        failed.call(1, .write, "1")
        failed.invoke(1, .cas, "1", "2")
        failed.fail(1)
        failed.read(2, "1")
        #expect(verdict(failed).isLinearizable)

        var failedButApplied = Script()
        failedButApplied.call(1, .write, "1")
        failedButApplied.invoke(1, .cas, "1", "2")
        failedButApplied.fail(1)
        failedButApplied.read(2, "2")
        #expect(verdict(failedButApplied).violation != nil)
    }

    @Test("a delete makes the key absent")
    func deleteThenRead() {
        var s = Script()
        s.call(1, .write, "1")
        s.call(1, .delete)
        s.read(2, nil)
        #expect(verdict(s).isLinearizable)

        var stale = Script()
        stale.call(1, .write, "1")
        stale.call(1, .delete)
        stale.read(2, "1")
        let explanation = verdict(stale).violation?.explanation ?? ""
        #expect(explanation.contains("process 1 delete (ok, lines 3-4): it could take effect, but then nothing left"
            + " could make the value \"1\" again, which process 2 read -> \"1\" (ok, lines 5-6) needs"),
            "\(explanation)")

        var casAfterDelete = Script()
        casAfterDelete.call(1, .write, "1")
        casAfterDelete.call(1, .delete)
        casAfterDelete.call(1, .cas, "1", "2")
        #expect(verdict(casAfterDelete).violation != nil)
    }

    @Test("appends concatenate in order, starting from empty on an absent key")
    func appendSemantics() {
        var s = Script()
        s.call(1, .append, "a")
        s.call(2, .append, "b")
        s.read(3, "ab")
        s.call(1, .delete)
        s.call(2, .append, "c")
        s.read(3, "c")
        #expect(verdict(s).isLinearizable)

        var reversed = Script()
        reversed.call(1, .append, "a")
        reversed.call(2, .append, "b")
        reversed.read(3, "ba")
        #expect(verdict(reversed).violation != nil)

        var concurrent = Script()
        concurrent.invoke(1, .append, "a")
        concurrent.invoke(2, .append, "b")
        concurrent.ok(1)
        concurrent.ok(2)
        concurrent.read(3, "ba")
        #expect(verdict(concurrent).isLinearizable)
    }

    @Test("an info write may take effect long after it was reported")
    func infoWriteTakesEffectLate() {
        var s = Script()
        s.call(1, .write, "1")
        s.invoke(2, .write, "2")
        s.info(2)
        s.call(3, .write, "3")
        s.read(4, "3")
        s.read(4, "2")
        #expect(verdict(s).isLinearizable)

        var twice = Script()
        twice.call(1, .write, "1")
        twice.invoke(2, .write, "2")
        twice.info(2)
        twice.read(4, "2")
        twice.call(3, .write, "3")
        twice.read(4, "2")
        #expect(verdict(twice).violation != nil)
    }

    @Test("an info write may never take effect, but not before its invocation")
    func infoWriteNeverTakesEffect() {
        var s = Script()
        s.call(1, .write, "1")
        s.invoke(2, .write, "2")
        s.info(2)
        s.read(3, "1")
        s.read(3, "1")
        #expect(verdict(s).isLinearizable)

        var early = Script()
        early.call(1, .write, "1")
        early.read(3, "2")
        early.invoke(2, .write, "2")
        early.info(2)
        #expect(verdict(early).violation != nil)
    }

    @Test("an operation pending at the end of the file counts as info")
    func pendingAtEnd() {
        var s = Script()
        s.call(1, .write, "1")
        s.invoke(2, .write, "2")
        s.read(3, "2")
        #expect(verdict(s).isLinearizable)

        var notYetInvoked = Script()
        notYetInvoked.call(1, .write, "1")
        notYetInvoked.read(3, "2")
        notYetInvoked.invoke(2, .write, "2")
        let violation = verdict(notYetInvoked).violation
        #expect(violation?.explanation.contains("it read \"2\", but the value is \"1\"") == true)
    }

    @Test("overlapping operations may take effect in either order")
    func overlappingOperations() {
        var s = Script()
        s.call(1, .write, "0")
        s.invoke(1, .write, "1")
        s.invoke(2, .write, "2")
        s.invoke(3, .read)
        s.invoke(4, .read)
        s.ok(3, read: "2")
        s.ok(4, read: "1")
        s.ok(1)
        s.ok(2)
        s.read(3, "1")
        #expect(verdict(s).isLinearizable)

        var flipFlop = Script()
        flipFlop.invoke(1, .write, "1")
        flipFlop.invoke(2, .write, "2")
        flipFlop.ok(1)
        flipFlop.ok(2)
        flipFlop.read(3, "1")
        flipFlop.read(3, "2")
        #expect(verdict(flipFlop).violation != nil)
    }

    @Test("keys are checked on their own and the smallest failing key is reported")
    func severalKeysOneBroken() {
        var s = Script()
        for key in ["d", "c", "b", "a"] {
            s.call(1, .write, "1", key: key)
            s.call(2, .write, "2", key: key)
            s.read(3, key == "c" || key == "b" ? "1" : "2", key: key)
        }
        let violation = verdict(s).violation
        #expect(violation?.key == "b")
        #expect(violation?.explanation.hasPrefix("Key \"b\" is not linearizable.") == true)
        #expect(violation?.prefixEvents.allSatisfy { s.history.events[$0].key == "b" } == true)

        var healthy = Script()
        for key in ["b", "a"] {
            healthy.call(1, .write, "1", key: key)
            healthy.read(2, "1", key: key)
        }
        #expect(verdict(healthy).isLinearizable)
    }

    @Test("an empty history and a history of failures are linearizable")
    func trivialHistories() {
        #expect(verdict(Script()).isLinearizable)
        var s = Script()
        s.invoke(1, .write, "1")
        s.fail(1)
        s.invoke(2, .read)
        s.info(2)
        #expect(verdict(s).isLinearizable)
    }
}
