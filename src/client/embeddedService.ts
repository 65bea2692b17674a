/**
 * The e-kort service inside the app: SQLite in the data folder (dataDir/ekort.db) and the
 * service's HTTP API on 127.0.0.1 at a free port, which the agent calls through BankClient
 * like any remote service. The login rate limit is off (one user, on loopback). Card login is
 * trusted for the test PKI in dataDir/demo/pki once "Prova med virtuellt kort" made one.
 * Purchases in other currencies are converted with dataDir/rates.json (the format of
 * `ekort serve --rates`) when it is there, and declined CURRENCY_NOT_SUPPORTED otherwise.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EkortService, Rates, SERVICE_BUSY_WAIT_MS, type StartedServer, startServer, type TrustConfig } from '../bank/index.ts';

export const demoDir = (dataDir: string): string => path.join(dataDir, 'demo');

/** The test PKI in dataDir/demo/pki as card-login trust, when there is one. */
export async function demoTrust(dataDir: string): Promise<TrustConfig | undefined> {
  const dir = path.join(demoDir(dataDir), 'pki');
  if (!existsSync(path.join(dir, 'root.pem'))) return undefined;
  // The PKI code (pkijs) only once the demo made a PKI: the app starts without it.
  const { loadTestPkiTrust } = await import('../pki/index.ts');
  return loadTestPkiTrust(dir);
}

export class EmbeddedService {
  private constructor(
    readonly service: EkortService,
    private readonly server: StartedServer,
  ) {}

  /** Whether card login can be checked: the demo PKI's trust is loaded. */
  get hasTrust(): boolean {
    return this.service.ctx.config.trust !== undefined;
  }

  /** Loads the demo PKI's trust (made by the demo after the service started); false when there is none. */
  async loadDemoTrust(dataDir: string): Promise<boolean> {
    const trust = await demoTrust(dataDir);
    if (trust) await this.service.setTrust(trust);
    return trust !== undefined;
  }

  get url(): string {
    return this.server.url;
  }

  static async start(dataDir: string, options: { log?: (line: string) => void } = {}): Promise<EmbeddedService> {
    const ratesFile = path.join(dataDir, 'rates.json');
    const rates = existsSync(ratesFile) ? await Rates.load(ratesFile) : undefined;
    const service = await EkortService.open(path.join(dataDir, 'ekort.db'), { ...(rates ? { rates } : {}), busyTimeoutMs: SERVICE_BUSY_WAIT_MS });
    try {
      const server = await startServer(service, { host: '127.0.0.1', port: 0, loginRateLimit: false, ...(options.log ? { log: options.log } : {}) });
      const embedded = new EmbeddedService(service, server);
      // A damaged demo PKI costs card login (FORBIDDEN says why), not the app.
      await embedded.loadDemoTrust(dataDir).catch((error: unknown) => options.log?.(`the demo PKI's trust cannot be used: ${(error as Error).message}`));
      return embedded;
    } catch (error) {
      await service.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    try {
      await this.server.close();
    } finally {
      await this.service.close();
    }
  }
}
