import CCrashReport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The worker's side of a ``WorkerPool``: greets, then answers one frame with one frame until the pool goes away.
public enum WorkerLoop {
    /// Serves requests on stdin/stdout (the socket the pool gave); returns when the pool closes it.
    ///
    /// Standard input and output are first moved off the socket and pointed at /dev/null, so that nothing the
    /// handler or a C library prints can corrupt the frames. A fatal signal sends a crash report (CCrashReport)
    /// before the process dies, so the pool can say in which library it died.
    public static func serve(_ handle: ([UInt8]) -> [UInt8]) {
        let socket = dup(0)
        let devNull = open("/dev/null", O_RDWR)
        if devNull >= 0 {
            dup2(devNull, 0)
            dup2(devNull, 1)
            close(devNull)
        }
        let channel = FrameChannel(descriptor: socket)
        _ = ccrash_install(socket)
        guard channel.send(WorkerProcess.greeting) else { return }
        while case .frame(let request) = channel.receive(deadline: nil) {
            guard channel.send(handle(request)) else { return }
        }
    }

    /// Resident memory of this process in bytes (from /proc/self/statm), or 0 when unknown.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
