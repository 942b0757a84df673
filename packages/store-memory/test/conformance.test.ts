import { describeSessionStorageConformance } from "@vmcp/storage-test-suite";
import { MemoryStorage } from "@vmcp/store-memory";
import { afterEach, beforeEach, describe, it } from "vitest";

describeSessionStorageConformance(
  { describe, it, beforeEach, afterEach },
  { name: "MemoryStorage", setup: async () => ({ storage: new MemoryStorage() }) },
);
