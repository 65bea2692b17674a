import { describe, expect, it } from 'vitest';
import { platformNotes, pcscdSocket } from '../../../src/client/platform.ts';

const ok = (): unknown => ({});
const missing = (): never => {
  throw new Error("Cannot find module 'x'");
};

describe('platformNotes: what the machine lacks, a line each with the command that adds it', () => {
  it('says nothing when everything is there', () => {
    expect(platformNotes({ pcsclite: ok, nodeHid: ok, pcscdSocket: () => true })).toEqual([]);
  });

  it('PC/SC not installed: no card readers, and the setup command', () => {
    const notes = platformNotes({ pcsclite: missing, nodeHid: ok, pcscdSocket: () => false });
    expect(notes.map((n) => n.code)).toEqual(['PCSC_NOT_INSTALLED']);
    expect(notes[0]!.line).toMatch(/^no card readers: PC\/SC is not installed.*native\/setup-pcsc\.sh && npm install$/);
  });

  it('pcscd not running (binding there, no socket); node-hid missing', () => {
    const notes = platformNotes({ pcsclite: ok, nodeHid: missing, pcscdSocket: () => false });
    expect(notes.map((n) => n.code)).toEqual(['PCSCD_NOT_RUNNING', 'HID_NOT_INSTALLED']);
    expect(notes[0]!.line).toContain('pcscd) is not running');
    expect(notes[1]!.line).toMatch(/^no USB security tokens: .*npm install$/);
  });

  it('finds pcscd at $PCSCLITE_CSOCK_NAME, else the default socket', () => {
    expect(pcscdSocket({})).toBe('/run/pcscd/pcscd.comm');
    expect(pcscdSocket({ PCSCLITE_CSOCK_NAME: '/tmp/pcscd.sock' })).toBe('/tmp/pcscd.sock');
  });
});
