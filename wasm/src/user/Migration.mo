/// Data migration from user 0.1.0 to 0.2.0. 0.1.0 kept each preference as bare text; 0.2.0 also
/// records when it was last written. Motoko cannot change the type of a stable field in place,
/// so 0.2.0 keeps the 0.1.0 field under its old name, moves its entries into the new field once
/// (after the upgrade) and leaves it empty. Upgrading 0.2.0 to 0.2.0 finds it empty: no-op.
import Map "mo:core/Map";
import Text "mo:core/Text";
import Types "Types";

module {
  public func preferencesFrom010(legacy : Map.Map<Text, Text>, into : Map.Map<Text, Types.Preference>, now : Int) {
    for ((key, value) in legacy.entries()) {
      // A key written by 0.2.0 is newer than the 0.1.0 copy.
      if (not into.containsKey(key)) into.add(key, { value; updated_at = now });
    };
    legacy.clear();
  };
};
