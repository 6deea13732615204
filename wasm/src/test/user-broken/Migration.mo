/// TEST ONLY: replaces user/Migration.mo in wasm/test/user-broken.wasm.gz, a build whose
/// upgrade always fails, so that rollback of a failed upgrade can be tested. Never deploy it.
import Map "mo:core/Map";
import Runtime "mo:core/Runtime";
import Types "Types"; // resolved next to user/Migration.mo, whose place this file takes

module {
  public func preferencesFrom010(_legacy : Map.Map<Text, Text>, _into : Map.Map<Text, Types.Preference>, _now : Int) {
    Runtime.trap("user-broken (test-only build): migration fails on purpose");
  };
};
