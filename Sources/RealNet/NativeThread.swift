import CKeelLinux
import Glibc

/// A joinable POSIX thread (`pthread_create`), for the loop and disk threads. No Foundation `Thread`:
/// the whole need is create, name and join.
public struct NativeThread: ~Copyable {
    private let id: pthread_t

    /// `pthread_create(3)` running `body` on a thread named (`pthread_setname_np(3)`) with the first 15
    /// bytes of `name`.
    public init(name: String, _ body: sending @escaping () -> Void) {
        let context = Unmanaged.passRetained(ThreadBody(name: name, body)).toOpaque()
        var id = pthread_t()
        let result = pthread_create(&id, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.name.withCString { ckeel_name_thread($0) }
            body.run()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(Errno(rawValue: result))")
        self.id = id
    }

    /// `pthread_join(3)`: waits for the body to return.
    public consuming func join() {
        let result = pthread_join(id, nil)
        precondition(result == 0, "pthread_join failed: \(Errno(rawValue: result))")
        discard self
    }

    /// A thread dropped without `join()` is detached (`pthread_detach(3)`), never leaked as a zombie.
    deinit { _ = pthread_detach(id) }
}

/// Carries the body across `pthread_create`'s untyped context pointer.
private final class ThreadBody {
    let name: String
    let run: () -> Void
    init(name: String, _ run: @escaping () -> Void) {
        self.name = name
        self.run = run
    }
}
