import CCohortKernels
import CohortCore
import XCTest

final class SHA256Tests: XCTestCase {
    func testKnownVectorsFromFIPS180Match() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testStreamingInUnevenChunksEqualsOneShot() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256()
        var offset = 0
        for size in [1, 63, 64, 65, 1000, 7] where offset < data.count {
            let end = min(offset + size, data.count)
            hasher.update(Array(data[offset..<end]))
            offset = end
        }
        hasher.update(Array(data[offset...]))
        XCTAssertEqual(hasher.finalize(), SHA256.hash(data))
    }

    func testAcceleratedBlocksEqualPortableBlocks() throws {
        try XCTSkipUnless(ccohort_sha256_accelerated() == 1, "this CPU has no SHA extensions; only the portable path runs")
        var generator = SystemRandomNumberGenerator()
        for blocks in [1, 2, 3, 17, 100] {
            let data = (0..<blocks * 64).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var fast: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
            var slow = fast
            data.withUnsafeBufferPointer { bytes in
                ccohort_sha256_blocks(&fast, bytes.baseAddress, blocks)
                ccohort_sha256_blocks_portable(&slow, bytes.baseAddress, blocks)
            }
            XCTAssertEqual(fast, slow, "\(blocks) blocks")
        }
    }
}

final class HMACSHA256Tests: XCTestCase {
    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
    func testRFC4231VectorsMatch() {
        let key1 = [UInt8](repeating: 0x0b, count: 20)
        XCTAssertEqual(HMACSHA256.authenticationCode(for: "Hi There", key: key1).hexString,
                       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        XCTAssertEqual(HMACSHA256.authenticationCode(for: "what do ya want for nothing?", key: Array("Jefe".utf8)).hexString,
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let key6 = [UInt8](repeating: 0xaa, count: 131)
        XCTAssertEqual(HMACSHA256.authenticationCode(for: "Test Using Larger Than Block-Size Key - Hash Key First", key: key6).hexString,
                       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
