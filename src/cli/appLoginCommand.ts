/**
 * `ekort login --app`'s flow, for the login command to call: start an app-approved login
 * order, show how to approve it (the QR code's content and the same-device link), collect
 * every second until it is done, failed or timed out, and return the session. The QR content
 * changes every second and the app refuses one older than 30 s, so a fresh one is printed
 * every 10 s; the auto-start link does not age. Ctrl-C cancels the order.
 *
 * No terminal QR rendering: that needs a QR encoder dependency (see the README section).
 */
import { type BankClient, BankClientError } from '../bank/index.ts';
import type { AppLoginPhase, AppLoginStarted, Session } from '../bank/api/schemas.ts';
import { EkortError } from '../errors.ts';
import type { CliIo } from './cliContext.ts';

export interface AppLoginOptions {
  /** How often to collect; default 1000 ms (BankID asks for 1 to 2 s). */
  pollIntervalMs?: number;
  /** How often a fresh QR content is printed; default 10 s. */
  qrPrintIntervalMs?: number;
  /** Called once the order exists (tests hand the QR or token to an app from here). */
  onStarted?: (started: AppLoginStarted) => void;
  /** Called with each new QR content fetched (every poll while pending). */
  onQr?: (qr: string) => void;
  /** Print the status lines in English only (default: Swedish / English). */
  english?: boolean;
}

const FAILURES: Partial<Record<AppLoginPhase, string>> = {
  cancelled: 'LOGIN_CANCELLED',
  timeout: 'LOGIN_TIMED_OUT',
  failed: 'LOGIN_FAILED',
};

const TRANSIENT = new Set(['SERVICE_UNREACHABLE', 'SERVICE_TIMEOUT', 'STORE_UNAVAILABLE', 'STORE_BUSY', 'RATE_LIMITED']);

export async function appLogin(client: BankClient, io: CliIo, options: AppLoginOptions = {}): Promise<Session> {
  const every = options.pollIntervalMs ?? 1000;
  const printEvery = options.qrPrintIntervalMs ?? 10_000;
  const started = await client.appLoginStart();
  options.onStarted?.(started);
  io.err('Open the e-kort app and scan the QR code (it changes every second), or open the app on this computer:');
  io.err(`  ${started.autoStartLink}`);
  io.err(`QR: ${started.qr}`);
  let printedAt = Date.now();
  // The service times the order out after 3 minutes; this only bounds a service that stops answering.
  const localDeadline = Date.now() + 3 * 60_000 + 30_000;

  let interrupted = false;
  void io.interrupted.then(() => (interrupted = true));
  let lastPhase: AppLoginPhase | undefined;

  for (;;) {
    await sleepUnlessInterrupted(every, io.interrupted);
    if (interrupted) {
      await client.appLoginCancel(started.orderRef).catch(() => undefined);
      throw new EkortError('LOGIN_CANCELLED', 'The app login was cancelled.');
    }
    if (Date.now() > localDeadline) throw new EkortError('LOGIN_TIMED_OUT', 'The e-kort service did not finish the app login in time.');
    let status;
    try {
      status = await client.appLoginCollect(started.orderRef);
    } catch (error) {
      if (error instanceof BankClientError && TRANSIENT.has(error.code)) continue;
      throw error;
    }
    if (status.phase !== lastPhase) {
      lastPhase = status.phase;
      io.err(options.english ? status.statusText.en : `${status.statusText.sv} / ${status.statusText.en}`);
    }
    if (status.status === 'complete') {
      if (!status.session) throw new EkortError('LOGIN_FAILED', 'The service said done without a session.');
      return status.session;
    }
    if (status.status === 'failed') throw new EkortError(FAILURES[status.phase] ?? 'LOGIN_FAILED', status.statusText.en);
    try {
      const { qr } = await client.appLoginQr(started.orderRef);
      options.onQr?.(qr);
      if (Date.now() - printedAt >= printEvery) {
        io.err(`QR: ${qr}`);
        printedAt = Date.now();
      }
    } catch (error) {
      // A service error here means the order just finished (approved, expired): the next collect says how.
      if (!(error instanceof BankClientError)) throw error;
    }
  }
}

function sleepUnlessInterrupted(ms: number, interrupted: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void interrupted.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
