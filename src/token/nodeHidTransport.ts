/**
 * The real HID transport: the npm `node-hid` binding (hidapi underneath), typed to the slice
 * we use and injected, so that tests run against a fake module and a machine without the
 * native binding gets a typed error (HID_UNAVAILABLE) instead of a crash at import.
 *
 * Enumeration keeps what yubikit (yubikey-manager) keeps for its OTP connection: a device of
 * a known token vendor whose top-level collection is usage page 0x0001 (Generic Desktop),
 * usage 0x0006 (Keyboard): the OTP interface types its codes as a keyboard, and its feature
 * reports carry the challenge-response protocol. The FIDO interface (usage page 0xF1D0) and
 * the CCID interface of the same token are other devices and are left out. hidapi reports one
 * entry per top-level collection, with usagePage/usage filled in on hidraw, libusb, macOS and
 * Windows alike; an entry without them is not taken for an OTP interface.
 */
import { createRequire } from 'node:module';
import { type HidDevice, type HidTokenDescriptor, hidError } from './hidDevice.ts';
import { NodeHidDevice, type NodeHidHandle } from './nodeHidDevice.ts';

/** The fields of node-hid's `Device` that enumeration looks at. */
export interface NodeHidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

/** The slice of the `node-hid` module used here: enumeration and the synchronous HID class. */
export interface NodeHidModule {
  devices(): NodeHidDeviceInfo[];
  HID: new (path: string) => NodeHidHandle;
}

/** Vendors whose OTP HID interface speaks the challenge-response protocol of docs/protocols.md. */
export const OTP_TOKEN_VENDORS: ReadonlyArray<{ vendorId: number; name: string }> = [{ vendorId: 0x1050, name: 'Yubico' }];

export const USAGE_PAGE_GENERIC_DESKTOP = 0x0001;
export const USAGE_KEYBOARD = 0x0006;

/** A known token vendor's OTP (keyboard) interface, with a path to open it by. */
export function isOtpInterface(info: NodeHidDeviceInfo): info is NodeHidDeviceInfo & { path: string } {
  return (
    typeof info.path === 'string' &&
    info.path !== '' &&
    OTP_TOKEN_VENDORS.some((v) => v.vendorId === info.vendorId) &&
    info.usagePage === USAGE_PAGE_GENERIC_DESKTOP &&
    info.usage === USAGE_KEYBOARD
  );
}

export function toDescriptor(info: NodeHidDeviceInfo & { path: string }): HidTokenDescriptor {
  return {
    path: info.path,
    vendorId: info.vendorId,
    productId: info.productId,
    ...(info.serialNumber ? { serial: info.serialNumber } : {}),
    ...(info.product ? { product: info.product } : {}),
  };
}

/** Loads node-hid through `load` (createRequire by default); a failure is HID_UNAVAILABLE. */
export function requireNodeHid(load: () => unknown = () => createRequire(import.meta.url)('node-hid')): NodeHidModule {
  try {
    return load() as NodeHidModule;
  } catch (cause) {
    throw hidError('HID_UNAVAILABLE', undefined, cause);
  }
}

let realModule: NodeHidModule | undefined;

/** The real binding, loaded on first use and kept. */
export function loadNodeHid(): NodeHidModule {
  realModule ??= requireNodeHid();
  return realModule;
}

const PERMISSION = /permission denied|access denied|EACCES|EPERM/i;

export class NodeHidTransport {
  readonly #load: () => NodeHidModule;

  /** `hid`: the node-hid module, or a loader; the real binding (lazily) by default. */
  constructor(hid: NodeHidModule | (() => NodeHidModule) = loadNodeHid) {
    this.#load = typeof hid === 'function' ? hid : () => hid;
  }

  /** Connected OTP-capable tokens, one entry per OTP interface (deduplicated by path). */
  devices(): HidTokenDescriptor[] {
    const hid = this.#load();
    const seen = new Set<string>();
    const out: HidTokenDescriptor[] = [];
    for (const info of hid.devices()) {
      if (!isOtpInterface(info) || seen.has(info.path)) continue;
      seen.add(info.path);
      out.push(toDescriptor(info));
    }
    return out;
  }

  /**
   * Opens a token by its enumeration path. A token unplugged since enumeration is
   * TOKEN_REMOVED; one the user has no permission for is TOKEN_ACCESS_DENIED.
   */
  open(path: string): HidDevice {
    const hid = this.#load();
    try {
      return new NodeHidDevice(new hid.HID(path));
    } catch (cause) {
      const message = (cause as Error)?.message ?? String(cause);
      throw hidError(PERMISSION.test(message) ? 'TOKEN_ACCESS_DENIED' : 'TOKEN_REMOVED', `opening ${path} failed`, cause);
    }
  }
}
