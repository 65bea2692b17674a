import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isEkortError } from '../../../src/errors.ts';
import { HidTokenError } from '../../../src/token/hidDevice.ts';
import { HidOtpSession } from '../../../src/token/hidOtpSession.ts';
import { NodeHidDevice, type NodeHidHandle } from '../../../src/token/nodeHidDevice.ts';
import {
  NodeHidTransport,
  isOtpInterface,
  loadNodeHid,
  requireNodeHid,
  type NodeHidDeviceInfo,
  type NodeHidModule,
} from '../../../src/token/nodeHidTransport.ts';
import { VirtualHidToken } from '../../../src/virtual/hidToken.ts';

const YUBICO = 0x1050;
const otp = (path: string, extra: Partial<NodeHidDeviceInfo> = {}): NodeHidDeviceInfo => ({
  vendorId: YUBICO,
  productId: 0x0407,
  path,
  serialNumber: '',
  product: 'YubiKey OTP+FIDO+CCID',
  usagePage: 0x0001,
  usage: 0x0006,
  ...extra,
});

function fakeModule(list: NodeHidDeviceInfo[], open: (path: string) => NodeHidHandle = () => new VirtualHidToken()): NodeHidModule & { opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    devices: () => list,
    HID: function (this: unknown, path: string) {
      opened.push(path);
      return open(path);
    } as unknown as NodeHidModule['HID'],
  };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isEkortError(e) ? e.code : `not-ekort: ${String(e)}`;
  }
  return undefined;
}

describe('NodeHidTransport.devices', () => {
  it('keeps only the OTP (keyboard) interface of a known token vendor, once per path', () => {
    const list = [
      otp('/dev/hidraw0'),
      otp('/dev/hidraw1', { usagePage: 0xf1d0, usage: 0x01 }), // FIDO interface of the same key
      otp('/dev/hidraw2', { vendorId: 0x046d }), // a keyboard of another vendor
      otp('/dev/hidraw3', { usagePage: 0x0001, usage: 0x0002 }), // a mouse collection
      otp('/dev/hidraw4', { usagePage: undefined, usage: undefined }), // backend without usages
      otp(''),
      otp('/dev/hidraw0'), // hidapi lists a device once per collection; same path again
      otp('/dev/hidraw5', { productId: 0x0010, serialNumber: '1234567', product: undefined }),
    ];
    expect(new NodeHidTransport(fakeModule(list)).devices()).toEqual([
      { path: '/dev/hidraw0', vendorId: YUBICO, productId: 0x0407, product: 'YubiKey OTP+FIDO+CCID' },
      { path: '/dev/hidraw5', vendorId: YUBICO, productId: 0x0010, serial: '1234567' },
    ]);
  });

  it('isOtpInterface needs vendor, usage page 1 and usage 6', () => {
    expect(isOtpInterface(otp('/x'))).toBe(true);
    expect(isOtpInterface(otp('/x', { usage: 0x01 }))).toBe(false);
    expect(isOtpInterface(otp('/x', { usagePage: 0x0c }))).toBe(false);
    expect(isOtpInterface(otp('/x', { vendorId: 0x20a0 }))).toBe(false);
    expect(isOtpInterface(otp('/x', { path: undefined }))).toBe(false);
  });

  it('loads the module lazily: a loader is called on first use, not in the constructor', () => {
    let loads = 0;
    const transport = new NodeHidTransport(() => {
      loads++;
      return fakeModule([otp('/dev/hidraw0')]);
    });
    expect(loads).toBe(0);
    expect(transport.devices()).toHaveLength(1);
    expect(loads).toBe(1);
  });
});

