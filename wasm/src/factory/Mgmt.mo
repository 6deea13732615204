/// The part of the management canister's interface (ic.did) the factory calls. Records list
/// only the fields the factory sends or reads; Candid subtyping takes care of the rest.
module {
  public type Settings = { controllers : ?[Principal] };
  public type InstallMode = {
    #install;
    #reinstall;
    #upgrade : ?{ skip_pre_upgrade : ?Bool; wasm_memory_persistence : ?{ #keep; #replace } };
  };
  public type Id = { canister_id : Principal };
  public type Status = {
    status : { #running; #stopping; #stopped };
    cycles : Nat;
    module_hash : ?Blob;
    memory_size : Nat;
    // opt: a replica that does not report them still answers (Candid decodes a missing field as null)
    memory_metrics : ?{ wasm_memory_size : Nat };
    settings : { controllers : [Principal]; wasm_memory_limit : ?Nat };
  };
  public type Snapshot = { id : Blob; taken_at_timestamp : Nat64; total_size : Nat64 };
  public type Management = actor {
    create_canister : ({ settings : ?Settings; sender_canister_version : ?Nat64 }) -> async Id;
    install_code : ({
      mode : InstallMode;
      canister_id : Principal;
      wasm_module : Blob;
      arg : Blob;
      sender_canister_version : ?Nat64;
    }) -> async ();
    update_settings : ({ canister_id : Principal; settings : Settings; sender_canister_version : ?Nat64 }) -> async ();
    canister_status : (Id) -> async Status;
    deposit_cycles : (Id) -> async ();
    start_canister : (Id) -> async ();
    stop_canister : (Id) -> async ();
    delete_canister : (Id) -> async ();
    take_canister_snapshot : ({ canister_id : Principal; replace_snapshot : ?Blob }) -> async Snapshot;
    load_canister_snapshot : ({ canister_id : Principal; snapshot_id : Blob; sender_canister_version : ?Nat64 }) -> async ();
    delete_canister_snapshot : ({ canister_id : Principal; snapshot_id : Blob }) -> async ();
  };

  public let ic : Management = actor "aaaaa-aa";

  /// What the IC charges for create_canister on a 13-node application subnet.
  public let creationFee = 500_000_000_000;

  /// A child's version() method, which every template has.
  public type Versioned = actor { version : () -> async Text };
};
