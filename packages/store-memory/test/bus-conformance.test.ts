import { describeSessionMessageBusConformance } from "@vmcp/storage-test-suite";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { afterEach, beforeEach, describe, it } from "vitest";

const maxMessageBytes = 4_096;

// In-process: no server to take away, so the suite's fault cases are not declared (faults off);
// every "replica" is the bus itself.
describeSessionMessageBusConformance(
  { describe, it, beforeEach, afterEach },
  {
    name: "InProcessMessageBus",
    maxMessageBytes,
    setup: async () => ({ bus: new InProcessMessageBus({ maxMessageBytes }) }),
  },
);
