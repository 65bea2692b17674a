/** The ISO/IEC 7816 layer: pure framing and rules, no I/O. What the layers above may use. */
export * from './hex.ts';
export * from './apdu.ts';
export * from './statusWords.ts';
export * from './apduProtocol.ts';
export * from './tlv.ts';
export * from './atr.ts';
export * from './cardIdentification.ts';
export * from './secrets.ts';
export * from './apduFixture.ts';
