/**
 * The driver's own cost per APDU: a card that answers at once, behind the in-process transport,
 * with the full host path (encode, queue, transaction, transport rules, parse). Batches of
 * APDUs are timed, as one APDU is too short for the clock; the figure is the median batch.
 */
import { transceive } from '../../src/iso7816/apduProtocol.ts';
import { fromHex } from '../../src/iso7816/hex.ts';
import { InProcessTransport } from '../../src/pcsc/inProcessTransport.ts';
import type { SoftwareCard } from '../../src/pcsc/cardTransport.ts';
import { median, percentile, report, round } from './figures.ts';

const BATCH = 2000;
const BATCHES = 40;

export async function benchApduInProcess(): Promise<void> {
  const answer = fromHex('0102030405060708090a0b0c0d0e0f109000');
  const card: SoftwareCard = { atr: fromHex('3b00'), reset() {}, process: () => answer };
  const transport = new InProcessTransport(card);
  const command = { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 16 };

  // The card's own share: the same number of calls straight into card.process().
  const cardOnly = async () => {
    for (let i = 0; i < BATCH; i++) await card.process(answer);
  };
  const full = async () => {
    for (let i = 0; i < BATCH; i++) await transport.transaction((tx) => transceive(tx, command));
  };
  const time = async (fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    return ((performance.now() - t0) * 1000) / BATCH;
  };
  for (let i = 0; i < 5; i++) await full(); // warm-up: JIT
  const fullUs: number[] = [];
  const cardUs: number[] = [];
  for (let i = 0; i < BATCHES; i++) {
    fullUs.push(await time(full));
    cardUs.push(await time(cardOnly));
  }
  const driver = fullUs.map((v, i) => v - cardUs[i]!);
  report({ name: 'apdu.inprocess.driver_cost.median', value: round(median(driver)), unit: 'us', p90: round(percentile(driver, 90)), target_max: 20, apdus: BATCH * BATCHES });
  report({ name: 'apdu.inprocess.round_trip.median', value: round(median(fullUs)), unit: 'us', note: 'driver plus an instant card' });
}
