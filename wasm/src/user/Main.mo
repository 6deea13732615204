/// User template: one user's profile and preferences (key/value), with size limits.
/// 0.2.0: preferences and the profile record when they were last written; see Migration.mo for
/// the data migration from 0.1.0 (wasm/user-0.1.0.wasm.gz).
import Map "mo:core/Map";
import Set "mo:core/Set";
import Nat "mo:core/Nat";
import Text "mo:core/Text";
import Iter "mo:core/Iter";
import Principal "mo:core/Principal";
import Result "mo:core/Result";
import Runtime "mo:core/Runtime";
import Time "mo:core/Time";
import Access "../common/Access";
import Limits "../common/Limits";
import Report "../common/Report";
import Validate "../common/Validate";
import Types "Types";
import Migration "Migration";

persistent actor class User(init : {
  owner : Principal;
  max_preferences : ?Nat;
  max_key_bytes : ?Nat;
  max_value_bytes : ?Nat;
  max_profile_bytes : ?Nat;
  max_readers : ?Nat;
}) {
  public type Profile = Types.Profile;
  public type ProfileView = Types.ProfileView;
  public type PreferenceEntry = Types.PreferenceEntry;

  transient let VERSION = "0.2.0";
  transient let LIMITS : [Limits.Spec] = [
    { name = "max_preferences"; default = 100; min = 1; max = 10_000 },
    { name = "max_key_bytes"; default = 64; min = 1; max = 1_024 },
    { name = "max_value_bytes"; default = 4_096; min = 1; max = 65_536 },
    { name = "max_profile_bytes"; default = 8_192; min = 1; max = 65_536 },
    { name = "max_readers"; default = 20; min = 0; max = 1_000 },
  ];

  Validate.owner(init.owner);
  let owner = init.owner;
  if (owner != init.owner) Runtime.trap("invalid init argument: owner cannot change on upgrade (installed owner is " # owner.toText() # ")");

  let limits = Limits.empty();
  Limits.configure(limits, LIMITS, [
    ("max_preferences", init.max_preferences),
    ("max_key_bytes", init.max_key_bytes),
    ("max_value_bytes", init.max_value_bytes),
    ("max_profile_bytes", init.max_profile_bytes),
    ("max_readers", init.max_readers),
  ]);

  let readers = Set.empty<Principal>();
  var profile : ?Profile = null;
  var profileUpdatedAt : ?Int = null;
  // 0.1.0's preferences, emptied by the migration after an upgrade from 0.1.0.
  let preferenceValues = Map.empty<Text, Text>();
  let preferences = Map.empty<Text, Types.Preference>();
  let changes = Report.changes();
  Report.bump(changes); // install and every upgrade (limits may change)

  system func postupgrade() {
    Migration.preferencesFrom010(preferenceValues, preferences, Time.now());
  };

  func limit(name : Text) : Nat = Limits.get(limits, name);

  func bytesUsed() : Nat {
    var total = switch (profile) {
      case (?p) Validate.bytes(p.display_name) + Validate.bytes(p.bio);
      case null 0;
    };
    for ((k, p) in preferences.entries()) total += Validate.bytes(k) + Validate.bytes(p.value);
    total;
  };

  // ---- owner writes ----

  public shared ({ caller }) func set_profile(p : Profile) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "change the profile");
    Report.bump(changes);
    let size = Validate.bytes(p.display_name) + Validate.bytes(p.bio);
    if (size > limit("max_profile_bytes")) return #err("profile is " # Nat.toText(size) # " bytes; the limit is " # Nat.toText(limit("max_profile_bytes")));
    profile := ?p;
    profileUpdatedAt := ?Time.now();
    #ok;
  };

  public shared ({ caller }) func clear_profile() : async () {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "change the profile");
    Report.bump(changes);
    profile := null;
    profileUpdatedAt := ?Time.now();
  };

  public shared ({ caller }) func set_preference(key : Text, value : Text) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "change preferences");
    Report.bump(changes);
    switch (Validate.nonEmptyText("key", key, limit("max_key_bytes"))) { case (?e) return #err(e); case null {} };
    switch (Validate.text("value", value, limit("max_value_bytes"))) { case (?e) return #err(e); case null {} };
    if (not preferences.containsKey(key) and preferences.size() >= limit("max_preferences")) {
      return #err("preference limit reached (max_preferences = " # Nat.toText(limit("max_preferences")) # ")");
    };
    preferences.add(key, { value; updated_at = Time.now() });
    #ok;
  };

  public shared ({ caller }) func delete_preference(key : Text) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "change preferences");
    Report.bump(changes);
    preferences.delete(key);
  };

  // ---- reads: owner and granted readers ----

  public shared query ({ caller }) func get_profile() : async ?ProfileView {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    switch (profile) {
      case (?p) ?{ display_name = p.display_name; bio = p.bio; updated_at = profileUpdatedAt };
      case null null;
    };
  };

  public shared query ({ caller }) func get_preference(key : Text) : async ?Text {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    switch (preferences.get(key)) { case (?p) ?p.value; case null null };
  };

  public shared query ({ caller }) func list_preferences() : async [PreferenceEntry] {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    preferences.entries().map(func((key, p) : (Text, Types.Preference)) : PreferenceEntry = { key; value = p.value; updated_at = p.updated_at }).toArray();
  };

  // ---- sharing ----

  public shared ({ caller }) func grant(reader : Principal) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "grant access");
    Report.bump(changes);
    switch (Access.checkGrantee(owner, readers, reader, limit("max_readers"))) { case (?e) return #err(e); case null {} };
    readers.add(reader);
    #ok;
  };

  public shared ({ caller }) func revoke(reader : Principal) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "revoke access");
    Report.bump(changes);
    readers.delete(reader);
  };

  public shared query ({ caller }) func list_readers() : async [Principal] {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "list readers");
    readers.toArray();
  };

  // ---- monitoring and maintenance ----

  public query func version() : async Text { VERSION };

  public shared query ({ caller }) func whoami() : async Principal { caller };

  func info() : Report.Info {
    Report.info(owner, "user", VERSION, [("profile", if (profile == null) 0 else 1), ("preferences", preferences.size()), ("readers", readers.size())], bytesUsed(),
      [{ used = preferences.size(); limit = limit("max_preferences"); unit = "preferences" }], changes);
  };

  public shared query ({ caller }) func get_info() : async Report.Info {
    if (not Access.canRead(owner, readers, caller) and not Access.isOperator(caller)) throw Access.denied(caller, "read canister info");
    info();
  };

  public shared query ({ caller }) func admin_stats() : async Report.Stats {
    if (not Access.isOperator(caller)) throw Access.denied(caller, "call admin methods (controllers only)");
    { info = info(); limits = Limits.entries(limits); readers = readers.size() };
  };

  public shared ({ caller }) func admin_set_limit(name : Text, value : Nat) : async Result.Result<(), Text> {
    if (not Access.isOperator(caller)) throw Access.denied(caller, "call admin methods (controllers only)");
    Report.bump(changes);
    switch (Limits.set(limits, LIMITS, name, value)) { case (?e) #err(e); case null #ok };
  };
};
