/**
 * `node dist-bench/request-state.bench.js`: what the gateway's MRTR `requestState` costs per round.
 * In one process, alternating rounds (medians): sealing and opening one state (a tools/call
 * binding, a parked route and a 256-byte backend state) against one bare HMAC-SHA256 of the same
 * signed text, the floor any authenticated state pays; then seal alone, open alone and the
 * arguments digest, each against the same floor. `BENCH_OPS` (default 50,000) and `BENCH_ROUNDS`
 * (default 5) change the size.
 */
import { createHmac } from "node:crypto";
import { compareThroughput, formatRatioTable, type RatioRow } from "@vmcp/bench-kit";
import { digestRequestArguments } from "../dist/http/mcp-2026-07-28/request-state/request-args-digest.js";
import {
  openRequestState,
  type RequestStateBinding,
  sealRequestState,
} from "../dist/http/mcp-2026-07-28/request-state/request-state-codec.js";
import { RequestStateKey } from "../dist/http/mcp-2026-07-28/request-state/request-state-key.js";

const Ops = Number(process.env.BENCH_OPS ?? 50_000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const secret = "a-binding-secret-shared-by-every-replica";
const key = new RequestStateKey(secret);
const params = { name: "deploy", arguments: { env: "prod", replicas: 3, tags: ["a", "b", "c"] } };
const binding: RequestStateBinding = {
  owner: { issuer: "https://idp.example", subject: "alice" },
  method: "tools/call",
  target: "deploy",
  argsDigest: digestRequestArguments(params),
};
const contents = {
  binding,
  route: { workloadId: "github", parked: { replicaId: "replica-b", callId: "call-17" } },
  backendState: "s".repeat(256),
};
const now = Date.now();
const state = sealRequestState(contents, key, now);
const signed = state.slice(0, state.lastIndexOf("."));
const hmacKey = Buffer.alloc(32, 7);
let sink = 0;

/** The floor: one HMAC-SHA256 of the signed text, base64url, as a bare `node:crypto` call. */
function bareHmac(): void {
  sink += createHmac("sha256", hmacKey).update(signed).digest("base64url").length;
}

function sealAndOpen(): void {
  const sealed = sealRequestState(contents, key, now);
  sink += openRequestState(sealed, key, binding, now).expiresAt;
}

async function main(): Promise<void> {
  const rows: RatioRow[] = [];
  const subjects: [string, () => void][] = [
    ["seal+open (vs 1 bare HMAC)", sealAndOpen],
    [
      "seal (vs 1 bare HMAC)",
      () => {
        sink += sealRequestState(contents, key, now).length;
      },
    ],
    [
      "open (vs 1 bare HMAC)",
      () => {
        sink += openRequestState(state, key, binding, now).expiresAt;
      },
    ],
    [
      "args digest (vs 1 bare HMAC)",
      () => {
        sink += digestRequestArguments(params).length;
      },
    ],
  ];
  for (const [name, subject] of subjects) {
    const { subjectOpsPerSec, baselineOpsPerSec } = await compareThroughput(
      Ops,
      bareHmac,
      subject,
      {
        rounds: Rounds,
      },
    );
    rows.push({ name, value: subjectOpsPerSec, baseline: baselineOpsPerSec, unit: "ops/s" });
  }
  console.log(`state: ${state.length} bytes; ${Ops} ops x ${Rounds} rounds (sink ${sink % 10})`);
  console.log(formatRatioTable("MRTR requestState, in process", rows));
}

await main();
