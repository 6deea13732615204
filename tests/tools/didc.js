// Batch driver for DFINITY's reference Candid implementation (@dfinity/didc on npm).
//
// Each stdin line is a JSON array of jobs; the answer is one line with a JSON array of
// results. A job is
//   {"op": "encode", "idl": "...", "input": "(...)", "withType": {...}}   -> {"ok": "<hex>"}
//   {"op": "decode", "idl": "...", "input": "<hex>", "serviceMethod": "m",
//    "useServiceMethodReturnType": false}                                  -> {"ok": "(...)"}
// and a failure gives {"error": "<message>"}.
"use strict";
const didc = require("@dfinity/didc");

function run(job) {
  try {
    if (job.op === "encode") {
      return { ok: didc.encode({ idl: job.idl, input: job.input, withType: job.withType,
                                 targetFormat: "hex" }) };
    }
    if (job.op === "decode") {
      const args = { idl: job.idl, input: job.input, inputFormat: "hex", targetFormat: "candid" };
      if (job.serviceMethod) {
        args.serviceMethod = job.serviceMethod;
        args.useServiceMethodReturnType = !!job.useServiceMethodReturnType;
      }
      return { ok: didc.decode(args) };
    }
    return { error: `unknown op ${job.op}` };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
}

// One request per line (a JSON array of jobs), one response line per request, so a test
// session keeps a single node process.
const readline = require("readline");
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const jobs = JSON.parse(line);
  process.stdout.write(JSON.stringify(jobs.map(run)) + "\n");
});
