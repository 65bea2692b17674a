/**
 * `ekort phone call`: a terminal phone for the bank's telephone service. It plays the part of
 * the bank's phone system (IVR key) and of the caller: it shows the prompts and sends the keys
 * typed. On a terminal (tmux too) every key press goes at once (0-9, * and #; q or Ctrl-C
 * hangs up); from a pipe or script each line is a run of keys ("2", "12345678#"), and the end
 * of input hangs up. While the app is asked, it polls the call every second and reads no keys.
 * `--audio DIR` writes each prompt as a WAV (espeak-ng), played by nobody.
 */
import { createInterface } from 'node:readline';
import { BankClient, BankClientError, renderPrompts } from '../bank/index.ts';
import type { PhoneCall } from '../bank/api/schemas.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { serverUrl } from './holderClient.ts';

export const IVR_KEY_ENV = 'EKORT_IVR_KEY';

/** Steps whose digits are choices, echoed; in every other step digits are entries (a password, a code) and are not. */
const CHOICE_STEPS = new Set<string>(['menu', 'reason', 'queued', 'app.waiting']);

/** `ekort phone call --server URL [--ivr-key KEY] [--audio DIR] [--poll-ms 1000] [--json]` */
export async function phoneCall({ values }: Input<'phone call'>, io: CliIo): Promise<number> {
  if (!values.server) throw new UsageError('--server URL is required');
  const key = values['ivr-key'] ?? process.env[IVR_KEY_ENV];
  if (!key) throw new UsageError(`give the IVR key in $${IVR_KEY_ENV} (or --ivr-key KEY, which shows in the process list)`);
  const pollMs = values['poll-ms'] === undefined ? 1000 : Number(values['poll-ms']);
  if (!Number.isInteger(pollMs) || pollMs < 50 || pollMs > 60_000) throw new UsageError('--poll-ms must be 50 to 60000');
  const client = new BankClient({ baseUrl: serverUrl(values.server), ivrKey: key });
  const phone = new TerminalPhone(client, io, { json: values.json === true, pollMs, ...(values.audio ? { audioDir: values.audio } : {}) });
  return phone.run();
}

class TerminalPhone {
  private call: PhoneCall | undefined;
  private promptsShown = 0;
  private stopped = false;

  constructor(
    private readonly client: BankClient,
    private readonly io: CliIo,
    private readonly options: { json: boolean; pollMs: number; audioDir?: string },
  ) {}

  async run(): Promise<number> {
    await this.show(await this.client.phoneCallStart());
    const interrupted = this.io.interrupted.then(() => 'interrupted' as const);
    try {
      if (process.stdin.isTTY) await Promise.race([this.keyPresses(), interrupted]);
      else await Promise.race([this.lines(), interrupted]);
    } catch (error) {
      if (error instanceof BankClientError && error.code === 'CALL_ENDED') {
        this.io.err(`ekort phone call: ${error.message}`);
        return 1;
      }
      await this.hangup().catch(() => undefined);
      throw error;
    }
    await this.hangup();
    return 0;
  }

  private async hangup(): Promise<void> {
    if (!this.call || this.call.ended) return;
    this.stopped = true;
    await this.show(await this.client.phoneCallHangup(this.call.callId));
  }

  /** Prompts and state of an answer: text lines, or one JSON line per answer. */
  private async show(call: PhoneCall): Promise<void> {
    this.call = call;
    if (this.options.json) printJson(this.io, call);
    else for (const prompt of call.prompts) this.io.out(prompt);
    if (this.options.audioDir && call.prompts.length > 0) {
      const files = await renderPrompts(call.prompts, this.options.audioDir, this.promptsShown + 1);
      for (const file of files) this.io.err(`ekort phone call: wrote ${file}`);
    }
    this.promptsShown += call.prompts.length;
    if (!this.options.json && call.identified && call.customer && call.prompts.length > 0 && call.state === 'reason') {
      this.io.err(`ekort phone call: identified: ${call.customer.name} (${call.method === 'app' ? 'S-mobil' : 'kodtabell'})`);
    }
  }

  private async send(keys: string): Promise<void> {
    if (!this.call || this.call.ended) return;
    await this.show(await this.client.phoneCallKeys(this.call.callId, keys));
    await this.waitForApp();
  }

  /** While the app is asked: poll until it has answered (or the request expired). */
  private async waitForApp(): Promise<void> {
    while (!this.stopped && this.call?.state === 'app.waiting') {
      await new Promise((r) => setTimeout(r, this.options.pollMs));
      if (this.stopped) return;
      await this.show(await this.client.phoneCallKeys(this.call.callId, ''));
    }
  }

  /** Script mode: a line of keys at a time; "q" or "hangup" (or the end of input) hangs up. */
  private async lines(): Promise<void> {
    const rl = createInterface({ input: process.stdin, terminal: false });
    try {
      for await (const raw of rl) {
        const line = raw.replace(/\s+/g, '');
        if (line === '') continue;
        if (line === 'q' || line === 'hangup') return;
        if (!/^[0-9*#]+$/.test(line)) {
          this.io.err(`ekort phone call: "${raw.trim()}" is not keys of a phone (0-9, * and #); ignored`);
          continue;
        }
        for (let i = 0; i < line.length; i += 64) await this.send(line.slice(i, i + 64));
        if (this.call?.ended) return;
      }
    } finally {
      rl.close();
    }
  }

  /** Terminal mode: each key press is sent at once; q, Ctrl-C or Ctrl-D hangs up. */
  private keyPresses(): Promise<void> {
    const stdin = process.stdin;
    this.io.err('ekort phone call: press 0-9, * and # (q hangs up)');
    return new Promise((resolve, reject) => {
      let queue = Promise.resolve();
      const done = (error?: unknown) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        if (error) reject(error);
        else resolve();
      };
      const onData = (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === 'q' || ch === '\u0003' || ch === '\u0004') {
            queue = queue.then(() => done(), done);
            return;
          }
          if (!/^[0-9*#]$/.test(ch)) continue;
          // Echo the key, but not the digits of a password or a code (tmux keeps scrollback).
          const secret = this.call !== undefined && !CHOICE_STEPS.has(this.call.state) && /[0-9]/.test(ch);
          this.io.err(`[${secret ? '•' : ch}]`);
          queue = queue.then(() => this.send(ch)).then(() => (this.call?.ended ? done() : undefined), done);
        }
      };
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', onData);
    });
  }
}
