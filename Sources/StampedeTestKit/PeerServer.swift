import Foundation
import Glibc
import StampedeProcess

/// A real HTTP/2 server from Debian (nghttpd or nginx) on loopback, for interoperability tests: started on free
/// ports with its own files in a temporary directory, and stopped by the PIDs it was started with. `nil` from a
/// starter means the program is not installed (scripts/test installs both).
public final class PeerServer: @unchecked Sendable {
    // Set once at start; `stop()` is called once, by the test that started it.
    public let name: String
    /// HTTP/2 with prior knowledge.
    public let h2cPort: Int
    /// TLS with ALPN h2 (and http/1.1 for nginx), with `certificates.serverCertificate`.
    public let tlsPort: Int
    /// HTTP/1.1 in cleartext (nginx only).
    public let http1Port: Int?
    /// The body every GET of `/index.html` answers.
    public static let page = "hello from a peer\n"
    private let processes: [ChildProcess]
    private let directory: String

    private init(
        name: String, h2cPort: Int, tlsPort: Int, http1Port: Int?, processes: [ChildProcess], directory: String
    ) {
        self.name = name
        self.h2cPort = h2cPort
        self.tlsPort = tlsPort
        self.http1Port = http1Port
        self.processes = processes
        self.directory = directory
    }

    /// nghttpd: h2c and h2 over TLS, echoing uploads.
    public static func nghttpd(certificates: TestCertificates) throws -> PeerServer? {
        guard let program = find("nghttpd") else { return nil }
        let directory = try makeDirectory()
        let (h2c, tls) = (try freePort(), try freePort())
        let common = ["--address=127.0.0.1", "--echo-upload", "-d", directory + "/www"]
        let processes = [
            try ChildProcess.launch(program, common + ["--no-tls", String(h2c)], output: directory + "/h2c.log"),
            try ChildProcess.launch(
                program, common + [String(tls), certificates.serverKey, certificates.serverCertificate],
                output: directory + "/tls.log"),
        ]
        let server = PeerServer(
            name: "nghttpd", h2cPort: h2c, tlsPort: tls, http1Port: nil, processes: processes,
            directory: directory)
        try server.waitUntilListening([h2c, tls])
        return server
    }

    /// nginx: HTTP/1.1, h2c and TLS with ALPN h2/http1.1; `POST /post` answers `posted`.
    public static func nginx(certificates: TestCertificates) throws -> PeerServer? {
        guard let program = find("nginx") else { return nil }
        let directory = try makeDirectory()
        let (http1, h2c, tls) = (try freePort(), try freePort(), try freePort())
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            error_log \(directory)/error.log warn;
            pid \(directory)/nginx.pid;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                server {
                    listen 127.0.0.1:\(http1);
                    listen 127.0.0.1:\(h2c) http2;
                    listen 127.0.0.1:\(tls) ssl http2;
                    ssl_certificate \(certificates.serverCertificate);
                    ssl_certificate_key \(certificates.serverKey);
                    root \(directory)/www;
                    location = /post { client_max_body_size 10m; return 200 "posted\\n"; }
                }
            }
            """
        try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = try ChildProcess.launch(
            program, ["-c", directory + "/nginx.conf", "-p", directory + "/"],
            output: directory + "/out.log")
        let server = PeerServer(
            name: "nginx", h2cPort: h2c, tlsPort: tls, http1Port: http1, processes: [process],
            directory: directory)
        try server.waitUntilListening([http1, h2c, tls])
        return server
    }

    /// Stops the servers this object started (SIGTERM, then SIGKILL after a second) and removes their files.
    public func stop() {
        for process in processes { process.terminate() }
        for process in processes {
            let deadline = Date().addingTimeInterval(1)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            process.send(SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func waitUntilListening(_ ports: [Int]) throws {
        for port in ports {
            var ready = false
            for _ in 0..<300 where !ready {
                ready = Self.accepts(port)
                if !ready { usleep(10_000) }
            }
            if !ready {
                let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
                stop()
                throw FixtureError("\(name) did not listen on 127.0.0.1:\(port) within 3 s \(log)")
            }
        }
    }

    /// Whether a peer program is installed (tests that need it are skipped otherwise, and say so).
    public static func isInstalled(_ program: String) -> Bool { find(program) != nil }

    private static func find(_ program: String) -> String? {
        ["/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"].map { $0 + program }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func makeDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-peer-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory + "/www", withIntermediateDirectories: true)
        try page.write(toFile: directory + "/www/index.html", atomically: true, encoding: .utf8)
        return directory
    }

    /// A port nothing listens on now (the kernel's pick for a socket bound to port 0).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket() failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw FixtureError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
