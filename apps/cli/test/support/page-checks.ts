import type { Locator, Page } from "playwright-core";

/**
 * How many pixels of what `locator` shows are coloured (not white, black or grey): a plot's data
 * (h5web's curves are blue, its heatmaps Viridis) as opposed to an empty frame with grey axes and grid.
 * The element is screenshotted (what a person sees, WebGL included) and decoded by the page itself.
 */
export async function colouredPixels(page: Page, locator: Locator): Promise<number> {
  await locator.scrollIntoViewIfNeeded();
  const png = await locator.screenshot();
  return page.evaluate(async (b64: string) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
    }
    return n;
  }, png.toString("base64"));
}
