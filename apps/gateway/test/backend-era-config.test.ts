import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../dist/cli/parse-flags.js";
import { BackendEraPins } from "../dist/config/gateway-config.js";
import { loadGatewayConfig, validateGatewayConfig } from "../dist/config/load-config.js";
import { GatewayConfigError } from "../dist/errors.js";
import { runCli } from "./helpers/processes.js";

const url = "http://127.0.0.1:5001/mcp";

function refusal(run: () => unknown): GatewayConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    return error as GatewayConfigError;
  }
  throw new Error("expected a GatewayConfigError");
}

describe("a backend's era setting (backends[].era)", () => {
  it("accepts auto, 2025 and 2026-07-28 on an HTTP backend, and leaves it out when not given", () => {
    expect(BackendEraPins).toEqual(["auto", "2025", "2026-07-28"]);
    for (const era of BackendEraPins) {
      const config = validateGatewayConfig({ backends: [{ workloadId: "a", url, era }] });
      expect(config.backends).toEqual([{ workloadId: "a", url, era }]);
    }
    const plain = validateGatewayConfig({ backends: [{ workloadId: "a", url }] });
    expect(plain.backends).toEqual([{ workloadId: "a", url }]);
  });

  it("refuses any other value naming backends.N.era and the values it takes", () => {
    for (const era of ["2026", "modern", "", 2025, null]) {
      const error = refusal(() =>
        validateGatewayConfig({
          backends: [
            { workloadId: "ok", url },
            { workloadId: "a", url, era },
          ],
        }),
      );
      expect(error.field, JSON.stringify(era)).toBe("backends.1.era");
      expect(error.message).toBe(
        `invalid configuration: backends.1.era: expected one of "auto", "2025", "2026-07-28", got ${JSON.stringify(era)} (flag --backend, env VMCP_BACKENDS)`,
      );
    }
  });

  it("refuses era on a stdio backend, saying stdio backends are never probed", () => {
    const error = refusal(() =>
      validateGatewayConfig({ backends: [{ workloadId: "s", command: "node", era: "2025" }] }),
    );
    expect(error.field).toBe("backends.0.era");
    expect(error.message).toContain(
      "applies to HTTP backends only: a stdio backend is never probed",
    );
  });

  it("reads the pin from --backend ID=URL#era=ERA, from VMCP_BACKENDS and from the config file", async () => {
    const byFlag = await loadGatewayConfig({
      flags: parseCommandLine([
        "serve",
        "--backend",
        `old=${url}#era=2025`,
        "--backend",
        "new=http://h/mcp?x=1#era=2026-07-28",
        "--backend",
        `probed=${url}`,
      ]).flags,
    });
    expect(byFlag.backends).toEqual([
      { workloadId: "old", url, era: "2025" },
      { workloadId: "new", url: "http://h/mcp?x=1", era: "2026-07-28" },
      { workloadId: "probed", url },
    ]);
    const byEnv = await loadGatewayConfig({
      env: { VMCP_BACKENDS: `old=${url}#era=2025,auto=${url}#era=auto` },
    });
    expect(byEnv.backends).toEqual([
      { workloadId: "old", url, era: "2025" },
      { workloadId: "auto", url, era: "auto" },
    ]);
    const dir = await mkdtemp(join(tmpdir(), "vmcp-era-config-"));
    const path = join(dir, "gateway.json");
    await writeFile(
      path,
      JSON.stringify({ backends: [{ workloadId: "m", url, era: "2026-07-28" }] }),
    );
    const byFile = await loadGatewayConfig({ flags: { config: path } });
    expect(byFile.backends).toEqual([{ workloadId: "m", url, era: "2026-07-28" }]);
  });

  it("refuses a bad pin given by flag or env as a configuration error", async () => {
    const byEnv = await loadGatewayConfig({ env: { VMCP_BACKENDS: `a=${url}#era=2024` } }).catch(
      (e: unknown) => e,
    );
    expect(byEnv).toBeInstanceOf(GatewayConfigError);
    expect(byEnv).toMatchObject({ code: "VMCP_GATEWAY_CONFIG", field: "backends.0.era" });
    // A stdio command's text is its own: "#era=" there is an argument, not a pin.
    const stdio = await loadGatewayConfig({
      flags: parseCommandLine(["serve", "--backend", "s=stdio:node server.js #era=2025"]).flags,
    });
    expect(stdio.backends).toEqual([
      { workloadId: "s", command: "node", args: ["server.js", "#era=2025"] },
    ]);
  });

  it("makes the CLI exit 2 with the field named for a bad pin", async () => {
    const cli = await runCli(["serve", "--backend", `a=${url}#era=2025-11-25`]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(
      'backends.0.era: expected one of "auto", "2025", "2026-07-28", got "2025-11-25"',
    );
  });
});
