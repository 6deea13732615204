/// One child's step of the on-chain fleet upgrade: stop, snapshot, upgrade keeping memory, start,
/// check version(), delete the snapshot; on failure load the snapshot back and restart.
import Map "mo:core/Map";
import Set "mo:core/Set";
import Error "mo:core/Error";
import Principal "mo:core/Principal";
import Text "mo:core/Text";
import Types "Types";
import Mgmt "Mgmt";
import Context "Context";

module {
  /// One child of a fleet upgrade; the actor runs each as its own message, so a batch is concurrent.
  public func upgradeChild(ctx : Context.Ctx, id : Principal, v : Types.Version) : async* Types.ChildOutcomeKind {
    let ?child = ctx.registry.children.get(id) else return #Failed("no longer registered");
    if (child.status == #Deleted) return #Skipped;
    if (child.module_hash == ?v.wasm_sha256) return #Skipped;
    if (child.status == #Creating or ctx.busy.contains(id)) return #Failed("busy with another operation");
    ctx.busy.add(id);
    let before = child.status;
    child.status := #Upgrading;
    let target = { canister_id = id };
    let outcome : Types.ChildOutcomeKind = try {
      await Mgmt.ic.stop_canister(target);
      let snapshot = await Mgmt.ic.take_canister_snapshot({ canister_id = id; replace_snapshot = null });
      let problem : ?Text = try {
        await* Context.installUpgrade(child, v);
        await Mgmt.ic.start_canister(target);
        let running = await (actor (id.toText()) : Mgmt.Versioned).version();
        if (running == v.version) null else ?("version() answers " # running # ", expected " # v.version);
      } catch (e) { ?e.message() };
      switch problem {
        case null {
          try { await Mgmt.ic.delete_canister_snapshot({ canister_id = id; snapshot_id = snapshot.id }) } catch (_) {};
          #Upgraded;
        };
        case (?why) {
          try {
            try { await Mgmt.ic.stop_canister(target) } catch (_) {};
            await Mgmt.ic.load_canister_snapshot({ canister_id = id; snapshot_id = snapshot.id; sender_canister_version = null });
            ignore await* Context.refresh(ctx, child);
            if (before != #Stopped) await Mgmt.ic.start_canister(target);
            try { await Mgmt.ic.delete_canister_snapshot({ canister_id = id; snapshot_id = snapshot.id }) } catch (_) {};
            child.last_error := ?("fleet upgrade to " # v.version # " failed and was rolled back: " # why);
            Context.restoreVersion(ctx, child);
            #RolledBack(why);
          } catch (e) {
            child.last_error := ?("fleet upgrade to " # v.version # " failed (" # why # ") and so did the rollback: " # e.message());
            #Failed(why # "; rollback: " # e.message());
          };
        };
      };
    } catch (e) {
      child.last_error := ?("fleet upgrade to " # v.version # " failed before the upgrade: " # e.message());
      try { if (before != #Stopped) await Mgmt.ic.start_canister(target) } catch (_) {};
      #Failed(e.message());
    };
    child.status := before;
    ctx.busy.remove(id);
    outcome;
  };
};
