// LH5 (LEGEND HDF5) files.
import { hdf5RootMembers } from "./hdf5-root.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

async function detect(ctx: DetectContext): Promise<number> {
  const members = await hdf5RootMembers(ctx);
  if (members === null) return 0;
  return members.includes("msgs") && members.includes("meta") ? 1 : 2;
}

function Panel({ target }: PanelProps) {
  return <div data-testid="lh5-panel">LH5 file {target.path}</div>;
}

export const lh5Format: FormatModule = { id: "lh5", label: "LH5", detect, Panel };
