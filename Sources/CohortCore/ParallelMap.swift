import Dispatch
import Foundation

/// Order-preserving parallel map over a fixed number of worker threads pulling items one at a time; the result
/// of item i is `transform(items[i])` whatever thread computed it.
public enum ParallelMap {
    public static func map<T, R>(_ items: [T], threads: Int, _ transform: (T) -> R) -> [R] {
        var results = [R?](repeating: nil, count: items.count)
        let lock = NSLock()
        var next = 0
        results.withUnsafeMutableBufferPointer { slots in
            let out = slots
            DispatchQueue.concurrentPerform(iterations: max(1, min(threads, items.count))) { _ in
                while true {
                    lock.lock()
                    let index = next
                    next += 1
                    lock.unlock()
                    guard index < items.count else { return }
                    out[index] = transform(items[index])
                }
            }
        }
        return results.map { $0! }
    }
}

/// A value computed on a background thread, waited for on first use (the next batch prepared while this one is
/// processed).
public final class Prefetch<Value>: @unchecked Sendable {
    private var result: Value?
    private let ready = DispatchSemaphore(value: 0)

    public init(_ work: @escaping () -> Value) {
        DispatchQueue.global().async {
            self.result = work()
            self.ready.signal()
        }
    }

    /// Waits for the value (call once).
    public func value() -> Value {
        ready.wait()
        return result!
    }
}
