export { credentialId, OATH_AID, OathError, OathSession, type NewCredential, type OathAlgorithm, type OathCode, type OathCredential, type OathErrorCode, type OathType } from './oathSession.ts';
