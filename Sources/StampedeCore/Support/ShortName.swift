/// The names a threshold and a file name can carry as they are: a profile's, a flow's and a step's. Letters (of
/// any script), digits, `-`, `_` and `.`.
public enum ShortName {
    /// The rule in words, for messages.
    public static let rule = "letters, digits, '-', '_' or '.'"

    public static func allows(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "-_.".contains(character)
    }

    public static func isValid(_ name: String) -> Bool { !name.isEmpty && name.allSatisfy(allows) }
}
