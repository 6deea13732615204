/// The factory's public types (see wasm/factory.did) and its internal records.
import Map "mo:core/Map";
import List "mo:core/List";

module {
  public type CanisterStatus = { #Creating; #Active; #Upgrading; #Stopped; #Deleted };
  public type CanisterInfo = {
    canister_id : Principal;
    created_by : Principal;
    created_at : Nat64;
    canister_type : Text;
    status : CanisterStatus;
    cycles_balance : Nat;
    owner : Principal;
    version : ?Text;
    module_hash : ?Blob;
    last_error : ?Text;
    shard_of : ?Principal; // the owner's first canister of the template, for a shard made by autoscaling
    shard_index : ?Nat; // 1, 2, ... for shards; null for a canister made by sign-up
  };
  public type FactoryError = {
    #NotAuthorized;
    #UnknownTemplate : Text;
    #QuotaExceeded;
    #RateLimited;
    #InsufficientCycles : { needed : Nat; available : Nat };
    #CreateFailed : Text;
    #InstallFailed : Text;
    #UpgradeFailed : Text;
    #NotFound;
    #InvalidArgument : Text;
    #Busy;
  };
  public type Created = { #Ok : Principal; #Err : FactoryError };
  public type Done = { #Ok; #Err : FactoryError };
  public type InitArgs = { admins : [Principal]; backup_controllers : [Principal] };

  public type UploadBegin = { template : Text; version : Text; wasm_sha256 : Blob; size : Nat };
  public type UploadChunk = { template : Text; version : Text; offset : Nat; chunk : Blob };
  public type UploadCommit = { template : Text; version : Text; set_current : Bool };
  public type UploadStatus = {
    template : Text;
    version : Text;
    wasm_sha256 : Blob;
    size : Nat;
    received : Nat;
    missing : [(Nat, Nat)];
  };
  public type TemplateVersion = {
    version : Text;
    wasm_sha256 : Blob;
    size : Nat;
    uploaded_at : Nat64;
    uploaded_by : Principal;
    current : Bool;
    children : Nat;
  };
  public type TemplatePolicy = {
    initial_cycles : Nat;
    band_min : Nat;
    band_target : Nat;
    max_per_owner : Nat;
    self_service : Bool;
    // Autoscaling (opt, so a record without them still decodes: left out means the default).
    scale_at : ?Nat; // percent of the child's wasm_memory_limit; null: never full
    max_shards : ?Nat; // canisters per (owner, template) counting the first; default 1
    autoscale : ?Bool; // the maintenance timer creates shards; default false
  };
  /// The part of a template's policy kept in its Template record (the shape before autoscaling).
  public type BandPolicy = {
    initial_cycles : Nat;
    band_min : Nat;
    band_target : Nat;
    max_per_owner : Nat;
    self_service : Bool;
  };
  public type ScalePolicy = { scale_at : ?Nat; max_shards : Nat; autoscale : Bool };
  /// A shard's place in its family: the owner's first canister of the template, and its number.
  public type Shard = { shard_of : Principal; shard_index : Nat };
  public type TemplateSummary = {
    name : Text;
    current : ?Text;
    versions : [TemplateVersion];
    policy : TemplatePolicy;
    children : Nat;
  };
  public type TemplateResult = { #Ok : TemplateVersion; #Err : FactoryError };
  public type GlobalPolicy = {
    self_service : Bool;
    reserve_cycles : Nat;
    low_balance_cycles : Nat;
    quota_per_caller : Nat;
    rate_limit_count : Nat;
    rate_limit_window_seconds : Nat;
    pool_size : Nat;
    pool_canister_cycles : Nat;
    maintenance_interval_seconds : Nat;
    log_capacity : Nat;
  };

  public type FleetUpgradeArgs = { template : Text; version : Text; batch_size : Nat; max_failures : Nat };
  public type FleetState = { #Running; #Halted : Text; #Completed; #Cancelled };
  public type FleetProgress = {
    id : Nat;
    template : Text;
    version : Text;
    state : FleetState;
    batch_size : Nat;
    max_failures : Nat;
    total : Nat;
    pending : Nat;
    upgraded : Nat;
    skipped : Nat;
    failed : Nat;
    in_flight : Nat; // children of a batch under way (taken from pending, no outcome yet)
    started_by : Principal;
    started_at : Nat64;
    updated_at : Nat64;
  };
  public type ChildOutcomeKind = { #Pending; #Upgraded; #Skipped; #RolledBack : Text; #Failed : Text };
  public type ChildOutcome = {
    canister_id : Principal;
    owner : Principal;
    from_version : ?Text;
    outcome : ChildOutcomeKind;
    at : ?Nat64;
  };
  public type FleetResult = { #Ok : FleetProgress; #Err : FactoryError };
  public type OutcomePage = { items : [ChildOutcome]; total : Nat; next_offset : ?Nat };

  public type EventOutcome = { #Ok; #Failed; #Warning };
  public type Event = {
    seq : Nat;
    time : Nat64;
    caller : Principal;
    action : Text;
    canister_id : ?Principal;
    outcome : EventOutcome;
    error : ?Text;
  };
  public type EventPage = { items : [Event]; first_seq : Nat; next_seq : Nat; next_from : ?Nat };
  public type TypeStatusCount = { canister_type : Text; status : CanisterStatus; count : Nat };
  public type Metrics = {
    version : Text;
    cycles_balance : Nat;
    reserve_cycles : Nat;
    children_total : Nat;
    children_by_type_and_status : [TypeStatusCount];
    cycles_held_by_children : Nat;
    cycles_given : Nat;
    cycles_returned : Nat;
    cycles_spent : Nat;
    creations : Nat;
    creation_failures : Nat;
    deletions : Nat;
    topups : Nat;
    pool_level : Nat;
    pool_size : Nat;
    templates : Nat;
    events : Nat;
    last_maintenance : ?Nat64;
  };
  public type ListArgs = {
    offset : Nat;
    limit : Nat;
    canister_type : ?Text;
    status : ?CanisterStatus;
    owner : ?Principal;
  };
  public type CanisterPage = { items : [CanisterInfo]; total : Nat; next_offset : ?Nat };
  public type MaintenanceReport = { pool_created : Nat; topped_up : Nat; cycles_sent : Nat; refreshed : Nat; shards_created : Nat; errors : Nat };

  // ---- internal records ----

  public type Child = {
    canister_id : Principal;
    created_by : Principal;
    created_at : Nat64;
    canister_type : Text;
    owner : Principal;
    init_arg : Blob;
    var status : CanisterStatus;
    var cycles_balance : Nat;
    var version : ?Text;
    var module_hash : ?Blob;
    var last_error : ?Text;
    var controllers_epoch : Nat;
  };
  public type Version = {
    version : Text;
    wasm : Blob;
    wasm_sha256 : Blob;
    uploaded_at : Nat64;
    uploaded_by : Principal;
  };
  public type Template = {
    name : Text;
    var current : ?Text;
    versions : Map.Map<Text, Version>;
    var policy : BandPolicy;
  };
  public type Upload = {
    template : Text;
    version : Text;
    wasm_sha256 : Blob;
    size : Nat;
    chunks : Map.Map<Nat, Blob>;
  };
  public type FleetRun = {
    id : Nat;
    template : Text;
    version : Text;
    var state : FleetState;
    batch_size : Nat;
    var max_failures : Nat;
    outcomes : List.List<ChildOutcome>;
    var next : Nat;
    var upgraded : Nat;
    var skipped : Nat;
    var failed : Nat;
    started_by : Principal;
    started_at : Nat64;
    var updated_at : Nat64;
  };
};
