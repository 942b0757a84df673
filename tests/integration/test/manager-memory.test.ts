import { MemoryStorage } from "@vmcp/store-memory";
import { describeManagerOverStorage } from "./fixtures/manager-suite.js";

describeManagerOverStorage("MemoryStorage", async () => {
  const storage = new MemoryStorage();
  return { storage, dispose: () => storage.close() };
});
