/**
 * The card-login trust of `ekort serve --ca DIR`: the test PKI's root, issuing CAs and CRLs,
 * read again when one of those files changes (`ekort pki revoke` rewrites a CRL), so that a
 * revocation takes effect without a restart. A change that cannot be read keeps the old trust.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { EkortService } from '../bank/index.ts';
import { loadTestPkiTrust, TEST_PKI_TRUST_FILES } from '../pki/index.ts';

/** Size and modification time of every trust file; a missing file counts as a state too. */
async function fingerprint(dir: string): Promise<string> {
  const parts = await Promise.all(
    TEST_PKI_TRUST_FILES.map((name) =>
      stat(path.join(dir, name)).then(
        (s) => `${name}:${s.size}:${s.mtimeMs}`,
        () => `${name}:-`,
      ),
    ),
  );
  return parts.join(',');
}

/** Polls `dir` every `intervalMs` and gives `service` the new trust; returns the stop function. */
export async function reloadTrustOnChange(dir: string, service: EkortService, log: (line: string) => void, intervalMs = 2000): Promise<() => void> {
  let seen = await fingerprint(dir);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const now = await fingerprint(dir);
      if (now === seen) return;
      seen = now;
      try {
        await service.setTrust(await loadTestPkiTrust(dir));
        log(`ekort serve: card-login trust read again from ${dir}`);
      } catch (error) {
        log(`ekort serve: ${dir} changed but cannot be used (${(error as Error).message}); the previous trust stays`);
      }
    })().finally(() => {
      busy = false;
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
