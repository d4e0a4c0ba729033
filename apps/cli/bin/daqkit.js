#!/usr/bin/env node
// The `daqkit` executable. It lives outside dist/ so that `pnpm install` can link it before the first
// build (a fresh clone installs, then builds); it only loads the built program.
import "../dist/index.js";
