import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

// A module hook that makes every @modelcontextprotocol/sdk import fail: if importing
// @vmcp/session-core loaded the SDK (statically), the import below would throw.
const hook = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@modelcontextprotocol/sdk")) throw new Error("SDK LOADED: " + specifier);
  return next(specifier, context);
}`;
const register = `import { register } from "node:module"; register("data:text/javascript,${encodeURIComponent(hook)}");`;

// A module hook that answers every @modelcontextprotocol/sdk import the way Node does when the
// package is not installed (the SDK is an optional peer dependency).
const missingHook = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@modelcontextprotocol/sdk")) {
    const error = new Error("Cannot find package '@modelcontextprotocol/sdk' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`;
const registerMissing = `import { register } from "node:module"; register("data:text/javascript,${encodeURIComponent(missingHook)}");`;

/** Runs an ES module script in a fresh node whose resolve hook blocks the MCP SDK; its stdout. */
async function runWithSdkBlocked(script: string, registration = register): Promise<string> {
  const hook = `data:text/javascript,${encodeURIComponent(registration)}`;
  const args = ["--import", hook, "--input-type=module", "-e", script];
  const { stdout } = await run(process.execPath, args, { cwd: import.meta.dirname });
  return stdout;
}

describe("lazy MCP SDK", () => {
  it("importing @vmcp/session-core and building a factory and manager never loads the MCP SDK", async () => {
    const script = `
      const core = await import("@vmcp/session-core");
      const factory = new core.MultiSessionFactory({ backends: [] });
      await factory.makeSession();
      console.log(typeof core.SessionManager, typeof core.McpBackendConnector);`;
    const stdout = await runWithSdkBlocked(script);
    expect(stdout.trim()).toBe("function function");
  });

  it("the hook really blocks the SDK (the test above could fail)", async () => {
    const script = `
      const core = await import("@vmcp/session-core");
      const factory = new core.MultiSessionFactory({ backends: [{ workloadId: "x", transport: { kind: "streamable-http", url: "http://127.0.0.1:9/" } }] });
      const errors = [];
      await new core.MultiSessionFactory({ backends: factory.backends, onConnectError: (_id, e) => errors.push(String(e)) }).makeSession();
      console.log(errors.join("|"));`;
    const stdout = await runWithSdkBlocked(script);
    expect(stdout).toContain("SDK LOADED");
  });

  it("without the SDK installed, the connector rejects with McpSdkMissingError naming the package", async () => {
    const script = `
      const core = await import("@vmcp/session-core");
      const connector = new core.McpBackendConnector();
      const target = { workloadId: "x", transport: { kind: "streamable-http", url: "http://127.0.0.1:9/" } };
      for (let i = 0; i < 2; i++) {
        const error = await connector.connect(target).then(() => undefined, (e) => e);
        console.log(error instanceof core.McpSdkMissingError, error.code, error.packageName);
      }
      await connector.close();`;
    const stdout = await runWithSdkBlocked(script, registerMissing);
    expect(stdout.trim().split("\n")).toEqual([
      "true VMCP_MCP_SDK_MISSING @modelcontextprotocol/sdk",
      "true VMCP_MCP_SDK_MISSING @modelcontextprotocol/sdk",
    ]);
  });
});
