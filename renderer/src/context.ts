/** What every screen needs: the API, the translator, live readers and tokens, error reporting. */
import { createContext, useContext } from 'react';
import type { EkortApi, Language, ReaderInfo, TokenInfo } from '../../src/client/api.ts';
import type { Translate } from './i18n/index.ts';

export interface AppContextValue {
  api: EkortApi;
  t: Translate;
  language: Language;
  readers: ReaderInfo[];
  tokens: TokenInfo[];
  /** A HID token waits for a touch. */
  tokenTouch: boolean;
  /**
   * The text to show for a failed call; null when the failure ended the session (the app
   * then logs out with its own message and the caller shows nothing).
   */
  report(error: unknown): string | null;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside <AppContext.Provider>');
  return value;
}
