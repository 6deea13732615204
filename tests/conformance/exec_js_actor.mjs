// Calls canisters' own methods through DFINITY's JS agent (Actor.createActor with an IDL
// factory), query signature verification on. Installs Counter.mo and the user template.
// Usage: node exec_js_actor.mjs <url> <counter.wasm> <user.wasm.gz>; prints one JSON object.
import { readFileSync } from "node:fs";
import { Actor, HttpAgent } from "@icp-sdk/core/agent";
import { IDL } from "@icp-sdk/core/candid";
import { Ed25519KeyIdentity } from "@icp-sdk/core/identity";
import { IcManagementCanister } from "@icp-sdk/canisters/ic-management";

const [url, counterPath, userPath] = process.argv.slice(2);
const out = {};

const counterIdl = ({ IDL }) => IDL.Service({
  add: IDL.Func([IDL.Nat], [IDL.Nat], []),
  get: IDL.Func([], [IDL.Nat], ["query"]),
  whoami: IDL.Func([], [IDL.Principal], ["query"]),
  reset: IDL.Func([], [], []),
  note: IDL.Func([IDL.Text], [], []),
  getNotes: IDL.Func([], [IDL.Vec(IDL.Text)], ["query"]),
});
const userIdl = ({ IDL }) => {
  const Result = IDL.Variant({ ok: IDL.Null, err: IDL.Text });
  return IDL.Service({
    set_preference: IDL.Func([IDL.Text, IDL.Text], [Result], []),
    get_preference: IDL.Func([IDL.Text], [IDL.Opt(IDL.Text)], ["query"]),
    whoami: IDL.Func([], [IDL.Principal], ["query"]),
    version: IDL.Func([], [IDL.Text], ["query"]),
  });
};
const UserInit = IDL.Record({
  owner: IDL.Principal, max_preferences: IDL.Opt(IDL.Nat), max_key_bytes: IDL.Opt(IDL.Nat),
  max_value_bytes: IDL.Opt(IDL.Nat), max_profile_bytes: IDL.Opt(IDL.Nat),
  max_readers: IDL.Opt(IDL.Nat),
});

function errorOf(err) {
  const text = String(err && (err.message || err));
  const code = text.match(/IC0\d{3}/);
  return { code: code ? code[0] : null, text: text.slice(0, 600) };
}

async function agentFor(identity) {
  return HttpAgent.create({ host: url, identity, shouldFetchRootKey: true,
                            verifyQuerySignatures: true });
}

const owner = Ed25519KeyIdentity.generate();
const stranger = Ed25519KeyIdentity.generate();
const agent = await agentFor(owner);
const strangerAgent = await agentFor(stranger);
const mgmt = IcManagementCanister.create({ agent });

async function deploy(wasm, arg) {
  const canisterId = await mgmt.provisionalCreateCanisterWithCycles({
    amount: 3_000_000_000_000n });
  await mgmt.installCode({ mode: { install: null }, canisterId, wasmModule: wasm,
                           arg: new Uint8Array(arg) });
  return canisterId;
}

const counterId = await deploy(readFileSync(counterPath),
                               IDL.encode([IDL.Principal, IDL.Nat], [owner.getPrincipal(), 5n]));
out.counter_id = counterId.toText();
out.owner = owner.getPrincipal().toText();
const counter = Actor.createActor(counterIdl, { agent, canisterId: counterId });
out.add = (await counter.add(3n)).toString();
out.get = (await counter.get()).toString();
out.whoami = (await counter.whoami()).toText();
await counter.note("from js");
out.notes = await counter.getNotes();

const strangerCounter = Actor.createActor(counterIdl, { agent: strangerAgent,
                                                        canisterId: counterId });
out.stranger_whoami = (await strangerCounter.whoami()).toText();
try {
  await strangerCounter.reset();
  out.stranger_reset = "allowed";
} catch (err) {
  out.stranger_reset = errorOf(err);
}
out.get_after = (await strangerCounter.get()).toString();

const userId = await deploy(readFileSync(userPath), IDL.encode([UserInit], [{
  owner: owner.getPrincipal(), max_preferences: [2n], max_key_bytes: [], max_value_bytes: [],
  max_profile_bytes: [], max_readers: [] }]));
const user = Actor.createActor(userIdl, { agent, canisterId: userId });
out.user_set = await user.set_preference("colour", "green");
out.user_get = await user.get_preference("colour");
out.user_version = await user.version();
const strangerUser = Actor.createActor(userIdl, { agent: strangerAgent, canisterId: userId });
try {
  out.stranger_set = await strangerUser.set_preference("colour", "red");
} catch (err) {
  out.stranger_set = errorOf(err);
}
out.user_get_after = await user.get_preference("colour");
console.log(JSON.stringify(out));
