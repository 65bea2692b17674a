/**
 * Copy a secret (card number, expiry, CVC) and clear the clipboard again after 30 s if it
 * still holds what we put there. Best effort: where the clipboard cannot be read back (no
 * permission), it is cleared anyway, since a card number left on the clipboard is the worse
 * outcome. DOM-free: the clipboard and the timer are injected (unit-tested in node).
 */
export const CLIPBOARD_CLEAR_MS = 30_000;

export interface ClipboardLike {
  writeText(text: string): Promise<void>;
  readText?(): Promise<string>;
}

export type Schedule = (fn: () => void, ms: number) => unknown;

export async function copyAndClearLater(text: string, clipboard: ClipboardLike | undefined, schedule: Schedule = setTimeout, clearAfterMs = CLIPBOARD_CLEAR_MS): Promise<boolean> {
  if (!clipboard) return false;
  try {
    await clipboard.writeText(text);
  } catch {
    return false;
  }
  schedule(() => {
    void clearIfStill(text, clipboard);
  }, clearAfterMs);
  return true;
}

export async function clearIfStill(text: string, clipboard: ClipboardLike): Promise<void> {
  let current: string | null;
  try {
    current = clipboard.readText ? await clipboard.readText() : null;
  } catch {
    current = null;
  }
  if (current !== null && current !== text) return; // the user has copied something else since
  try {
    await clipboard.writeText('');
  } catch {
    // Best effort: the window may not have focus.
  }
}
