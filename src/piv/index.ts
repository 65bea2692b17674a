/** The PIV card application (NIST SP 800-73-4) and PC/SC part 10 PIN pads: what the layers above may use. */
export {
  PivSession,
  PivError,
  PIV_AID,
  MAX_CERTIFICATE_BYTES,
  type PivSlot,
  type PivSigningSlot,
  type PivAlgorithm,
  type PivErrorCode,
  type PivApplication,
  type PinStatus,
} from './pivSession.ts';
export { pivSigner, pinGuardedSigner } from './pivSigner.ts';
export {
  PinPad,
  PinPadError,
  readerFeatures,
  parseFeatureList,
  pinVerifyStructure,
  CM_IOCTL_GET_FEATURE_REQUEST,
  FEATURE_VERIFY_PIN_DIRECT,
  FEATURE_MODIFY_PIN_DIRECT,
  type ControlTransport,
  type Control,
  type ApduHeader,
  type PinEntryOptions,
  type PinPadErrorCode,
} from './pinPad.ts';
