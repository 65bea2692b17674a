/**
 * The virtual card and the virtual HID token the demo and the engineers' view plug in:
 * - the card: a card image (dataDir/demo/card.json) as a VirtualPivCard, in the app's own
 *   reader, or through pcscd as any real card: in a slot of ekort's own driver ("ekort Reader
 *   00 0N", native/ifd) or in vsmartcard's vpcd ("Virtual PCD 00 00", port 35963, or "00 01",
 *   35964); counters and PIN changes go back to the file.
 * - the token: a VirtualHidToken from dataDir/demo/token.json (made on first use, slot 2
 *   HMAC-SHA1, mode 0600), enrolled at the embedded bank as a dosa of the demo customer under
 *   HID_HMAC_SUITE with the token's own serial.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BankContext, enrolDosa } from '../bank/index.ts';
import type { InProcessReader } from '../pcsc/index.ts';
import { DEMO_CUSTOMER, findCustomerId } from '../demo/index.ts';
import { HID_HMAC_SUITE } from '../token/index.ts';
import { createVirtualHidTokenFile, ekortReaderSlot, type Keypad, loadVirtualHidTokenFile, saveVirtualHidTokenFile, type VirtualHidToken, virtualHidTokenFromFile, VirtualPivCard, VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, VpcdLink } from '../virtual/index.ts';
import { demoDir } from './embeddedService.ts';
import { AgentError } from './failure.ts';

/** vpcd names its readers by slot: port P is "Virtual PCD 00 00", P+1 "Virtual PCD 00 01". */
export function vpcdReaderName(basePort: number, port: number): string {
  return `Virtual PCD 00 ${String(port - basePort).padStart(2, '0')}`;
}

/**
 * The demo's virtual card, in one reader at a time: the app's own in-process reader (the
 * default: no pcscd, no vpcd), or one of vpcd's two readers through pcscd, where every
 * PC/SC program sees it too.
 */
export class VirtualCardSlot {
  private link: VpcdLink | undefined;
  private insertedReader: string | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly inApp: InProcessReader,
    private readonly basePort: number = VPCD_DEFAULT_PORT,
    private readonly host: string = VPCD_DEFAULT_HOST,
    /** The keypad for ekort's PIN-pad reader (the engineers' view). */
    private readonly keypadFor?: (reader: string) => Keypad,
  ) {}

  get cardFile(): string {
    return path.join(demoDir(this.dataDir), 'card.json');
  }

  get reader(): string | undefined {
    return this.insertedReader;
  }

  /** Inserts the demo card into `reader`: the in-app reader by default, or a vpcd reader by name. */
  async insert(reader: string = this.inApp.name): Promise<string> {
    const target = reader === this.inApp.name ? undefined : this.linkTarget(reader);
    if (this.insertedReader === reader) return reader;
    if (!existsSync(this.cardFile)) throw new AgentError('NO_VIRTUAL_CARD', 'There is no virtual card yet: start the demo ("Prova med virtuellt kort") first.');
    await this.remove();
    const card = await VirtualPivCard.open(this.cardFile);
    if (target === undefined) {
      this.inApp.insert(card);
    } else {
      const link = new VpcdLink(card, { ...target, connectTimeoutMs: 5000 });
      await link.start();
      this.link = link;
    }
    this.insertedReader = reader;
    return reader;
  }

  /** Pulls the card out (every PC/SC program sees it removed). */
  async remove(): Promise<void> {
    const link = this.link;
    const wasInApp = this.insertedReader === this.inApp.name;
    this.link = undefined;
    this.insertedReader = undefined;
    if (wasInApp) this.inApp.remove();
    await link?.stop();
  }

  private linkTarget(reader: string): { path: string; keypad?: Keypad } | { host: string; port: number } {
    const slot = ekortReaderSlot(reader);
    if (slot && slot.pinPad && this.keypadFor) return { path: slot.path, keypad: this.keypadFor(reader) };
    if (slot && !slot.pinPad) return { path: slot.path };
    for (const offset of [0, 1]) if (vpcdReaderName(this.basePort, this.basePort + offset) === reader) return { host: this.host, port: this.basePort + offset };
    throw new AgentError(
      'NOT_A_VIRTUAL_READER',
      `"${reader}" is not a virtual reader: use "${this.inApp.name}", "ekort Reader 00 00" to "00 03", "${vpcdReaderName(this.basePort, this.basePort)}" or "${vpcdReaderName(this.basePort, this.basePort + 1)}".`,
    );
  }
}

export const tokenFile = (dataDir: string): string => path.join(demoDir(dataDir), 'token.json');

/**
 * The virtual token from dataDir/demo/token.json (made when missing), needing a touch or not
 * as asked. With `bank` (embedded mode) it is enrolled for the demo customer when it is not
 * yet; without the demo customer it is plugged in unenrolled.
 */
export async function loadVirtualToken(dataDir: string, options: { touch: boolean; bank?: BankContext }): Promise<{ token: VirtualHidToken; serial: string }> {
  const file = tokenFile(dataDir);
  let data = existsSync(file) ? await loadVirtualHidTokenFile(file) : createVirtualHidTokenFile({ slot: 2, touch: options.touch });
  const slot = data.slots['2'];
  if (!slot) throw new AgentError('VIRTUAL_TOKEN_INVALID', `The virtual token in ${file} has no slot 2.`);
  if (!existsSync(file) || slot.touch !== options.touch) {
    data = { ...data, slots: { ...data.slots, '2': { ...slot, touch: options.touch } } };
    await saveVirtualHidTokenFile(file, data);
  }
  const serial = String(data.serial);
  if (options.bank) await enrolToken(options.bank, serial, Buffer.from(data.slots['2']!.secret, 'hex'));
  return { token: virtualHidTokenFromFile(data, { touchTimeoutMs: 60_000 }), serial };
}

async function enrolToken(ctx: BankContext, serial: string, key: Uint8Array): Promise<void> {
  const [row] = await ctx.db.query<{ secret: string }>('SELECT secret FROM dosas WHERE serial = ?', [serial]);
  const secret = Buffer.from(key).toString('base64');
  if (row) {
    if (row.secret !== secret) throw new AgentError('STATE_CONFLICT', `Another dosa with serial ${serial} is enrolled at the bank. Remove ${'token.json'} from the demo folder and try again.`);
    return;
  }
  const customerId = await findCustomerId(ctx, DEMO_CUSTOMER.personnummer);
  if (!customerId) return;
  await enrolDosa(ctx, customerId, { serial, suite: HID_HMAC_SUITE, secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' });
}