describe('NodeHidTransport.open', () => {
  it('opens by path into a HidDevice that runs the full challenge-response', async () => {
    const secret = Uint8Array.from({ length: 20 }, (_, i) => 0x30 + i);
    const hid = fakeModule([otp('/dev/hidraw7')], () => new VirtualHidToken({ slot1: secret }));
    const transport = new NodeHidTransport(hid);
    const [token] = transport.devices();
    const device = transport.open(token!.path);
    expect(hid.opened).toEqual(['/dev/hidraw7']);
    const challenge = new TextEncoder().encode('open by path');
    const out = await new HidOtpSession(device).challengeResponse(challenge, { slot: 1, pollMs: 1 });
    expect(Buffer.from(out).toString('hex')).toBe(createHmac('sha1', secret).update(challenge).digest('hex'));
    device.close();
  });

  it('maps open failures: gone is TOKEN_REMOVED, no permission is TOKEN_ACCESS_DENIED', () => {
    const failing = (message: string) =>
      new NodeHidTransport(
        fakeModule([], () => {
          throw new TypeError(message);
        }),
      );
    expect(codeOf(() => failing('cannot open device with path /dev/hidraw9').open('/dev/hidraw9'))).toBe('TOKEN_REMOVED');
    expect(codeOf(() => failing('cannot open device with path /dev/hidraw9: Permission denied').open('/dev/hidraw9'))).toBe(
      'TOKEN_ACCESS_DENIED',
    );
    const e = (() => {
      try {
        failing('cannot open device with path /dev/hidraw9').open('/dev/hidraw9');
      } catch (err) {
        return err as HidTokenError;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(HidTokenError);
    expect((e?.cause as Error).message).toContain('/dev/hidraw9');
  });

  it('a binding that cannot be loaded is HID_UNAVAILABLE, with the loader error as cause', () => {
    const cause = new Error('Cannot find module node-hid');
    let error: unknown;
    try {
      requireNodeHid(() => {
        throw cause;
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'HID_UNAVAILABLE', cause });
  });
});

describe('NodeHidDevice', () => {
  const handle = (hooks: Partial<NodeHidHandle>): NodeHidHandle & { closes: number } => {
    const h = {
      closes: 0,
      sendFeatureReport: () => 9,
      getFeatureReport: () => [0, 0, 5, 4, 3, 1, 0, 0, 0],
      close() {
        h.closes++;
      },
      ...hooks,
    };
    return h;
  };

  it("maps node-hid's errors for a gone device to TOKEN_REMOVED, with the original as cause", () => {
    const dev = new NodeHidDevice(
      handle({
        sendFeatureReport: () => {
          throw new TypeError('could not send feature report to device');
        },
        getFeatureReport: () => {
          throw new TypeError('could not get feature report from device');
        },
      }),
    );
    expect(codeOf(() => dev.sendFeatureReport([0, 0, 0, 0, 0, 0, 0, 0, 0xff]))).toBe('TOKEN_REMOVED');
    expect(codeOf(() => dev.getFeatureReport(0, 9))).toBe('TOKEN_REMOVED');
    try {
      dev.getFeatureReport(0, 9);
    } catch (e) {
      expect(((e as Error).cause as Error).message).toBe('could not get feature report from device');
    }
  });

  it('passes reports through unchanged and is TOKEN_REMOVED after close; close is idempotent', () => {
    const sent: number[][] = [];
    const h = handle({
      sendFeatureReport: (d) => {
        sent.push(Array.from(d));
        return 9;
      },
    });
    const dev = new NodeHidDevice(h);
    expect(dev.sendFeatureReport([0, 1, 2, 3, 4, 5, 6, 7, 0x80])).toBe(9);
    expect(sent).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 0x80]]);
    expect(Array.from(dev.getFeatureReport(0, 9))).toEqual([0, 0, 5, 4, 3, 1, 0, 0, 0]);
    dev.close();
    dev.close();
    expect(h.closes).toBe(1);
    expect(codeOf(() => dev.getFeatureReport(0, 9))).toBe('TOKEN_REMOVED');
  });

  it('a token unplugged mid-exchange behind node-hid is TOKEN_REMOVED from the session', async () => {
    const token = new VirtualHidToken({ slot1: new Uint8Array(20).fill(7), requireTouch: true });
    const dev = new NodeHidDevice(token);
    const p = new HidOtpSession(dev).challengeResponse(Uint8Array.of(1, 2, 3), { slot: 1, pollMs: 2, onTouch: () => token.unplug() });
    await expect(p).rejects.toMatchObject({ code: 'TOKEN_REMOVED' });
  });
});

describe('the real node-hid binding', () => {
  it('loads and enumerates (an array; no token is plugged into a CI machine)', () => {
    // No skip: a binding that does not load is a failure here, on CI and on a desk alike.
    const hid = loadNodeHid();
    expect(typeof hid.devices).toBe('function');
    expect(typeof hid.HID).toBe('function');
    const tokens = new NodeHidTransport().devices();
    expect(Array.isArray(tokens)).toBe(true);
    for (const t of tokens) expect(t.vendorId).toBe(YUBICO);
  });

  it('opening a path that does not exist is TOKEN_REMOVED', () => {
    expect(codeOf(() => new NodeHidTransport().open('/dev/hidraw-ekort-missing'))).toBe('TOKEN_REMOVED');
  });
});
