/**
 * The agent's logins: BankID på kort and på fil, the dosa (typed svarskod or a HID token's
 * answer), Mobilt BankID, the session and logout. A new login ends the session before it.
 */
import { type AgentSession, isSessionGone } from './agentSession.ts';
import type { AgentHandlerTable } from './agent.ts';
import type { AppLogins } from './appLogin.ts';
import { type CardContext, loginWithCard } from './cards.ts';
import type { DosaLogins } from './dosaLogin.ts';
import type { FileLogins } from './fileLogin.ts';
import type { ServiceConnection } from './serviceConnection.ts';
import type { Tokens } from './tokens.ts';

type LoginCalls = 'loginWithCard' | 'fileCredentials' | 'loginWithFile' | 'startDosaLogin' | 'finishDosaLogin' | 'answerWithToken' | 'cancelToken' | 'startAppLogin' | 'appLoginStatus' | 'cancelAppLogin' | 'session' | 'logout';

export interface LoginContext {
  holder: AgentSession;
  service: ServiceConnection;
  cards: CardContext;
  files: FileLogins;
  dosa: DosaLogins;
  tokens: Tokens;
  appLogins: AppLogins;
  tokenTimeoutMs?: number;
}

export function loginHandlers(ctx: LoginContext): Pick<AgentHandlerTable, LoginCalls> {
  const { holder, service, cards, files, dosa, tokens, appLogins } = ctx;
  return {
  async loginWithCard(input) {
    holder.end('logged-out');
    return holder.started(await loginWithCard(cards, service.bank, input));
  },
  async fileCredentials(input) {
    return files.list(input?.paths ?? []);
  },
  async loginWithFile(input) {
    holder.end('logged-out');
    return holder.started(await files.login(service.bank, input));
  },
  async startDosaLogin({ serial }) {
    return dosa.start(service.bank, serial);
  },
  async finishDosaLogin({ challengeId, svarskod }) {
    holder.end('logged-out');
    return holder.started(await dosa.finish(service.bank, challengeId, svarskod));
  },
  async answerWithToken(input) {
    holder.end('logged-out');
    return holder.started(await dosa.answerWithToken(service.bank, tokens, input, ctx.tokenTimeoutMs === undefined ? {} : { timeoutMs: ctx.tokenTimeoutMs }));
  },
  async cancelToken() {
    dosa.cancel();
  },
  async startAppLogin() {
    holder.end('logged-out');
    return appLogins.start(service.bank);
  },
  async appLoginStatus({ orderRef }) {
    const { status, session } = await appLogins.poll(service.bank, orderRef);
    // The collect that completed the order left its token in BankClient, like the other logins.
    return session ? { ...status, session: holder.started(session) } : status;
  },
  async cancelAppLogin({ orderRef }) {
    await appLogins.cancel(service.bank, orderRef);
  },
  async session() {
    if (!holder.active) return null;
    try {
      return await holder.withBank((c) => c.session());
    } catch (error) {
      if (!holder.active) return null;
      throw error;
    }
  },
  async logout() {
    if (!holder.active) return;
    try {
      await service.bank.logout();
    } catch (error) {
      // A session the service already ended is logged out; any other failure leaves it open
      // there (until its idle timeout), and the caller is told so, truthfully.
      if (!isSessionGone(error)) throw error;
    } finally {
      // Here it ends either way.
      holder.end('logged-out');
    }
  },
  };
}
