/// Deleting a child without burning its cycles: stop it, install the drain module (Drain.mo),
/// which sends its liquid balance back to the factory with deposit_cycles, then delete it.
import Error "mo:core/Error";
import Principal "mo:core/Principal";
import Text "mo:core/Text";
import Array "mo:core/Array";
import Blob "mo:core/Blob";
import Nat8 "mo:core/Nat8";
import IC "mo:core/InternetComputer";
import Drain "Drain";
import Nat "mo:core/Nat";
import Types "Types";
import Mgmt "Mgmt";
import Context "Context";

module {
  // Cycles the drain module keeps to pay for its own deposit call; tried in turn.
  let DRAIN_KEEPS : [Nat] = [2_000_000_000, 20_000_000_000, 100_000_000_000];

  /// Stops the child, installs the drain module, takes its cycles back and deletes it.
  /// If a step fails, nothing is burnt: the child stays (as the IC reports it) with last_error,
  /// and a later delete starts again.
  public func retire(ctx : Context.Ctx, child : Types.Child, caller : Principal) : async* Types.Done {
    let id = { canister_id = child.canister_id };
    try {
      await Mgmt.ic.stop_canister(id);
      await Mgmt.ic.install_code({ mode = #reinstall; canister_id = child.canister_id; wasm_module = Drain.wasm; arg = ""; sender_canister_version = null });
      await Mgmt.ic.start_canister(id);
    } catch (e) {
      return await* failRetire(ctx, child, caller, "preparing the drain: " # e.message());
    };
    var returned : ?Nat = null;
    var lastError = "";
    label tries for (keep in DRAIN_KEEPS.values()) {
      try {
        returned := ?decodeAmount(await IC.call(child.canister_id, "drain", encodeKeep(keep)));
        break tries;
      } catch (e) { lastError := e.message() };
    };
    let ?amount = returned else return await* failRetire(ctx, child, caller, "returning its cycles: " # lastError);
    ctx.stats.cyclesReturned += amount;
    try {
      await Mgmt.ic.stop_canister(id);
      await Mgmt.ic.delete_canister(id);
    } catch (e) {
      return await* failRetire(ctx, child, caller, "deleting: " # e.message());
    };
    child.status := #Deleted;
    child.cycles_balance := 0;
    ctx.stats.deletions += 1;
    ctx.event(caller, "delete", ?child.canister_id, #Ok, ?("returned " # Nat.toText(amount) # " cycles"));
    #Ok;
  };

  func failRetire(ctx : Context.Ctx, child : Types.Child, caller : Principal, message : Text) : async* Types.Done {
    try {
      let s = await Mgmt.ic.canister_status({ canister_id = child.canister_id });
      child.status := if (s.status == #running) #Active else #Stopped;
    } catch (_) {}; // not a controller any more: the record keeps its last known status
    child.last_error := ?("delete failed: " # message);
    ctx.event(caller, "delete", ?child.canister_id, #Failed, ?message);
    #Err(#InvalidArgument("delete failed: " # message));
  };

  func encodeKeep(keep : Nat) : Blob {
    Blob.fromArray(Array.tabulate<Nat8>(8, func i = Nat8.fromNat((keep / (256 ** i)) % 256)));
  };

  func decodeAmount(reply : Blob) : Nat {
    var n = 0;
    var scale = 1;
    for (b in reply.values()) { n += Nat8.toNat(b) * scale; scale *= 256 };
    n;
  };
};
