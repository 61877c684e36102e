/// A seeded random number generator (SplitMix64, Steele, Lea & Flood 2014): the same seed gives the same
/// sequence on every platform and run. All randomness in Cohort is drawn from one of these, passed in.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// A generator for one stream of draws, e.g. `(seed, epoch, sample)`: independent of every other stream.
    public init(seed: UInt64, stream: UInt64...) {
        var mixed = Self.mix(seed)
        for value in stream { mixed = Self.mix(mixed ^ Self.mix(value)) }
        state = mixed
    }

    /// SplitMix64's output function: a bijective scramble of 64 bits.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let value = Self.mix(state)
        state &+= 0x9E37_79B9_7F4A_7C15
        return value
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform double in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnit()
    }

    /// A standard normal draw (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = max(nextUnit(), 1e-300), u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

/// FNV-1a 64-bit hash of a string's UTF-8 bytes: stable across processes (unlike `Hasher`), for seeded orders.
public func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}

@inline(__always) private func _log(_ x: Double) -> Double {
    #if canImport(Glibc)
    return Glibc.log(x)
    #else
    return Foundation.log(x)
    #endif
}

@inline(__always) private func _cos(_ x: Double) -> Double {
    #if canImport(Glibc)
    return Glibc.cos(x)
    #else
    return Foundation.cos(x)
    #endif
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
