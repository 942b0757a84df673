/**
 * A program that uses the memory store on its own: the only vmcp import is @vmcp/store-memory.
 * Prints the record it stored and loaded back, as JSON.
 */
import { MemoryStorage } from "@vmcp/store-memory";

const storage = new MemoryStorage({ maxSessions: 8 });
const id = "consumer-memory-only-1";
const created = await storage.create({
  id,
  expiresAt: Date.now() + 60_000,
  metadata: { "vmcp.backend.ids": "alpha" },
});
const record = await storage.load(id);
await storage.close();
console.log(JSON.stringify({ created, record }));
