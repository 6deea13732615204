/// TEST ONLY: replaces user/Migration.mo in wasm/test/user-picky.wasm.gz, a 0.2.0 build whose
/// migration from 0.1.0 fails on one kind of data (a 0.1.0 preference named "poison"), the way
/// a migration bug hits only some users. The factory's fleet-upgrade test uses it to see one
/// child among many fail, be rolled back from its snapshot and keep its data. Never deploy it.
import Map "mo:core/Map";
import Runtime "mo:core/Runtime";
import Text "mo:core/Text";
import Types "Types"; // resolved next to user/Migration.mo, whose place this file takes

module {
  public func preferencesFrom010(legacy : Map.Map<Text, Text>, into : Map.Map<Text, Types.Preference>, now : Int) {
    if (legacy.containsKey("poison")) Runtime.trap("user-picky (test-only build): cannot migrate the preference \"poison\"");
    for ((key, value) in legacy.entries()) {
      if (not into.containsKey(key)) into.add(key, { value; updated_at = now });
    };
    legacy.clear();
  };
};
