/// The factory's record of its children: by id, in creation order (for stable paging) and by
/// owner. Synchronous only; the flows in Main.mo change a child's status around their awaits.
import Map "mo:core/Map";
import List "mo:core/List";
import Nat "mo:core/Nat";
import Principal "mo:core/Principal";
import Array "mo:core/Array";
import Iter "mo:core/Iter";
import Text "mo:core/Text";
import Types "Types";

module {
  public type Registry = {
    children : Map.Map<Principal, Types.Child>;
    order : List.List<Principal>;
    byOwner : Map.Map<Principal, List.List<Principal>>;
  };

  public let maxPage = 500;

  public func empty() : Registry = {
    children = Map.empty<Principal, Types.Child>();
    order = List.empty<Principal>();
    byOwner = Map.empty<Principal, List.List<Principal>>();
  };

  public func add(r : Registry, c : Types.Child) {
    r.children.add(c.canister_id, c);
    r.order.add(c.canister_id);
    switch (r.byOwner.get(c.owner)) {
      case (?l) l.add(c.canister_id);
      case null r.byOwner.add(c.owner, List.singleton(c.canister_id));
    };
  };

  /// The interface's view of a child; `shard` is its place in its family when autoscaling made it.
  public func info(c : Types.Child, shard : ?Types.Shard) : Types.CanisterInfo {
    {
      canister_id = c.canister_id;
      created_by = c.created_by;
      created_at = c.created_at;
      canister_type = c.canister_type;
      status = c.status;
      cycles_balance = c.cycles_balance;
      owner = c.owner;
      version = c.version;
      module_hash = c.module_hash;
      last_error = c.last_error;
      shard_of = switch shard { case (?s) ?s.shard_of; case null null };
      shard_index = switch shard { case (?s) ?s.shard_index; case null null };
    };
  };

  public func isLive(c : Types.Child) : Bool = c.status != #Deleted;

  public func ofOwner(r : Registry, owner : Principal) : [Types.Child] {
    switch (r.byOwner.get(owner)) {
      case (?l) l.filterMap<Principal, Types.Child>(func id = r.children.get(id)).toArray();
      case null [];
    };
  };

  /// Live children of `template` that `owner` owns, oldest first.
  public func liveOf(r : Registry, owner : Principal, template : Text) : [Types.Child] {
    ofOwner(r, owner).filter(func(c : Types.Child) : Bool = isLive(c) and c.canister_type == template);
  };

  /// Live children a caller asked for (its quota).
  public func createdBy(r : Registry, caller : Principal) : Nat {
    var n = 0;
    for (c in r.children.values()) if (isLive(c) and c.created_by == caller) n += 1;
    n;
  };

  public func page(r : Registry, a : Types.ListArgs, view : Types.Child -> Types.CanisterInfo) : Types.CanisterPage {
    let size = Nat.min(Nat.max(a.limit, 1), maxPage);
    let out = List.empty<Types.CanisterInfo>();
    var matched = 0;
    for (id in r.order.values()) {
      switch (r.children.get(id)) {
        case (?c) if (matches(c, a)) {
          if (matched >= a.offset and out.size() < size) out.add(view(c));
          matched += 1;
        };
        case null {};
      };
    };
    let end = a.offset + out.size();
    { items = out.toArray(); total = matched; next_offset = if (end < matched) ?end else null };
  };

  func matches(c : Types.Child, a : Types.ListArgs) : Bool {
    (switch (a.canister_type) { case (?t) t == c.canister_type; case null true })
    and (switch (a.status) { case (?s) s == c.status; case null true })
    and (switch (a.owner) { case (?o) o == c.owner; case null true });
  };

  public func statusText(s : Types.CanisterStatus) : Text {
    switch s { case (#Creating) "Creating"; case (#Active) "Active"; case (#Upgrading) "Upgrading"; case (#Stopped) "Stopped"; case (#Deleted) "Deleted" };
  };

  /// Children by (type, status), and the cycles live children held when last seen.
  public func counts(r : Registry) : ([Types.TypeStatusCount], Nat, Nat) {
    let m = Map.empty<Text, (Text, Types.CanisterStatus, Nat)>();
    var held = 0;
    for (c in r.children.values()) {
      let k = c.canister_type # "\00" # statusText(c.status);
      switch (m.get(k)) {
        case (?(t, s, n)) m.add(k, (t, s, n + 1));
        case null m.add(k, (c.canister_type, c.status, 1));
      };
      if (isLive(c)) held += c.cycles_balance;
    };
    let out = m.values().map(func((t, s, n) : (Text, Types.CanisterStatus, Nat)) : Types.TypeStatusCount = { canister_type = t; status = s; count = n }).toArray();
    (out, held, r.children.size());
  };

  public func usingVersion(r : Registry, template : Text, version : Text) : Nat {
    var n = 0;
    for (c in r.children.values()) if (isLive(c) and c.canister_type == template and c.version == ?version) n += 1;
    n;
  };

  public func ofTemplate(r : Registry, template : Text) : Nat {
    var n = 0;
    for (c in r.children.values()) if (isLive(c) and c.canister_type == template) n += 1;
    n;
  };
};
