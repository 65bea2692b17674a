/**
 * `ekort authorize`: the card network's side, for trying e-kort end to end: may this purchase
 * with an e-nummer go through? Prints APPROVED (exit 0) or DECLINED <code> (exit 1).
 */
import { BankClient, currencyExponent, formatKronor, formatMinorUnits, parseMinorUnits } from '../bank/index.ts';
import { EkortError } from '../errors.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { kronorOption } from './enummerCommands.ts';
import { serverUrl, sessionPath } from './holderClient.ts';
import { loadSession } from './sessionFile.ts';
import { argvSecretWarning, optionalStdinLine } from './secretInput.ts';
import { masked } from './textTable.ts';

export const NETWORK_KEY_ENV = 'EKORT_NETWORK_KEY';
/** Where the card number and CVC come from when not on standard input (--card-stdin). */
export const PAN_ENV = 'EKORT_PAN';
export const CVC_ENV = 'EKORT_CVC';

/**
 * `ekort authorize --server URL [--network-key KEY] [--card-stdin] --exp MM/YY --merchant ID
 *  --amount KR ...`: the card number and CVC from standard input (--card-stdin: line 1 the
 *  number, line 2 the CVC) or $EKORT_PAN / $EKORT_CVC; --pan/--cvc only for test scripts, warned.
 * `ekort authorize --server URL [--network-key KEY] --pan N --exp MM/YY --cvc N --merchant ID
 *  --amount KR [--currency EUR] [--sca] [--request-id ID] [--json]`; with --currency the amount is
 *  in that currency (its decimals: JPY none, EUR two) and the service converts it; the key from $EKORT_NETWORK_KEY when not given
 *  (a key in the arguments shows in the process list).
 */
export async function authorizeCommand({ values }: Input<'authorize'>, io: CliIo): Promise<number> {
  const key = values['network-key'] ?? process.env[NETWORK_KEY_ENV];
  if (!key) throw new UsageError(`give the network key in $${NETWORK_KEY_ENV} (or --network-key KEY, which shows in the process list)`);
  for (const name of ['exp', 'merchant', 'amount'] as const) {
    if (!values[name]) throw new UsageError(`--${name} is required`);
  }
  for (const flag of ['pan', 'cvc'] as const) if (values[flag] !== undefined) io.err(argvSecretWarning('authorize', `--${flag}`, `--card-stdin or $${flag === 'pan' ? PAN_ENV : CVC_ENV}`));
  const fromStdin = values['card-stdin'] ? [await optionalStdinLine(0), await optionalStdinLine(1)] : [undefined, undefined];
  const panText = values.pan ?? fromStdin[0] ?? process.env[PAN_ENV];
  const cvc = values.cvc ?? fromStdin[1] ?? process.env[CVC_ENV];
  if (!panText) throw new UsageError(`give the card number on standard input (--card-stdin, line 1) or in $${PAN_ENV}`);
  if (!cvc) throw new UsageError(`give the CVC on standard input (--card-stdin, line 2) or in $${CVC_ENV}`);
  const pan = panText.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(pan)) throw new UsageError('the card number must be 12 to 19 digits');
  if (!/^(0[1-9]|1[0-2])\/\d{2}$/.test(values.exp!)) throw new UsageError('--exp must be MM/YY');
  if (!/^\d{3,4}$/.test(cvc)) throw new UsageError('the CVC must be 3 or 4 digits');
  const currency = values.currency?.toUpperCase();
  if (currency !== undefined && !/^[A-Z]{3}$/.test(currency)) throw new UsageError('--currency must be an ISO 4217 code such as EUR');
  if (currency !== undefined && currencyExponent(currency) === undefined) throw new UsageError(`--currency ${currency} is not a currency the service knows`);
  const amount = currency === undefined || currency === 'SEK' ? kronorOption('amount', values.amount!) : minorOption(values.amount!, currency);
  const server = values.server !== undefined ? serverUrl(values.server) : await sessionServer(values.session);

  const client = new BankClient({ baseUrl: server, networkKey: key });
  const result = await client.authorize({
    pan,
    expiry: values.exp!,
    cvc,
    merchant: values.merchant!,
    ...(values['merchant-id'] === undefined ? {} : { merchantId: values['merchant-id'] }),
    amount,
    ...(values['request-id'] === undefined ? {} : { requestId: values['request-id'] }),
    ...(currency === undefined ? {} : { currency }),
    ...(values.sca ? { sca: true } : {}),
  });
  const what = `${currency === undefined || currency === 'SEK' ? formatKronor(amount) : formatMinorUnits(amount, currency)} at ${values.merchant} with ${masked(pan.slice(-4))}`;
  if (values.json) {
    const declined = result.approved
      ? {}
      : { error: { code: result.declineCode ?? 'DECLINED', message: `Declined: ${what} (${result.declineCode ?? 'no reason given'}).` } };
    printJson(io, { ...result, ...declined });
  } else {
    io.out(result.approved ? 'APPROVED' : `DECLINED ${result.declineCode ?? ''}`.trim());
    io.err(`ekort authorize: ${what}; transaction ${result.transactionId}.`);
  }
  return result.approved ? 0 : 1;
}

/** --amount in the minor units of `currency`, more than 0; a usage error otherwise. */
function minorOption(text: string, currency: string): number {
  let minor: number;
  try {
    minor = parseMinorUnits(text, currency);
  } catch (error) {
    if (error instanceof EkortError) throw new UsageError(`--amount: ${error.message}`);
    throw error;
  }
  if (minor === 0) throw new UsageError('--amount must be more than 0');
  return minor;
}

/** Without --server: the server of the holder's session file, if there is one. */
async function sessionServer(file: string | undefined): Promise<string> {
  try {
    return (await loadSession(sessionPath({ session: file }))).server;
  } catch {
    throw new UsageError('--server URL is required (the e-kort service, e.g. http://127.0.0.1:8080)');
  }
}
