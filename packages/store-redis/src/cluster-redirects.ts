import type { Cluster } from "ioredis";

/**
 * A Cluster redirection reply as ioredis hands it over when it did not follow it itself:
 * `MOVED <slot> <host:port>` (the slot has a new owner) or `ASK <slot> <host:port>` (this key is
 * already on the importing node of a slot being migrated). Either way the command was not run.
 */
const RedirectionReply = /^(MOVED|ASK) \d+ \S+/;

/** `"MOVED"` or `"ASK"` when `error` is a raw Cluster redirection reply, else `undefined`. */
export function redirectionOf(error: unknown): "MOVED" | "ASK" | undefined {
  const message = error instanceof Error ? error.message : undefined;
  const match = message === undefined ? null : RedirectionReply.exec(message);
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
 * This happens on every slot migration and every failover of a healthy cluster.
 *
 * How: a command that rejects with a raw redirection is sent once more on ioredis's
 * non-pipelined path (`Script#execute` through `Cluster#sendCommand`), which follows `MOVED`
 * (updating the slot and refreshing the map) and `ASK` (sending `ASKING` to the importing node)
 * itself, up to `maxRedirections`. A `MOVED` also refreshes the slot map at once, so the next
 * pipelines go to the right node. A redirected command was never run, so sending it again
 * cannot apply it twice. The caller's time bound covers both sends.
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
        const redirection = redirectionOf(error);
        if (redirection === undefined) throw error;
        if (redirection === "MOVED") client.refreshSlotsCache();
        return script.execute(client, [...args], { replyEncoding: "utf8" });
      });
    };
  }
}
