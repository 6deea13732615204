/// What `get_info` and `admin_stats` return since the templates report their own capacity and a
/// state version (user 0.2.0 and the other templates after 0.1.0). Info.mo stays as it was: the
/// frozen user 0.1.0 source imports it.
///
/// `capacity` is the template's fullest quota (`used` of `limit`, in `unit`), so that an operator
/// can scale before a write is refused. `state_version` goes up with every update that may change
/// the state and with every install or upgrade (the actor body runs then), and is kept across
/// upgrades; equal values mean the same data, so a backup of an unchanged canister can be skipped
/// by a query. Both are `opt` in Candid: a client reading an older template gets null.
import Info "Info";

module {
  public type Capacity = { used : Nat; limit : Nat; unit : Text };

  public type Info = {
    owner : Principal;
    template : Text;
    version : Text;
    counts : [(Text, Nat)];
    bytes_used : Nat;
    memory_bytes : Nat;
    heap_bytes : Nat;
    cycles : Nat;
    capacity : ?Capacity;
    state_version : ?Nat64;
  };

  public type Stats = {
    info : Info;
    limits : [(Text, Nat)];
    readers : Nat;
  };

  /// The state version counter; one per canister, a persistent field of the actor.
  public type Changes = { var version : Nat64 };

  public func changes() : Changes = { var version = 0 };

  /// Call after the access check of every update that may change the state, and once in the actor
  /// body. Bumping for a write that is then refused is harmless (a backup too many, never one too few).
  public func bump(changes : Changes) { changes.version +%= 1 };

  /// The quota closest to its limit (highest `used / limit`); quotas with limit 0 are ignored.
  public func fullest(quotas : [Capacity]) : ?Capacity {
    var best : ?Capacity = null;
    for (q in quotas.values()) {
      if (q.limit > 0) {
        switch (best) {
          case null best := ?q;
          case (?b) if (q.used * b.limit > b.used * q.limit) best := ?q;
        };
      };
    };
    best;
  };

  public func info(owner : Principal, template : Text, version : Text, counts : [(Text, Nat)], bytesUsed : Nat, quotas : [Capacity], changes : Changes) : Info {
    let base = Info.info(owner, template, version, counts, bytesUsed);
    { base with capacity = fullest(quotas); state_version = ?changes.version };
  };
};
