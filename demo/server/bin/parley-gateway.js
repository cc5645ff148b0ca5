#!/usr/bin/env node
// `npx parley-gateway`: the built gateway, configured by environment variables (see the README's env table).
import '../dist/server/main.js';
