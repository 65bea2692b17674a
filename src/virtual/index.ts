/** The virtual module's one entrance: what other modules may use. */
export { createCardImage, loadCardImage, saveCardImage } from './cardImage.ts';
export type { CardImage } from './cardImage.ts';
export { VirtualDosa, createDosa, loadDosa, saveDosa } from './dosa.ts';
export type { DosaFile } from './dosa.ts';
export { MAX_SLOT_SECRET_BYTES, createVirtualHidTokenFile, loadVirtualHidTokenFile, saveVirtualHidTokenFile, virtualHidTokenFromFile } from './hidToken.ts';
export type { VirtualHidToken } from './hidToken.ts';
export { VirtualPivCard } from './pivCard.ts';
export { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, VpcdLink } from './vpcdLink.ts';
export { EKORT_IFD_DIR, ekortReaderSlot, type EkortReaderSlot } from './ekortReaders.ts';
export { type Keypad, type PinEntryRequest, type PinEntryResult, parsePinEntryStructure, runPinEntry } from './virtualPinPad.ts';
export { createYubiKeyImage, isYubiKeyImage, loadYubiKeyImage, saveYubiKeyImage, VIRTUAL_YUBIKEY_ATR, VirtualYubiKey, type YubiKeyImage } from './virtualYubiKey.ts';
export { OATH_AID, OathApplet, type OathState } from './oathApplet.ts';
