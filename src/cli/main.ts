import { escapeLines } from '../text/index.ts';
import { EkortError } from '../errors.ts';
import { printJson, UsageError, type CliIo, type Command } from './cliContext.ts';

export const USAGE = `ekort: smart cards, security tokens and the e-kort service, from the terminal

Usage: ekort <command> [options]

  readers [--json]                          readers, card present or not, ATR, card type
  watch [--json]                            a line per reader/card event until Ctrl-C
  apdu [--reader NAME] [--trace] [--raw] [--json] HEX...
                                            send APDUs, print responses with the status explained
  card info [--reader NAME] [--json]        holder, certificates, key type, PIN tries left
  card verify-pin [--reader NAME] [--pin-stdin]
  card change-pin [--reader NAME] [--pin-stdin]
  card unblock [--reader NAME] [--pin-stdin]
                                            PIN and PUK are read from the terminal without echo,
                                            or line by line from standard input with --pin-stdin;
                                            --pin/--puk/--new-pin VALUE exist for test scripts
                                            only (they show in the process list)
  card sign [--reader NAME] [--slot 9a|9c] --in FILE --out FILE.p7s [--pin-stdin] [--json]
                                            a detached CMS login signature over FILE, made by
                                            the card; the PIN is verified right before signing
  oath list [--reader NAME] [--password-stdin] [--json]
                                            the OATH accounts on a YubiKey or virtual key
  oath code [NAME] [--reader NAME] [--password-stdin] [--json]
                                            every TOTP code now, or NAME's code (HOTP and
                                            touch accounts too), with the seconds left
  oath add NAME [--issuer I] [--type totp|hotp] [--algorithm sha1|sha256|sha512]
           [--digits 6|7|8] [--period 30] [--counter N] [--touch] --secret-stdin
                                            a new account; the base32 secret from stdin (after
                                            the password when both are) or $EKORT_OATH_SECRET
  oath delete ID [--reader NAME] [--password-stdin] [--json]
                                            removes an account (ID as oath list shows it)
  virtual-card create --out FILE [--name NAME] [--personnummer YYYYMMDDNNNN]
                      [--key rsa2048|p256] [--pin-stdin] [--ca DIR] [--force]
                      [--yubikey [--serial N]]
                                            a new virtual PIV card image (JSON), or with
                                            --yubikey a virtual YubiKey 5 (management, PIV,
                                            OATH); with --ca its
                                            certificates come from the test PKI in DIR;
                                            --pin-stdin: PIN on line 1, PUK on line 2 (--pin
                                            PIN --puk PUK: test scripts only, warned)
  virtual-card insert FILE [--reader NAME | --reader-port 35963]
                                            plug it into the virtual reader until Ctrl-C
  dosa create --out FILE [--pin-stdin] [--suite OCRA-1:HOTP-SHA1-8:QN08] [--serial N]
              [--login hotp|totp] [--force] [--json]
                                            a new virtual säkerhetsdosa (JSON, mode 0600);
                                            its PIN from stdin (--pin 1234: test scripts only)
  dosa respond FILE KONTROLLNUMMER [--pin-stdin] [--json]
                                            the 8-digit svarskod for the bank's kontrollnummer
                                            ("12345678" or "1234 5678"); 3 wrong PINs lock it
  dosa code FILE [--pin-stdin] [--json]     the response-only login code (HOTP or TOTP)
  dosa export-for-bank FILE [--json]        the bank's enrolment record: serial, suite, secret,
                                            counter (no PIN asked; it contains the secret)
                                            dosa PINs are read like card PINs; --pin PIN exists
                                            for test scripts only
  token list [--json]                       security tokens connected over USB HID (OTP interface)
  virtual-token create --out FILE [--secret HEX] [--slot 1|2] [--touch] [--serial N]
                       [--show-secret] [--force] [--json]
                                            a virtual HID OTP token (JSON, mode 0600) with
                                            HMAC-SHA1 challenge-response in one slot (default 2);
                                            the secret is shown only with --show-secret;
                                            --secret shows in the process list (tests only)
  virtual-token respond FILE CHALLENGE_HEX [--slot 1|2] [--timeout MS] [--json]
                                            the full HID challenge-response against it: prints
                                            the 20-byte HMAC-SHA1 response (hex)
  pki init --out DIR [--bank NAME] [--force] [--json]
                                            a test bank PKI: root CA, issuing CAs (RSA, EC), CRLs
  pki issue --ca DIR --name NAME [--personnummer N | --org NUMBER --employee N [--org-name NAME]]
            --key rsa2048|p256 (--out-key KEY.pem --out-cert CERT.pem | --p12 FILE
            [--p12-password-stdin]) [--days N] [--force] [--json]
                                            a software key and its certificate, for tests; --p12:
                                            a BankID på fil (PKCS #12, password-protected);
                                            --org: an e-tjänstelegitimation (no personnummer)
  pki files [--dir DIR]... [FILE...] [--json]
                                            BankID på fil files in ~/.bankid (or
                                            $EKORT_BANKID_DIR) and whose they are
  pki revoke --ca DIR SERIAL [--json]       put a certificate on its issuing CA's CRL
  pki verify --ca DIR --content FILE FILE.p7s [--at TIME] [--max-age SECONDS] [--json]
                                            check a login signature against the test PKI, at
                                            --at (default now); the signing time may be at most
                                            --max-age seconds old (default 120, as at login)
  bank seed-demo [--db FILE|postgres://...] --out DIR [--json]
                                            demo data to try everything: test PKI, customer Anna
                                            Andersson with two cards, her virtual BankID card
                                            and dosa, a network key; prints PINs and next steps
  bank unblock-dosa [--db ...] SERIAL [--json]
                                            lift the bank's block after five wrong dosa codes
  bank network-key [--db ...] [--name NAME] [--json]
                                            a new key for the card network's authorization API
  bank enrol-dosa [--db ...] --personnummer N FILE [--json]
                                            enrol a virtual dosa for an existing customer
  bank expire [--db ...] [--json]           erase expired e-nummer now
  bank enrol-app [--db ...] --personnummer N [--json]
                                            a one-time code (24 h) for the customer's approval app
  bank set-phone-credentials [--db ...] --personnummer N --user-code N [--phone +46...] [--json]
                                            web bank codes for the telephone service: user code,
                                            SMS number, first password = birth date ddmmyy
  bank change-password [--db ...] --user-code N [--password-stdin] [--json]
                                            the first web bank login: current, then new password
  bank issue-codetable [--db ...] --personnummer N [--json]
                                            a new code table, printed once as the customer's letter
  bank ivr-key [--db ...] [--name NAME] [--json]
                                            a new key for the bank's phone system (/v1/phone)
  bank sms-outbox [--db ...] [--to NUMBER] [--limit N] [--json]
                                            what the built-in SMS gateway sent
  bank dispute-resolve [--db ...] ID investigate|refund|reject [--json]
                                            move a holder's dispute: under investigation, then
                                            resolved (refunded or rejected)
                                            bank commands work on the store directly; --db is
                                            $XDG_DATA_HOME/ekort/ekort.db unless given
  serve [--port N] [--host H] [--db FILE|postgres://...] [--ca DIR] [--service-id ID]
        [--tls-cert FILE --tls-key FILE] [--login-rate-limit N] [--rates FILE]
                                            the e-kort service's HTTP API (JSON; OpenAPI at
                                            /v1/openapi.json) on 127.0.0.1:8080 (8443 with TLS)
                                            until Ctrl-C; --ca DIR: the test PKI whose cards may
                                            log in; login rate limit N a minute per address
                                            (default 30, 0: none); --rates FILE: reference rates
                                            {date, base?: "SEK", rates: {EUR: 11.2345, ...}} for
                                            purchases in other currencies (plus 1.65 %);
                                            prints one line when ready

  The e-kort holder, through the service's API (the session is kept in --session FILE,
  default $XDG_CONFIG_HOME/ekort/session.json, mode 0600; --server URL overrides its address):
  login --server URL (--card [--reader NAME] [--slot 9a|9c] | --file FILE [--password-stdin]
        | --dosa FILE | --dosa-serial N | --app)
        [--pin-stdin] [--svarskod-stdin] [--session FILE] [--json]
                                            log in with BankID på kort (the card signs the
                                            challenge after its PIN), BankID på fil (a PKCS #12
                                            file and its password), a virtual dosa file (its
                                            PIN), or a physical dosa (key in the kontrollnummer
                                            shown, type the svarskod); the token is never shown
  logout [--session FILE] [--json]          end the session at the service, remove the file
  session [--json]                          who is logged in
  payment-card list [--json]                your cards: last four, product, state, connected
  payment-card connect LAST4|ID [--accept-terms] [--json]
                                            connect a card to e-kort after its terms (shown and
                                            asked on the terminal unless --accept-terms)
  payment-card block LAST4|ID [--yes] [--json]
                                            block a card, at once; its e-nummer close
  enummer create --card LAST4|ID --merchant ID [--recurring [--months N]]
                 [--limit KR [--limit-per purchase|month]] [--nickname TEXT] [--json]
                                            a new e-nummer: prints the full number, expiry, CVC
  enummer list [--state open|paused|closed] [--json]
  enummer show ID [--reveal] [--json]       one e-nummer; --reveal: number, expiry and CVC
                                            (needs a login within the last 5 minutes)
  enummer pause|resume ID [--json]
  enummer close ID [--yes] [--json]         asks first unless --yes; cannot be undone
  enummer unlock ID [--json]                purchases again after the lock for wrong CVCs
  enummer transactions ID [--limit N] [--cursor C | --all] [--json]
                                            the purchases tried with one e-nummer
  transactions [--limit N] [--cursor C | --all] [--json]
                                            every purchase tried with your e-nummer (other
                                            currencies: both amounts, the rate and the fee);
                                            a page of 100 (--limit: 1 to 1000), then the
                                            --cursor of the next; --all: every page; --json:
                                            {items, nextCursor}
  transaction dispute ID --kind unauthorised|incorrect|goods [--description TEXT]
                      [--block-card] [--json]
                                            dispute a purchase (within 13 months): what you risk
                                            per the card terms; --block-card also blocks the
                                            card after an unauthorised one
  disputes [--json]                         your disputes and their state
  notifications [--json] [--english]        messages from the bank (currency conversion costs)
                                            amounts in kronor: 1234,50 / 1234.50 / "1 234,50"
  authorize [--server URL] [--card-stdin] --exp MM/YY --merchant ID --amount KR
            [--currency EUR] [--sca] [--request-id ID] [--network-key KEY] [--json]
                                            the card network: may this purchase go through?
                                            prints APPROVED (exit 0) or DECLINED CODE (exit 1);
                                            the card number and CVC from stdin (--card-stdin:
                                            line 1, line 2) or $EKORT_PAN and $EKORT_CVC
                                            (--pan N --cvc N: test scripts only, warned); the
                                            key comes from $EKORT_NETWORK_KEY unless
                                            --network-key is given (it shows in the process list)

  phone call --server URL [--ivr-key KEY] [--audio DIR] [--poll-ms 1000] [--json]
                                            a terminal phone to the telephone service: prompts
                                            shown, keys typed (one press at a time on a terminal,
                                            a line of keys at a time from a pipe; q hangs up);
                                            the key from $EKORT_IVR_KEY unless --ivr-key; --audio
                                            writes each prompt as a WAV (espeak-ng)

  The customer's approval app (app-approved login, Mobilt BankID style), for tests and demos:
  app enrol --server URL --code CODE --out FILE [--pin PIN | --pin-stdin] [--name NAME] [--force] [--json]
                                            a P-256 key pair enrolled with the bank's one-time
                                            code; the key is kept encrypted under the app PIN
                                            (6 to 8 digits) in FILE, mode 0600
  app approve FILE (--qr CONTENT | --autostart TOKEN) [--pin-stdin] [--server URL] [--json]
                                            shows who asks and what for, refuses a QR code
                                            older than 30 s, approves after the PIN; three
                                            wrong PINs lock the app
  app status FILE [--json]                  what the app is enrolled for, PIN tries left

Exit codes: 0 ok, 1 the operation failed (message on stderr, code in --json output), 2 usage error.`;

