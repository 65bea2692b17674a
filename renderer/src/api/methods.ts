/**
 * The call names, kept here so the renderer imports nothing from src/ at run time (only
 * types). The checks below make a method added to or removed from the contract a type error.
 */
import type { ApiMethod } from '../../../src/client/api.ts';

export const METHODS = [
  'settings',
  'updateSettings',
  'startDemo',
  'readers',
  'cardHolder',
  'tokens',
  'loginWithCard',
  'startDosaLogin',
  'finishDosaLogin',
  'answerWithToken',
  'cancelToken',
  'session',
  'logout',
  'terms',
  'paymentCards',
  'connectCard',
  'blockCard',
  'enummers',
  'createEnummer',
  'revealEnummer',
  'changeEnummer',
  'transactions',
  'apduTrace',
  'insertVirtualCard',
  'removeVirtualCard',
  'plugVirtualToken',
  'unplugVirtualToken',
  'authorizePurchase',
] as const satisfies readonly ApiMethod[];

type Missing = Exclude<ApiMethod, (typeof METHODS)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;
