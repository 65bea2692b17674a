/**
 * The approval app's signed answer to an identification request of the telephone service
 * (POST /v1/app/identifications/{id}/approve, body SignedIdentificationRequest): the app signs
 * the statement for a request it listed and sends it with BankClient.approveAppIdentification.
 */
import type { KeyObject } from 'node:crypto';
import type { SignedIdentificationRequest } from '../api/schemas.ts';
import { identificationStatement } from './appWallet.ts';
import { signStatement } from './statement.ts';


/** The signed approval of `request` (as GET /v1/app/identifications listed it). */
export function signIdentification(request: { id: string; requester: string; code: string }, app: { deviceId: string; privateKey: KeyObject }, time: Date = new Date()): SignedIdentificationRequest {
  const statement = identificationStatement({ requestId: request.id, requester: request.requester, code: request.code, deviceId: app.deviceId, time });
  return { deviceId: app.deviceId, time: statement.time, signature: signStatement(statement, app.privateKey) };
}
