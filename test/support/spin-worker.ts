// Worker script for test/fault-support.test.ts: "spin" loops forever, "throw" throws a plain error,
// "coded" throws a daqkit-marked error, anything else succeeds.
import { serveInputs } from "./fault-worker.js";

serveInputs((data) => {
  if (data === "spin") for (;;) {}
  if (data === "throw") throw new TypeError("boom");
  if (data === "coded") throw Object.assign(new Error("bad"), { code: "X_BAD", [Symbol.for("daqkit.error")]: true });
  return "fine";
});
