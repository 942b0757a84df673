import {
  MultiSessionFactory,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
} from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
// Internal names are imported from the built modules: the same instances as the package entry.
import { exposeNames } from "../dist/sessions/tool-naming.js";
import { FakeConnector, targets } from "./test-connector.js";

describe("MultiSession aggregation and routing", () => {
  it("prefix-on-conflict (default): unique names stay, a name offered by two backends is <workloadId>__<name> for each", async () => {
    const connector = new FakeConnector({
      files: { tools: ["read", "search"] },
      web: { tools: ["fetch", "search"] },
    });
    const factory = new MultiSessionFactory({ backends: targets("web", "files"), connector });
    const session = await factory.makeSession();
    const names = (await session.listTools()).map((t) => t.name);
    expect(names).toEqual(["read", "files__search", "fetch", "web__search"]);
    const result = await session.callTool("web__search", { q: "x" });
    expect(result.content).toEqual([{ type: "text", text: 'web:search:{"q":"x"}' }]);
    expect((await session.callTool("read")).content).toEqual([
      { type: "text", text: "files:read:{}" },
    ]);
    await expect(session.callTool("search")).rejects.toBeInstanceOf(UnknownToolError);
  });

  it("always-prefix: every tool is <workloadId>__<name>", async () => {
    const connector = new FakeConnector({ one: { tools: ["a"] } });
    const factory = new MultiSessionFactory({
      backends: targets("one"),
      connector,
      toolNaming: "always-prefix",
    });
    const session = await factory.makeSession();
    expect((await session.listTools()).map((t) => t.name)).toEqual(["one__a"]);
    expect((await session.callTool("one__a")).content).toEqual([
      { type: "text", text: "one:a:{}" },
    ]);
  });

  it("callTool before listTools builds the routing table itself", async () => {
    const connector = new FakeConnector({ solo: { tools: ["ping"] } });
    const session = await new MultiSessionFactory({
      backends: targets("solo"),
      connector,
    }).makeSession();
    expect((await session.callTool("ping")).content).toEqual([
      { type: "text", text: "solo:ping:{}" },
    ]);
  });

  it("resources are aggregated by URI (the first backend by workload ID serves a shared URI) and reads are routed", async () => {
    const connector = new FakeConnector();
    const session = await new MultiSessionFactory({
      backends: targets("b", "a"),
      connector,
    }).makeSession();
    const uris = (await session.listResources()).map((r) => r.uri);
    expect(uris).toEqual(["mem://a/a", "mem://shared", "mem://b/a"]);
    expect((await session.readResource("mem://b/a")).contents[0]).toMatchObject({
      text: "b:mem://b/a",
    });
    expect((await session.readResource("mem://shared")).contents[0]).toMatchObject({
      text: "a:mem://shared",
    });
    await expect(session.readResource("mem://none")).rejects.toBeInstanceOf(UnknownResourceError);
  });

  it("prompts follow the tool naming rule and are routed", async () => {
    const connector = new FakeConnector();
    const session = await new MultiSessionFactory({
      backends: targets("x", "y"),
      connector,
    }).makeSession();
    expect((await session.listPrompts()).map((p) => p.name)).toEqual(["x__greet", "y__greet"]);
    const rendered = await session.getPrompt("y__greet");
    expect(rendered.messages[0]?.content).toEqual({ type: "text", text: "y:greet" });
    await expect(session.getPrompt("greet")).rejects.toBeInstanceOf(UnknownPromptError);
  });

  it("close drops local connections only; terminate ends every backend session", async () => {
    const connector = new FakeConnector();
    const factory = new MultiSessionFactory({ backends: targets("a", "b"), connector });
    const closing = await factory.makeSession();
    await closing.close();
    expect(connector.connections.slice(0, 2).every((c) => c.closed && !c.terminated)).toBe(true);
    const ending = await factory.makeSession();
    await ending.terminate();
    await ending.terminate(); // idempotent
    expect(connector.connections.slice(2).every((c) => c.terminated)).toBe(true);
  });

  it("exposeNames counts a name once per backend and skips an exposed name already taken", () => {
    const exposed = exposeNames(
      [
        ["a", [{ name: "t" }, { name: "t" }, { name: "b__t" }]],
        ["b", [{ name: "t" }]],
      ],
      "prefix-on-conflict",
    );
    expect(exposed.map((e) => `${e.workloadId}:${e.exposedName}`)).toEqual(["a:a__t", "a:b__t"]);
  });
});
