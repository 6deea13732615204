/// The bounded event log: each event gets the next sequence number; past the capacity the
/// oldest are dropped. Pages are read by sequence number, so they stay stable as events arrive.
import Map "mo:core/Map";
import Nat "mo:core/Nat";
import Nat64 "mo:core/Nat64";
import Time "mo:core/Time";
import Int "mo:core/Int";
import List "mo:core/List";
import Types "Types";

module {
  public type Log = { events : Map.Map<Nat, Types.Event>; var nextSeq : Nat };

  public let maxPage = 500;

  public func empty() : Log = { events = Map.empty<Nat, Types.Event>(); var nextSeq = 0 };

  public func now() : Nat64 = Nat64.fromNat(Int.abs(Time.now()));

  public func add(log : Log, capacity : Nat, caller : Principal, action : Text, canister : ?Principal, outcome : Types.EventOutcome, error : ?Text) {
    log.events.add(log.nextSeq, { seq = log.nextSeq; time = now(); caller; action; canister_id = canister; outcome; error });
    log.nextSeq += 1;
    trim(log, capacity);
  };

  public func trim(log : Log, capacity : Nat) {
    while (log.events.size() > Nat.max(capacity, 1)) {
      switch (log.events.minEntry()) { case (?(k, _)) log.events.remove(k); case null return };
    };
  };

  public func page(log : Log, from : ?Nat, limit : Nat) : Types.EventPage {
    let first = switch (log.events.minEntry()) { case (?(k, _)) k; case null log.nextSeq };
    let start = switch (from) { case (?s) Nat.max(s, first); case null first };
    let size = Nat.min(Nat.max(limit, 1), maxPage);
    let out = List.empty<Types.Event>();
    label scan for ((k, e) in log.events.entriesFrom(start)) {
      if (out.size() >= size) break scan;
      out.add(e);
    };
    let last = switch (out.last()) { case (?e) e.seq + 1; case null start };
    { items = out.toArray(); first_seq = first; next_seq = log.nextSeq; next_from = if (last < log.nextSeq) ?last else null };
  };
};
