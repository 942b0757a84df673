#!/usr/bin/env node
/** Process entry of the beta demo backend (see `runBackendMain` for its flags). */
import { makeBetaServer } from "./beta-server.js";
import { runBackendMain } from "./serve-backend.js";

await runBackendMain("beta", makeBetaServer);
