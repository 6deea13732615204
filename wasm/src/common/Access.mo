/// Who may do what: the owner writes, the owner and granted readers read, controllers
/// (the operators) run maintenance. Every template uses these rules unchanged.
import Principal "mo:core/Principal";
import Set "mo:core/Set";
import Error "mo:core/Error";
import Nat "mo:core/Nat";

module {
  public type Readers = Set.Set<Principal>;

  public func isOwner(owner : Principal, caller : Principal) : Bool = caller == owner;

  public func canRead(owner : Principal, readers : Readers, caller : Principal) : Bool {
    caller == owner or readers.contains(caller);
  };

  public func isOperator(caller : Principal) : Bool {
    not caller.isAnonymous() and caller.isController();
  };

  /// The reject a caller gets; says why, so a client can tell "sign in" from "ask the owner".
  public func denied(caller : Principal, action : Text) : Error {
    if (caller.isAnonymous()) {
      Error.reject("anonymous callers may not " # action # "; call with an identity");
    } else {
      Error.reject("caller " # caller.toText() # " may not " # action);
    };
  };

  /// Validates a principal the owner wants to let read.
  public func checkGrantee(owner : Principal, readers : Readers, who : Principal, maxReaders : Nat) : ?Text {
    if (who.isAnonymous()) return ?"cannot grant read access to the anonymous principal";
    if (who == owner) return ?"the owner can always read; no grant needed";
    if (not readers.contains(who) and readers.size() >= maxReaders) {
      return ?("reader limit reached (max_readers = " # Nat.toText(maxReaders) # ")");
    };
    null;
  };
};
