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
  formatKontrollnummer,
  parseKontrollnummer,
  newKontrollnummer,
  svarskod,
  loginCode,
  type SvarskodOptions,
  type DosaToken,
} from './dosaCodes.ts';
