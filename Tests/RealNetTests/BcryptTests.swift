import Core
import Glibc
import Synchronization
import Testing

@testable import RealNet

/// bcrypt through libxcrypt, as the daemon hashes Auth passwords (`Bcrypt`, `PasswordHasher`).
@Suite struct BcryptTests {
    let b = PB.b

    @Test("hashes are $2b$ at the cost asked, salted, and check against their password only")
    func hashAndCheck() throws {
        let first = try Bcrypt.hash(b("rootpw"), cost: 4).get()
        let second = try Bcrypt.hash(b("rootpw"), cost: 4).get()
        #expect(first.starts(with: b("$2b$04$")) && first.count == 60)
        #expect(first != second, "each hash has its own salt")
        #expect(try Bcrypt.check(b("rootpw"), against: first).get())
        #expect(try Bcrypt.check(b("rootpw"), against: second).get())
        #expect(try !Bcrypt.check(b("rootpx"), against: first).get())
        #expect(try !Bcrypt.check([], against: first).get())
        let empty = try Bcrypt.hash([], cost: 4).get()
        #expect(try Bcrypt.check([], against: empty).get())
        #expect(try !Bcrypt.check(b("x"), against: empty).get())
    }

    @Test("a hash made by etcd's Go bcrypt ($2a$) checks too")
    func goHash() throws {
        let go = b("$2a$04$ymaQVhPsgM/5Xmg/s3orPO05LerlNNoftX4JmZEVgiD2dAhvCXEZy")
        #expect(try Bcrypt.check(b("rootpw"), against: go).get())
        #expect(try !Bcrypt.check(b("rootpw2"), against: go).get())
    }

    @Test("a NUL byte is refused, not cut at; a cost bcrypt refuses becomes etcd's default 10")
    func limits() {
        #expect(throws: Errno.invalidArgument) { try Bcrypt.hash([0x61, 0, 0x62], cost: 4).get() }
        #expect(PasswordHasher(cost: 3).cost == 10 && PasswordHasher(cost: 32).cost == 10)
        #expect(PasswordHasher(cost: 4).cost == 4 && PasswordHasher(cost: 31).cost == 31)
    }

    @Test("PasswordHashing hashes on its own threads, wakes the loop, and hands every call back with its hash")
    func hashingThread() throws {
        let wakes = WakeCount()
        let hashing = try PasswordHashing(cost: 4, wake: { wakes.count.add(1, ordering: .relaxed) })
        let caller = SilentCaller()
        let requests: [AuthRequest] = [.userAdd(name: b("a"), password: b("pw"), noPassword: false),
                                       .userChangePassword(name: b("b"), password: b("pw2"))]
        for request in requests {
            #expect(hashing.hash(request.passwordToHash!, for: .init(request: request, caller: caller, tag: 1,
                                                                     endpoint: .auth(.userAdd))))
        }
        var done: [(call: PasswordHashing.Call, hash: Result<[UInt8], Errno>)] = []
        for _ in 0..<500 where done.count < 2 {
            usleep(10_000)
            done += hashing.takeDone().hashed
        }
        #expect(wakes.count.load(ordering: .relaxed) >= 1)
        #expect(done.count == 2)
        done.sort { $0.call.request == requests[0] && $1.call.request != requests[0] }  // Threads finish in any order.
        #expect(done.map(\.call.request) == requests)
        let hash = try done[0].hash.get()
        #expect(try Bcrypt.check(b("pw"), against: hash).get())
        #expect(try Bcrypt.check(b("pw2"), against: done[1].hash.get()).get())
        // Authenticate's checks go through the same thread and come back with their verdict.
        #expect(hashing.check(PasswordCheck(key: 5, password: b("pw"), hash: hash)))
        #expect(hashing.check(PasswordCheck(key: 6, password: b("nope"), hash: hash)))
        var checked: [(PasswordCheck, Bool)] = []
        for _ in 0..<500 where checked.count < 2 {
            usleep(10_000)
            checked += hashing.takeDone().checked
        }
        checked.sort { $0.0.key < $1.0.key }
        #expect(checked.map(\.0.key) == [5, 6] && checked.map(\.1) == [true, false])
    }
}

/// A caller that is never answered in these tests.
final class SilentCaller: ServiceCaller {
    func answer(_ response: ServiceResponse, endpoint: GatewayEndpoint, tag: Int) {}
    var isListening: Bool { true }
}

/// How often a wake-up closure ran (called on another thread).
final class WakeCount: Sendable {
    let count = Atomic<Int>(0)
}
