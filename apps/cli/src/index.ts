#!/usr/bin/env node
import "./v8-tuning.js";
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);
