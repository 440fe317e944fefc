/// Traps with `message` when `condition` is false, in every build configuration.
///
/// Why not `precondition`: under `-O` it drops its message, and `assert` disappears entirely. A broken
/// invariant in Keel is a bug that must be loud and reproducible from the simulator's seed.
@inlinable
@inline(__always)
public func invariant(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fatalError("invariant: \(message())", file: file, line: line)
    }
}
