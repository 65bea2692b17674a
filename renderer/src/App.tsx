/**
 * The e-kort UI. Swedish first; English one toggle away.
 *
 * Accessible names the end-to-end tests can drive (Playwright getByRole / getByLabel, Swedish):
 *
 * Header (every screen)
 *   button "English" (in English: "Svenska")          language toggle, saved in settings
 *   checkbox "Ingenjörsvy"                            shows the engineers' view below the screen
 *   button "Logga ut"                                 only when logged in
 * Messages: role=alert for errors, role=status for progress and results (session expiry too).
 * Playwright's getByLabel/getByRole match substrings unless { exact: true }: use exact for
 * "PIN-kod" (the blocked-PIN alert is named "PIN-koden är spärrad"), "Visa" and "Stäng".
 * Every screen has one h1, focused when the screen appears.
 *
 * Start            h1 "Logga in på e-kort"; buttons "BankID på kort", "Säkerhetsdosa", "Mobilt BankID",
 *                  "BankID på fil", "Prova med virtuellt kort" (then a region "Demokunden" lists
 *                  PIN, PUK, serial)
 * BankID på fil    h1 "Logga in med BankID på fil"; status "Letar efter BankID på fil i datorn…";
 *                  radio group "Välj BankID på fil": one radio per file named by the holder's name
 *                  (" (Låst)" appended when locked; a file whose certificate is encrypted too:
 *                  "<fil> (vems legitimation det är visas efter lösenordet)"), described by
 *                  personnummer / "E-tjänstelegitimation för <org> …", valid until, "Fil: <namn>";
 *                  region "Legitimationen tillhör" with the chosen holder's name (and organisation),
 *                  shown before the password; button "Välj fil…" → textbox "Sökväg till filen"
 *                  (an absolute path; no native dialog in the browser bridge), buttons "Lägg till
 *                  filen" / "Avbryt"; textbox "Lösenord" (type=password, emptied as the call
 *                  starts); button "Logga in"; alert "Fel lösenord, N försök kvar."; alert
 *                  "BankID på fil är låst" (order a new BankID); alert for ORGANISATION_EID
 *                  ("Det här är en e-tjänstelegitimation för en organisation. …"); button "Tillbaka"
 * Mobilt BankID    h1 "Logga in med Mobilt BankID"; img "QR-kod för Mobilt BankID" (an SVG,
 *                  redrawn every second; data-content holds the code's content); link "Öppna på
 *                  den här enheten" (bankid:///?autostarttoken=…&redirect=null); status (class
 *                  app-status) "Starta BankID-appen." / "Skriv in din säkerhetskod i BankID-appen
 *                  och välj Identifiera." / "Åtgärden avbruten…" / "Tiden gick ut…" / "Inloggningen
 *                  misslyckades…"; buttons "Avbryt", then "Försök igen"; button "Tillbaka"
 * Card login       h1 "Logga in med BankID på kort"; list "Kortläsare"; text "Sätt i kortet";
 *                  radio group "Välj kortläsare" (only with several cards); region "Kortet tillhör"
 *                  with the holder's name; textbox "PIN-kod" (password); text "Försök kvar: N";
 *                  button "Logga in"; "Slå PIN-koden på läsaren" on PIN-pad readers; dialog
 *                  "Sista försöket" with buttons "Försök ändå" / "Avbryt"; alert "PIN-koden är
 *                  spärrad"; button "Tillbaka"
 * Dosa login       h1 "Logga in med säkerhetsdosa"; textbox "Dosans serienummer"; button "Hämta
 *                  kontrollnummer" (then "Nytt kontrollnummer"); group "Kontrollnummer 1 2 3 4 5 6
 *                  7 8" (data-testid="kontrollnummer", data-value="12345678"); textbox "Svarskod";
 *                  button "Logga in"; whenever a token is connected: button "Svara med ansluten
 *                  dosa" (asks for a kontrollnummer under the token's own serial first when
 *                  needed), status "Rör vid din dosa" while it waits, button "Avbryt"
 * Logged in        h1 "Välkommen, <namn>"; buttons "Skapa e-nummer", "Uppdatera";
 *                  region "Dina kort": listitem named "<produkt> •••• 1234" with buttons
 *                  "Anslut kort till e-kort", "Spärra kort" (dialog "Spärra kortet …?" with
 *                  "Spärra kortet" / "Avbryt");
 *                  region "Dina e-nummer": listitem named "<försäljningsställe> •••• 1234" with buttons
 *                  "Visa", "Pausa", "Återuppta", "Stäng" (dialog with "Stäng e-numret" / "Avbryt"),
 *                  "Transaktioner" (region "Transaktioner för <försäljningsställe>", list: "Godkänd" /
 *                  "Nekad: <orsak>"; another currency adds data-testid="tx-foreign" "(12,50 EUR ·
 *                  kurs 11,2345 · avgift 2,32 kr)"; approved ones have a button "Reklamera"
 *                  (accessible name "Reklamera köpet hos <försäljningsställe>, <belopp>"), and "Reklamerad"
 *                  once disputed); buttons "Reklamationer", "Meddelanden" in the toolbar
 * Dispute          dialog "Reklamera köp hos <försäljningsställe>": radio group "Vad gäller reklamationen?"
 *                  with "Obehörigt köp – inte gjort av mig", "Felaktigt genomfört", "Problem med
 *                  varan" (then a note: contact the merchant first, §11.2); textbox "Beskrivning
 *                  (valfritt)"; buttons "Avbryt" / "Skicka reklamation". The answer: status
 *                  "Reklamationen är mottagen." with data-testid="dispute-state" ("Status:
 *                  Mottagen"); region "Vad du riskerar" (data-testid="dispute-liability": "…högst
 *                  400,00 kr i självrisk…", §10.5/10.6/11.1/11.2 texts); for an unauthorised
 *                  purchase button "Spärra kortet nu" → region "Spärra kortet <kort>?" with
 *                  "Avbryt" / "Spärra kortet" → status "Kortet <kort> är spärrat."; button "Stäng"
 * Reklamationer    h1 "Reklamationer"; list "Reklamationer": listitem "<försäljningsställe>, <belopp>" with
 *                  kind, state, date and the liability text; button "Tillbaka"
 * Meddelanden      h1 "Meddelanden"; list "Meddelanden": listitem per message by its title (a blocked
 *                  or replaced card, a change of terms, "Växlingsavgift för köp i EUR"); button "Tillbaka"
 * Connect card     h1 "Anslut kort till e-kort"; group "Kort att ansluta till e-kort" (a checkbox per
 *                  card, the chosen one ticked); checkbox "Jag har läst och godkänner villkoren";
 *                  buttons "Fortsätt", "Tillbaka"
 * Terms change     region "Villkoren för e-kort ändras den <dag>" on the start page, button "Läs de nya
 *                  villkoren" → the new terms; buttons "Godkänn de nya villkoren", "Säg upp e-kort"
 *                  (a confirmation), "Tillbaka"
 * Create e-nummer  h1 "Skapa e-nummer"; combobox "Kort"; textbox "Försäljningsställe"; radios
 *                  "Engångsköp" / "Flergångsköp"; combobox "Giltighetstid" ("1 månad" … "24
 *                  månader", recurring only); textbox "Beloppsgräns i kronor (valfritt)"; radios
 *                  "per köp" / "per månad"; textbox "Eget namn (valfritt)"; button "Skapa e-nummer".
 *                  Result (also after "Visa" in the list): region "Kortuppgifter för <försäljningsställe>"
 *                  with data-testid secret-pan ("1234 5678 9012 3456"), secret-expiry ("MM/YY"),
 *                  secret-cvc; buttons "Kopiera kortnummer", "Kopiera giltighetstid", "Kopiera CVC",
 *                  "Dölj uppgifterna"; then buttons "Skapa ett till", "Tillbaka"
 * Engineers’ view  complementary "Verktyg för ingenjörer": buttons "Sätt i virtuellt kort", "Ta ut virtuellt
 *                  kort", checkbox "Dosan kräver beröring", buttons "Anslut virtuell dosa",
 *                  "Koppla från virtuell dosa"; log "APDU-logg, PIN-koder maskerade"; form
 *                  "Simulera köp": textboxes "Kortnummer", "Giltigt till (MM/ÅÅ)", "CVC",
 *                  "Försäljningsställe", "Belopp i kronor", button "Simulera köp"; result in
 *                  data-testid="purchase-result": "Godkänt" or "Nekat: CODE (orsak)"
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { DemoInfo, EkortApi, Language, ReaderInfo, SessionInfo, Settings, TokenInfo } from '../../src/client/api.ts';
import { getApi } from './api/getApi.ts';
import { ConfirmDialog } from './components/Dialog.tsx';
import { AppContext, type AppContextValue } from './context.ts';
import { endsSession, errorText, translator, type MessageKey } from './i18n/index.ts';
import { AppLogin } from './screens/AppLogin.tsx';
import { CardLogin } from './screens/CardLogin.tsx';
import { DosaLogin } from './screens/DosaLogin.tsx';
import { EngineerPanel } from './screens/EngineerPanel.tsx';
import { FileLogin } from './screens/FileLogin.tsx';
import { Home } from './screens/Home.tsx';
import { StartScreen } from './screens/StartScreen.tsx';

type Screen = 'start' | 'card' | 'dosa' | 'app' | 'file' | 'home';
type Notice = { key: MessageKey } | { text: string };

export function App(props: { api?: EkortApi }) {
  const api = useMemo(() => props.api ?? getApi(), [props.api]);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [language, setLanguage] = useState<Language>('sv');
  const t = useMemo(() => translator(language), [language]);
  const [screen, setScreen] = useState<Screen>('start');
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [readers, setReaders] = useState<ReaderInfo[]>([]);
  const [tokens, setTokens] = useState<TokenInfo[]>([]);
  const [tokenTouch, setTokenTouch] = useState(false);
  const [demo, setDemo] = useState<DemoInfo | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  /** Seconds until the idle logout when the agent warned of it (2.2.1), else null. */
  const [idleWarning, setIdleWarning] = useState<number | null>(null);
  /** Bumped when a session ends: remounts what might hold typed secrets. */
  const [epoch, setEpoch] = useState(0);

  const sessionRef = useRef<SessionInfo | null>(null);
  const tRef = useRef(t);
  useEffect(() => {
    tRef.current = t;
    document.documentElement.lang = language;
  }, [t, language]);

  const endSession = useCallback((reason: 'expired' | 'logged-out') => {
    sessionRef.current = null;
    setSession(null);
    setScreen('start');
    setTokenTouch(false);
    setEpoch((n) => n + 1);
    setNotice({ key: reason === 'expired' ? 'session.expired' : 'session.loggedOut' });
    setIdleWarning(null);
  }, []);

  const report = useCallback(
    (error: unknown): string | null => {
      if (endsSession(error) && sessionRef.current) {
        endSession('expired');
        return null;
      }
      return errorText(error, tRef.current);
    },
    [endSession],
  );

  // Agent events: readers, tokens, touch, session end.
  useEffect(() => {
    let readersSeen = false;
    let tokensSeen = false;
    const off = api.subscribe((event) => {
      switch (event.type) {
        case 'readers':
          readersSeen = true;
          setReaders(event.readers);
          break;
        case 'tokens':
          tokensSeen = true;
          setTokens(event.tokens);
          break;
        case 'token-touch':
          setTokenTouch(event.waiting);
          break;
        case 'session-ended':
          if (sessionRef.current) endSession(event.reason);
          break;
        case 'settings':
          setSettings(event.settings);
          setLanguage(event.settings.language === 'en' ? 'en' : 'sv');
          break;
        case 'session-expiring':
          setIdleWarning(sessionRef.current ? event.secondsLeft : null);
          break;
        default:
          break;
      }
    });
    api.settings().then(
      (s) => {
        setSettings(s);
        setLanguage(s.language === 'en' ? 'en' : 'sv');
      },
      (e: unknown) => setNotice({ text: errorText(e, tRef.current) }),
    );
    api.readers().then(
      (r) => !readersSeen && setReaders(r),
      () => undefined,
    );
    api.tokens().then(
      (x) => !tokensSeen && setTokens(x),
      () => undefined,
    );
    api.session().then(
      (s) => {
        if (s && !sessionRef.current) {
          sessionRef.current = s;
          setSession(s);
          setScreen('home');
        }
      },
      () => undefined,
    );
    return off;
  }, [api, endSession]);

  const loggedIn = useCallback((s: SessionInfo) => {
    sessionRef.current = s;
    setSession(s);
    setNotice(null);
    setScreen('home');
  }, []);

  const back = useCallback(() => setScreen('start'), []);

  async function logout() {
    try {
      await api.logout();
      endSession('logged-out');
    } catch (e: unknown) {
      // Logged out here either way; the service's session may still be open: say so.
      endSession('logged-out');
      setNotice({ text: t('session.logoutIncomplete', { reason: errorText(e, t) }) });
    }
  }

  function toggleLanguage() {
    const next: Language = language === 'sv' ? 'en' : 'sv';
    const tNext = translator(next);
    setLanguage(next);
    api.updateSettings({ language: next }).then(setSettings, (e: unknown) => setNotice({ text: tNext('settings.notSaved', { reason: errorText(e, tNext) }) }));
  }

  function setEngineerMode(on: boolean) {
    setSettings((s) => (s ? { ...s, engineerMode: on } : s));
    api.updateSettings({ engineerMode: on }).then(setSettings, (e: unknown) => {
      setSettings((s) => (s ? { ...s, engineerMode: !on } : s));
      setNotice({ text: errorText(e, tRef.current) });
    });
  }

  const context: AppContextValue = useMemo(() => ({ api, t, language, readers, tokens, tokenTouch, report }), [api, t, language, readers, tokens, tokenTouch, report]);
  const engineerMode = settings?.engineerMode ?? false;
  const noticeText = notice ? ('key' in notice ? t(notice.key) : notice.text) : '';

  let content;
  if (screen === 'home' && session) content = <Home session={session} onReauth={() => void logout()} />;
  else if (screen === 'card') content = <CardLogin demo={demo} onLoggedIn={loggedIn} onBack={back} />;
  else if (screen === 'dosa') content = <DosaLogin demo={demo} onLoggedIn={loggedIn} onBack={back} />;
  else if (screen === 'app') content = <AppLogin onLoggedIn={loggedIn} onBack={back} />;
  else if (screen === 'file') content = <FileLogin onLoggedIn={loggedIn} onBack={back} />;
  else
    content = (
      <StartScreen
        demo={demo}
        onDemo={setDemo}
        onChoose={(method) => {
          setNotice(null);
          setScreen(method);
        }}
      />
    );

  return (
    <AppContext.Provider value={context}>
      <div className="app">
        <a className="skip-link" href="#main">
          {t('app.skipToContent')}
        </a>
        <header className="app-header">
          <p className="brand">{t('app.title')}</p>
          <div className="header-tools">
            {session && (
              <>
                <span className="who">{t('header.loggedInAs', { name: session.customer.name })}</span>
                <button type="button" onClick={() => void logout()}>
                  {t('header.logout')}
                </button>
              </>
            )}
            <label className="checkbox switch">
              <input type="checkbox" checked={engineerMode} onChange={(e) => setEngineerMode(e.target.checked)} disabled={!settings} />
              {t('header.engineerMode')}
            </label>
            <button type="button" lang={language === 'sv' ? 'en' : 'sv'} onClick={toggleLanguage}>
              {t('header.languageToggle')}
            </button>
          </div>
        </header>
        <div role="status" className="notice">
          {noticeText && <span>{noticeText}</span>}
          {noticeText && (
            <button type="button" className="link" onClick={() => setNotice(null)}>
              {t('common.dismiss')}
            </button>
          )}
        </div>
        <main id="main" tabIndex={-1}>
          {content}
        </main>
        {engineerMode && <EngineerPanel key={epoch} />}
        {session && idleWarning !== null && (
          <ConfirmDialog
            title={t('session.expiringTitle')}
            cancelLabel={t('session.stayLoggedIn')}
            confirmLabel={t('header.logout')}
            onCancel={() => {
              // Any call keeps the session; the agent then withdraws its warning.
              setIdleWarning(null);
              api.session().catch(() => undefined);
            }}
            onConfirm={() => {
              setIdleWarning(null);
              void logout();
            }}
          >
            <p>{t('session.expiringText', { n: idleWarning })}</p>
          </ConfirmDialog>
        )}
      </div>
    </AppContext.Provider>
  );
}
