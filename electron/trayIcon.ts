/**
 * The tray icon, drawn here rather than shipped as a file: a 16×16 card shape as a raw BGRA
 * bitmap (for nativeImage.createFromBitmap), green with a chip when a card is in a reader,
 * grey without. No electron import: plain code.
 */
export const TRAY_ICON_SIZE = 16;

export function trayIconBitmap(cardPresent: boolean): Buffer {
  const size = TRAY_ICON_SIZE;
  const out = Buffer.alloc(size * size * 4);
  const body = cardPresent ? [0x3c, 0x9a, 0x2e] : [0x90, 0x90, 0x90]; // RGB
  const chip = [0xf2, 0xc1, 0x4e];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inCard = y >= 3 && y <= 12 && x >= 1 && x <= 14 && !((x === 1 || x === 14) && (y === 3 || y === 12));
      const inChip = cardPresent && y >= 6 && y <= 9 && x >= 3 && x <= 6;
      const rgb = inChip ? chip : inCard ? body : undefined;
      const i = (y * size + x) * 4;
      if (!rgb) continue;
      out[i] = rgb[2]!; // B
      out[i + 1] = rgb[1]!; // G
      out[i + 2] = rgb[0]!; // R
      out[i + 3] = 0xff; // A
    }
  }
  return out;
}

export const trayTooltip = (cardPresent: boolean): string => (cardPresent ? 'Kort i läsaren' : 'Inget kort');
