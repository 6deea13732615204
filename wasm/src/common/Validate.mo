/// Size checks on caller-supplied data, measured in UTF-8 bytes (what the memory holds).
import Nat "mo:core/Nat";
import Text "mo:core/Text";
import Principal "mo:core/Principal";
import Runtime "mo:core/Runtime";

module {
  public func bytes(t : Text) : Nat = t.encodeUtf8().size();

  public func text(field : Text, value : Text, maxBytes : Nat) : ?Text {
    let size = bytes(value);
    if (size > maxBytes) ?(field # " is " # Nat.toText(size) # " bytes; the limit is " # Nat.toText(maxBytes)) else null;
  };

  public func nonEmptyText(field : Text, value : Text, maxBytes : Nat) : ?Text {
    if (value == "") ?(field # " must not be empty") else text(field, value, maxBytes);
  };

  /// Refuses an install or upgrade whose owner is missing or cannot sign.
  public func owner(owner : Principal) {
    if (owner.isAnonymous()) Runtime.trap("invalid init argument: owner must not be the anonymous principal");
    if (owner == Principal.fromBlob("")) Runtime.trap("invalid init argument: owner must not be the management canister");
  };
};
