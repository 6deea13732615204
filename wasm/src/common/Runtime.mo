/// Canister-wide figures for monitoring: memory and cycles.
import Prim "mo:⛔";

module {
  public func memoryBytes() : Nat = Prim.rts_memory_size();
  public func heapBytes() : Nat = Prim.rts_heap_size();
  public func cycles() : Nat = Prim.cyclesBalance();
};
