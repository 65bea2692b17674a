import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { FileCredential, SessionInfo } from '../../../src/client/api.ts';
import { BackActions } from '../components/BackActions.tsx';
import { SubmitButton } from '../components/SubmitButton.tsx';
import { Field, SecretField } from '../components/Field.tsx';
import { HolderSection } from '../components/HolderSection.tsx';
import { ErrorMessage, StatusMessage } from '../components/Messages.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { useApp } from '../context.ts';
import { asFailure, type Translate } from '../i18n/index.ts';
import { formatDate, formatPersonnummer } from '../lib/format.ts';
import { useSecretLogin } from '../lib/useSecretLogin.ts';

/** A path the agent accepts: absolute (/…, or C:\… on Windows). */
export function isAbsolutePath(p: string): boolean {
  return p.length >= 2 && (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p));
}

/** The file's name as the holder sees it in the list: the holder's name, or the file name when only the password shows whose it is. */
export function fileTitle(f: FileCredential, t: Translate): string {
  return f.holder ? f.holder.name : t('file.unknownHolder', { file: f.fileName });
}

function organisationText(f: FileCredential, t: Translate): string | null {
  const o = f.holder?.organisation;
  if (!o) return null;
  const name = o.name ? `${o.name} (${t('file.organisationNumber', { number: o.number })})` : t('file.organisationNumber', { number: o.number });
  return t('file.organisation', { organisation: name, personId: o.personId });
}

/**
 * Log in with BankID på fil: the files found in the BankID folder (and those picked with
 * "Välj fil…"), each with its holder's name BEFORE the password is asked (several people on
 * one computer each have their own file), then the password, used for one call and cleared.
 * A wrong password says how many tries are left; a locked file, that a new BankID is needed.
 */
