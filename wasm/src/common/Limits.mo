/// Named, operator-adjustable limits with documented defaults and bounds.
/// Kept as a map so that a new version can add a limit (it gets its default on upgrade) and so
/// that `admin_set_limit` works the same way in every template.
import Map "mo:core/Map";
import Nat "mo:core/Nat";
import Text "mo:core/Text";
import Runtime "mo:core/Runtime";

module {
  public type Limits = Map.Map<Text, Nat>;

  public type Spec = { name : Text; default : Nat; min : Nat; max : Nat };

  public func empty() : Limits = Map.empty<Text, Nat>();

  /// Gives every limit without a value its default, then applies the init argument's
  /// overrides; runs on install and on every upgrade, so upgrade arguments can change limits.
  public func configure(limits : Limits, specs : [Spec], overrides : [(Text, ?Nat)]) {
    for (spec in specs.values()) {
      if (not limits.containsKey(spec.name)) limits.add(spec.name, spec.default);
    };
    for ((name, value) in overrides.values()) {
      switch (value) {
        case (?v) {
          switch (check(specs, name, v)) {
            case (?problem) Runtime.trap("invalid init argument: " # problem);
            case null limits.add(name, v);
          };
        };
        case null {};
      };
    };
  };

  public func get(limits : Limits, name : Text) : Nat {
    switch (limits.get(name)) {
      case (?v) v;
      case null Runtime.trap("internal error: limit " # name # " is not configured");
    };
  };

  public func set(limits : Limits, specs : [Spec], name : Text, value : Nat) : ?Text {
    switch (check(specs, name, value)) {
      case (?problem) ?problem;
      case null { limits.add(name, value); null };
    };
  };

  public func entries(limits : Limits) : [(Text, Nat)] = limits.toArray();

  func check(specs : [Spec], name : Text, value : Nat) : ?Text {
    for (spec in specs.values()) {
      if (spec.name == name) {
        if (value < spec.min or value > spec.max) {
          return ?(name # " must be between " # Nat.toText(spec.min) # " and " # Nat.toText(spec.max) # ", got " # Nat.toText(value));
        };
        return null;
      };
    };
    ?("unknown limit " # name);
  };
};
