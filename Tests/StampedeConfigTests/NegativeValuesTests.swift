import StampedeConfig
import Testing

/// A negative number after an option is the option's value, so that its own check can name what is wrong with it.
struct NegativeValuesTests {
    @Test(arguments: [
        (["run", "--peak-rate", "-5/s"], ["run", "--peak-rate=-5/s"]),
        (["--max-lost-workers", "-1", "--quiet"], ["--max-lost-workers=-1", "--quiet"]),
        (["--timeout", "-.5s"], ["--timeout=-.5s"]),
        (["--speed", "-2x", "--duration", "-3s"], ["--speed=-2x", "--duration=-3s"]),
        // A short option's too: `bench-http -m -8` said "Missing value for '-m <m>'".
        (["bench-http", "-c", "4", "-m", "-8"], ["bench-http", "-c", "4", "-m=-8"]),
    ])
    func aNegativeNumberStaysWithItsOption(given: [String], parsed: [String]) {
        #expect(NegativeValues.attached(given) == parsed)
    }

    @Test(arguments: [
        ["run", "--peak-rate", "800/s", "--quiet"],
        // Options and their own values, a dash that is not a number, and a value already attached.
        ["--profile", "-", "--scenario", "s.yaml"],
        ["--seed=-1", "-v", "--threshold", "-x"],
        // A word after `--` is no option's value; nor after help, or a word that only starts with a dash.
        ["--", "--seed", "-1"],
        ["-h", "-8"],
        ["-mc", "-8"],
        ["--seed"],
    ])
    func everythingElseIsLeftAsItIs(arguments: [String]) {
        #expect(NegativeValues.attached(arguments) == arguments)
    }
}
