import CohortIsolation
import CohortTestSupport
import Foundation
import XCTest

/// The pool's mechanics against a stand-in worker (a Python script speaking the frame protocol) whose behaviour
/// each request chooses: echo, crash, hang, exit, or crash only on its first try.
final class WorkerPoolTests: XCTestCase {
    static let script = """
        import os, struct, sys, time
        sock_in, sock_out = sys.stdin.buffer, sys.stdout.buffer
        def send(b):
            sock_out.write(struct.pack('<I', len(b)) + b); sock_out.flush()
        send(b'cohort-worker/1')
        while True:
            head = sock_in.read(4)
            if len(head) < 4: break
            body = sock_in.read(struct.unpack('<I', head)[0])
            if body == b'crash': os.abort()
            if body == b'hang': time.sleep(60)
            if body == b'exit': sys.exit(3)
            if body.startswith(b'flaky:'):
                marker = body[6:].decode()
                if not os.path.exists(marker):
                    open(marker, 'w').close(); os.kill(os.getpid(), 11)
            if body == b'pid': send(str(os.getpid()).encode()); continue
            send(body[::-1])
        """

    var folder: TemporaryFolder!
    var scriptPath: String!

    override func setUpWithError() throws {
        folder = try TemporaryFolder()
        scriptPath = folder.path + "/worker.py"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    }

    func makePool(timeout: Double? = nil) throws -> WorkerPool {
        try WorkerPool(executable: "/usr/bin/python3", arguments: ["-u", scriptPath], timeoutSeconds: timeout)
    }

    func testRepliesComeBackFromTheWorker() throws {
        let pool = try makePool()
        XCTAssertEqual(pool.call(Array("abc".utf8)), .reply(Array("cba".utf8)))
        XCTAssertEqual(pool.call([]), .reply([]))
    }

    func testACrashIsReportedWithItsSignalAndTheNextRequestSucceeds() throws {
        let pool = try makePool()
        guard case .crashed(let how) = pool.call(Array("crash".utf8)) else { return XCTFail("abort was not reported") }
        XCTAssertTrue(how.contains("SIGABRT"), how)
        XCTAssertEqual(pool.call(Array("ok".utf8)), .reply(Array("ko".utf8)))
        XCTAssertEqual(pool.statistics.crashes, 1)
    }

    func testAnExitIsReportedWithItsStatus() throws {
        let pool = try makePool()
        guard case .crashed(let how) = pool.call(Array("exit".utf8)) else { return XCTFail("exit was not reported") }
        XCTAssertTrue(how.contains("status 3"), how)
    }

    func testAHangIsStoppedAtTheTimeLimit() throws {
        let pool = try makePool(timeout: 0.5)
        let start = Date()
        XCTAssertEqual(pool.call(Array("hang".utf8)), .timedOut(seconds: 0.5))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(pool.call(Array("after".utf8)), .reply(Array("retfa".utf8)))
    }

    func testACrashThatDoesNotRepeatIsRetriedInAFreshWorker() throws {
        let pool = try makePool()
        let request = Array("flaky:\(folder.path)/marker".utf8)
        XCTAssertEqual(pool.call(request), .reply(request.reversed()))
        XCTAssertEqual(pool.statistics.crashes, 0)
        XCTAssertEqual(pool.statistics.workersStarted, 2)
    }

    func testConcurrentCallersEachGetTheirOwnReply() throws {
        let pool = try makePool()
        let requests = (0..<64).map { Array("request \($0)".utf8) }
        var replies = [WorkerReply?](repeating: nil, count: requests.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: requests.count) { i in
            let reply = pool.call(requests[i])
            lock.lock(); replies[i] = reply; lock.unlock()
        }
        for (request, reply) in zip(requests, replies) { XCTAssertEqual(reply, .reply(request.reversed())) }
        XCTAssertLessThanOrEqual(pool.statistics.workersStarted, ProcessInfo.processInfo.activeProcessorCount * 2 + 2)
    }

    func testAWorkerThatNeverGreetsIsAStartError() {
        XCTAssertThrowsError(try WorkerPool(executable: "/bin/true", arguments: [])) { error in
            XCTAssertEqual((error as? IsolationError)?.code, .cannotStart)
        }
        XCTAssertThrowsError(try WorkerPool(executable: "/nonexistent/cohort", arguments: []))
    }
}
