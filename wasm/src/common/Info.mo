/// The monitoring records every template returns from `get_info` and `admin_stats`.
import Runtime "Runtime";

module {
  public type Info = {
    owner : Principal;
    template : Text;
    version : Text;
    counts : [(Text, Nat)];
    bytes_used : Nat;
    memory_bytes : Nat;
    heap_bytes : Nat;
    cycles : Nat;
  };

  public type Stats = {
    info : Info;
    limits : [(Text, Nat)];
    readers : Nat;
  };

  public func info(owner : Principal, template : Text, version : Text, counts : [(Text, Nat)], bytesUsed : Nat) : Info {
    {
      owner;
      template;
      version;
      counts;
      bytes_used = bytesUsed;
      memory_bytes = Runtime.memoryBytes();
      heap_bytes = Runtime.heapBytes();
      cycles = Runtime.cycles();
    };
  };
};
