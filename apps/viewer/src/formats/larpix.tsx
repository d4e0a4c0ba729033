// LArPix raw HDF5 message files (larpix-control's rawhdf5 format).
import { hdf5RootMembers } from "./hdf5-root.js";
import type { DetectContext, FormatModule, PanelProps } from "./types.js";

async function detect(ctx: DetectContext): Promise<number> {
  const members = await hdf5RootMembers(ctx);
  if (members === null) return 0;
  return members.includes("msgs") && members.includes("meta") ? 3 : 0;
}

function Panel({ target }: PanelProps) {
  return <div data-testid="larpix-panel">LArPix raw file {target.path}</div>;
}

export const larpixFormat: FormatModule = { id: "larpix", label: "LArPix raw", detect, Panel };
