import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the PEM files a TLS endpoint is given will load, said in words that name the file, with OpenSSL's
/// reason after them. Checked where the command line is read (the shop's certificate, the coordinator's and the
/// workers' channel, a target's CA), so that a wrong file is a usage error before anything starts; otherwise it
/// surfaced as `failedToLoadCertificate`, or as gRPC's `serverIsStopped` after the target had been set up.
public enum PEMFiles {
    /// A certificate chain and its private key: both readable, both PEM, the key the certificate's.
    public static func problem(certificate: String, key: String) -> String? {
        if let unreadable = unreadable(certificate, "the certificate") ?? unreadable(key, "the private key") {
            return unreadable
        }
        return withContext { context in
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                return "the certificate \(certificate) holds no PEM certificate (\(TLSContext.drainErrors()))"
            }
            guard let file = BIO_new_file(key, "r") else {
                return "cannot read the private key \(key) (\(TLSContext.drainErrors()))"
            }
            defer { BIO_free(file) }
            guard let privateKey = PEM_read_bio_PrivateKey(file, nil, nil, nil) else {
                return "the private key \(key) holds no PEM private key (\(TLSContext.drainErrors()))"
            }
            defer { EVP_PKEY_free(privateKey) }
            guard SSL_CTX_use_PrivateKey(context, privateKey) == 1, SSL_CTX_check_private_key(context) == 1 else {
                return "the private key \(key) is not the key of the certificate \(certificate) "
                    + "(\(TLSContext.drainErrors()))"
            }
            return nil
        }
    }

    /// A file of certificate authorities to trust: readable, and at least one PEM certificate in it.
    public static func problem(authorities: String) -> String? {
        if let unreadable = unreadable(authorities, "the CA file") { return unreadable }
        return withContext { context in
            guard SSL_CTX_load_verify_locations(context, authorities, nil) == 1 else {
                return "the CA file \(authorities) holds no PEM certificate (\(TLSContext.drainErrors()))"
            }
            return nil
        }
    }

    private static func unreadable(_ path: String, _ role: String) -> String? {
        access(path, R_OK) == 0 ? nil : "cannot read \(role) \(path): no such file, or not readable"
    }

    private static func withContext(_ body: (OpaquePointer) -> String?) -> String? {
        _ = TLSContext.drainErrors()  // start from an empty error queue
        guard let context = SSL_CTX_new(TLS_method()) else {
            return "cannot create a TLS context (\(TLSContext.drainErrors()))"
        }
        defer { SSL_CTX_free(context) }
        return body(context)
    }
}
