/**
 * Security tokens for the UI: the HID OTP interfaces node-hid finds (polled by
 * HidTokenMonitor; none where node-hid cannot load) and the virtual token while it is plugged
 * in. Every change is announced as the new list.
 */
import { type HidDevice, HidTokenMonitor, type NodeHidModule, NodeHidTransport, OTP_TOKEN_VENDORS } from '../token/index.ts';
import type { VirtualHidToken } from '../virtual/index.ts';
import type { TokenInfo } from './api.ts';
import { AgentError } from './failure.ts';

export const VIRTUAL_TOKEN_PRODUCT = 'Virtuell säkerhetsdosa (HID)';

export interface TokensOptions {
  /** The node-hid module or a loader; false: no real tokens (tests). Default: the real binding. */
  hid?: NodeHidModule | (() => NodeHidModule) | false;
  pollMs?: number;
}

export class Tokens {
  private readonly transport: NodeHidTransport | undefined;
  private readonly monitor: HidTokenMonitor | undefined;
  private virtual: { token: VirtualHidToken; info: TokenInfo } | undefined;

  constructor(
    private readonly onChange: (tokens: TokenInfo[]) => void,
    options: TokensOptions = {},
  ) {
    if (options.hid !== false) {
      const transport = new NodeHidTransport(options.hid ?? undefined);
      this.transport = transport;
      this.monitor = new HidTokenMonitor({ enumerate: () => transport.devices(), intervalMs: options.pollMs ?? 1000 });
      // Enumeration failing (no node-hid here) means no real tokens; it is not an app error.
      this.monitor.on('error', () => undefined);
      this.monitor.on('token-added', () => this.changed());
      this.monitor.on('token-removed', () => this.changed());
    }
  }

  start(): void {
    this.monitor?.start();
  }

  list(): TokenInfo[] {
    const real: TokenInfo[] = (this.monitor?.tokens() ?? []).map((d) => ({
      id: d.path,
      product: d.product ?? OTP_TOKEN_VENDORS.find((v) => v.vendorId === d.vendorId)?.name ?? 'Security token',
      ...(d.serial ? { serial: d.serial } : {}),
      virtual: false,
    }));
    return this.virtual ? [...real, { ...this.virtual.info }] : real;
  }

  /** Opens a token by its id; `close` after use. */
  open(id: string): { device: HidDevice; close: () => void } {
    if (this.virtual && id === this.virtual.info.id) {
      // The virtual token stays "plugged in": only unplug() ends it.
      return { device: this.virtual.token, close: () => undefined };
    }
    const known = (this.monitor?.tokens() ?? []).some((d) => d.path === id);
    if (!known || !this.transport) throw new AgentError('TOKEN_NOT_FOUND', 'That security token is not connected. Plug it in and try again.');
    const device = this.transport.open(id);
    return { device, close: () => device.close() };
  }

  get virtualToken(): VirtualHidToken | undefined {
    return this.virtual?.token;
  }

  plugVirtual(token: VirtualHidToken, serial: string): TokenInfo {
    this.virtual?.token.unplug();
    const info: TokenInfo = { id: `virtual:${serial}`, product: VIRTUAL_TOKEN_PRODUCT, serial, virtual: true };
    this.virtual = { token, info };
    this.changed();
    return { ...info };
  }

  unplugVirtual(): void {
    if (!this.virtual) return;
    this.virtual.token.unplug();
    this.virtual = undefined;
    this.changed();
  }

  async close(): Promise<void> {
    await this.monitor?.stop();
    this.virtual?.token.close();
  }

  private changed(): void {
    this.onChange(this.list());
  }
}
