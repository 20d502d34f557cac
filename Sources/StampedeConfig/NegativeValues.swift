/// A negative number after an option, as in `--peak-rate -5/s`, given to the option as its value.
///
/// ArgumentParser reads a word that starts with `-` as an option of its own, so `--peak-rate -5/s` failed with
/// "Missing value for '--peak-rate'", about a value that was there. Written `--peak-rate=-5/s`, the option's own
/// check names what is wrong with it (`expected a rate above 0`). No option of Stampede is a dash and a digit, so a
/// word such as `-5/s` or `-.5` is never one. A short option's negative value is joined the same way (`-m=-8`).
public enum NegativeValues {
    public static func attached(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            if word == "--" { return result + arguments[index...] }
            let next = arguments.index(after: index)
            if isOptionWithoutValue(word), next < arguments.endIndex, isNegativeNumber(arguments[next]) {
                result.append(word + "=" + arguments[next])
                index = arguments.index(after: next)
            } else {
                result.append(word)
                index = next
            }
        }
        return result
    }

    /// `--peak-rate`, or a short option such as `-m` (`bench-http -m -8`; ArgumentParser takes `-m=-8`). `-h`
    /// is help, never followed by a value.
    private static func isOptionWithoutValue(_ word: String) -> Bool {
        if word.hasPrefix("--") { return word.count > 2 && !word.contains("=") }
        guard word.count == 2, word.hasPrefix("-"), let letter = word.last else { return false }
        return letter.isASCII && letter.isLetter && letter != "h"
    }

    private static func isNegativeNumber(_ word: String) -> Bool {
        guard word.hasPrefix("-"), let second = word.dropFirst().first else { return false }
        return second.isNumber || second == "."
    }
}
