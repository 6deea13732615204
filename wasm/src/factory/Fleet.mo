/// The on-chain fleet upgrade's bookkeeping: which children, in which order, what happened to
/// each, when to halt. The upgrade steps themselves are in Main.mo (they await).
import List "mo:core/List";
import Nat "mo:core/Nat";
import Types "Types";
import Log "Log";

module {
  public type Fleet = { var run : ?Types.FleetRun; var seq : Nat; var haltBase : Nat };

  public let maxPage = 500;

  public func empty() : Fleet = { var run = null; var seq = 0; var haltBase = 0 };

  public func running(f : Fleet) : Bool {
    switch (f.run) { case (?r) r.state == #Running; case null false };
  };

  /// Children of the run taken into a batch whose outcome is not in yet. Read from the outcomes,
  /// which persist, so it stays right across an upgrade of the factory.
  public func inFlight(r : Types.FleetRun) : Nat {
    var n = 0;
    for (i in Nat.range(0, r.next)) if (r.outcomes.at(i).outcome == #Pending) n += 1;
    n;
  };

  /// Whether a new run must wait: one is running, or a cancelled one still has a batch out.
  public func busy(f : Fleet) : Bool {
    switch (f.run) { case (?r) r.state == #Running or inFlight(r) > 0; case null false };
  };

  public func halted(r : Types.FleetRun) : Bool {
    switch (r.state) { case (#Halted(_)) true; case (_) false };
  };

  public func start(f : Fleet, a : Types.FleetUpgradeArgs, caller : Principal, targets : [Types.Child]) : Types.FleetRun {
    f.seq += 1;
    f.haltBase := 0;
    let outcomes = List.empty<Types.ChildOutcome>();
    for (c in targets.values()) {
      outcomes.add({ canister_id = c.canister_id; owner = c.owner; from_version = c.version; outcome = #Pending; at = null });
    };
    let run : Types.FleetRun = {
      id = f.seq;
      template = a.template;
      version = a.version;
      var state = if (targets.size() == 0) #Completed else #Running;
      batch_size = a.batch_size;
      var max_failures = a.max_failures;
      outcomes;
      var next = 0;
      var upgraded = 0;
      var skipped = 0;
      var failed = 0;
      started_by = caller;
      started_at = Log.now();
      var updated_at = Log.now();
    };
    f.run := ?run;
    run;
  };

  /// Continues a halted run; failures so far no longer count towards the limit.
  public func resume(r : Types.FleetRun, maxFailures : ?Nat) {
    switch (maxFailures) { case (?m) r.max_failures := m; case null {} };
    r.state := #Running;
    r.updated_at := Log.now();
  };

  public func nextBatch(r : Types.FleetRun) : [(Nat, Types.ChildOutcome)] {
    let out = List.empty<(Nat, Types.ChildOutcome)>();
    var i = r.next;
    while (i < r.outcomes.size() and out.size() < r.batch_size) {
      out.add((i, r.outcomes.at(i)));
      i += 1;
    };
    r.next := i;
    out.toArray();
  };

  public func record(r : Types.FleetRun, index : Nat, kind : Types.ChildOutcomeKind) {
    let o = r.outcomes.at(index);
    r.outcomes.put(index, { o with outcome = kind; at = ?Log.now() });
    switch kind {
      case (#Upgraded) r.upgraded += 1;
      case (#Skipped) r.skipped += 1;
      case (#RolledBack(_) or #Failed(_)) r.failed += 1;
      case (#Pending) {};
    };
    r.updated_at := Log.now();
  };

  /// Halts once failures since the (re)start exceed max_failures; completes when none is left.
  public func afterBatch(r : Types.FleetRun) {
    if (failedSinceStart(r) > r.max_failures) {
      r.state := #Halted(Nat.toText(r.failed) # " children failed; max_failures is " # Nat.toText(r.max_failures) # " (resume_fleet_upgrade to continue)");
    } else if (r.next >= r.outcomes.size() and inFlight(r) == 0) {
      r.state := #Completed;
    };
  };

  func failedSinceStart(r : Types.FleetRun) : Nat = r.failed;

  public func progress(r : Types.FleetRun) : Types.FleetProgress {
    {
      id = r.id;
      template = r.template;
      version = r.version;
      state = r.state;
      batch_size = r.batch_size;
      max_failures = r.max_failures;
      total = r.outcomes.size();
      pending = r.outcomes.size() - r.next;
      upgraded = r.upgraded;
      skipped = r.skipped;
      failed = r.failed;
      in_flight = inFlight(r);
      started_by = r.started_by;
      started_at = r.started_at;
      updated_at = r.updated_at;
    };
  };

  public func outcomes(f : Fleet, offset : Nat, limit : Nat) : Types.OutcomePage {
    let ?r = f.run else return { items = []; total = 0; next_offset = null };
    let total = r.outcomes.size();
    let end = Nat.min(total, offset + Nat.min(Nat.max(limit, 1), maxPage));
    let items = if (offset >= total) [] else r.outcomes.sliceToArray(offset, end);
    { items; total; next_offset = if (end < total) ?end else null };
  };
};
