/**
 * ekort's own pcsc-lite reader driver (native/ifd): the readers pcscd lists for it and the
 * Unix-domain socket a card connects to for each. pcscd names a slot "<FRIENDLYNAME> <reader
 * number> <slot>" in hex; the reader number counts the readers of one driver, so only the
 * slot is read from the name.
 */
import path from 'node:path';

/** Where the driver listens (its reader.conf entry, native/ifd/install.sh). */
export const EKORT_IFD_DIR = '/run/ekort-ifd';

const READERS = [
  { prefix: 'ekort Reader', socket: 'reader', pinPad: false },
  { prefix: 'ekort PIN Pad', socket: 'pinpad', pinPad: true },
] as const;

export interface EkortReaderSlot {
  /** The socket a card connects to. */
  path: string;
  pinPad: boolean;
}

/** The slot behind a reader name pcscd gives ekort's driver, or undefined for any other reader. */
export function ekortReaderSlot(readerName: string, dir: string = EKORT_IFD_DIR): EkortReaderSlot | undefined {
  for (const reader of READERS) {
    const match = new RegExp(`^${reader.prefix} [0-9A-F]{2} ([0-9A-F]{2})$`).exec(readerName);
    if (match) return { path: path.join(dir, `${reader.socket}.${parseInt(match[1]!, 16)}`), pinPad: reader.pinPad };
  }
  return undefined;
}
