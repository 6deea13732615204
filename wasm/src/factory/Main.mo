/// The factory canister: applications create user and feature canisters on-chain.
/// The factory controls every child (with the backup controllers); the owner owns the data.
/// Interface: wasm/factory.did; rules and defaults: wasm/README.md ("The factory canister").
import Map "mo:core/Map";
import Set "mo:core/Set";
import List "mo:core/List";
import Nat "mo:core/Nat";
import Nat64 "mo:core/Nat64";
import Int "mo:core/Int";
import Text "mo:core/Text";
import Blob "mo:core/Blob";
import Array "mo:core/Array";
import Iter "mo:core/Iter";
import Principal "mo:core/Principal";
import Error "mo:core/Error";
import Cycles "mo:core/Cycles";
import Time "mo:core/Time";
import Timer "mo:core/Timer";
import Types "Types";
import Mgmt "Mgmt";
import Log "Log";
import Policy "Policy";
import Templates "Templates";
import Registry "Registry";
import Sha256 "Sha256";
import Fleet "Fleet";
import Context "Context";
import Retire "Retire";
import Rollout "Rollout";
import Maintenance "Maintenance";
import Provision "Provision";
import Autoscale "Autoscale";

persistent actor class Factory(init : { admins : [Principal]; backup_controllers : [Principal] }) = self {
  type Err = Types.FactoryError;
  type Child = Types.Child;

  transient let VERSION = "0.1.0";
  transient let ic = Mgmt.ic;
  // How often a caller that finds a creation for the same key in flight yields before `Busy`.
  transient let WAIT_ROUNDS = 400;

  // ---- state: everything below is kept by enhanced orthogonal persistence ----
  let admins = Set.fromArray<Principal>(init.admins);
  var backups : [Principal] = Array.filter<Principal>(init.backup_controllers, func p = not p.isAnonymous());
  var controllersEpoch = 0;
  var policy = Policy.defaultGlobal;
  let store = Templates.empty();
  let registry = Registry.empty();
  let creating = Map.empty<Text, Nat64>(); // "<template>/<owner>" -> started, while no child exists yet
  let busy = Set.empty<Principal>(); // children with a delete, upgrade or stop in flight
  let pool = List.empty<Principal>();
  let recent = Map.empty<Principal, [Int]>(); // creation times per non-admin caller (rate limit)
  let log = Log.empty();
  let fleet = Fleet.empty();
  let stats = Context.stats();
  let shards = Map.empty<Principal, Types.Shard>(); // children made by autoscaling
  let scaling = Map.empty<Text, Types.ScalePolicy>(); // per template, when set
  transient var maintaining = false;

  func me() : Principal = Principal.fromActor(self);
  func isAdmin(p : Principal) : Bool = admins.contains(p);
  func controllers() : [Principal] = Array.concat([me()], backups.filter(func p = p != me()));
  func event(caller : Principal, action : Text, canister : ?Principal, outcome : Types.EventOutcome, error : ?Text) {
    Log.add(log, policy.log_capacity, caller, action, canister, outcome, error);
  };
  func notAdmin(caller : Principal, what : Text) : Error {
    Error.reject("caller " # caller.toText() # " is not a factory admin; only admins may " # what);
  };
  func canSee(caller : Principal, c : Child) : Bool = not caller.isAnonymous() and (isAdmin(caller) or caller == c.owner);
  func available() : Nat {
    let balance = Cycles.balance();
    if (balance > policy.reserve_cycles) balance - policy.reserve_cycles else 0;
  };
  func pause() : async () {};

  transient let ctx : Context.Ctx = {
    registry;
    store;
    busy;
    creating;
    shards;
    scaling;
    pool;
    stats;
    me;
    policy = func() : Types.GlobalPolicy = policy;
    event;
    available;
    controllers;
    epoch = func() : Nat = controllersEpoch;
    var poolInFlight = 0;
  };

  // ---- creating ----

  public shared ({ caller }) func create_user_canister(owner : Principal) : async Types.Created {
    await* create(caller, "user", owner, "");
  };

  public shared ({ caller }) func create_feature_canister(template : Text, owner : Principal, arg : Blob) : async Types.Created {
    await* create(caller, template, owner, arg);
  };

  func create(caller : Principal, template : Text, owner : Principal, given : Blob) : async* Types.Created {
    if (caller.isAnonymous()) return #Err(#NotAuthorized);
    let admin = isAdmin(caller);
    let tpolicy = Templates.policy(store, template);
    if (not admin and (not policy.self_service or not tpolicy.self_service or caller != owner)) return #Err(#NotAuthorized);
    if (owner.isAnonymous()) return #Err(#InvalidArgument("owner: the anonymous principal cannot own a canister; pass the user's principal"));
    let ?version = Templates.current(store, template) else return #Err(#UnknownTemplate(template));
    let key = template # "/" # owner.toText();
    var rounds = 0;
    while (creating.containsKey(key)) {
      if (rounds >= WAIT_ROUNDS) return #Err(#Busy);
      await pause();
      rounds += 1;
    };
    // Shards made by autoscaling are not sign-ups: max_per_owner counts the others.
    let live = Registry.liveOf(registry, owner, template).filter(func(c : Child) : Bool = not shards.containsKey(c.canister_id));
    if (live.size() >= tpolicy.max_per_owner) {
      if (tpolicy.max_per_owner == 1) return #Ok(live[0].canister_id);
      return #Err(#QuotaExceeded);
    };
    if (not admin) {
      if (Registry.createdBy(registry, caller) >= policy.quota_per_caller) return #Err(#QuotaExceeded);
      if (not withinRate(caller)) return #Err(#RateLimited);
    };
    let request : Provision.Request = {
      caller;
      template;
      owner;
      arg = if (given.size() == 0) to_candid ({ owner }) else given;
      key;
      shard = null;
      action = "create";
      detail = null;
    };
    switch (Provision.reserve(ctx, request, tpolicy)) {
      case (#Err(e)) #Err(e);
      case (#Ok(reserved)) {
        if (not admin) noteCreation(caller);
        await* Provision.finish(ctx, request, reserved, tpolicy, version);
      };
    };
  };

  func withinRate(caller : Principal) : Bool {
    let since = Time.now() - policy.rate_limit_window_seconds * 1_000_000_000;
    let times = switch (recent.get(caller)) { case (?t) t.filter(func t = t > since); case null [] };
    recent.add(caller, times);
    times.size() < policy.rate_limit_count;
  };

  func noteCreation(caller : Principal) {
    let times = switch (recent.get(caller)) { case (?t) t; case null [] };
    recent.add(caller, Array.concat(times, [Time.now()]));
  };

  // ---- deleting: stop, return the cycles (drain module), delete ----

  public shared ({ caller }) func delete_canister(id : Principal) : async Types.Done {
    if (caller.isAnonymous()) return #Err(#NotAuthorized);
    let ?child = registry.children.get(id) else return #Err(#NotFound);
    if (not canSee(caller, child)) return #Err(#NotAuthorized);
    if (child.status == #Deleted) return #Ok;
    if (child.status == #Creating or busy.contains(id)) return #Err(#Busy);
    busy.add(id);
    let result = await* Retire.retire(ctx, child, caller);
    busy.remove(id);
    result;
  };

  // ---- reading ----

  func infoOf(c : Child) : Types.CanisterInfo = Registry.info(c, shards.get(c.canister_id));

  public shared query ({ caller }) func get_canister_info(id : Principal) : async ?Types.CanisterInfo {
    switch (registry.children.get(id)) {
      case (?c) if (canSee(caller, c)) ?infoOf(c) else null;
      case null null;
    };
  };

  public shared query ({ caller }) func list_user_canisters(owner : Principal) : async [Types.CanisterInfo] {
    if (caller.isAnonymous()) throw Error.reject("anonymous callers may not list canisters; call with an identity");
    if (caller != owner and not isAdmin(caller)) throw Error.reject("caller " # caller.toText() # " may list only its own canisters");
    Registry.ofOwner(registry, owner).map(infoOf);
  };

  public shared ({ caller }) func refresh_canister(id : Principal) : async ?Types.CanisterInfo {
    let ?child = registry.children.get(id) else return null;
    if (not canSee(caller, child)) return null;
    if (child.status != #Deleted) ignore await* Context.refresh(ctx, child);
    ?infoOf(child);
  };

  // ---- upgrading one child ----

  public shared ({ caller }) func upgrade_canister(id : Principal, wasm : Blob) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?child = registry.children.get(id) else return #Err(#NotFound);
    let digest = Sha256.hash(wasm);
    let ?version = Templates.byHash(store, child.canister_type, digest) else {
      return #Err(#InvalidArgument("wasm: sha256 " # Templates.hex(digest) # " is not a registered version of template " # child.canister_type # "; upload it with template_upload_begin first"));
    };
    await* upgradeTo(child, version, caller);
  };

  public shared ({ caller }) func upgrade_canister_to(id : Principal, version : Text) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?child = registry.children.get(id) else return #Err(#NotFound);
    let ?v = Templates.find(store, child.canister_type, version) else {
      return #Err(#InvalidArgument("version: template " # child.canister_type # " has no version " # version));
    };
    await* upgradeTo(child, v, caller);
  };

  func upgradeTo(child : Child, v : Types.Version, caller : Principal) : async* Types.Done {
    if (child.status == #Deleted) return #Err(#NotFound);
    if (child.status == #Creating or busy.contains(child.canister_id)) return #Err(#Busy);
    busy.add(child.canister_id);
    let before = child.status;
    child.status := #Upgrading;
    let result : Types.Done = try {
      await* Context.installUpgrade(child, v);
      child.status := before;
      event(caller, "upgrade", ?child.canister_id, #Ok, ?("to " # v.version));
      #Ok;
    } catch (e) {
      child.status := before;
      child.last_error := ?("upgrade to " # v.version # " failed: " # e.message());
      event(caller, "upgrade", ?child.canister_id, #Failed, ?e.message());
      #Err(#UpgradeFailed(e.message()));
    };
    busy.remove(child.canister_id);
    result;
  };

  public shared ({ caller }) func stop_child(id : Principal) : async Types.Done {
    await* setRunning(caller, id, false);
  };

  public shared ({ caller }) func start_child(id : Principal) : async Types.Done {
    await* setRunning(caller, id, true);
  };

  func setRunning(caller : Principal, id : Principal, running : Bool) : async* Types.Done {
    let ?child = registry.children.get(id) else return #Err(#NotFound);
    if (not canSee(caller, child)) return #Err(#NotAuthorized);
    if (child.status == #Deleted) return #Err(#NotFound);
    if (child.status == #Creating or child.status == #Upgrading or busy.contains(id)) return #Err(#Busy);
    busy.add(id);
    let result : Types.Done = try {
      if (running) await ic.start_canister({ canister_id = id }) else await ic.stop_canister({ canister_id = id });
      child.status := if (running) #Active else #Stopped;
      event(caller, if (running) "start" else "stop", ?id, #Ok, null);
      #Ok;
    } catch (e) {
      event(caller, if (running) "start" else "stop", ?id, #Failed, ?e.message());
      #Err(#InvalidArgument((if (running) "start" else "stop") # " failed: " # e.message()));
    };
    busy.remove(id);
    result;
  };

  // ---- admins and controllers ----

  public query func is_admin(p : Principal) : async Bool { isAdmin(p) };

  public shared query ({ caller }) func get_admins() : async [Principal] {
    if (not isAdmin(caller)) throw notAdmin(caller, "list admins");
    admins.toArray();
  };

  public shared ({ caller }) func set_admins(list : [Principal]) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    if (list.size() == 0) return #Err(#InvalidArgument("admins: at least one admin is required"));
    if (list.find(func(p : Principal) : Bool = p.isAnonymous()) != null) return #Err(#InvalidArgument("admins: the anonymous principal cannot be an admin"));
    admins.clear();
    for (p in list.values()) admins.add(p);
    event(caller, "set_admins", null, #Ok, null);
    #Ok;
  };

  public shared query ({ caller }) func get_backup_controllers() : async [Principal] {
    if (not isAdmin(caller)) throw notAdmin(caller, "list backup controllers");
    backups;
  };

  public shared ({ caller }) func set_backup_controllers(list : [Principal]) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    if (list.find(func(p : Principal) : Bool = p.isAnonymous()) != null) return #Err(#InvalidArgument("backup_controllers: the anonymous principal cannot be a controller"));
    let set = Set.fromArray<Principal>(list.filter(func p = p != me()));
    if (set.size() > 9) return #Err(#InvalidArgument("backup_controllers: at most 9 (a canister has at most 10 controllers, one is the factory)"));
    let sorted = set.toArray();
    if (sorted != Set.fromArray<Principal>(backups).toArray()) {
      backups := sorted;
      controllersEpoch += 1;
      event(caller, "set_backup_controllers", null, #Ok, null);
    };
    #Ok;
  };

  public shared ({ caller }) func sync_child_controllers(limit : Nat) : async { #Ok : { updated : Nat; remaining : Nat }; #Err : Err } {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let epoch = controllersEpoch;
    let stale = registry.children.values().filter(func(c : Child) : Bool = Registry.isLive(c) and c.controllers_epoch != epoch and c.status != #Creating).toArray();
    let batch = stale.sliceToArray(0, Nat.min(limit, stale.size()));
    let calls = List.empty<async ()>();
    for (c in batch.values()) calls.add(ic.update_settings({ canister_id = c.canister_id; settings = { controllers = ?controllers() }; sender_canister_version = null }));
    var updated = 0;
    for ((i, call) in calls.enumerate()) {
      try {
        await call;
        batch[i].controllers_epoch := epoch;
        updated += 1;
      } catch (e) { event(caller, "sync_controllers", ?batch[i].canister_id, #Failed, ?e.message()) };
    };
    #Ok({ updated; remaining = stale.size() - updated });
  };

  // ---- templates ----

  public shared ({ caller }) func template_upload_begin(a : Types.UploadBegin) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    Templates.begin(store, a);
  };

  public shared ({ caller }) func template_upload_chunk(c : Types.UploadChunk) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    Templates.chunk(store, c);
  };

  public shared query ({ caller }) func template_upload_status(template : Text, version : Text) : async ?Types.UploadStatus {
    if (not isAdmin(caller)) throw notAdmin(caller, "read uploads");
    Templates.status(store, template, version);
  };

  public shared ({ caller }) func template_upload_commit(c : Types.UploadCommit) : async Types.TemplateResult {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    switch (Templates.commit(store, c, caller)) {
      case (#Ok(v)) {
        event(caller, "template", null, #Ok, ?(c.template # " " # c.version));
        #Ok(versionView(c.template, v));
      };
      case (#Err(e)) #Err(e);
    };
  };

  public shared ({ caller }) func template_upload_abort(template : Text, version : Text) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    store.uploads.remove(template # "@" # version);
    #Ok;
  };

  public shared ({ caller }) func set_current_version(template : Text, version : Text) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let r = Templates.setCurrent(store, template, version);
    if (r == #Ok) event(caller, "set_current_version", null, #Ok, ?(template # " " # version));
    r;
  };

  public shared ({ caller }) func delete_template_version(template : Text, version : Text) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?t = store.templates.get(template) else return #Err(#UnknownTemplate(template));
    if (not t.versions.containsKey(version)) return #Ok;
    if (t.current == ?version) return #Err(#InvalidArgument("version: " # version # " is the current version of " # template # "; set another current first"));
    let users = Registry.usingVersion(registry, template, version);
    if (users > 0) return #Err(#InvalidArgument("version: " # Nat.toText(users) # " children still run " # template # " " # version));
    t.versions.remove(version);
    #Ok;
  };

  func versionView(template : Text, v : Types.Version) : Types.TemplateVersion {
    let current = switch (store.templates.get(template)) { case (?t) t.current == ?v.version; case null false };
    {
      version = v.version;
      wasm_sha256 = v.wasm_sha256;
      size = v.wasm.size();
      uploaded_at = v.uploaded_at;
      uploaded_by = v.uploaded_by;
      current;
      children = Registry.usingVersion(registry, template, v.version);
    };
  };

  func summary(t : Types.Template) : Types.TemplateSummary {
    {
      name = t.name;
      current = t.current;
      versions = t.versions.values().map(func(v : Types.Version) : Types.TemplateVersion = versionView(t.name, v)).toArray();
      policy = templatePolicy(t);
      children = Registry.ofTemplate(registry, t.name);
    };
  };

  public query func list_templates() : async [Types.TemplateSummary] {
    store.templates.values().map(summary).toArray();
  };

  public query func get_template(name : Text) : async ?Types.TemplateSummary {
    switch (store.templates.get(name)) { case (?t) ?summary(t); case null null };
  };

  // ---- policy ----

  public query func get_policy() : async Types.GlobalPolicy { policy };

  public shared ({ caller }) func set_policy(p : Types.GlobalPolicy) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    switch (Policy.checkGlobal(p)) { case (?e) return #Err(#InvalidArgument(e)); case null {} };
    let interval = policy.maintenance_interval_seconds;
    if (p != policy) {
      policy := p;
      Log.trim(log, p.log_capacity);
      if (p.maintenance_interval_seconds != interval) restartMaintenance<system>();
      event(caller, "set_policy", null, #Ok, null);
    };
    #Ok;
  };

  public query func get_template_policy(template : Text) : async ?Types.TemplatePolicy {
    switch (store.templates.get(template)) { case (?t) ?templatePolicy(t); case null null };
  };

  public shared ({ caller }) func set_template_policy(template : Text, p : Types.TemplatePolicy) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?t = store.templates.get(template) else return #Err(#UnknownTemplate(template));
    switch (Policy.checkTemplate(template, p)) { case (?e) return #Err(#InvalidArgument(e)); case null {} };
    let (band, scale) = Policy.split(p);
    if (Policy.join(band, scale) != templatePolicy(t)) {
      t.policy := band;
      scaling.add(template, scale);
      event(caller, "set_template_policy", null, #Ok, ?template);
    };
    #Ok;
  };

  func templatePolicy(t : Types.Template) : Types.TemplatePolicy {
    Policy.join(t.policy, Autoscale.policyOf(ctx, t.name));
  };

  public query func default_template_policy() : async Types.TemplatePolicy {
    Policy.join(Policy.defaultTemplate, Policy.defaultScale);
  };

  // ---- fleet upgrade: batches of snapshot -> upgrade -> version check -> rollback on failure ----

  public shared ({ caller }) func start_fleet_upgrade(a : Types.FleetUpgradeArgs) : async Types.FleetResult {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    if (Fleet.busy(fleet)) return #Err(#Busy);
    let ?_ = store.templates.get(a.template) else return #Err(#UnknownTemplate(a.template));
    let ?_ = Templates.find(store, a.template, a.version) else return #Err(#InvalidArgument("version: template " # a.template # " has no version " # a.version));
    if (a.batch_size == 0 or a.batch_size > 100) return #Err(#InvalidArgument("batch_size: must be between 1 and 100"));
    let targets = registry.order.values().filterMap(func(id : Principal) : ?Child = registry.children.get(id))
      .filter(func(c : Child) : Bool = Registry.isLive(c) and c.canister_type == a.template and c.status != #Creating).toArray();
    let run = Fleet.start(fleet, a, caller, targets);
    event(caller, "fleet_upgrade", null, #Ok, ?("started " # a.template # " -> " # a.version # " for " # Nat.toText(targets.size()) # " children"));
    scheduleFleet<system>();
    #Ok(Fleet.progress(run));
  };

  public shared ({ caller }) func resume_fleet_upgrade(maxFailures : ?Nat) : async Types.FleetResult {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?run = fleet.run else return #Err(#NotFound);
    switch (run.state) {
      case (#Halted(_)) {};
      case (#Running) return #Ok(Fleet.progress(run));
      case (_) return #Err(#InvalidArgument("the last fleet upgrade is not halted; start a new one"));
    };
    Fleet.resume(run, maxFailures);
    event(caller, "fleet_upgrade", null, #Ok, ?"resumed");
    scheduleFleet<system>();
    #Ok(Fleet.progress(run));
  };

  public shared ({ caller }) func cancel_fleet_upgrade() : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?run = fleet.run else return #Err(#NotFound);
    if (run.state == #Running or Fleet.halted(run)) {
      run.state := #Cancelled;
      event(caller, "fleet_upgrade", null, #Ok, ?"cancelled");
    };
    #Ok;
  };

  public shared query ({ caller }) func fleet_upgrade_progress() : async ?Types.FleetProgress {
    if (not isAdmin(caller)) throw notAdmin(caller, "read fleet upgrades");
    switch (fleet.run) { case (?run) ?Fleet.progress(run); case null null };
  };

  public shared query ({ caller }) func fleet_upgrade_outcomes(offset : Nat, limit : Nat) : async Types.OutcomePage {
    if (not isAdmin(caller)) throw notAdmin(caller, "read fleet upgrades");
    Fleet.outcomes(fleet, offset, limit);
  };

  func upgradeChild(id : Principal, v : Types.Version) : async Types.ChildOutcomeKind {
    await* Rollout.upgradeChild(ctx, id, v);
  };

  func scheduleFleet<system>() {
    ignore Timer.setTimer<system>(#seconds 0, fleetStep);
  };

  func fleetStep() : async () {
    let ?run = fleet.run else return;
    if (run.state != #Running) return;
    // A batch under way (one timer fired twice, or this step was scheduled again by an upgrade of
    // the factory while that batch was out) schedules the next step itself.
    if (Fleet.inFlight(run) > 0) return;
    let ?version = Templates.find(store, run.template, run.version) else {
      run.state := #Halted("version " # run.version # " of " # run.template # " was deleted");
      return;
    };
    let batch = Fleet.nextBatch(run);
    let calls = List.empty<async Types.ChildOutcomeKind>();
    for ((_, o) in batch.values()) calls.add(upgradeChild(o.canister_id, version));
    for ((i, call) in calls.enumerate()) {
      let kind = try { await call } catch (e) { #Failed(e.message()) };
      Fleet.record(run, batch[i].0, kind);
      switch kind {
        case (#RolledBack(m)) event(run.started_by, "fleet_upgrade", ?batch[i].1.canister_id, #Failed, ?("rolled back: " # m));
        case (#Failed(m)) event(run.started_by, "fleet_upgrade", ?batch[i].1.canister_id, #Failed, ?m);
        case (_) {};
      };
    };
    if (run.state != #Running) return; // cancelled meanwhile
    Fleet.afterBatch(run);
    switch (run.state) {
      case (#Running) scheduleFleet<system>();
      case (#Halted(why)) event(run.started_by, "fleet_upgrade", null, #Warning, ?("halted: " # why));
      case (_) event(run.started_by, "fleet_upgrade", null, #Ok, ?"completed");
    };
  };

  // ---- maintenance: pool refill, cycles band, status refresh (timer, or run_maintenance) ----

  public shared ({ caller }) func run_maintenance() : async { #Ok : Types.MaintenanceReport; #Err : Err } {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    if (maintaining) return #Err(#Busy);
    #Ok(await* maintain());
  };

  func maintain() : async* Types.MaintenanceReport {
    maintaining := true;
    let pooled = try { await* Maintenance.refillPool(ctx) } catch (e) { maintaining := false; throw e };
    let band = try { await* Maintenance.keepBand(ctx) } catch (e) { maintaining := false; throw e };
    let scaled = try { await* autoscale(band.4) } catch (e) { maintaining := false; throw e };
    Maintenance.checkFactoryBalance(ctx);
    stats.lastMaintenance := ?Log.now();
    maintaining := false;
    { pool_created = pooled.0; topped_up = band.0; cycles_sent = band.1; refreshed = band.2; shards_created = scaled.0; errors = pooled.1 + band.3 + scaled.1 };
  };

  /// Creates the next shard of each family whose newest member the timer found past scale_at, one
  /// family after another, as the factory (its own creations count against the rate limit).
  func autoscale(seen : [(Principal, Mgmt.Status)]) : async* (Nat, Nat) {
    var created = 0;
    var errors = 0;
    for ((id, s) in seen.values()) {
      let child = registry.children.get(id);
      let due = switch child { case (?c) Autoscale.due(ctx, c, s); case null null };
      switch (child, due, Templates.current(store, switch child { case (?c) c.canister_type; case null "" })) {
        case (?c, ?due, ?version) {
          if (not withinRate(me())) {
            event(me(), "shard_created", ?c.canister_id, #Warning, ?"rate limit reached; the next maintenance run tries again");
            return (created, errors + 1);
          };
          let request : Provision.Request = {
            caller = me();
            template = c.canister_type;
            owner = c.owner;
            arg = due.first.init_arg;
            key = due.key;
            shard = ?due.shard;
            action = "shard_created";
            detail = ?("shard " # Nat.toText(due.shard.shard_index) # " of " # due.first.canister_id.toText() # " for owner " # c.owner.toText() # ": " # c.canister_id.toText() # " uses " # Nat.toText(due.used) # " of " # Nat.toText(due.limit) # " bytes (scale_at " # Nat.toText(due.scale_at) # "%)");
          };
          let tpolicy = Templates.policy(store, c.canister_type);
          switch (Provision.reserve(ctx, request, tpolicy)) {
            case (#Err(_)) errors += 1; // logged by reserve; the next run tries again
            case (#Ok(reserved)) {
              noteCreation(me());
              switch (await* Provision.finish(ctx, request, reserved, tpolicy, version)) {
                case (#Ok(_)) created += 1;
                case (#Err(_)) errors += 1;
              };
            };
          };
        };
        case _ {}; // not due, or its template has no current version
      };
    };
    (created, errors);
  };

  func tick() : async () {
    if (maintaining) return;
    try { ignore await* maintain() } catch (e) { event(me(), "maintenance", null, #Failed, ?e.message()) };
  };

  transient var maintenanceTimer = Timer.recurringTimer<system>(#seconds(policy.maintenance_interval_seconds), tick);

  func restartMaintenance<system>() {
    Timer.cancelTimer(maintenanceTimer);
    maintenanceTimer := Timer.recurringTimer<system>(#seconds(policy.maintenance_interval_seconds), tick);
  };

  // A fleet upgrade that was running when the factory was upgraded carries on.
  if (Fleet.running(fleet)) scheduleFleet<system>();

  // ---- monitoring ----

  public shared query ({ caller }) func get_events(from : ?Nat, limit : Nat) : async Types.EventPage {
    if (not isAdmin(caller)) throw notAdmin(caller, "read the event log");
    Log.page(log, from, limit);
  };

  public shared query ({ caller }) func get_metrics() : async Types.Metrics {
    if (not isAdmin(caller)) throw notAdmin(caller, "read metrics");
    let (byTypeStatus, held, total) = Registry.counts(registry);
    {
      version = VERSION;
      cycles_balance = Cycles.balance();
      reserve_cycles = policy.reserve_cycles;
      children_total = total;
      children_by_type_and_status = byTypeStatus;
      cycles_held_by_children = held;
      cycles_given = stats.cyclesGiven;
      cycles_returned = stats.cyclesReturned;
      cycles_spent = if (stats.cyclesGiven > stats.cyclesReturned) stats.cyclesGiven - stats.cyclesReturned else 0;
      creations = stats.creations;
      creation_failures = stats.creationFailures;
      deletions = stats.deletions;
      topups = stats.topups;
      pool_level = pool.size();
      pool_size = policy.pool_size;
      templates = store.templates.size();
      events = log.nextSeq;
      last_maintenance = stats.lastMaintenance;
    };
  };

  public shared query ({ caller }) func list_canisters(a : Types.ListArgs) : async Types.CanisterPage {
    if (not isAdmin(caller)) throw notAdmin(caller, "list every canister");
    Registry.page(registry, a, infoOf);
  };

  public query func version() : async Text { VERSION };

  public shared query ({ caller }) func whoami() : async Principal { caller };
};
