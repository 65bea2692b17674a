import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { tokenListCommand } from '../../../src/cli/tokenCommands.ts';
import { NodeHidTransport, type NodeHidDeviceInfo } from '../../../src/token/nodeHidTransport.ts';
import { VirtualHidToken } from '../../../src/virtual/hidToken.ts';
import { ekort } from '../../support/ekortCli.ts';
import { memoryIo } from '../../support/memoryIo.ts';

const io = memoryIo;

const fakeTransport = (list: NodeHidDeviceInfo[]) => () =>
  new NodeHidTransport({ devices: () => list, HID: VirtualHidToken as unknown as new (path: string) => VirtualHidToken });

const key = (path: string, usagePage = 1, usage = 6): NodeHidDeviceInfo => ({
  vendorId: 0x1050,
  productId: 0x0407,
  path,
  serialNumber: '',
  product: 'YubiKey OTP+FIDO+CCID',
  usagePage,
  usage,
});

describe('ekort token list', () => {
  it('lists the OTP interfaces of connected tokens, as text and as JSON', async () => {
    const list = tokenListCommand(fakeTransport([key('/dev/hidraw2'), key('/dev/hidraw3', 0xf1d0, 1)]));
    const a = io();
    expect(await list({ values: {}, positionals: [] }, a.io)).toBe(0);
    expect(a.out).toEqual(['/dev/hidraw2  1050:0407  YubiKey OTP+FIDO+CCID']);
    const b = io();
    expect(await list({ values: { json: true }, positionals: [] }, b.io)).toBe(0);
    expect(JSON.parse(b.out[0]!)).toEqual({ tokens: [{ path: '/dev/hidraw2', vendorId: 0x1050, productId: 0x0407, product: 'YubiKey OTP+FIDO+CCID' }] });
  });

  it('says so when none is connected', async () => {
    const a = io();
    expect(await tokenListCommand(fakeTransport([key('/dev/hidraw3', 0xf1d0, 1)]))({ values: {}, positionals: [] }, a.io)).toBe(0);
    expect(a.out).toEqual(['no security tokens connected']);
  });

  it('runs through main over the real node-hid binding (no token on this machine: an empty list)', async () => {
    const real = new NodeHidTransport().devices();
    const a = io();
    expect(await main(['token', 'list', '--json'], a.io)).toBe(0);
    expect(JSON.parse(a.out[0]!)).toEqual({ tokens: real });
    const b = io();
    expect(await main(['token', 'list', 'extra'], b.io)).toBe(2);
  });

  it('works from the ekort command', async () => {
    const r = await ekort(['token', 'list']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    if (new NodeHidTransport().devices().length === 0) expect(r.stdout).toBe('no security tokens connected\n');
    else expect(r.stdout).toMatch(/^\/dev\/\S+ {2}1050:/);
  }, 30_000);
});
