/// A probability as an exact fraction, so no float ever decides behaviour.
public struct Ratio: Sendable, Equatable, CustomStringConvertible {
    public let numerator: UInt64
    public let denominator: UInt64

    /// - Precondition: `0 < denominator` and `numerator <= denominator`.
    public init(_ numerator: UInt64, _ denominator: UInt64) {
        invariant(denominator > 0, "ratio denominator must be positive")
        invariant(numerator <= denominator, "ratio \(numerator)/\(denominator) exceeds one")
        self.numerator = numerator
        self.denominator = denominator
    }

    public static let zero = Ratio(0, 1)
    public static let one = Ratio(1, 1)

    public var description: String { "\(numerator)/\(denominator)" }
}
