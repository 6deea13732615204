/// Autoscaling: whether a child the maintenance timer has just read is the full newest member of
/// its family (one owner's canisters of one template: the first, made by sign-up, and its shards),
/// and where the next shard goes. Synchronous: the caller creates the shard (Provision) right after.
import Nat "mo:core/Nat";
import Map "mo:core/Map";
import Text "mo:core/Text";
import Principal "mo:core/Principal";
import Types "Types";
import Mgmt "Mgmt";
import Policy "Policy";
import Registry "Registry";
import Context "Context";

module {
  /// A shard to create: its place, its creation key, and what made it due.
  public type Due = {
    shard : Types.Shard;
    key : Text;
    first : Types.Child; // the family's first canister: its init arg is the shard's
    used : Nat;
    limit : Nat;
    scale_at : Nat;
  };

  public func policyOf(ctx : Context.Ctx, template : Text) : Types.ScalePolicy {
    switch (ctx.scaling.get(template)) { case (?p) p; case null Policy.defaultScale };
  };

  /// Bytes used and the limit they count against: the Wasm heap (what wasm_memory_limit caps)
  /// when the replica reports memory_metrics, else memory_size; limit 0 means none is set.
  public func usage(s : Mgmt.Status) : (Nat, Nat) {
    let used = switch (s.memory_metrics) { case (?m) m.wasm_memory_size; case null s.memory_size };
    let limit = switch (s.settings.wasm_memory_limit) { case (?l) l; case null 0 };
    (used, limit);
  };

  /// The creation key of shard `index` of (template, owner): one creation per key at a time.
  public func key(template : Text, owner : Principal, index : Nat) : Text {
    template # "/" # owner.toText() # "/shard/" # Nat.toText(index);
  };

  /// The next shard of `c`'s family when `c` (status `s`) is its newest live member, is past its
  /// template's scale_at, and the family is below max_shards; null otherwise.
  public func due(ctx : Context.Ctx, c : Types.Child, s : Mgmt.Status) : ?Due {
    let p = policyOf(ctx, c.canister_type);
    if (not p.autoscale) return null;
    let ?pct = p.scale_at else return null;
    let (used, limit) = usage(s);
    if (limit == 0 or used * 100 < pct * limit) return null;
    var liveShards = 0;
    var lastIndex = 0; // of every shard ever made, so a deleted shard's number is never reused
    var newest : ?(Nat, Principal) = null;
    for (m in Registry.ofOwner(ctx.registry, c.owner).values()) {
      if (m.canister_type == c.canister_type) switch (ctx.shards.get(m.canister_id)) {
        case (?sh) {
          lastIndex := Nat.max(lastIndex, sh.shard_index);
          if (Registry.isLive(m)) {
            liveShards += 1;
            switch newest { case (?(i, _)) if (i > sh.shard_index) {} else newest := ?(sh.shard_index, m.canister_id); case null newest := ?(sh.shard_index, m.canister_id) };
          };
        };
        case null {};
      };
    };
    let mine = ctx.shards.get(c.canister_id);
    switch (newest, mine) {
      case (?(_, id), _) if (id != c.canister_id) return null; // a newer shard takes the writes
      case (null, ?_) return null;
      case _ {};
    };
    if (liveShards + 1 >= p.max_shards) return null;
    let firstId = switch mine { case (?sh) sh.shard_of; case null c.canister_id };
    let ?first = ctx.registry.children.get(firstId) else return null;
    let index = lastIndex + 1;
    let k = key(c.canister_type, c.owner, index);
    if (ctx.creating.containsKey(k)) return null; // being created (the timer fired again)
    ?{ shard = { shard_of = firstId; shard_index = index }; key = k; first; used; limit; scale_at = pct };
  };
};
