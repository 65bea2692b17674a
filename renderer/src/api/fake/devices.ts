/** The fake app and devices: settings, the demo, readers and tokens, the authenticator, the engineers' view. */
import type {
  EkortApi,
  DemoInfo,
  TokenInfo,
} from '../../../../src/client/api.ts';
import { FAKE_DOSA_SERIAL, FAKE_READER, FAKE_TOKEN_SERIAL, type FakeKit, fail } from './kit.ts';

export function deviceMethods(kit: FakeKit) {
  const { s, options, emit, insertCard, removeCard, requireEngineer, respond } = kit;
  return {
    settings: () => respond('settings', undefined, () => ({ ...s.settings })),
    updateSettings: (input) => respond('updateSettings', input, () => (s.settings = { ...s.settings, ...input })),
    startDemo: () =>
      respond('startDemo', undefined, (): DemoInfo => {
        insertCard();
        return { customer: s.customer, cardPin: s.card.pin, cardPuk: s.card.puk, dosaSerial: FAKE_DOSA_SERIAL, dosaPin: '1234', reader: FAKE_READER };
      }),
    platform: () => respond('platform', undefined, () => [...(options.platform ?? [])]),
    readers: () => respond('readers', undefined, () => s.readers.map((r) => ({ ...r }))),
    tokens: () => respond('tokens', undefined, () => s.tokens.map((t) => ({ ...t }))),
    oathCodes: (input) =>
      respond('oathCodes', input, () => {
        const from = Math.floor(Date.now() / 30_000) * 30;
        return [
          { id: 'Example:anna@example.com', issuer: 'Example', name: 'anna@example.com', type: 'totp' as const, period: 30, touch: false, code: '287082', validFrom: from, validTo: from + 30 },
          { id: 'counter', name: 'counter', type: 'hotp' as const, period: 0, touch: false },
        ];
      }),
    oathCode: (input) =>
      respond('oathCode', input, () => ({ id: input.id, name: input.id, type: 'hotp' as const, period: 0, touch: false, code: '755224' })),
    apduTrace: () =>
      respond('apduTrace', undefined, () => {
        requireEngineer();
        return [...s.trace];
      }),
    insertVirtualCard: (input) =>
      respond('insertVirtualCard', input, () => {
        requireEngineer();
        insertCard();
        return { reader: FAKE_READER };
      }),
    removeVirtualCard: () =>
      respond('removeVirtualCard', undefined, () => {
        requireEngineer();
        removeCard();
      }),
    pinPadEntry: (input) =>
      respond('pinPadEntry', input, () => {
        requireEngineer();
        emit({ type: 'pin-pad', prompt: null });
      }),
    plugVirtualToken: (input) =>
      respond('plugVirtualToken', input, () => {
        requireEngineer();
        const t: TokenInfo = { id: 'virtual:token-1', product: input.touch ? 'Virtual YubiKey (touch)' : 'Virtual YubiKey', serial: FAKE_TOKEN_SERIAL, virtual: true };
        s.tokens = [t];
        emit({ type: 'tokens', tokens: [t] });
        return t;
      }),
    unplugVirtualToken: () =>
      respond('unplugVirtualToken', undefined, () => {
        requireEngineer();
        s.tokens = [];
        emit({ type: 'tokens', tokens: [] });
        if (s.tokenWait) {
          clearTimeout(s.tokenWait.timer);
          s.tokenWait.reject(fail('TOKEN_REMOVED', 'The token was unplugged.'));
        }
      }),
  } satisfies Partial<EkortApi>;
}
