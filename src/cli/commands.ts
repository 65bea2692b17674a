/**
 * Every `ekort` command, declared once: its usage, its options and arguments, and where its code
 * is. `ekort --help`, each command's --help and the checks of its arguments come from here
 * (main.ts); adding a command is one entry here plus its handler, typed `Input<'its name'>`.
 */
import { command, handler, type CommandSpec, type Options, type Parsed } from './commandSpec.ts';

const flag = { type: 'boolean' } as const;
const text = { type: 'string' } as const;
const session = { server: text, session: text } as const;
const db = { db: text } as const;

const PIN_NOTE =
  'PIN and PUK are read from the terminal without echo, or line by line from standard input with --pin-stdin; --pin/--puk/--new-pin VALUE exist for test scripts only (they show in the process list)';
const DOSA_NOTE = 'dosa PINs are read like card PINs; --pin PIN exists for test scripts only';
const BANK_NOTE = 'bank commands work on the store directly; --db is $XDG_DATA_HOME/ekort/ekort.db unless given';
/** A bank command: it works on the store directly (--db) and shares the note that says so. */
function bankCommand<const O extends Options>(spec: Omit<CommandSpec<O>, 'note'>): CommandSpec<typeof db & O> {
  return command({ ...spec, options: { ...db, ...spec.options }, note: BANK_NOTE });
}
const cardPin = { reader: text, 'pin-stdin': flag, pin: text, puk: text, 'new-pin': text, json: flag } as const;
const oath = { reader: text, 'password-stdin': flag, json: flag } as const;
const page = { ...session, json: flag, limit: text, cursor: text, all: flag } as const;
const ID = 'give one e-nummer ID (ekort enummer list shows them)';

const readers = () => import('./readersCommand.ts');
const card = () => import('./cardCommands.ts');
const oathModule = () => import('./oathCommands.ts');
const virtualCard = () => import('./virtualCardCommands.ts');
const dosa = () => import('./dosaCommands.ts');
const virtualToken = () => import('./virtualTokenCommands.ts');
const pki = () => import('./pkiCommands.ts');
const bank = () => import('./bankCommands.ts');
const loginModule = () => import('./loginCommands.ts');
const paymentCard = () => import('./paymentCardCommands.ts');
const termsModule = () => import('./termsCommands.ts');
const refund = () => import('./refundCommands.ts');
const enummer = () => import('./enummerCommands.ts');
const dispute = () => import('./disputeCommands.ts');
const app = () => import('./appCommands.ts');

