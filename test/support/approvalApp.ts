/**
 * The built-in approval app for tests that cannot reach the service over HTTP (the agent's
 * embedded service listens on a port only the agent knows): it works on the service's
 * database through an EkortService instance of its own, which is what the built-in provider
 * is made for (every order transition is a conditional UPDATE, so it holds across
 * instances). The code comes from `ekort bank enrol-app`, the key pair and the sealed file
 * from appWallet, as `ekort app enrol` makes them.
 */
import { expect } from 'vitest';
import { approvalStatement, enrolmentProof, newAppKeyPair, saveAppFile, sealAppFile, unlockApp } from '../../src/bank/approval/appWallet.ts';
import type { OrderLookup, SeenCode } from '../../src/bank/approval/builtin.ts';
import { signStatement } from '../../src/bank/approval/statement.ts';
import type { EkortService } from '../../src/bank/service.ts';
import { ekort } from './ekortCli.ts';

export const TEST_APP_PIN = '246810';

/** Enrols an app for the customer (the bank's code by `ekort bank enrol-app --db DB`); its file. */
export async function enrolTestApp(service: EkortService, db: string, personnummer: string, file: string, pin = TEST_APP_PIN): Promise<{ deviceId: string }> {
  const issued = await ekort(['bank', 'enrol-app', '--db', db, '--personnummer', personnummer, '--json']);
  expect(issued.code, issued.stderr).toBe(0);
  const { code } = JSON.parse(issued.stdout) as { code: string };
  const { publicKey, privateKey } = newAppKeyPair();
  const enrolled = await service.appEnrol({ code, publicKey, proof: enrolmentProof(code, publicKey, privateKey) });
  await saveAppFile(file, sealAppFile({ server: 'embedded', deviceId: enrolled.deviceId, customer: enrolled.customer, publicKey, privateKey, pin }));
  return { deviceId: enrolled.deviceId };
}

/** The app reads the code: who asks and what for (the order moves to userSign). */
export const lookUp = (service: EkortService, seen: SeenCode): Promise<OrderLookup> => service.appLookup(seen);

/** The app approves what it looked up, with its PIN: the signed approval statement. */
export async function approveWithApp(service: EkortService, file: string, seen: SeenCode, order: OrderLookup, pin = TEST_APP_PIN): Promise<void> {
  const { app, privateKey } = await unlockApp(file, pin);
  const statement = approvalStatement({ orderRef: order.orderRef, relyingParty: order.relyingParty, visibleText: order.visibleText, seen, deviceId: app.deviceId, time: new Date() });
  await service.appApprove(order.orderRef, { deviceId: app.deviceId, seen, time: statement.time, signature: signStatement(statement, privateKey) });
}
