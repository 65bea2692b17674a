import { PcscError, type PcscliteTransport, ReaderMonitor } from '../pcsc/index.ts';

/**
 * Finds the reader a command means: the exact name, else the one reader whose name contains
 * the text (case-insensitive); without a name, the first reader with a card in it.
 */
export function pickReader(monitor: ReaderMonitor, wanted?: string): string {
  const readers = monitor.readers();
  if (wanted !== undefined) {
    if (readers.some((r) => r.name === wanted)) return wanted;
    const matches = readers.filter((r) => r.name.toLowerCase().includes(wanted.toLowerCase()));
    if (matches.length === 1) return matches[0]!.name;
    const list = readers.map((r) => `"${r.name}"`).join(', ') || 'none';
    throw new PcscError('READER_NOT_FOUND', matches.length > 1 ? `"${wanted}" matches several readers: ${matches.map((r) => `"${r.name}"`).join(', ')}.` : `No reader matches "${wanted}". Readers: ${list}.`, { reader: wanted });
  }
  const withCard = readers.find((r) => r.present);
  if (withCard) return withCard.name;
  throw new PcscError('NO_CARD', readers.length ? 'There is no card in any reader. Insert your card.' : 'No card readers found. Connect a reader.');
}

/** Starts a monitor, waits for the first picture and connects to the chosen reader's card. */
export async function openCard(wanted?: string): Promise<{ monitor: ReaderMonitor; transport: PcscliteTransport; reader: string }> {
  const monitor = new ReaderMonitor().start();
  try {
    await monitor.settled();
    const reason = monitor.unavailableReason;
    if (reason) throw reason;
    const reader = pickReader(monitor, wanted);
    return { monitor, transport: await monitor.connect(reader), reader };
  } catch (error) {
    await monitor.close();
    throw error;
  }
}
