/// How one response counts.
public enum ResponseVerdict: Sendable, Equatable {
    case ok
    /// 429: the target is rate limiting; reported apart from errors.
    case throttled
    case failed(ErrorLabel)
}

extension Expectation {
    /// Classifies a response: 429 is throttling; a status outside the expected set is a 5xx or 4xx error by its
    /// class (a check failure otherwise); a missing body text is a check failure.
    public func verdict(status: Int, body: some Collection<UInt8>) -> ResponseVerdict {
        if status == 429 && !self.status.contains(429) { return .throttled }
        guard accepts(status: status) else {
            switch status {
            case 500...599: return .failed(.status5xx)
            case 400...499: return .failed(.status4xx)
            default: return .failed(.check)
            }
        }
        if let needle = bodyContains, !needle.isEmpty, !body.containsSubsequence(Array(needle.utf8)) {
            return .failed(.check)
        }
        return .ok
    }
}

extension Collection<UInt8> {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        let haystack = Array(self)
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