/**
 * Every command and where it lives. A command's module (and what it imports: pcsclite, the
 * service, pkijs...) is loaded only when that command runs, so `ekort --help` and `ekort
 * readers` start as fast as the tools beside them.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  readers: async () => (await import('./readersCommand.ts')).readersCommand,
  watch: async () => (await import('./watchCommand.ts')).watchCommand,
  apdu: async () => (await import('./apduCommand.ts')).apduCommand,
  'card info': async () => (await import('./cardCommands.ts')).cardInfo,
  'card verify-pin': async () => (await import('./cardCommands.ts')).cardVerifyPin,
  'card change-pin': async () => (await import('./cardCommands.ts')).cardChangePin,
  'card unblock': async () => (await import('./cardCommands.ts')).cardUnblock,
  'card sign': async () => (await import('./cardSignCommand.ts')).cardSign,
  'oath list': async () => (await import('./oathCommands.ts')).oathList,
  'oath code': async () => (await import('./oathCommands.ts')).oathCode,
  'oath add': async () => (await import('./oathCommands.ts')).oathAdd,
  'oath delete': async () => (await import('./oathCommands.ts')).oathDelete,
  'virtual-card create': async () => (await import('./virtualCardCommands.ts')).virtualCardCreate,
  'virtual-card insert': async () => (await import('./virtualCardCommands.ts')).virtualCardInsert,
  'dosa create': async () => (await import('./dosaCommands.ts')).dosaCreate,
  'dosa respond': async () => (await import('./dosaCommands.ts')).dosaRespond,
  'dosa code': async () => (await import('./dosaCommands.ts')).dosaCode,
  'dosa export-for-bank': async () => (await import('./dosaCommands.ts')).dosaExportForBank,
  'token list': async () => (await import('./tokenCommands.ts')).tokenList,
  'virtual-token create': async () => (await import('./virtualTokenCommands.ts')).virtualTokenCreate,
  'virtual-token respond': async () => (await import('./virtualTokenCommands.ts')).virtualTokenRespond,
  'pki init': async () => (await import('./pkiCommands.ts')).pkiInit,
  'pki issue': async () => (await import('./pkiCommands.ts')).pkiIssue,
  'pki revoke': async () => (await import('./pkiCommands.ts')).pkiRevoke,
  'pki verify': async () => (await import('./pkiCommands.ts')).pkiVerify,
  'pki files': async () => (await import('./pkiCommands.ts')).pkiFiles,
  serve: async () => (await import('./serveCommand.ts')).serveCommand,
  'bank seed-demo': async () => (await import('./bankCommands.ts')).bankSeedDemo,
  'bank unblock-dosa': async () => (await import('./bankCommands.ts')).bankUnblockDosa,
  'bank network-key': async () => (await import('./bankCommands.ts')).bankNetworkKey,
  'bank enrol-dosa': async () => (await import('./bankCommands.ts')).bankEnrolDosa,
  'bank expire': async () => (await import('./bankCommands.ts')).bankExpire,
  'bank enrol-app': async () => (await import('./bankCommands.ts')).bankEnrolApp,
  'app enrol': async () => (await import('./appCommands.ts')).appEnrol,
  'app approve': async () => (await import('./appCommands.ts')).appApprove,
  'app status': async () => (await import('./appCommands.ts')).appStatus,
  'bank set-phone-credentials': async () => (await import('./bankCommands.ts')).bankSetPhoneCredentials,
  'bank change-password': async () => (await import('./bankCommands.ts')).bankChangePassword,
  'bank issue-codetable': async () => (await import('./bankCommands.ts')).bankIssueCodeTable,
  'bank ivr-key': async () => (await import('./bankCommands.ts')).bankIvrKey,
  'bank sms-outbox': async () => (await import('./bankCommands.ts')).bankSmsOutbox,
  'phone call': async () => (await import('./phoneCommands.ts')).phoneCall,
  login: async () => (await import('./loginCommands.ts')).login,
  logout: async () => (await import('./loginCommands.ts')).logout,
  session: async () => (await import('./loginCommands.ts')).sessionCommand,
  'payment-card list': async () => (await import('./paymentCardCommands.ts')).paymentCardList,
  'payment-card connect': async () => (await import('./paymentCardCommands.ts')).paymentCardConnect,
  'payment-card block': async () => (await import('./paymentCardCommands.ts')).paymentCardBlock,
  'enummer create': async () => (await import('./enummerCommands.ts')).enummerCreate,
  'enummer list': async () => (await import('./enummerCommands.ts')).enummerList,
  'enummer show': async () => (await import('./enummerCommands.ts')).enummerShow,
  'enummer pause': async () => (await import('./enummerCommands.ts')).enummerPause,
  'enummer resume': async () => (await import('./enummerCommands.ts')).enummerResume,
  'enummer close': async () => (await import('./enummerCommands.ts')).enummerClose,
  'enummer unlock': async () => (await import('./enummerCommands.ts')).enummerUnlock,
  'enummer transactions': async () => (await import('./enummerCommands.ts')).enummerTransactions,
  transactions: async () => (await import('./enummerCommands.ts')).transactionsCommand,
  'transaction dispute': async () => (await import('./disputeCommands.ts')).transactionDispute,
  disputes: async () => (await import('./disputeCommands.ts')).disputesCommand,
  notifications: async () => (await import('./disputeCommands.ts')).notificationsCommand,
  'bank dispute-resolve': async () => (await import('./disputeCommands.ts')).bankDisputeResolve,
  authorize: async () => (await import('./authorizeCommand.ts')).authorizeCommand,
};

const NOUNS = new Set(['card', 'oath', 'virtual-card', 'dosa', 'token', 'virtual-token', 'pki', 'bank', 'payment-card', 'enummer', 'phone', 'app', 'transaction']);

/**
 * The USAGE entries of the commands `prefix` names ("pki" or "pki issue"): an entry is a line
 * indented by two spaces and the more-indented lines under it.
 */
