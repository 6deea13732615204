/// What the factory's flows (Retire, Rollout, Maintenance) share with the actor: its state and a
/// few of its functions, plus the steps several flows use.
import Error "mo:core/Error";
import Principal "mo:core/Principal";
import Text "mo:core/Text";
import Set "mo:core/Set";
import Map "mo:core/Map";
import List "mo:core/List";
import Registry "Registry";
import Templates "Templates";
import Types "Types";
import Mgmt "Mgmt";

module {
  /// Counters kept across upgrades.
  public type Stats = {
    var cyclesGiven : Nat;
    var cyclesReturned : Nat;
    var creations : Nat;
    var creationFailures : Nat;
    var deletions : Nat;
    var topups : Nat;
    var lastMaintenance : ?Nat64;
    var lowBalanceReported : Bool;
    var refreshCursor : Nat;
  };

  public func stats() : Stats = {
    var cyclesGiven = 0;
    var cyclesReturned = 0;
    var creations = 0;
    var creationFailures = 0;
    var deletions = 0;
    var topups = 0;
    var lastMaintenance = null;
    var lowBalanceReported = false;
    var refreshCursor = 0;
  };

  public type Ctx = {
    registry : Registry.Registry;
    store : Templates.Store;
    busy : Set.Set<Principal>; // children with a delete, upgrade or stop in flight
    creating : Map.Map<Text, Nat64>; // creation keys in flight (sign-up and shards), see Provision
    shards : Map.Map<Principal, Types.Shard>; // children made by autoscaling
    scaling : Map.Map<Text, Types.ScalePolicy>; // per template; absent means Policy.defaultScale
    pool : List.List<Principal>;
    stats : Stats;
    me : () -> Principal;
    policy : () -> Types.GlobalPolicy;
    event : (Principal, Text, ?Principal, Types.EventOutcome, ?Text) -> ();
    available : () -> Nat; // cycles above the reserve
    controllers : () -> [Principal]; // the factory and the backup controllers
    epoch : () -> Nat; // the backup controllers' version a new child gets
    var poolInFlight : Nat;
  };

  /// Reads the child's status from the IC into its record; the error message if that failed.
  public func refresh(ctx : Ctx, child : Types.Child) : async* ?Text {
    try {
      noteStatus(ctx, child, await Mgmt.ic.canister_status({ canister_id = child.canister_id }));
      null;
    } catch (e) { ?e.message() };
  };

  public func noteStatus(ctx : Ctx, child : Types.Child, s : Mgmt.Status) {
    child.cycles_balance := s.cycles;
    if (s.module_hash != child.module_hash) {
      // Changed outside the factory (an operator's direct upgrade): name it by its hash.
      child.module_hash := s.module_hash;
      restoreVersion(ctx, child);
    };
    if (not ctx.busy.contains(child.canister_id) and child.status != #Creating and child.status != #Upgrading) {
      child.status := switch (s.status) { case (#running) #Active; case (_) #Stopped };
    };
  };

  /// After a rollback the module is the one from before: name its version by its hash again.
  public func restoreVersion(ctx : Ctx, child : Types.Child) {
    child.version := switch (child.module_hash) {
      case (?h) switch (Templates.byHash(ctx.store, child.canister_type, h)) { case (?v) ?v.version; case null null };
      case null null;
    };
  };

  /// install_code in upgrade mode keeping the Wasm memory (EOP), re-passing the init record.
  public func installUpgrade(child : Types.Child, v : Types.Version) : async* () {
    await Mgmt.ic.install_code({
      mode = #upgrade(?{ skip_pre_upgrade = null; wasm_memory_persistence = ?#keep });
      canister_id = child.canister_id;
      wasm_module = v.wasm;
      arg = child.init_arg;
      sender_canister_version = null;
    });
    child.version := ?v.version;
    child.module_hash := ?v.wasm_sha256;
    child.last_error := null;
  };
};
