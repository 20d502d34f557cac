import Foundation
import StampedeProcess
public import StampedeShop

/// Certificates for TLS tests, made with the `openssl` command: a CA, a server certificate for 127.0.0.1 and
/// localhost signed by it, a client certificate signed by it, and a second, untrusted CA with its own server
/// certificate.
public struct TestCertificates: Sendable {
    public let directory: String
    public var ca: String { path("ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    public var clientCertificate: String { path("client.pem") }
    public var clientKey: String { path("client.key") }
    public var untrustedCA: String { path("other-ca.pem") }
    public var untrustedServerCertificate: String { path("other-server.pem") }
    public var untrustedServerKey: String { path("other-server.key") }

    /// The trusted server certificate, for the reference shop.
    public var shopTLS: ShopConfiguration.TLSFiles {
        ShopConfiguration.TLSFiles(certificate: serverCertificate, key: serverKey)
    }

    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Makes a fresh set in a new temporary directory; `subjectAltName` names what the leaf certificates are for.
    /// Asynchronous: each `openssl` is awaited, never waited for on one of the few threads Swift's tasks share
    /// (with the tests running in parallel, a blocked thread held up other tests' timers by seconds).
    public static func make(
        subjectAltName: String = "IP:127.0.0.1,DNS:localhost"
    ) async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-certs-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        let extensions = certificates.path("san.ext")
        try "subjectAltName=\(subjectAltName)\nbasicConstraints=CA:FALSE\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        for (ca, name) in [("ca", "Stampede Test CA"), ("other-ca", "Someone Else's CA")] {
            try await openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(name)",
                "-keyout", certificates.path("\(ca).key"), "-out", certificates.path("\(ca).pem"),
            ])
        }
        for (leaf, ca) in [("server", "ca"), ("client", "ca"), ("other-server", "other-ca")] {
            try await openssl([
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(leaf)",
                "-keyout", certificates.path("\(leaf).key"), "-out", certificates.path("\(leaf).csr"),
            ])
            try await openssl([
                "x509", "-req", "-in", certificates.path("\(leaf).csr"), "-CA", certificates.path("\(ca).pem"),
                "-CAkey", certificates.path("\(ca).key"), "-CAcreateserial", "-days", "2",
                "-extfile", extensions, "-out", certificates.path("\(leaf).pem"),
            ])
        }
        return certificates
    }

    public func remove() { try? FileManager.default.removeItem(atPath: directory) }

    private static func openssl(_ arguments: [String]) async throws {
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            do {
                _ = try ChildProcess.launch(
                    "/usr/bin/openssl", arguments, onExit: { continuation.resume(returning: $0.status) })
            } catch {
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            throw FixtureError("openssl \(arguments.first ?? "") failed with status \(status)")
        }
    }
}