export const COMMANDS = {
  readers: command({
    synopsis: '[--json]',
    summary: 'readers, card present or not, ATR, card type',
    options: { json: flag },
    load: handler(readers, 'readersCommand'),
  }),
  watch: command({
    synopsis: '[--json]',
    summary: 'a line per reader/card event until Ctrl-C',
    options: { json: flag },
    load: handler(() => import('./watchCommand.ts'), 'watchCommand'),
  }),
  apdu: command({
    synopsis: '[--reader NAME] [--trace] [--raw] [--json] HEX...',
    summary: 'send APDUs, print responses with the status explained',
    options: { reader: text, trace: flag, raw: flag, json: flag },
    args: [1, Infinity, 'give at least one APDU in hex, e.g. ekort apdu 00A4040000'],
    load: handler(() => import('./apduCommand.ts'), 'apduCommand'),
  }),
  'card info': command({
    synopsis: '[--reader NAME] [--json]',
    summary: 'holder, certificates, key type, PIN tries left',
    options: { reader: text, json: flag },
    load: handler(card, 'cardInfo'),
  }),
  'card verify-pin': command({ synopsis: '[--reader NAME] [--pin-stdin]', summary: "checks the PIN (typed on the reader's keypad on a PIN-pad reader)", options: cardPin, note: PIN_NOTE, load: handler(card, 'cardVerifyPin') }),
  'card change-pin': command({ synopsis: '[--reader NAME] [--pin-stdin]', summary: 'the current PIN, then the new one (twice on a terminal)', options: cardPin, note: PIN_NOTE, load: handler(card, 'cardChangePin') }),
  'card unblock': command({ synopsis: '[--reader NAME] [--pin-stdin]', summary: 'the PUK, then the new PIN', options: cardPin, note: PIN_NOTE, load: handler(card, 'cardUnblock') }),
  'card sign': command({
    synopsis: '[--reader NAME] [--slot 9a|9c] --in FILE --out FILE.p7s [--pin-stdin] [--json]',
    summary: 'a detached CMS login signature over FILE, made by the card; the PIN is verified right before signing',
    options: { reader: text, slot: text, in: text, out: text, 'pin-stdin': flag, pin: text, json: flag },
    load: handler(() => import('./cardSignCommand.ts'), 'cardSign'),
  }),
  'oath list': command({
    synopsis: '[--reader NAME] [--password-stdin] [--json]',
    summary: 'the OATH accounts on a YubiKey or virtual key',
    options: oath,
    load: handler(oathModule, 'oathList'),
  }),
  'oath code': command({
    synopsis: '[NAME] [--reader NAME] [--password-stdin] [--json]',
    summary: "every TOTP code now, or NAME's code (HOTP and touch accounts too), with the seconds left",
    options: oath,
    args: [0, 1],
    load: handler(oathModule, 'oathCode'),
  }),
  'oath add': command({
    synopsis: 'NAME [--issuer I] [--type totp|hotp] [--algorithm sha1|sha256|sha512]\n[--digits 6|7|8] [--period 30] [--counter N] [--touch] --secret-stdin',
    summary: 'a new account; the base32 secret from stdin (after the password when both are) or $EKORT_OATH_SECRET',
    options: { ...oath, issuer: text, type: text, algorithm: text, digits: text, period: text, counter: text, touch: flag, 'secret-stdin': flag },
    args: [1, 1, 'give exactly one account NAME'],
    load: handler(oathModule, 'oathAdd'),
  }),
  'oath delete': command({
    synopsis: 'ID [--reader NAME] [--password-stdin] [--json]',
    summary: 'removes an account (ID as oath list shows it)',
    options: oath,
    args: [1, 1, 'give exactly one account ID (as ekort oath list shows it)'],
    load: handler(oathModule, 'oathDelete'),
  }),
  'virtual-card create': command({
    synopsis: '--out FILE [--name NAME] [--personnummer YYYYMMDDNNNN]\n[--key rsa2048|p256] [--pin-stdin] [--ca DIR] [--force]\n[--yubikey [--serial N]]',
    summary:
      'a new virtual PIV card image (JSON), or with --yubikey a virtual YubiKey 5 (management, PIV, OATH); with --ca its certificates come from the test PKI in DIR; --pin-stdin: PIN on line 1, PUK on line 2 (--pin PIN --puk PUK: test scripts only, warned)',
    options: { out: text, name: text, personnummer: text, key: text, pin: text, puk: text, 'pin-stdin': flag, ca: text, yubikey: flag, serial: text, force: flag, json: flag },
    load: handler(virtualCard, 'virtualCardCreate'),
  }),
  'virtual-card insert': command({
    synopsis: 'FILE [--reader NAME | --reader-port 35963]',
    summary: 'plug it into the virtual reader until Ctrl-C',
    options: { 'reader-port': text, reader: text },
    args: [1, 1, 'give exactly one card image FILE'],
    load: handler(virtualCard, 'virtualCardInsert'),
  }),
  'dosa create': command({
    synopsis: '--out FILE [--pin-stdin] [--suite OCRA-1:HOTP-SHA1-8:QN08] [--serial N]\n[--login hotp|totp] [--force] [--json]',
    summary: 'a new virtual säkerhetsdosa (JSON, mode 0600); its PIN from stdin (--pin 1234: test scripts only)',
    options: { out: text, pin: text, 'pin-stdin': flag, suite: text, serial: text, login: text, force: flag, json: flag },
    note: DOSA_NOTE,
    load: handler(dosa, 'dosaCreate'),
  }),
  'dosa respond': command({
    synopsis: 'FILE KONTROLLNUMMER [--pin-stdin] [--json]',
    summary: 'the 8-digit svarskod for the bank\'s kontrollnummer ("12345678" or "1234 5678"); 3 wrong PINs lock it',
    options: { pin: text, 'pin-stdin': flag, json: flag },
    args: [2, Infinity, 'give the dosa FILE and the KONTROLLNUMMER'],
    note: DOSA_NOTE,
    load: handler(dosa, 'dosaRespond'),
  }),
  'dosa code': command({
    synopsis: 'FILE [--pin-stdin] [--json]',
    summary: 'the response-only login code (HOTP or TOTP)',
    options: { pin: text, 'pin-stdin': flag, json: flag },
    args: [1, 1, 'give exactly one dosa FILE'],
    note: DOSA_NOTE,
    load: handler(dosa, 'dosaCode'),
  }),
  'dosa export-for-bank': command({
    synopsis: 'FILE [--json]',
    summary: "the bank's enrolment record: serial, suite, secret, counter (no PIN asked; it contains the secret)",
    options: { json: flag },
    args: [1, 1, 'give exactly one dosa FILE'],
    note: DOSA_NOTE,
    load: handler(dosa, 'dosaExportForBank'),
  }),
  'token list': command({
    synopsis: '[--json]',
    summary: 'security tokens connected over USB HID (OTP interface)',
    options: { json: flag },
    load: handler(() => import('./tokenCommands.ts'), 'tokenList'),
  }),
  'virtual-token create': command({
    synopsis: '--out FILE [--secret HEX] [--slot 1|2] [--touch] [--serial N]\n[--show-secret] [--force] [--json]',
    summary:
      'a virtual HID OTP token (JSON, mode 0600) with HMAC-SHA1 challenge-response in one slot (default 2); the secret is shown only with --show-secret; --secret shows in the process list (tests only)',
    options: { out: text, secret: text, slot: text, touch: flag, serial: text, 'show-secret': flag, force: flag, json: flag },
    load: handler(virtualToken, 'virtualTokenCreate'),
  }),
  'virtual-token respond': command({
    synopsis: 'FILE CHALLENGE_HEX [--slot 1|2] [--timeout MS] [--json]',
    summary: 'the full HID challenge-response against it: prints the 20-byte HMAC-SHA1 response (hex)',
    options: { slot: text, timeout: text, json: flag },
    args: [2, 2, 'give the virtual token FILE and the CHALLENGE_HEX'],
    load: handler(virtualToken, 'virtualTokenRespond'),
  }),
  'pki init': command({
    synopsis: '--out DIR [--bank NAME] [--force] [--json]',
    summary: 'a test bank PKI: root CA, issuing CAs (RSA, EC), CRLs',
    options: { out: text, bank: text, force: flag, json: flag },
    load: handler(pki, 'pkiInit'),
  }),
  'pki issue': command({
    synopsis:
      '--ca DIR --name NAME [--personnummer N | --org NUMBER --employee N [--org-name NAME]]\n--key rsa2048|p256 (--out-key KEY.pem --out-cert CERT.pem | --p12 FILE\n[--p12-password-stdin]) [--days N] [--force] [--json]',
    summary:
      'a software key and its certificate, for tests; --p12: a BankID på fil (PKCS #12, password-protected); --org: an e-tjänstelegitimation (no personnummer)',
    options: {
      ca: text,
      name: text,
      personnummer: text,
      key: text,
      'out-key': text,
      'out-cert': text,
      p12: text,
      'p12-password-stdin': flag,
      org: text,
      'org-name': text,
      employee: text,
      days: text,
      force: flag,
      json: flag,
    },
    load: handler(pki, 'pkiIssue'),
  }),
  'pki files': command({
    synopsis: '[--dir DIR]... [FILE...] [--json]',
    summary: 'BankID på fil files in ~/.bankid (or $EKORT_BANKID_DIR) and whose they are',
    options: { dir: { type: 'string', multiple: true }, json: flag },
    args: [0, Infinity],
    load: handler(pki, 'pkiFiles'),
  }),
  'pki revoke': command({
    synopsis: '--ca DIR SERIAL [--json]',
    summary: "put a certificate on its issuing CA's CRL",
    options: { ca: text, json: flag },
    args: [1, 1, 'give exactly one SERIAL (hex)'],
    load: handler(pki, 'pkiRevoke'),
  }),
  'pki verify': command({
    synopsis: '--ca DIR --content FILE FILE.p7s [--at TIME] [--max-age SECONDS] [--json]',
    summary: 'check a login signature against the test PKI, at --at (default now); the signing time may be at most --max-age seconds old (default 120, as at login)',
    options: { ca: text, content: text, at: text, 'max-age': text, json: flag },
    args: [1, 1, 'give exactly one FILE.p7s'],
    load: handler(pki, 'pkiVerify'),
  }),
  'bank seed-demo': bankCommand({
    synopsis: '[--db FILE|postgres://...] --out DIR [--json]',
    summary: 'demo data to try everything: test PKI, customer Anna Andersson with two cards, her virtual BankID card and dosa, a network key; prints PINs and next steps',
    options: { out: text, json: flag },
    load: handler(bank, 'bankSeedDemo'),
  }),
  'bank unblock-dosa': bankCommand({
    synopsis: '[--db ...] SERIAL [--json]',
    summary: "lift the bank's block after five wrong dosa codes",
    options: { json: flag },
    args: [1, 1, 'give exactly one dosa SERIAL'],
    load: handler(bank, 'bankUnblockDosa'),
  }),
  'bank network-key': bankCommand({
    synopsis: '[--db ...] [--name NAME] [--json]',
    summary: "a new key for the card network's authorization API",
    options: { name: text, json: flag },
    load: handler(bank, 'bankNetworkKey'),
  }),
  'bank enrol-dosa': bankCommand({
    synopsis: '[--db ...] --personnummer N FILE [--json]',
    summary: 'enrol a virtual dosa for an existing customer',
    options: { personnummer: text, json: flag },
    args: [1, 1, 'give exactly one dosa FILE'],
    load: handler(bank, 'bankEnrolDosa'),
  }),
  'bank expire': bankCommand({ synopsis: '[--db ...] [--json]', summary: 'erase expired e-nummer now', options: { json: flag }, load: handler(bank, 'bankExpire') }),
  'bank enrol-app': bankCommand({
    synopsis: '[--db ...] --personnummer N [--json]',
    summary: "a one-time code (24 h) for the customer's approval app",
    options: { personnummer: text, json: flag },
    load: handler(bank, 'bankEnrolApp'),
  }),
  'bank set-phone-credentials': bankCommand({
    synopsis: '[--db ...] --personnummer N --user-code N [--phone +46...] [--json]',
    summary: 'web bank codes for the telephone service: user code, SMS number, first password = birth date ddmmyy',
    options: { personnummer: text, 'user-code': text, phone: text, json: flag },
    load: handler(bank, 'bankSetPhoneCredentials'),
  }),
  'bank change-password': bankCommand({
    synopsis: '[--db ...] --user-code N [--password-stdin] [--json]',
    summary: 'the first web bank login: current, then new password',
    options: { 'user-code': text, 'password-stdin': flag, json: flag },
    load: handler(bank, 'bankChangePassword'),
  }),
  'bank issue-codetable': bankCommand({
    synopsis: '[--db ...] --personnummer N [--json]',
    summary: "a new code table, printed once as the customer's letter",
    options: { personnummer: text, json: flag },
    load: handler(bank, 'bankIssueCodeTable'),
  }),
  'bank block-card': bankCommand({
    synopsis: '[--db ...] CARD_ID --reason security|fraud_suspected|customer_due_diligence|credit_risk|agreement_ended [--json]',
    summary: "the bank blocks a card for a reason of card terms §9; its e-nummer stop at once and the customer gets an SMS",
    options: { reason: text, json: flag },
    args: [1, 1, 'give the card ID'],
    load: handler(bank, 'bankBlockCardCommand'),
  }),
  'bank announce-terms': bankCommand({
    synopsis: '[--db ...] FILE --version V --effective YYYY-MM-DD [--title T] [--json]',
    summary: 'announce new e-kort terms (the text in FILE), in effect from that day (Stockholm) at least two months ahead (§21); every connected holder is told',
    options: { version: text, effective: text, title: text, json: flag },
    args: [1, 1, 'give the file with the new terms text'],
    load: handler(bank, 'bankAnnounceTerms'),
  }),
  'bank issue-card': bankCommand({
    synopsis: '[--db ...] (--personnummer N [--product P] | --replaces CARD_ID) [--expires YYYY-MM] [--json]',
    summary: 'a new payment card, or an exchange/replacement card that takes over the old one\'s e-nummer; the old card is blocked at the new one\'s first use (card terms §12)',
    options: { personnummer: text, product: text, replaces: text, expires: text, json: flag },
    load: handler(bank, 'bankIssueCard'),
  }),
  'bank new-password': bankCommand({
    synopsis: '[--db ...] --personnummer N [--json]',
    summary: "a forgotten web bank password: a new one-time password, printed once as the customer's letter; it must be changed at the first login (bank change-password)",
    options: { personnummer: text, json: flag },
    load: handler(bank, 'bankNewPassword'),
  }),
  'bank ivr-key': bankCommand({
    synopsis: '[--db ...] [--name NAME] [--json]',
    summary: "a new key for the bank's phone system (/v1/phone)",
    options: { name: text, json: flag },
    load: handler(bank, 'bankIvrKey'),
  }),
  'bank sms-outbox': bankCommand({
    synopsis: '[--db ...] [--to NUMBER] [--limit N] [--json]',
    summary: 'what the built-in SMS gateway sent',
    options: { to: text, limit: text, json: flag },
    load: handler(bank, 'bankSmsOutbox'),
  }),
  'bank dispute-resolve': bankCommand({
    synopsis: '[--db ...] ID investigate|refund|reject|police-report|extend|reclaim [--json]',
    summary: "move a holder's dispute: under investigation, then resolved (refunded or rejected); ask for a police report (§10.4), extend the investigation (§10.7), reclaim a refund (§10.8)",
    options: { json: flag },
    args: [2, 2, 'give the dispute ID and the action'],
    load: handler(dispute, 'bankDisputeResolve'),
  }),
  'bank refund-answer': bankCommand({
    synopsis: '[--db ...] ID refund|refuse [--reason TEXT] [--json]',
    summary: "answer a holder's refund request (card terms §20: within ten banking days): the whole amount back, or refused with reasons",
    options: { reason: text, json: flag },
    args: [2, 2, 'give the refund request ID and refund or refuse'],
    load: handler(refund, 'bankRefundAnswer'),
  }),
  serve: command({
    synopsis: '[--port N] [--host H] [--db FILE|postgres://...] [--pg-pool N] [--ca DIR] [--service-id ID]\n[--tls-cert FILE --tls-key FILE] [--login-rate-limit N] [--rates FILE]',
    summary:
      "the e-kort service's HTTP API (JSON; OpenAPI at /v1/openapi.json) on 127.0.0.1:8080 (8443 with TLS) until Ctrl-C; --ca DIR: the test PKI whose cards may log in; login rate limit N a minute per address (default 30, 0: none); --rates FILE: reference rates {date, base?: \"SEK\", rates: {EUR: 11.2345, ...}} for purchases in other currencies (plus 1.65 %); --pg-pool N: PostgreSQL connections this instance may hold (default twice this machine's cores, 2 to 20: the database's useful concurrency when it runs here; elsewhere its 2 × cores, split over the instances; keep instances × N below the server's max_connections); prints one line when ready",
    options: { port: text, host: text, db: text, 'pg-pool': text, ca: text, 'service-id': text, 'tls-cert': text, 'tls-key': text, 'login-rate-limit': text, rates: text },
    load: handler(() => import('./serveCommand.ts'), 'serveCommand'),
  }),
  login: command({
    part: "The e-kort holder, through the service's API (the session is kept in --session FILE, default $XDG_CONFIG_HOME/ekort/session.json, mode 0600; --server URL overrides its address):",
    synopsis: '--server URL (--card [--reader NAME] [--slot 9a|9c] | --file FILE [--password-stdin]\n| --dosa FILE | --dosa-serial N | --app)\n[--pin-stdin] [--svarskod-stdin] [--session FILE] [--json]',
    summary:
      'log in with BankID på kort (the card signs the challenge after its PIN), BankID på fil (a PKCS #12 file and its password), a virtual dosa file (its PIN), or a physical dosa (key in the kontrollnummer shown, type the svarskod); the token is never shown',
    options: {
      ...session,
      card: flag,
      reader: text,
      slot: text,
      dosa: text,
      'dosa-serial': text,
      app: flag,
      file: text,
      'password-stdin': flag,
      'pin-stdin': flag,
      'svarskod-stdin': flag,
      json: flag,
    },
    load: handler(loginModule, 'login'),
  }),
  logout: command({ synopsis: '[--session FILE] [--json]', summary: 'end the session at the service, remove the file', options: { ...session, json: flag }, load: handler(loginModule, 'logout') }),
  session: command({ synopsis: '[--json]', summary: 'who is logged in', options: { ...session, json: flag }, load: handler(loginModule, 'sessionCommand') }),
  'terms show': command({ synopsis: '[--json]', summary: 'the e-kort terms in effect, and a change the bank has announced (card terms §21)', options: { ...session, json: flag }, load: handler(termsModule, 'termsShow') }),
  'terms accept': command({
    synopsis: 'VERSION [--json]',
    summary: 'accept the announced change of the terms now, for every connected card',
    options: { ...session, json: flag },
    args: [1, 1, 'give the version of the announced terms (ekort terms show)'],
    load: handler(termsModule, 'termsAccept'),
  }),
  'terms end': command({ synopsis: '[--yes] [--json]', summary: 'end e-kort: every card disconnected, every e-nummer closed at once', options: { ...session, yes: flag, json: flag }, load: handler(termsModule, 'termsEnd') }),
  'payment-card list': command({
    synopsis: '[--json]',
    summary: 'your cards: last four, product, state, connected',
    options: { ...session, json: flag },
    load: handler(paymentCard, 'paymentCardList'),
  }),
  'payment-card connect': command({
    synopsis: 'LAST4|ID [--accept-terms] [--json]',
    summary: 'connect a card to e-kort after its terms (shown and asked on the terminal unless --accept-terms)',
    options: { ...session, 'accept-terms': flag, json: flag },
    args: [1, 1, 'give one card: its last four digits or its id'],
    load: handler(paymentCard, 'paymentCardConnect'),
  }),
  'payment-card block': command({
    synopsis: 'LAST4|ID [--yes] [--json]',
    summary: 'block a card, at once; its e-nummer close',
    options: { ...session, yes: flag, json: flag },
    args: [1, 1, 'give one card: its last four digits or its id'],
    load: handler(paymentCard, 'paymentCardBlock'),
  }),
  'enummer create': command({
    synopsis: '--card LAST4|ID --merchant ID [--recurring [--months N]]\n[--limit KR [--limit-per purchase|month]] [--nickname TEXT] [--json]',
    summary: 'a new e-nummer: prints the full number, expiry, CVC',
    options: { ...session, card: text, merchant: text, recurring: flag, months: text, limit: text, 'limit-per': text, nickname: text, json: flag },
    load: handler(enummer, 'enummerCreate'),
  }),
  'enummer list': command({ synopsis: '[--state open|paused|closed] [--json]', summary: 'your e-nummer', options: { ...session, state: text, json: flag }, load: handler(enummer, 'enummerList') }),
  'enummer show': command({
    synopsis: 'ID [--reveal] [--json]',
    summary: 'one e-nummer; --reveal: number, expiry and CVC (needs a login within the last 5 minutes)',
    options: { ...session, reveal: flag, json: flag },
    args: [1, 1, ID],
    load: handler(enummer, 'enummerShow'),
  }),
  'enummer pause': command({ synopsis: 'ID [--json]', summary: 'no purchases until it is resumed', options: { ...session, json: flag }, args: [1, 1, ID], load: handler(enummer, 'enummerPause') }),
  'enummer resume': command({ synopsis: 'ID [--json]', summary: 'purchases again after a pause', options: { ...session, json: flag }, args: [1, 1, ID], load: handler(enummer, 'enummerResume') }),
  'enummer close': command({
    synopsis: 'ID [--yes] [--json]',
    summary: 'asks first unless --yes; cannot be undone',
    options: { ...session, yes: flag, json: flag },
    args: [1, 1, ID],
    load: handler(enummer, 'enummerClose'),
  }),
  'enummer unlock': command({
    synopsis: 'ID [--json]',
    summary: 'purchases again after the lock for wrong CVCs',
    options: { ...session, json: flag },
    args: [1, 1, ID],
    load: handler(enummer, 'enummerUnlock'),
  }),
  'enummer transactions': command({
    synopsis: 'ID [--limit N] [--cursor C | --all] [--json]',
    summary: 'the purchases tried with one e-nummer',
    options: page,
    args: [1, 1, ID],
    load: handler(enummer, 'enummerTransactions'),
  }),
  transactions: command({
    synopsis: '[--limit N] [--cursor C | --all] [--json]',
    summary:
      'every purchase tried with your e-nummer (other currencies: both amounts, the rate and the fee); a page of 100 (--limit: 1 to 1000), then the --cursor of the next; --all: every page; --json: {items, nextCursor}',
    options: page,
    load: handler(enummer, 'transactionsCommand'),
  }),
  'transaction dispute': command({
    synopsis: 'ID --kind unauthorised|incorrect|goods [--description TEXT]\n[--block-card] [--json]',
    summary: 'dispute a purchase (within 13 months): what you risk per the card terms; --block-card also blocks the card after an unauthorised one',
    options: { ...session, kind: text, description: text, 'block-card': flag, json: flag },
    args: [1, 1, 'give one transaction ID (ekort transactions shows them)'],
    load: handler(dispute, 'transactionDispute'),
  }),
  disputes: command({ synopsis: '[--json]', summary: 'your disputes and their state', options: { ...session, json: flag }, load: handler(dispute, 'disputesCommand') }),
  preferences: command({
    synopsis: '[--currency-notices on|off] [--json]',
    summary: 'the message about the currency conversion charge of a purchase in an EEA currency (card terms §17): on or off',
    options: { ...session, 'currency-notices': text, json: flag },
    load: handler(dispute, 'preferencesCommand'),
  }),
  'transaction refund': command({
    synopsis: 'ID --expected AMOUNT [--reason TEXT] [--json]',
    summary: "ask for a refund of a purchase whose exact amount was not given and is more than you could expect (card terms §20; within eight weeks); AMOUNT in the purchase's currency",
    options: { ...session, expected: text, reason: text, json: flag },
    args: [1, 1, 'give one transaction ID (ekort transactions shows them)'],
    load: handler(refund, 'transactionRefund'),
  }),
  refunds: command({ synopsis: '[--json]', summary: 'your refund requests and the bank\'s answers', options: { ...session, json: flag }, load: handler(refund, 'refundsCommand') }),
  'dispute police-report': command({
    synopsis: 'ID --reference NUMBER [--json]',
    summary: "give the police's report number the bank asked for with a dispute (card terms §10.4)",
    options: { ...session, reference: text, json: flag },
    args: [1, 1, 'give the dispute ID (ekort disputes shows them)'],
    load: handler(dispute, 'disputePoliceReport'),
  }),
  notifications: command({
    synopsis: '[--json] [--english]',
    summary: 'messages from the bank (currency conversion costs)',
    options: { ...session, json: flag, english: flag },
    note: 'amounts in kronor: 1234,50 / 1234.50 / "1 234,50"',
    load: handler(dispute, 'notificationsCommand'),
  }),
  authorize: command({
    synopsis: '[--server URL] [--card-stdin] --exp MM/YY --merchant NAME [--merchant-id MID]\n--amount KR [--currency EUR] [--sca] [--request-id ID] [--network-key KEY] [--json]',
    summary:
      'the card network: may this purchase go through (--merchant-id: the merchant\'s id at the network, which an e-nummer without a clear merchant is locked to)? prints APPROVED (exit 0) or DECLINED CODE (exit 1); the card number and CVC from stdin (--card-stdin: line 1, line 2) or $EKORT_PAN and $EKORT_CVC (--pan N --cvc N: test scripts only, warned); the key comes from $EKORT_NETWORK_KEY unless --network-key is given (it shows in the process list)',
    options: {
      ...session,
      'network-key': text,
      pan: text,
      exp: text,
      cvc: text,
      'card-stdin': flag,
      merchant: text,
      'merchant-id': text,
      amount: text,
      'request-id': text,
      currency: text,
      sca: flag,
      json: flag,
    },
    load: handler(() => import('./authorizeCommand.ts'), 'authorizeCommand'),
  }),
  'phone call': command({
    part: '',
    synopsis: '--server URL [--ivr-key KEY] [--audio DIR] [--poll-ms 1000] [--json]',
    summary:
      'a terminal phone to the telephone service: prompts shown, keys typed (one press at a time on a terminal, a line of keys at a time from a pipe; q hangs up); the key from $EKORT_IVR_KEY unless --ivr-key; --audio writes each prompt as a WAV (espeak-ng)',
    options: { server: text, 'ivr-key': text, audio: text, 'poll-ms': text, json: flag },
    load: handler(() => import('./phoneCommands.ts'), 'phoneCall'),
  }),
  'app enrol': command({
    part: "The customer's approval app (app-approved login, Mobilt BankID style), for tests and demos:",
    synopsis: '--server URL --code CODE --out FILE [--pin PIN | --pin-stdin] [--name NAME] [--force] [--json]',
    summary: "a P-256 key pair enrolled with the bank's one-time code; the key is kept encrypted under the app PIN (6 to 8 digits) in FILE, mode 0600",
    options: { server: text, code: text, out: text, name: text, force: flag, json: flag, pin: text, 'pin-stdin': flag },
    load: handler(app, 'appEnrol'),
  }),
  'app approve': command({
    synopsis: 'FILE (--qr CONTENT | --autostart TOKEN | --request ID | --requests) [--pin-stdin]\n[--server URL] [--json]',
    summary:
      'shows who asks and what for, refuses a QR code older than 30 s, approves after the PIN; three wrong PINs lock the app; --requests lists what waits for the app, --request ID approves one of them',
    options: { qr: text, autostart: text, request: text, requests: flag, ...session, json: flag, pin: text, 'pin-stdin': flag },
    args: [1, 1, 'give exactly one app FILE'],
    load: handler(app, 'appApprove'),
  }),
  'app status': command({
    synopsis: 'FILE [--json]',
    summary: 'what the app is enrolled for, PIN tries left',
    options: { json: flag },
    args: [1, 1, 'give exactly one app FILE'],
    load: handler(app, 'appStatus'),
  }),
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** What the named command's handler gets: its declared options, parsed, and its positional arguments. */
export type Input<N extends CommandName> = Parsed<(typeof COMMANDS)[N]['options']>;