/** `initialFiles`: a listing to start from (server rendering in tests); it is fetched again on mount. */
export function FileLogin(props: { onLoggedIn(session: SessionInfo): void; onBack(): void; initialFiles?: FileCredential[] }) {
  const { api, t, report } = useApp();
  const [files, setFiles] = useState<FileCredential[] | null>(props.initialFiles ?? null);
  const [chosen, setChosen] = useState<string | null>(() => (props.initialFiles?.find((f) => !f.locked) ?? props.initialFiles?.[0])?.id ?? null);
  const login = useSecretLogin(props.onLoggedIn);
  const { busy, setBusy, error, setError } = login;
  const [picking, setPicking] = useState(false);
  const [pickPath, setPickPath] = useState('');
  const [pickError, setPickError] = useState<string | null>(null);
  const pickRef = useRef<HTMLInputElement>(null);

  /** Lists the files (with picked paths) and keeps or makes a choice: `prefer` (a path or id) first. */
  const load = useCallback(
    async (paths?: string[], prefer?: string): Promise<FileCredential[] | null> => {
      try {
        const list = await api.fileCredentials(paths ? { paths } : {});
        setFiles(list);
        setChosen((current) => {
          const wanted = prefer ? list.find((f) => f.path === prefer || f.id === prefer) : undefined;
          if (wanted) return wanted.id;
          if (current && list.some((f) => f.id === current)) return current;
          return (list.find((f) => !f.locked) ?? list[0])?.id ?? null;
        });
        return list;
      } catch (e) {
        setFiles((f) => f ?? []);
        setError(report(e));
        return null;
      }
    },
    [api, report, setError],
  );

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    if (picking) pickRef.current?.focus();
  }, [picking]);

  const file = files?.find((f) => f.id === chosen) ?? null;

  async function pick(event: FormEvent) {
    event.preventDefault();
    const p = pickPath.trim();
    if (!isAbsolutePath(p)) {
      setPickError(t('file.pickPathInvalid'));
      pickRef.current?.focus();
      return;
    }
    setPickError(null);
    setError(null);
    setBusy(true);
    const list = await load([p], p);
    setBusy(false);
    if (!list) return;
    if (!list.some((f) => f.path === p)) {
      setPickError(t('file.pickNotFound', { path: p }));
      pickRef.current?.focus();
      return;
    }
    setPicking(false);
    setPickPath('');
    login.inputRef.current?.focus();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    void login.send({
      check: (password) => (password === '' ? t('file.passwordRequired') : null),
      call: (password) => api.loginWithFile({ id: file.id, password }),
      failed: async (e) => {
        const code = asFailure(e).code;
        if (code === 'PASSWORD_INCORRECT') return login.setFieldError(report(e));
        setError(report(e));
        // The lock (and the holder, once the password opened it) shows in a fresh listing.
        if (code === 'FILE_CREDENTIAL_LOCKED' || code === 'FILE_CREDENTIAL_UNKNOWN') await load();
      },
    });
  }

  const org = file ? organisationText(file, t) : null;

  return (
    <div className="screen file-login">
      <ScreenHeading>{t('file.heading')}</ScreenHeading>

      {files === null ? (
        <StatusMessage>{t('file.searching')}</StatusMessage>
      ) : files.length === 0 ? (
        <p>{t('file.none')}</p>
      ) : (
        <fieldset className="file-choices">
          <legend>{t('file.choose')}</legend>
          <span className="hint" id="file-choose-hint">
            {t('file.chooseHint')}
          </span>
          {files.map((f) => {
            const o = organisationText(f, t);
            return (
              <div key={f.id} className="file-choice">
                <label className="radio">
                  <input type="radio" name="file" checked={chosen === f.id} onChange={() => setChosen(f.id)} disabled={busy} aria-describedby={`file-${f.id.slice(0, 16)}`} />
                  {fileTitle(f, t)}
                  {f.locked ? ` (${t('file.locked')})` : ''}
                </label>
                <span className="hint" id={`file-${f.id.slice(0, 16)}`}>
                  {[f.holder?.personnummer ? t('file.personnummer', { pnr: formatPersonnummer(f.holder.personnummer) }) : null, o, f.holder ? t('file.validUntil', { date: formatDate(f.holder.validUntil) }) : null, t('file.fileName', { file: f.fileName })]
                    .filter(Boolean)
                    .join(' · ')}
                </span>
              </div>
            );
          })}
        </fieldset>
      )}

      <div className="file-pick">
        {!picking ? (
          <button type="button" onClick={() => setPicking(true)} disabled={busy}>
            {t('file.pick')}
          </button>
        ) : (
          <form onSubmit={(e) => void pick(e)} noValidate className="form">
            <Field id="file-path" label={t('file.pickPath')} hint={t('file.pickPathHint')} inputRef={pickRef} spellCheck={false} value={pickPath} onValue={setPickPath} error={pickError} disabled={busy} />
            <div className="actions">
              <button type="button" onClick={() => setPicking(false)} disabled={busy}>
                {t('common.cancel')}
              </button>
              <button type="submit" disabled={busy}>
                {t('file.pickAdd')}
              </button>
            </div>
          </form>
        )}
      </div>

      {file && (
        <HolderSection id="file-holder-heading" heading={t('file.holder')} name={fileTitle(file, t)} personnummer={file.holder?.personnummer ?? null} validUntil={file.holder?.validUntil ?? null}>
          {org && (
            <>
              <p>{org}</p>
              <p className="message warning">{t('file.organisationNote')}</p>
            </>
          )}
        </HolderSection>
      )}

      {file?.locked && (
        <section role="alert" className="message error" aria-labelledby="file-locked-heading">
          <h2 id="file-locked-heading">{t('file.lockedTitle')}</h2>
          <p>{t('error.FILE_CREDENTIAL_LOCKED')}</p>
        </section>
      )}

      {file && !file.locked && (
        <form onSubmit={submit} noValidate className="form">
          <SecretField login={login} id="file-password" label={t('file.password')} hint={t('file.passwordHint')} type="password" disabled={busy} />
          <div className="actions">
            <SubmitButton busy={busy}>{t('file.login')}</SubmitButton>
          </div>
          <StatusMessage>{busy ? t('file.loggingIn') : null}</StatusMessage>
        </form>
      )}

      <ErrorMessage>{file?.locked && error === t('error.FILE_CREDENTIAL_LOCKED') ? null : error}</ErrorMessage>

      <BackActions onBack={props.onBack} busy={busy} />
    </div>
  );
}
