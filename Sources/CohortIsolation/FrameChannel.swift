import CCrashReport
#if canImport(Glibc)
import Glibc
#endif

/// Length-prefixed frames over a stream socket: a 4-byte little-endian length, then that many bytes.
///
/// Writes use `MSG_NOSIGNAL`, so a peer that died gives an error instead of a process-killing SIGPIPE.
struct FrameChannel {
    /// The socket (owned by the caller).
    let descriptor: Int32

    /// Frames larger than this are refused as a protocol violation (a reply is at most a prepared image).
    static let maximumFrameBytes = 1 << 30

    /// What reading a frame gave.
    enum Received {
        case frame([UInt8])
        /// The peer closed its end (it exited or was killed).
        case closed
        /// Nothing complete arrived before the deadline.
        case timedOut
        /// The length prefix was absurd.
        case malformed(Int)
        /// The peer's crash handler's last words (see CCrashReport): the signal and the libraries on its stack.
        case crashReport(String)
    }

    /// Sends one frame; false when the peer is gone.
    func send(_ payload: [UInt8]) -> Bool {
        var length = UInt32(payload.count).littleEndian
        let header = withUnsafeBytes(of: &length) { Array($0) }
        return sendAll(header) && sendAll(payload)
    }

    private func sendAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }

    /// Reads one frame, waiting at most until `deadline` (monotonic nanoseconds; nil waits forever).
    func receive(deadline: UInt64?) -> Received {
        var header = [UInt8](repeating: 0, count: 4)
        switch readExactly(&header, deadline: deadline) {
        case .frame: break
        case let other: return other
        }
        var length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
        let isCrashReport = length & Int(CCRASH_REPORT_FLAG) != 0
        length &= ~Int(CCRASH_REPORT_FLAG)
        guard length <= Self.maximumFrameBytes, !isCrashReport || length <= 4096 else { return .malformed(length) }
        var payload = [UInt8](repeating: 0, count: length)
        switch readExactly(&payload, deadline: deadline) {
        case .frame: return isCrashReport ? .crashReport(String(decoding: payload, as: UTF8.self)) : .frame(payload)
        case let other: return other
        }
    }

    private func readExactly(_ buffer: inout [UInt8], deadline: UInt64?) -> Received {
        let count = buffer.count
        return buffer.withUnsafeMutableBytes { raw -> Received in
            var offset = 0
            while offset < count {
                if let deadline {
                    let now = Self.monotonicNanoseconds()
                    guard now < deadline else { return .timedOut }
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    let waitMs = Int32(min((deadline - now) / 1_000_000 + 1, UInt64(Int32.max)))
                    let ready = poll(&poller, 1, waitMs)
                    if ready < 0 && errno == EINTR { continue }
                    if ready == 0 { continue }  // the loop re-checks the deadline
                }
                let got = recv(descriptor, raw.baseAddress! + offset, count - offset, 0)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { return .closed }
                offset += got
            }
            return .frame([])
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
