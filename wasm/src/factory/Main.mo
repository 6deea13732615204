/// The factory canister: applications create user and feature canisters on-chain.
/// The factory controls every child (with the backup controllers); the owner owns the data.
/// Interface: wasm/factory.did; rules and defaults: wasm/README.md ("The factory canister").
import Map "mo:core/Map";
import Set "mo:core/Set";
import List "mo:core/List";
import Nat "mo:core/Nat";
import Nat8 "mo:core/Nat8";
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
import IC "mo:core/InternetComputer";
import Types "Types";
import Mgmt "Mgmt";
import Log "Log";
import Policy "Policy";
import Templates "Templates";
import Registry "Registry";
import Sha256 "Sha256";
import Drain "Drain";
import Fleet "Fleet";

persistent actor class Factory(init : { admins : [Principal]; backup_controllers : [Principal] }) = self {
  type Err = Types.FactoryError;
  type Child = Types.Child;

  transient let VERSION = "0.1.0";
  transient let ic = Mgmt.ic;
  // How often a caller that finds a creation for the same key in flight yields before `Busy`.
  transient let WAIT_ROUNDS = 400;
  // Pool canisters and status refreshes per maintenance run (a timer tick).
  transient let POOL_BATCH = 10;
  transient let REFRESH_BATCH = 50;
  // Cycles the drain module keeps to pay for its own deposit call; tried in turn.
  transient let DRAIN_KEEPS : [Nat] = [2_000_000_000, 20_000_000_000, 100_000_000_000];

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
  var cyclesGiven = 0;
  var cyclesReturned = 0;
  var creations = 0;
  var creationFailures = 0;
  var deletions = 0;
  var topups = 0;
  var lastMaintenance : ?Nat64 = null;
  var lowBalanceReported = false;
  var refreshCursor = 0;
  transient var maintaining = false;
  transient var poolInFlight = 0;

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
    let live = Registry.liveOf(registry, owner, template);
    if (live.size() >= tpolicy.max_per_owner) {
      if (tpolicy.max_per_owner == 1) return #Ok(live[0].canister_id);
      return #Err(#QuotaExceeded);
    };
    if (not admin) {
      if (Registry.createdBy(registry, caller) >= policy.quota_per_caller) return #Err(#QuotaExceeded);
      if (not withinRate(caller)) return #Err(#RateLimited);
    };
    let pooled = pool.removeLast();
    let cost = switch (pooled) {
      case (?_) if (tpolicy.initial_cycles > policy.pool_canister_cycles) tpolicy.initial_cycles - policy.pool_canister_cycles else 0;
      case null tpolicy.initial_cycles + Mgmt.creationFee;
    };
    if (cost > available()) {
      switch (pooled) { case (?id) pool.add(id); case null {} };
      event(caller, "create", null, #Failed, ?("insufficient cycles: " # template # " needs " # Nat.toText(cost)));
      return #Err(#InsufficientCycles({ needed = cost; available = available() }));
    };
    // From here until the child exists, `key` marks the creation in flight.
    creating.add(key, Log.now());
    if (not admin) noteCreation(caller);
    let arg = if (given.size() == 0) to_candid ({ owner }) else given;
    let id = switch (pooled) {
      case (?id) {
        if (cost > 0) {
          try {
            await (with cycles = cost) ic.deposit_cycles({ canister_id = id });
            cyclesGiven += cost;
          } catch (e) {
            pool.add(id);
            creating.remove(key);
            creationFailures += 1;
            event(caller, "create", ?id, #Failed, ?("topping up a pooled canister: " # e.message()));
            return #Err(#CreateFailed(e.message()));
          };
        };
        id;
      };
      case null {
        try {
          let made = await (with cycles = cost) ic.create_canister({ settings = ?{ controllers = ?controllers() }; sender_canister_version = null });
          cyclesGiven += cost;
          made.canister_id;
        } catch (e) {
          creating.remove(key);
          creationFailures += 1;
          event(caller, "create", null, #Failed, ?e.message());
          return #Err(#CreateFailed(e.message()));
        };
      };
    };
    let child : Child = {
      canister_id = id;
      created_by = caller;
      created_at = Log.now();
      canister_type = template;
      owner;
      init_arg = arg;
      var status = #Creating;
      var cycles_balance = tpolicy.initial_cycles;
      var version = null;
      var module_hash = null;
      var last_error = null;
      var controllers_epoch = controllersEpoch;
    };
    Registry.add(registry, child);
    // `key` stays marked until the install is over: callers for it wait for the outcome.
    try {
      await ic.install_code({ mode = #install; canister_id = id; wasm_module = version.wasm; arg; sender_canister_version = null });
      child.status := #Active;
      child.version := ?version.version;
      child.module_hash := ?version.wasm_sha256;
      creations += 1;
      creating.remove(key);
      event(caller, "create", ?id, #Ok, null);
      #Ok(id);
    } catch (e) {
      let message = e.message();
      child.last_error := ?("install failed: " # message);
      creationFailures += 1;
      event(caller, "install", ?id, #Failed, ?message);
      busy.add(id);
      ignore await* retire(child, caller);
      busy.remove(id);
      creating.remove(key);
      #Err(#InstallFailed(message));
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
    let result = await* retire(child, caller);
    busy.remove(id);
    result;
  };

  /// Stops the child, installs the drain module, takes its cycles back and deletes it.
  /// If its cycles cannot be taken back, the child is left stopped (nothing burnt) with last_error.
  func retire(child : Child, caller : Principal) : async* Types.Done {
    let id = { canister_id = child.canister_id };
    try {
      await ic.stop_canister(id);
      await ic.install_code({ mode = #reinstall; canister_id = child.canister_id; wasm_module = Drain.wasm; arg = ""; sender_canister_version = null });
      await ic.start_canister(id);
    } catch (e) {
      return failRetire(child, caller, "preparing the drain: " # e.message());
    };
    var returned : ?Nat = null;
    var lastError = "";
    label tries for (keep in DRAIN_KEEPS.values()) {
      try {
        returned := ?decodeAmount(await IC.call(child.canister_id, "drain", encodeKeep(keep)));
        break tries;
      } catch (e) { lastError := e.message() };
    };
    let ?amount = returned else return failRetire(child, caller, "returning its cycles: " # lastError);
    cyclesReturned += amount;
    try {
      await ic.stop_canister(id);
      await ic.delete_canister(id);
    } catch (e) {
      return failRetire(child, caller, "deleting: " # e.message());
    };
    child.status := #Deleted;
    child.cycles_balance := 0;
    deletions += 1;
    event(caller, "delete", ?child.canister_id, #Ok, ?("returned " # Nat.toText(amount) # " cycles"));
    #Ok;
  };

  func failRetire(child : Child, caller : Principal, message : Text) : Types.Done {
    child.status := #Stopped;
    child.last_error := ?("delete failed: " # message);
    event(caller, "delete", ?child.canister_id, #Failed, ?message);
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

  // ---- reading ----

  public shared query ({ caller }) func get_canister_info(id : Principal) : async ?Types.CanisterInfo {
    switch (registry.children.get(id)) {
      case (?c) if (canSee(caller, c)) ?Registry.info(c) else null;
      case null null;
    };
  };

  public shared query ({ caller }) func list_user_canisters(owner : Principal) : async [Types.CanisterInfo] {
    if (caller.isAnonymous()) throw Error.reject("anonymous callers may not list canisters; call with an identity");
    if (caller != owner and not isAdmin(caller)) throw Error.reject("caller " # caller.toText() # " may list only its own canisters");
    Registry.ofOwner(registry, owner).map(Registry.info);
  };

  public shared ({ caller }) func refresh_canister(id : Principal) : async ?Types.CanisterInfo {
    let ?child = registry.children.get(id) else return null;
    if (not canSee(caller, child)) return null;
    if (child.status != #Deleted) ignore await* refresh(child);
    ?Registry.info(child);
  };

  /// Reads the child's status from the IC into its record; the error message if that failed.
  func refresh(child : Child) : async* ?Text {
    try {
      noteStatus(child, await ic.canister_status({ canister_id = child.canister_id }));
      null;
    } catch (e) { ?e.message() };
  };

  func noteStatus(child : Child, s : Mgmt.Status) {
    child.cycles_balance := s.cycles;
    if (s.module_hash != child.module_hash) {
      // Changed outside the factory (an operator's direct upgrade): name it by its hash.
      child.module_hash := s.module_hash;
      restoreVersion(child);
    };
    if (not busy.contains(child.canister_id) and child.status != #Creating and child.status != #Upgrading) {
      child.status := switch (s.status) { case (#running) #Active; case (_) #Stopped };
    };
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
      await installUpgrade(child, v);
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

  /// install_code in upgrade mode keeping the Wasm memory (EOP), re-passing the init record.
  func installUpgrade(child : Child, v : Types.Version) : async () {
    await ic.install_code({
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
      policy = t.policy;
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
    switch (store.templates.get(template)) { case (?t) ?t.policy; case null null };
  };

  public shared ({ caller }) func set_template_policy(template : Text, p : Types.TemplatePolicy) : async Types.Done {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    let ?t = store.templates.get(template) else return #Err(#UnknownTemplate(template));
    switch (Policy.checkTemplate(template, p)) { case (?e) return #Err(#InvalidArgument(e)); case null {} };
    if (p != t.policy) {
      t.policy := p;
      event(caller, "set_template_policy", null, #Ok, ?template);
    };
    #Ok;
  };

  public query func default_template_policy() : async Types.TemplatePolicy { Policy.defaultTemplate };

  // ---- fleet upgrade: batches of snapshot -> upgrade -> version check -> rollback on failure ----

  public shared ({ caller }) func start_fleet_upgrade(a : Types.FleetUpgradeArgs) : async Types.FleetResult {
    if (not isAdmin(caller)) return #Err(#NotAuthorized);
    if (Fleet.running(fleet)) return #Err(#Busy);
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

  func scheduleFleet<system>() {
    ignore Timer.setTimer<system>(#seconds 0, fleetStep);
  };

  func fleetStep() : async () {
    let ?run = fleet.run else return;
    if (run.state != #Running) return;
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

  /// One child of a fleet upgrade, as its own message so that a batch runs concurrently.
  func upgradeChild(id : Principal, v : Types.Version) : async Types.ChildOutcomeKind {
    let ?child = registry.children.get(id) else return #Failed("no longer registered");
    if (child.status == #Deleted) return #Skipped;
    if (child.module_hash == ?v.wasm_sha256) return #Skipped;
    if (child.status == #Creating or busy.contains(id)) return #Failed("busy with another operation");
    busy.add(id);
    let before = child.status;
    child.status := #Upgrading;
    let target = { canister_id = id };
    let outcome : Types.ChildOutcomeKind = try {
      await ic.stop_canister(target);
      let snapshot = await ic.take_canister_snapshot({ canister_id = id; replace_snapshot = null });
      let problem : ?Text = try {
        await installUpgrade(child, v);
        await ic.start_canister(target);
        let running = await (actor (id.toText()) : Mgmt.Versioned).version();
        if (running == v.version) null else ?("version() answers " # running # ", expected " # v.version);
      } catch (e) { ?e.message() };
      switch problem {
        case null {
          try { await ic.delete_canister_snapshot({ canister_id = id; snapshot_id = snapshot.id }) } catch (_) {};
          #Upgraded;
        };
        case (?why) {
          try {
            try { await ic.stop_canister(target) } catch (_) {};
            await ic.load_canister_snapshot({ canister_id = id; snapshot_id = snapshot.id; sender_canister_version = null });
            ignore await* refresh(child);
            if (before != #Stopped) await ic.start_canister(target);
            try { await ic.delete_canister_snapshot({ canister_id = id; snapshot_id = snapshot.id }) } catch (_) {};
            child.last_error := ?("fleet upgrade to " # v.version # " failed and was rolled back: " # why);
            restoreVersion(child);
            #RolledBack(why);
          } catch (e) {
            child.last_error := ?("fleet upgrade to " # v.version # " failed (" # why # ") and so did the rollback: " # e.message());
            #Failed(why # "; rollback: " # e.message());
          };
        };
      };
    } catch (e) {
      child.last_error := ?("fleet upgrade to " # v.version # " failed before the upgrade: " # e.message());
      try { if (before != #Stopped) await ic.start_canister(target) } catch (_) {};
      #Failed(e.message());
    };
    child.status := before;
    busy.remove(id);
    outcome;
  };

  /// After a rollback the module is the one from before: name its version by its hash again.
  func restoreVersion(child : Child) {
    child.version := switch (child.module_hash) {
      case (?h) switch (Templates.byHash(store, child.canister_type, h)) { case (?v) ?v.version; case null null };
      case null null;
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
    let pooled = try { await* refillPool() } catch (e) { maintaining := false; throw e };
    let band = try { await* keepBand() } catch (e) { maintaining := false; throw e };
    checkFactoryBalance();
    lastMaintenance := ?Log.now();
    maintaining := false;
    { pool_created = pooled.0; topped_up = band.0; cycles_sent = band.1; refreshed = band.2; errors = pooled.1 + band.3 };
  };

  func refillPool() : async* (Nat, Nat) {
    let want = if (policy.pool_size > pool.size() + poolInFlight) policy.pool_size - pool.size() - poolInFlight else 0;
    let each = policy.pool_canister_cycles + Mgmt.creationFee;
    var n = Nat.min(want, POOL_BATCH);
    while (n > 0 and n * each > available()) n -= 1;
    if (want > 0 and n == 0) event(me(), "pool", null, #Warning, ?"not enough cycles to refill the pool");
    let calls = List.empty<async Mgmt.Id>();
    for (_ in Nat.range(0, n)) calls.add((with cycles = each) ic.create_canister({ settings = ?{ controllers = ?controllers() }; sender_canister_version = null }));
    poolInFlight += n;
    var created = 0;
    var errors = 0;
    for (call in calls.values()) {
      try {
        let made = await call;
        pool.add(made.canister_id);
        cyclesGiven += each;
        created += 1;
      } catch (e) {
        errors += 1;
        event(me(), "pool", null, #Failed, ?e.message());
      };
      poolInFlight -= 1;
    };
    (created, errors);
  };

  /// Refreshes a slice of the children and tops up those under their template's band_min.
  func keepBand() : async* (Nat, Nat, Nat, Nat) {
    let ids = registry.order;
    let total = ids.size();
    let slice = List.empty<Child>();
    var scanned = 0;
    while (scanned < total and slice.size() < REFRESH_BATCH) {
      if (refreshCursor >= total) refreshCursor := 0;
      switch (registry.children.get(ids.at(refreshCursor))) {
        case (?c) if (Registry.isLive(c) and c.status != #Creating and not busy.contains(c.canister_id)) slice.add(c);
        case null {};
      };
      refreshCursor += 1;
      scanned += 1;
    };
    let children = slice.toArray();
    let calls = List.empty<async Mgmt.Status>();
    for (c in children.values()) calls.add(ic.canister_status({ canister_id = c.canister_id }));
    var refreshed = 0;
    var errors = 0;
    for ((i, call) in calls.enumerate()) {
      try { noteStatus(children[i], await call); refreshed += 1 } catch (e) {
        errors += 1;
        children[i].last_error := ?("status: " # e.message());
      };
    };
    var topped = 0;
    var sent = 0;
    for (c in children.values()) {
      let p = Templates.policy(store, c.canister_type);
      if (p.band_target > 0 and c.cycles_balance < p.band_min and c.status != #Deleted) {
        let amount = p.band_target - c.cycles_balance;
        if (amount > available()) {
          event(me(), "topup", ?c.canister_id, #Failed, ?("needs " # Nat.toText(amount) # " cycles; the factory has " # Nat.toText(available()) # " above its reserve"));
        } else {
          try {
            await (with cycles = amount) ic.deposit_cycles({ canister_id = c.canister_id });
            c.cycles_balance += amount;
            cyclesGiven += amount;
            topups += 1;
            topped += 1;
            sent += amount;
            event(me(), "topup", ?c.canister_id, #Ok, ?("sent " # Nat.toText(amount) # " cycles"));
          } catch (e) {
            errors += 1;
            event(me(), "topup", ?c.canister_id, #Failed, ?e.message());
          };
        };
      };
    };
    (topped, sent, refreshed, errors);
  };

  func checkFactoryBalance() {
    let low = Cycles.balance() < policy.low_balance_cycles;
    if (low and not lowBalanceReported) {
      event(me(), "low_balance", ?me(), #Warning, ?("factory balance " # Nat.toText(Cycles.balance()) # " is below low_balance_cycles " # Nat.toText(policy.low_balance_cycles)));
    };
    lowBalanceReported := low;
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
      cycles_given = cyclesGiven;
      cycles_returned = cyclesReturned;
      cycles_spent = if (cyclesGiven > cyclesReturned) cyclesGiven - cyclesReturned else 0;
      creations;
      creation_failures = creationFailures;
      deletions;
      topups;
      pool_level = pool.size();
      pool_size = policy.pool_size;
      templates = store.templates.size();
      events = log.nextSeq;
      last_maintenance = lastMaintenance;
    };
  };

  public shared query ({ caller }) func list_canisters(a : Types.ListArgs) : async Types.CanisterPage {
    if (not isAdmin(caller)) throw notAdmin(caller, "list every canister");
    Registry.page(registry, a);
  };

  public query func version() : async Text { VERSION };

  public shared query ({ caller }) func whoami() : async Principal { caller };
};
