/// Making one child, for a sign-up (Main.create) or a shard (Autoscale): take a pooled canister
/// or pay for a new one, install the template, and retire it again when the install fails.
/// A creation key (`Context.creating`) marks each creation from before its first await until its
/// install is over, so no second creation for the same key starts meanwhile.
import Error "mo:core/Error";
import Nat "mo:core/Nat";
import Map "mo:core/Map";
import Set "mo:core/Set";
import List "mo:core/List";
import Text "mo:core/Text";
import Principal "mo:core/Principal";
import Types "Types";
import Mgmt "Mgmt";
import Log "Log";
import Context "Context";
import Retire "Retire";
import Registry "Registry";

module {
  public type Request = {
    caller : Principal;
    template : Text;
    owner : Principal;
    arg : Blob;
    key : Text; // the creation key, unique per (template, owner) or (template, owner, shard index)
    shard : ?Types.Shard;
    action : Text; // the event logged on success ("create", "shard_created")
    detail : ?Text; // its text
  };

  /// A creation that passed the cycles check and holds its key.
  public type Reserved = { pooled : ?Principal; cost : Nat };

  /// The cycles check; on success the key is marked and a pooled canister taken. Synchronous:
  /// the caller checks the key is free and calls this without an await in between.
  public func reserve(ctx : Context.Ctx, r : Request, tpolicy : Types.BandPolicy) : { #Ok : Reserved; #Err : Types.FactoryError } {
    let pooled = ctx.pool.removeLast();
    let cost = switch (pooled) {
      case (?_) if (tpolicy.initial_cycles > ctx.policy().pool_canister_cycles) tpolicy.initial_cycles - ctx.policy().pool_canister_cycles else 0;
      case null tpolicy.initial_cycles + Mgmt.creationFee;
    };
    if (cost > ctx.available()) {
      switch (pooled) { case (?id) ctx.pool.add(id); case null {} };
      ctx.event(r.caller, r.action, null, #Failed, ?("insufficient cycles: " # r.template # " needs " # Nat.toText(cost)));
      return #Err(#InsufficientCycles({ needed = cost; available = ctx.available() }));
    };
    ctx.creating.add(r.key, Log.now());
    #Ok({ pooled; cost });
  };

  /// Creates (or tops up the pooled canister), records and installs the child; frees the key.
  public func finish(ctx : Context.Ctx, r : Request, res : Reserved, tpolicy : Types.BandPolicy, version : Types.Version) : async* Types.Created {
    let id = switch (res.pooled) {
      case (?id) {
        if (res.cost > 0) {
          try {
            await (with cycles = res.cost) Mgmt.ic.deposit_cycles({ canister_id = id });
            ctx.stats.cyclesGiven += res.cost;
          } catch (e) {
            ctx.pool.add(id);
            ctx.creating.remove(r.key);
            ctx.stats.creationFailures += 1;
            ctx.event(r.caller, r.action, ?id, #Failed, ?("topping up a pooled canister: " # e.message()));
            return #Err(#CreateFailed(e.message()));
          };
        };
        id;
      };
      case null {
        try {
          let made = await (with cycles = res.cost) Mgmt.ic.create_canister({ settings = ?{ controllers = ?ctx.controllers() }; sender_canister_version = null });
          ctx.stats.cyclesGiven += res.cost;
          made.canister_id;
        } catch (e) {
          ctx.creating.remove(r.key);
          ctx.stats.creationFailures += 1;
          ctx.event(r.caller, r.action, null, #Failed, ?e.message());
          return #Err(#CreateFailed(e.message()));
        };
      };
    };
    let child : Types.Child = {
      canister_id = id;
      created_by = r.caller;
      created_at = Log.now();
      canister_type = r.template;
      owner = r.owner;
      init_arg = r.arg;
      var status = #Creating;
      var cycles_balance = tpolicy.initial_cycles;
      var version = null;
      var module_hash = null;
      var last_error = null;
      var controllers_epoch = ctx.epoch();
    };
    Registry.add(ctx.registry, child);
    switch (r.shard) { case (?s) ctx.shards.add(id, s); case null {} };
    // The key stays marked until the install is over: callers for it wait for the outcome.
    try {
      await Mgmt.ic.install_code({ mode = #install; canister_id = id; wasm_module = version.wasm; arg = r.arg; sender_canister_version = null });
      child.status := #Active;
      child.version := ?version.version;
      child.module_hash := ?version.wasm_sha256;
      ctx.stats.creations += 1;
      ctx.creating.remove(r.key);
      ctx.event(r.caller, r.action, ?id, #Ok, r.detail);
      #Ok(id);
    } catch (e) {
      let message = e.message();
      child.last_error := ?("install failed: " # message);
      ctx.stats.creationFailures += 1;
      ctx.event(r.caller, "install", ?id, #Failed, ?message);
      ctx.busy.add(id);
      ignore await* Retire.retire(ctx, child, r.caller);
      ctx.busy.remove(id);
      ctx.creating.remove(r.key);
      #Err(#InstallFailed(message));
    };
  };
};
