#!/usr/bin/env node
/** Process entry of the alpha demo backend (see `runBackendMain` for its flags). */
import { makeAlphaServer } from "./alpha-server.js";
import { runBackendMain } from "./serve-backend.js";

await runBackendMain("alpha", makeAlphaServer);
