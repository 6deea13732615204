/// Offset/limit paging shared by every list method.
import Iter "mo:core/Iter";
import List "mo:core/List";
import Nat "mo:core/Nat";

module {
  public type Page<T> = { items : [T]; total : Nat; next_offset : ?Nat };

  /// Largest page any list method returns, whatever the caller asks for, so that a reply
  /// stays far below the IC's message size limit.
  public let maxPageSize = 100;

  public func of<T>(items : Iter.Iter<T>, total : Nat, offset : Nat, limit : Nat) : Page<T> {
    let size = Nat.min(Nat.min(limit, maxPageSize), if (offset >= total) 0 else total - offset);
    let out = List.empty<T>();
    var index = 0;
    label scan for (item in items) {
      if (index >= offset + size) break scan;
      if (index >= offset) out.add(item);
      index += 1;
    };
    let end = offset + out.size();
    { items = out.toArray(); total; next_offset = if (end < total) ?end else null };
  };
};
