/// Policy defaults and the checks every policy change goes through.
import Nat "mo:core/Nat";
import Types "Types";

module {

  public let defaultGlobal : Types.GlobalPolicy = {
    self_service = true;
    reserve_cycles = 2_000_000_000_000;
    low_balance_cycles = 10_000_000_000_000;
    quota_per_caller = 10;
    rate_limit_count = 10;
    rate_limit_window_seconds = 60;
    pool_size = 0;
    pool_canister_cycles = 1_000_000_000_000;
    maintenance_interval_seconds = 300;
    log_capacity = 5_000;
  };

  public let defaultTemplate : Types.BandPolicy = {
    initial_cycles = 1_000_000_000_000;
    band_min = 300_000_000_000;
    band_target = 1_000_000_000_000;
    max_per_owner = 1;
    self_service = true;
  };

  public let defaultScale : Types.ScalePolicy = { scale_at = null; max_shards = 1; autoscale = false };

  /// At most this many canisters in one owner's family of a template (the first and its shards).
  public let maxShards = 100;

  /// A template's whole policy as the interface shows it: every autoscaling field filled in.
  public func join(b : Types.BandPolicy, s : Types.ScalePolicy) : Types.TemplatePolicy {
    { b with scale_at = s.scale_at; max_shards = ?s.max_shards; autoscale = ?s.autoscale };
  };

  /// The two parts a template's policy is kept in; left-out autoscaling fields take the defaults.
  public func split(p : Types.TemplatePolicy) : (Types.BandPolicy, Types.ScalePolicy) {
    let band : Types.BandPolicy = {
      initial_cycles = p.initial_cycles;
      band_min = p.band_min;
      band_target = p.band_target;
      max_per_owner = p.max_per_owner;
      self_service = p.self_service;
    };
    let scale : Types.ScalePolicy = {
      scale_at = p.scale_at;
      max_shards = switch (p.max_shards) { case (?n) n; case null defaultScale.max_shards };
      autoscale = switch (p.autoscale) { case (?a) a; case null defaultScale.autoscale };
    };
    (band, scale);
  };

  /// The first problem with a global policy, as "field: what is wrong; the fix".
  public func checkGlobal(p : Types.GlobalPolicy) : ?Text {
    if (p.rate_limit_window_seconds == 0) return ?"rate_limit_window_seconds: must be at least 1";
    if (p.maintenance_interval_seconds < 1 or p.maintenance_interval_seconds > 86_400) return ?"maintenance_interval_seconds: must be between 1 and 86400";
    if (p.log_capacity < 10 or p.log_capacity > 100_000) return ?"log_capacity: must be between 10 and 100000";
    if (p.pool_size > 100) return ?"pool_size: at most 100 pre-created canisters";
    if (p.pool_size > 0 and p.pool_canister_cycles == 0) return ?"pool_canister_cycles: must be above 0 when pool_size > 0";
    null;
  };

  public func checkTemplate(name : Text, p : Types.TemplatePolicy) : ?Text {
    if (p.initial_cycles == 0) return ?"initial_cycles: must be above 0";
    if (p.band_target > 0 and p.band_min > p.band_target) return ?("band_min: must not exceed band_target (" # Nat.toText(p.band_target) # ")");
    if (p.band_target == 0 and p.band_min > 0) return ?"band_target: must be set when band_min is";
    if (p.max_per_owner == 0) return ?"max_per_owner: must be at least 1";
    if (name == "user" and p.max_per_owner != 1) return ?"max_per_owner: the user template is one per owner (set 1)";
    let (_, scale) = split(p);
    switch (scale.scale_at) {
      case (?pct) if (pct < 1 or pct > 100) return ?"scale_at: a percent of the wasm_memory_limit, between 1 and 100 (or none)";
      case null if (scale.autoscale) return ?"scale_at: must be set (1-100) when autoscale is on";
    };
    if (scale.max_shards < 1 or scale.max_shards > maxShards) return ?("max_shards: between 1 and " # Nat.toText(maxShards) # " (the first canister counts)");
    if (scale.autoscale and scale.max_shards < 2) return ?"max_shards: must be at least 2 when autoscale is on (the first canister counts)";
    null;
  };
};
