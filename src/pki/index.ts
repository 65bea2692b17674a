export {
  SignInputError,
  digestInfo,
  digestInfoPrefix,
  isDigestInfo,
  pkcs1v15Block,
  type DigestInfoPrefix,
  type DigestName,
} from './digestInfo.ts';
export {
  CardSignerError,
  certificateKeyType,
  signChallenge,
  type CardKeyType,
  type CardSigner,
} from './loginSignature.ts';
export { PemError, pemBlocks, pemToDer, derToPem } from './pem.ts';
export { DerError, checkDer, type CheckDerOptions } from './derGuard.ts';
export { CertificateError, parseCertificate, type CertificateInfo, type NameInfo, type SubjectInfo } from './certificate.ts';
export {
  ChainError,
  TrustStore,
  validateChain,
  type TrustInput,
  type ChainErrorCode,
  type ExpiryWarning,
  type ValidateChainInput,
  type ValidatedChain,
} from './chainValidation.ts';
export {
  LoginSignatureError,
  verifyLoginSignature,
  verifyLoginSignatureSync,
  type LoginSignatureErrorCode,
  type VerifyLoginSignatureInput,
  type VerifiedLogin,
} from './cmsVerifier.ts';
export {
  buildCertificate,
  cardSubjectName,
  DIGITAL_SIGNATURE,
  extension,
  KEY_CERT_SIGN,
  keyIdentifier,
  keyUsage,
  name,
  OID,
  randomSerial,
  type CertificateIssuer,
  type CertificateSubject,
  type IssueCertificate,
} from './certificateBuilder.ts';
export { PasswordAttempts, defaultAttemptsFile } from './fileAttempts.ts';
export { defaultBankIdDirs, listFileCredentials, readFileCredential } from './fileCredential.ts';
export type { FileCredentialInfo } from './fileCredential.ts';
export { openFileSigner } from './fileSigner.ts';
export type { Organisation } from './organisation.ts';
export { writePkcs12 } from './pkcs12.ts';
export { ISSUING_CAS, TEST_PKI_TRUST_FILES, initTestPki, issueCardCertificate, issuerFor, issuingCaFor, loadTestPki, loadTestPkiTrust, revokeCertificate } from './testPki.ts';
export type { TestPkiMaterial } from './testPki.ts';
