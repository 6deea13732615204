/// Calendar dates as text, "YYYY-MM-DD".
import Text "mo:core/Text";
import Char "mo:core/Char";
import Nat32 "mo:core/Nat32";

module {
  public func isValid(date : Text) : Bool {
    let chars = date.toArray();
    if (chars.size() != 10 or chars[4] != '-' or chars[7] != '-') return false;
    for (i in [0, 1, 2, 3, 5, 6, 8, 9].values()) if (not chars[i].isDigit()) return false;
    let month = digit(chars[5]) * 10 + digit(chars[6]);
    let day = digit(chars[8]) * 10 + digit(chars[9]);
    month >= 1 and month <= 12 and day >= 1 and day <= 31;
  };

  func digit(c : Char) : Nat = Char.toNat32(c).toNat() - 48;
};
