/**
 * A relay between a virtual card and vpcd that fails the line at a chosen command APDU: 'cut'
 * as a card pulled out in the middle of an exchange (vpcd has sent the command, no answer comes,
 * the connection closes), or 'hold' as a card that stops answering (the command is swallowed,
 * the line stays open). The card connects to the relay's port; the relay connects on to vpcd.
 * Frames are vpcd's (2-byte big-endian length, payload); a payload longer than one byte from
 * vpcd is a command APDU, and they are counted from 1 from the moment cutAt() is called.
 * A third way, 'interleave', fails nothing on the line: before the chosen command goes on, the
 * relay sends the card a command of its own (SELECT PIV) and drops the card's answer to it, as
 * another program's command between two of ours in PC/SC's shared mode would come to the card.
 */
import net from 'node:net';

export interface CutRelay {
  readonly port: number;
  /**
   * Fails the line when vpcd sends the `n`th command APDU from now (1 = the next one) that
   * `match` accepts (every one by default).
   */
  failAt(n: number, how: 'cut' | 'hold' | 'interleave', match?: (apdu: Buffer) => boolean): void;
  /** The command that was cut, held or interleaved with, once it was. */
  readonly cut: Buffer | undefined;
  /** Ends a hold: the line is cut (the card "taken out"). */
  release(): void;
  close(): Promise<void>;
}

/** Splits a byte stream into vpcd frames. */
function frames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) return;
      onFrame(pending.subarray(0, 2 + length));
      pending = pending.subarray(2 + length);
    }
  };
}

/** SELECT PIV (AID A0 00 00 03 08 00 00 10 00), as another program on the card would send first, as a vpcd frame. */
const OTHER_PROGRAMS_SELECT = Buffer.from('000f' + '00a4040009a0000003080000100000', 'hex');

export async function startCutRelay(vpcdPort: number, vpcdHost = '127.0.0.1'): Promise<CutRelay> {
  let remaining: number | undefined;
  let mode: 'cut' | 'hold' | 'interleave' = 'cut';
  let holding = false;
  let matcher: (apdu: Buffer) => boolean = () => true;
  let cut: Buffer | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((card) => {
    const vpcd = net.connect({ host: vpcdHost, port: vpcdPort });
    for (const s of [card, vpcd]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    const cutLine = (): void => {
      card.destroy();
      vpcd.destroy();
    };
    // The card's answers to drop (to the relay's own commands), and the command of ours to pass
    // on once the card has answered its own.
    let dropAnswers = 0;
    let after: Buffer | undefined;
    card.on(
      'data',
      frames((frame) => {
        if (dropAnswers > 0) {
          dropAnswers -= 1;
          if (after) card.write(after);
          after = undefined;
          return;
        }
        vpcd.write(frame);
      }),
    );
    card.on('close', () => vpcd.destroy());
    vpcd.on('close', () => card.destroy());
    vpcd.on(
      'data',
      frames((frame) => {
        const payload = frame.subarray(2);
        if (holding) return;
        if (payload.length > 1 && remaining !== undefined && matcher(payload)) {
          remaining -= 1;
          if (remaining === 0) {
            remaining = undefined;
            cut = Buffer.from(payload);
            if (mode === 'interleave') {
              dropAnswers += 1;
              after = Buffer.from(frame);
              card.write(OTHER_PROGRAMS_SELECT);
            } else if (mode === 'cut') cutLine();
            else holding = true;
            return;
          }
        }
        card.write(frame);
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    failAt(n, how, match) {
      remaining = n;
      mode = how;
      holding = false;
      matcher = match ?? (() => true);
      cut = undefined;
    },
    get cut() {
      return cut;
    },
    /** Ends a hold: the line is cut (the card "taken out"). */
    release() {
      holding = false;
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
