/**
 * The agent's connection to the e-kort service: the embedded one (SQLite in the data folder,
 * started on first use) or a remote one, as the settings say, and the BankClient that talks to
 * it. The card network's key for simulated purchases is made once per embedded service.
 */
import { BankClient, createNetworkKey } from '../bank/index.ts';
import type { Settings } from './api.ts';
import { EmbeddedService } from './embeddedService.ts';
import { AgentError } from './failure.ts';

export class ServiceConnection {
  bank!: BankClient;
  private embedded: EmbeddedService | undefined;
  private networkKey: string | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** (Re)connects to the service the settings name; the embedded one keeps running across calls. */
  async connect(service: Settings['service']): Promise<void> {
    if (service.mode === 'embedded') {
      this.embedded ??= await EmbeddedService.start(this.dataDir, { log: this.log });
      this.bank = new BankClient({ baseUrl: this.embedded.url });
    } else {
      await this.close();
      this.bank = new BankClient({ baseUrl: service.url });
    }
  }

  /** The embedded service, or EMBEDDED_ONLY naming what needs it. */
  requireEmbedded(what: string): EmbeddedService {
    if (!this.embedded) throw new AgentError('EMBEDDED_ONLY', `${what} works with the e-kort service inside the app only (settings: service "embedded").`);
    return this.embedded;
  }

  /** The embedded service when it runs (the demo's token is enrolled there). */
  get running(): EmbeddedService | undefined {
    return this.embedded;
  }

  /** A client for the card network's side of the embedded service. */
  async networkClient(what: string): Promise<BankClient> {
    const running = this.requireEmbedded(what);
    this.networkKey ??= await createNetworkKey(running.service.ctx, 'desktop-agent');
    return new BankClient({ baseUrl: running.url, networkKey: this.networkKey });
  }

  async close(): Promise<void> {
    const e = this.embedded;
    this.embedded = undefined;
    this.networkKey = undefined;
    await e?.close();
  }
}
