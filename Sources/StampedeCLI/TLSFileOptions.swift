import ArgumentParser
import StampedeHTTP

/// The PEM files TLS options name, checked while the command line is read: a wrong file is a usage error (exit
/// 64, naming the option and the file) before a target is set up or a port listened on.
enum TLSFileOptions {
    /// A certificate and its key (`--tls-cert`/`--tls-key`): both or neither; when both, they load and match.
    static func checkPair(certificate: String?, key: String?, options: (certificate: String, key: String)) throws {
        switch (certificate, key) {
        case (nil, nil): return
        case (let certificate?, let key?):
            if let problem = PEMFiles.problem(certificate: certificate, key: key) {
                throw ValidationError("\(options.certificate), \(options.key): \(problem)")
            }
        default: throw ValidationError("give both \(options.certificate) and \(options.key)")
        }
    }

    /// A file of certificate authorities to trust (`--ca`, `--client-ca`).
    static func checkAuthorities(_ path: String?, option: String) throws {
        guard let path, let problem = PEMFiles.problem(authorities: path) else { return }
        throw ValidationError("\(option): \(problem)")
    }
}
