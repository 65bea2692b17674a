export {
  hotp,
  totp,
  totpStep,
  verifyHotp,
  verifyTotp,
  truncate,
  codesEqual,
  type OtpAlgorithm,
  type OtpDigits,
  type HotpOptions,
  type TotpOptions,
  type VerifyHotpOptions,
  type VerifyHotpResult,
  type VerifyTotpOptions,
  type VerifyTotpResult,
} from './hotp.ts';
export { parseOcraSuite, ocra, ocraDataInput, type OcraSuite, type OcraOptions, type ChallengeFormat } from './ocra.ts';
export {
  DEFAULT_DOSA_SUITE,
  DOSA_CODE_DIGITS,
  dosaSuite,
  formatKontrollnummer,
  parseKontrollnummer,
  newKontrollnummer,
  svarskod,
  loginCode,
  type SvarskodOptions,
  type DosaToken,
  type DosaBankRecord,
  type DosaLoginKind,
} from './dosaCodes.ts';
export { HID_HMAC_SUITE, hidSvarskod, hidSvarskodFromHmac } from './dosaCodes.ts';
export type { HidDevice, HidTokenDescriptor } from './hidDevice.ts';
export { FRAME_CHUNKS, FRAME_SIZE, MAX_CHALLENGE_SIZE, PAYLOAD_SIZE, REPORT_DATA_SIZE, REPORT_SIZE, SLOT_CHAL_HMAC1, SLOT_CHAL_HMAC2, STATUS_RESET, STATUS_RESPONSE, STATUS_TOUCH_WAIT, STATUS_WRITE_PENDING, crc16, unpadChallenge, withResponseCrc } from './hidFrames.ts';
export { HidOtpSession } from './hidOtpSession.ts';
export { HidTokenMonitor } from './hidTokenMonitor.ts';
export { NodeHidTransport, OTP_TOKEN_VENDORS, loadNodeHid } from './nodeHidTransport.ts';
export type { NodeHidModule } from './nodeHidTransport.ts';
