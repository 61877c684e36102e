import CohortCore
import Foundation

/// Keyed, repeatable de-identification of what the catalog stores (DICOM PS3.15 Annex E, Basic Application
/// Level Confidentiality Profile, with the Retain Longitudinal Temporal Information with Modified Dates option).
///
/// - Patient ID becomes `P` + 20 hex digits of HMAC-SHA256(key, "patient:" + ID): stable across imports that
///   use the same key, so patient-level splits still work, and not reversible without the key.
/// - UIDs become `2.25.<decimal of 128 bits of HMAC(key, "uid:" + UID)>` (PS3.5 B.2 UUID-derived form): the same
///   UID always maps to the same new UID, so study and series links survive.
/// - Dates move back by a per-patient number of days (1 to 3650) derived from the key, so intervals between a
///   patient's studies are kept. Names, birth dates, sex, accession numbers are not stored.
/// - Device and acquisition facts (modality, manufacturer, laterality, view, geometry) are kept: the profile
///   does not remove them and the models need them.
public struct Pseudonymizer: Sendable {
    private let key: [UInt8]

    /// Creates a pseudonymizer from secret key bytes (at least 16).
    public init(key: [UInt8]) throws {
        guard key.count >= 16 else {
            throw CatalogError(code: .deidentification,
                               message: "the de-identification key has \(key.count) bytes; use at least 16 random bytes (e.g. `head -c 32 /dev/urandom > cohort.key`)")
        }
        self.key = key
    }

    /// Reads the key from a file (its raw bytes; a trailing newline is kept as part of the key).
    public init(keyFile: String) throws {
        guard let data = FileManager.default.contents(atPath: keyFile) else {
            throw CatalogError(code: .deidentification,
                               message: "cannot read the key file; create one with `head -c 32 /dev/urandom > \(keyFile)` and keep it secret",
                               path: keyFile)
        }
        try self.init(key: [UInt8](data))
    }

    /// A fingerprint of the key, stored in the catalog so that imports with another key are refused.
    public var keyFingerprint: String { String(code("cohort-key-fingerprint").hexString.prefix(16)) }

    /// The pseudonym of a patient ID.
    public func patientKey(_ patientID: String) -> String { "P" + code("patient:" + patientID).hexString.prefix(20) }

    /// The replacement of a UID.
    public func uid(_ original: String) -> String { "2.25." + Self.decimal(Array(code("uid:" + original).prefix(16))) }

    /// `date` (`YYYYMMDD`) moved back by the patient's offset; nil when the date does not parse.
    public func shiftedDate(_ date: String, patientID: String) -> String? {
        let digits = date.filter(\.isNumber)
        guard digits.count == 8, let day = Self.dayNumber(digits) else { return nil }
        let bytes = code("date-shift:" + patientID)
        let offset = (Int(bytes[0]) << 8 | Int(bytes[1])) % 3650 + 1
        return Self.date(fromDayNumber: day - offset)
    }

    private func code(_ message: String) -> [UInt8] { HMACSHA256.authenticationCode(for: message, key: key) }

    /// Big-endian bytes as a decimal string (for 2.25 UIDs).
    static func decimal(_ bytes: [UInt8]) -> String {
        var number = bytes.map { UInt32($0) }
        var digits: [Character] = []
        while number.contains(where: { $0 != 0 }) {
            var remainder: UInt32 = 0
            for i in number.indices {
                let value = remainder << 8 | number[i]
                number[i] = value / 10
                remainder = value % 10
            }
            digits.append(Character(String(remainder)))
        }
        return digits.isEmpty ? "0" : String(digits.reversed())
    }

    /// Days since 1970-01-01 of a `YYYYMMDD` string (proleptic Gregorian).
    static func dayNumber(_ text: String) -> Int? {
        guard let y = Int(text.prefix(4)), let m = Int(text.dropFirst(4).prefix(2)), let d = Int(text.suffix(2)),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYYMMDD` of a day number (inverse of ``dayNumber(_:)``).
    static func date(fromDayNumber days: Int) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return String(format: "%04d%02d%02d", y, m, d)
    }
}
