/**
 * `ekort serve`: the reference e-kort service over HTTP(S) until Ctrl-C or SIGTERM. Exactly
 * one line goes to stdout, once it listens: `ekort serve: listening on URL`. On a stop it
 * stops accepting, finishes the requests in flight, closes the database and exits 0.
 */
import { readFileSync } from 'node:fs';
import { defaultDatabasePath, EkortService, Rates, SERVICE_BUSY_WAIT_MS, type ServerOptions, startServer } from '../bank/index.ts';
import { UsageError, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';

function port(text: string | undefined, tls: boolean): number {
  if (text === undefined) return tls ? 8443 : 8080;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65_535) throw new UsageError(`--port must be 0 to 65535, not "${text}"`);
  return Number(text);
}

function perMinute(text: string | undefined): ServerOptions['loginRateLimit'] {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,7}$/.test(text)) throw new UsageError(`--login-rate-limit must be a number of requests a minute (0: no limit), not "${text}"`);
  return Number(text) === 0 ? false : { max: Number(text), timeWindowMs: 60_000 };
}

function poolSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,4}$/.test(text) || Number(text) < 1 || Number(text) > 1000) throw new UsageError(`--pg-pool must be 1 to 1000 connections, not "${text}"`);
  return Number(text);
}

/** `ekort serve [--port N] [--host H] [--db FILE|postgres://...] [--pg-pool N] [--ca DIR] [--service-id ID] [--tls-cert F --tls-key F] [--login-rate-limit N] [--rates FILE]` */
export async function serveCommand({ values }: Input<'serve'>, io: CliIo): Promise<number> {
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('give both --tls-cert FILE and --tls-key FILE, or neither');
  const listenPort = port(values.port, values['tls-cert'] !== undefined);
  const loginRateLimit = perMinute(values['login-rate-limit']);
  const maxConnections = poolSize(values['pg-pool']);
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) } : undefined;
  // The PKI code only with --ca: without it the service starts without pkijs (service.ts).
  const trust = values.ca === undefined ? undefined : await (await import('../pki/index.ts')).loadTestPkiTrust(values.ca);
  // Reference rates for purchases in other currencies (src/bank/currency.ts); read once, never fetched.
  const rates = values.rates === undefined ? undefined : await Rates.load(values.rates);

  const service = await EkortService.open(values.db ?? defaultDatabasePath(), {
    ...(values['service-id'] === undefined ? {} : { serviceId: values['service-id'] }),
    ...(trust ? { trust } : {}),
    ...(rates ? { rates } : {}),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    busyTimeoutMs: SERVICE_BUSY_WAIT_MS,
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(service, {
      host: values.host ?? '127.0.0.1',
      port: listenPort,
      ...(tls ? { tls } : {}),
      ...(loginRateLimit === undefined ? {} : { loginRateLimit }),
      log: (line) => io.err(line),
    });
  } catch (error) {
    await service.close();
    throw error;
  }
  if (rates) io.err(`ekort serve: reference rates of ${rates.date} for ${rates.currencies().join(', ')} (markup 1.65 %).`);
  if (rates?.staleOn(Date.now())) io.err(`ekort serve: warning: the rates of ${rates.date} are older than the last banking day; purchases are converted with them until new rates are given (GET /v1/health says so too).`);
  else io.err('ekort serve: no --rates given: purchases in other currencies than SEK are declined (CURRENCY_NOT_SUPPORTED).');
  if (!trust) io.err('ekort serve: no --ca given: card login (BankID på kort) is refused; dosa login works.');
  const stopReload = values.ca === undefined ? () => undefined : await (await import('./serveTrust.ts')).reloadTrustOnChange(values.ca, service, (line) => io.err(line));
  io.out(`ekort serve: listening on ${server.url}`);

  await io.interrupted;
  stopReload();
  try {
    await server.close();
  } finally {
    await service.close();
  }
  return 0;
}
