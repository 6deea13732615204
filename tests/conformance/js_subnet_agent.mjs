// DFINITY's JS agent, unchanged, calls a canister on localnet's second subnet: the update's
// certificate carries an NNS delegation and the query needs that subnet's node keys; both
// checks stay on. A second agent trusts the wrong root key (the subnet's own key) and must
// refuse the same answers.
// Usage: node js_subnet_agent.mjs <url> <canister id> <identity seed hex> <wrong key hex>
import { Actor, CanisterStatus, HttpAgent } from "@icp-sdk/core/agent";
import { Ed25519KeyIdentity } from "@icp-sdk/core/identity";

const [url, canisterId, seedHex, wrongKeyHex] = process.argv.slice(2);
const identity = Ed25519KeyIdentity.generate(Uint8Array.from(Buffer.from(seedHex, "hex")));
const userIdl = ({ IDL }) => IDL.Service({
  set_preference: IDL.Func([IDL.Text, IDL.Text], [IDL.Variant({ ok: IDL.Null, err: IDL.Text })], []),
  get_preference: IDL.Func([IDL.Text], [IDL.Opt(IDL.Text)], ["query"]),
});
const out = { principal: identity.getPrincipal().toText() };

const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true,
                                       verifyQuerySignatures: true });
const actor = Actor.createActor(userIdl, { agent, canisterId });
out.set = Object.keys(await actor.set_preference("color", "teal"))[0];
out.get = await actor.get_preference("color");
const paths = await CanisterStatus.request({ canisterId, agent, paths: ["module_hash", "controllers"] });
out.module_hash = paths.get("module_hash");
out.controllers = (paths.get("controllers") || []).map((p) => p.toText());

const wrong = await HttpAgent.create({ host: url, identity, verifyQuerySignatures: true,
                                       rootKey: Uint8Array.from(Buffer.from(wrongKeyHex, "hex")) });
const wrongActor = Actor.createActor(userIdl, { agent: wrong, canisterId });
for (const [name, run] of [["wrong_key_update", () => wrongActor.set_preference("color", "red")],
                           ["wrong_key_query", () => wrongActor.get_preference("color")]]) {
  try {
    await run();
    out[name] = "accepted";
  } catch (err) {
    out[name] = String(err && (err.message || err)).slice(0, 300);
  }
}
console.log(JSON.stringify(out));
