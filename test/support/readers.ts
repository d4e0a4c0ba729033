/**
 * Real cross-readers for interop tests: Debian's `/usr/bin/python3` with h5py, numpy, msgpack and
 * msgpack-numpy (`.ci/run` installs them with apt-get). Locally a missing one makes its tests skip
 * with a message; under `CI=true` the tests run anyway, so a missing reader fails them, never skips.
 */
import { spawnSync } from "node:child_process";

/** Debian's system interpreter (the pyenv `python3` on PATH has no h5py). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

const IN_CI = process.env.CI === "true";

/** True when `/usr/bin/python3` imports every module in `modules`, or under `CI=true`. */
export function havePython(modules: readonly string[]): boolean {
  let ok = false;
  try {
    ok = spawnSync(SYSTEM_PYTHON, ["-c", `import ${modules.join(", ")}`], { stdio: "ignore" }).status === 0;
  } catch {
    ok = false;
  }
  if (!ok && !IN_CI) {
    console.warn(
      `interop tests skipped: ${SYSTEM_PYTHON} lacks ${modules.join(", ")} (apt-get install python3-h5py python3-msgpack python3-msgpack-numpy); under CI=true this is a failure`,
    );
  }
  return ok || IN_CI;
}