export function usageFor(prefix: string): string | undefined {
  const entries: string[][] = [];
  for (const line of USAGE.split('\n')) {
    if (/^ {2}\S/.test(line)) entries.push([line]);
    else if (/^ {3}/.test(line) && entries.length > 0) entries[entries.length - 1]!.push(line);
  }
  const picked = entries.filter(([first]) => first!.slice(2) === prefix || first!.slice(2).startsWith(`${prefix} `));
  return picked.length === 0 ? undefined : picked.map((e) => e.join('\n')).join('\n');
}

const HELP = new Set(['--help', '-h']);

/**
 * Every line a command prints goes out with its control characters escaped (text from the
 * service or a file cannot drive the terminal); the line breaks a command writes stay.
 */
export function escapingIo(io: CliIo): CliIo {
  return { out: (line) => io.out(escapeLines(line)), err: (line) => io.err(escapeLines(line)), interrupted: io.interrupted };
}

export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const io = escapingIo(rawIo);
  const twoWords = argv[0] !== undefined && NOUNS.has(argv[0]) && argv[1] !== undefined && !HELP.has(argv[1]);
  const name = twoWords ? `${argv[0]} ${argv[1]}` : argv[0];
  const rest = argv.slice(twoWords ? 2 : 1);
  if (name === undefined || name === 'help' || HELP.has(name)) {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (rest.some((a) => HELP.has(a)) && (load || NOUNS.has(name))) {
    io.out(`Usage:\n${usageFor(name) ?? USAGE}`);
    return 0;
  }
  if (!load) {
    const noun = argv[0] !== undefined && NOUNS.has(argv[0]) ? usageFor(argv[0]) : undefined;
    if (noun && name === argv[0]) io.err(`ekort ${name}: which one?\n\n${noun}`);
    else if (noun) io.err(`ekort: "${name}" is not a command\n\n${noun}`);
    else io.err(`ekort: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const json = rest.includes('--json');
  try {
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ekort ${name}: ${error.message}`);
      return 2;
    }
    const typed = error instanceof EkortError ? error : new EkortError('INTERNAL', (error as Error)?.message ?? String(error));
    io.err(`ekort ${name}: ${typed.message}`);
    if (json) printJson(io, { error: typed.toJSON() });
    return 1;
  }
}
