import type { Cluster } from "ioredis";

/**
 * A Cluster redirection reply as ioredis hands it over when it did not follow it itself:
 * `MOVED <slot> <host:port>` (the slot has a new owner) or `ASK <slot> <host:port>` (this key is
 * already on the importing node of a slot being migrated). Either way the command was not run.
 */
const RedirectionReply = /^(MOVED|ASK) \d+ \S+/;

/**
 * ioredis's refusal to send an auto-pipeline whose commands, grouped by node when queued, no
 * longer share one node because the slot map changed before it was sent. Nothing was sent.
 */
const RegroupedPipeline =
  "All keys in the pipeline should belong to the same slots allocation group";

/**
 * Why a command that failed on ioredis's pipelined path was not run and must be sent again:
 * `"MOVED"` or `"ASK"` for a raw redirection reply, `"REGROUPED"` for a pipeline ioredis refused
 * to send after the slot map changed, `undefined` for anything else.
 */
export function resendReasonOf(error: unknown): "MOVED" | "ASK" | "REGROUPED" | undefined {
  const message = error instanceof Error ? error.message : undefined;
  if (message === undefined) return undefined;
  if (message === RegroupedPipeline) return "REGROUPED";
  const match = RedirectionReply.exec(message);
  return match === null ? undefined : (match[1] as "MOVED" | "ASK");
}

/** What ioredis keeps for each `defineCommand` script (its `Script` class, not exported). */
interface DefinedScript {
  execute(
    container: Cluster,
    args: (string | number)[],
    options: { replyEncoding: "utf8" },
  ): Promise<unknown>;
}

type ScriptFunction = (...args: string[]) => Promise<unknown>;

/**
 * Makes the named script commands of a Cluster client follow `MOVED` and `ASK` whatever the
 * client's options.
 *
 * Why: with `enableAutoPipelining`, ioredis sends a command through a `Pipeline` shared with the
 * other commands queued for the same node in that tick. A Cluster pipeline is only redirected
 * when every reply in it is the same redirection and every success is read-only; a batch mixing
 * one successful `EVALSHA` with a `MOVED` or `ASK` resolves each command with its own reply, so
 * the redirected command rejects with the raw `MOVED ...` text and the slot map is not refreshed.
 * This happens on every slot migration and every failover of a healthy cluster. And when the slot
 * map changes between queueing and sending, ioredis refuses the whole auto-pipeline ("All keys in
 * the pipeline should belong to the same slots allocation group") without sending it.
 *
 * How: a command that rejects with a raw redirection, or with that refusal, is sent once more on ioredis's
 * non-pipelined path (`Script#execute` through `Cluster#sendCommand`), which follows `MOVED`
 * (updating the slot and refreshing the map) and `ASK` (sending `ASKING` to the importing node)
 * itself, up to `maxRedirections`. A `MOVED` also refreshes the slot map at once, so the next
 * pipelines go to the right node. A redirected or refused command was never run, so sending it
 * again cannot apply it twice. The caller's time bound covers both sends.
 */
export function followRedirects(client: Cluster, names: readonly string[]): void {
  const scripts = client.scriptsSet as Record<string, DefinedScript | undefined>;
  const functions = client as unknown as Record<string, ScriptFunction>;
  for (const name of names) {
    const script = scripts[name];
    const send = functions[name];
    if (script === undefined || send === undefined) {
      throw new TypeError(`no script command ${name} is defined on the client`);
    }
    functions[name] = function (this: unknown, ...args: string[]): Promise<unknown> {
      // ioredis copies the client's script functions onto every Pipeline (the auto-pipeline
      // too): called on one, this is the plain command queued in that pipeline.
      if (this !== client) return send.apply(this, args);
      return send.apply(client, args).catch((error: unknown) => {
        const reason = resendReasonOf(error);
        if (reason === undefined) throw error;
        if (reason === "MOVED") client.refreshSlotsCache();
        return script.execute(client, [...args], { replyEncoding: "utf8" });
      });
    };
  }
}
