/// The maintenance timer's work: refill the pool, refresh children's status and cycles, keep them
/// in their template's cycles band, report the factory's own low balance.
import Error "mo:core/Error";
import Principal "mo:core/Principal";
import List "mo:core/List";
import Map "mo:core/Map";
import Set "mo:core/Set";
import Cycles "mo:core/Cycles";
import Templates "Templates";
import Registry "Registry";
import Nat "mo:core/Nat";
import Types "Types";
import Mgmt "Mgmt";
import Context "Context";

module {
  // Pool canisters and status refreshes per maintenance run (a timer tick).
  let POOL_BATCH = 10;
  let REFRESH_BATCH = 50;

  public func refillPool(ctx : Context.Ctx) : async* (Nat, Nat) {
    let want = if (ctx.policy().pool_size > ctx.pool.size() + ctx.poolInFlight) ctx.policy().pool_size - ctx.pool.size() - ctx.poolInFlight else 0;
    let each = ctx.policy().pool_canister_cycles + Mgmt.creationFee;
    var n = Nat.min(want, POOL_BATCH);
    while (n > 0 and n * each > ctx.available()) n -= 1;
    if (want > 0 and n == 0) ctx.event(ctx.me(), "pool", null, #Warning, ?"not enough cycles to refill the pool");
    let calls = List.empty<async Mgmt.Id>();
    for (_ in Nat.range(0, n)) calls.add((with cycles = each) Mgmt.ic.create_canister({ settings = ?{ controllers = ?ctx.controllers() }; sender_canister_version = null }));
    ctx.poolInFlight += n;
    var created = 0;
    var errors = 0;
    for (call in calls.values()) {
      try {
        let made = await call;
        ctx.pool.add(made.canister_id);
        ctx.stats.cyclesGiven += each;
        created += 1;
      } catch (e) {
        errors += 1;
        ctx.event(ctx.me(), "pool", null, #Failed, ?e.message());
      };
      ctx.poolInFlight -= 1;
    };
    (created, errors);
  };

  /// Refreshes a slice of the children and tops up those under their template's band_min.
  /// Returns (topped up, cycles sent, refreshed, errors, the children read with their status).
  public func keepBand(ctx : Context.Ctx) : async* (Nat, Nat, Nat, Nat, [(Principal, Mgmt.Status)]) {
    let ids = ctx.registry.order;
    let total = ids.size();
    let slice = List.empty<Types.Child>();
    var scanned = 0;
    while (scanned < total and slice.size() < REFRESH_BATCH) {
      if (ctx.stats.refreshCursor >= total) ctx.stats.refreshCursor := 0;
      switch (ctx.registry.children.get(ids.at(ctx.stats.refreshCursor))) {
        case (?c) if (Registry.isLive(c) and c.status != #Creating and not ctx.busy.contains(c.canister_id)) slice.add(c);
        case null {};
      };
      ctx.stats.refreshCursor += 1;
      scanned += 1;
    };
    let children = slice.toArray();
    let calls = List.empty<async Mgmt.Status>();
    for (c in children.values()) calls.add(Mgmt.ic.canister_status({ canister_id = c.canister_id }));
    var refreshed = 0;
    var errors = 0;
    let seen = List.empty<(Principal, Mgmt.Status)>();
    for ((i, call) in calls.enumerate()) {
      try {
        let status = await call;
        Context.noteStatus(ctx, children[i], status);
        seen.add((children[i].canister_id, status));
        refreshed += 1;
      } catch (e) {
        errors += 1;
        children[i].last_error := ?("status: " # e.message());
      };
    };
    var topped = 0;
    var sent = 0;
    for (c in children.values()) {
      let p = Templates.policy(ctx.store, c.canister_type);
      if (p.band_target > 0 and c.cycles_balance < p.band_min and c.status != #Deleted) {
        let amount = p.band_target - c.cycles_balance;
        if (amount > ctx.available()) {
          ctx.event(ctx.me(), "topup", ?c.canister_id, #Failed, ?("needs " # Nat.toText(amount) # " cycles; the factory has " # Nat.toText(ctx.available()) # " above its reserve"));
        } else {
          try {
            await (with cycles = amount) Mgmt.ic.deposit_cycles({ canister_id = c.canister_id });
            c.cycles_balance += amount;
            ctx.stats.cyclesGiven += amount;
            ctx.stats.topups += 1;
            topped += 1;
            sent += amount;
            ctx.event(ctx.me(), "topup", ?c.canister_id, #Ok, ?("sent " # Nat.toText(amount) # " cycles"));
          } catch (e) {
            errors += 1;
            ctx.event(ctx.me(), "topup", ?c.canister_id, #Failed, ?e.message());
          };
        };
      };
    };
    (topped, sent, refreshed, errors, seen.toArray());
  };

  public func checkFactoryBalance(ctx : Context.Ctx) {
    let low = Cycles.balance() < ctx.policy().low_balance_cycles;
    if (low and not ctx.stats.lowBalanceReported) {
      ctx.event(ctx.me(), "low_balance", ?ctx.me(), #Warning, ?("factory balance " # Nat.toText(Cycles.balance()) # " is below low_balance_cycles " # Nat.toText(ctx.policy().low_balance_cycles)));
    };
    ctx.stats.lowBalanceReported := low;
  };
};
