/**
 * What the phone menu says, in Swedish, as the bank's own description of the telephone
 * service words it (seed 002: "Så här identifierar du dig i telefontjänsten"). The prompts
 * never contain a password, a code-table code or an SMS code; the identification code of an
 * app request is read out on purpose (the caller compares it with the one in the app).
 */

export const REQUESTER = 'S-Bankens kundtjänst';

/** "1234" read as "1 2 3 4". */
export const spelled = (digits: string): string => digits.split('').join(' ');

export const P = {
  welcome: 'Välkommen till S-Bankens kundtjänst.',
  menu: 'Vill du spärra ett kort, tryck 9. Spärrservice är öppen dygnet runt. För identifiering med S-mobil, tryck 1. För identifiering med kodtabell, tryck 2. Om du inte är kund eller inte vill identifiera dig, tryck 5.',
  invalidChoice: 'Ogiltigt val.',
  tooLong: 'Du angav för många siffror.',
  userCode: 'Ange din användarkod till webbanken, 6 till 8 siffror, i sin helhet och tryck fyrkant.',
  userCodeFormat: 'Användarkoden består av 6 till 8 siffror.',
  password: 'Ange ditt lösenord till webbanken och tryck fyrkant.',
  passwordFormat: 'Lösenordet består av 4 till 6 siffror.',
  cell: (cell: string): string => {
    const { column, row } = splitCell(cell);
    return `Ange koden ${column} ${row} på kodtabellen, det vill säga koden i kolumn ${column} på rad ${row}, och tryck fyrkant.`;
  },
  cellFormat: 'Koden på kodtabellen består av 4 siffror.',
  smsSent: 'Vi har skickat en bekräftelsekod per sms till din telefon. Öppna sms:et utan att bryta samtalet. Ange bekräftelsekoden och tryck fyrkant.',
  smsFormat: 'Bekräftelsekoden består av 6 siffror.',
  appSent: (code: string): string =>
    `Vi har skickat en identifieringsbegäran till S-mobil. Identifieringskoden är ${spelled(code)}. Öppna S-mobil utan att bryta samtalet, välj Jag och godkänn begäran från ${REQUESTER} med identifieringskoden ${spelled(code)}.`,
  appWaiting: 'Vi väntar på att du godkänner identifieringsbegäran i S-mobil.',
  identified: 'Identifieringen lyckades.',
  reasonMenu: 'Välj orsaken till ditt samtal. För kort, tryck 1. För lån, tryck 2. För betalningar och konton, tryck 3. För övriga ärenden, tryck 4.',
  queuedIdentified: 'Tack. Vänta i lugn och ro på en ledig kundtjänstmedarbetare. Vi strävar efter att svara på ditt samtal så snabbt som möjligt.',
  queuedGeneral:
    'Du kopplas till kundtjänsten för allmänna frågor om våra banktjänster. Personliga bankärenden kan vi sköta först när du har identifierat dig. Vänta i lugn och ro på en ledig kundtjänstmedarbetare.',
  inQueue: 'Du står i kö. Vänta i lugn och ro på en ledig kundtjänstmedarbetare.',
  failed: 'Identifieringen misslyckades.',
  wrongCredentials: 'Användarkoden eller lösenordet är fel.',
  unknownUser: 'Vi kunde inte skicka någon identifieringsbegäran med den användarkoden.',
  wrongCell: 'Koden är fel.',
  cellUsed: 'Koden har redan använts.',
  wrongSms: 'Bekräftelsekoden är fel.',
  smsExpired: 'Bekräftelsekoden har gått ut.',
  locked:
    'Identifieringen lyckas inte, eftersom dina webbankskoder är spärrade. Du kan få nya koder på vårt kundtjänstställe, förutsatt att du har med dig ett pass eller ID-kort.',
  appRejected: 'Identifieringsbegäran avvisades i S-mobil.',
  appExpired: 'Identifieringsbegäran godkändes inte i tid.',
  initialPassword:
    'Ditt lösenord är fortfarande det första lösenordet, ditt födelsedatum. Logga först in på webbanken och byt till ett lösenord som du själv väljer, och identifiera dig sedan på nytt.',
  noTable: 'Du har ingen giltig kodtabell. Identifiera dig med S-mobil, eller beställ en ny kodtabell.',
  noPhone: 'Vi känner inte till något telefonnummer för sms-bekräftelser. Identifiera dig med S-mobil.',
  tooManyTries: 'Du har försökt för många gånger under det här samtalet.',
  blockPersonnummer: 'Spärrservice. Ange personnumret för den som kortet tillhör, 12 siffror, och tryck fyrkant.',
  personnummerFormat: 'Personnumret består av 12 siffror: år, månad, dag och de fyra sista siffrorna.',
  blockLast4: 'Ange de fyra sista siffrorna i kortnumret och tryck fyrkant.',
  last4Format: 'Ange de fyra sista siffrorna i kortnumret.',
  noCardToBlock: 'Vi hittar inget kort att spärra med de uppgifterna.',
  blockConfirm: (last4: string): string => `Vill du spärra kortet som slutar på ${spelled(last4)}? Spärren kan inte hävas i telefontjänsten. Tryck 1 för att spärra. Tryck stjärna för att avbryta.`,
  blockCancelled: 'Kortet har inte spärrats.',
  cardBlocked: (last4: string, sms: boolean): string =>
    `Kortet som slutar på ${spelled(last4)} är nu spärrat, och alla e-nummer kopplade till kortet har stängts. ${sms ? 'Du får en bekräftelse per sms.' : 'Bekräftelsen finns under Meddelanden i e-kort.'}`,
  goodbye: 'Samtalet är avslutat. Om ditt samtal bröts kan du ringa igen; du måste då identifiera dig på nytt.',
} as const;

/** The reasons for the call the reason menu offers (key → reason). */
export const REASONS = { '1': 'cards', '2': 'loans', '3': 'payments', '4': 'other' } as const;
export type CallReason = (typeof REASONS)[keyof typeof REASONS];

/** "B10" → column B, row 10. */
export function splitCell(cell: string): { column: string; row: number } {
  const m = /^([A-Z])([0-9]{1,2})$/.exec(cell);
  if (!m) throw new Error(`not a code-table cell: ${cell}`);
  return { column: m[1]!, row: Number(m[2]) };
}
