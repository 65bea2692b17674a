/** The Electron window's permissions: clipboard writing for the app's own page, nothing else. */
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { permissionPolicy } from '../../../src/client/permissions.ts';

const appFileUrl = pathToFileURL('/opt/e-kort/resources/app/renderer/index.html').href;
const main = (requestingUrl: string) => ({ requestingUrl, isMainFrame: true });

describe('permissionPolicy', () => {
  const policy = permissionPolicy({ appFileUrl });

  it("grants clipboard-sanitized-write to the app's own page (request and check)", () => {
    expect(policy.request('clipboard-sanitized-write', main(appFileUrl))).toBe(true);
    expect(policy.request('clipboard-sanitized-write', main(`${appFileUrl}#/home`))).toBe(true);
    expect(policy.check('clipboard-sanitized-write', 'file://', main(appFileUrl))).toBe(true);
  });

  it('refuses every other permission, even to the app', () => {
    for (const permission of ['clipboard-read', 'media', 'geolocation', 'notifications', 'hid', 'usb', 'serial', 'openExternal', 'fullscreen', 'unknown']) {
      expect(policy.request(permission, main(appFileUrl)), permission).toBe(false);
      expect(policy.check(permission, 'file://', main(appFileUrl)), permission).toBe(false);
    }
  });

  it('refuses clipboard writing to any other page, a subframe, or without a URL', () => {
    expect(policy.request('clipboard-sanitized-write', main(pathToFileURL('/tmp/evil.html').href))).toBe(false);
    expect(policy.request('clipboard-sanitized-write', main('https://example.com/'))).toBe(false);
    expect(policy.request('clipboard-sanitized-write', { requestingUrl: appFileUrl, isMainFrame: false })).toBe(false);
    expect(policy.request('clipboard-sanitized-write', undefined)).toBe(false);
    expect(policy.request('clipboard-sanitized-write', { isMainFrame: true })).toBe(false);
    expect(policy.check('clipboard-sanitized-write', 'https://example.com', main(appFileUrl))).toBe(false);
    expect(policy.check('clipboard-sanitized-write', 'file://', { isMainFrame: true })).toBe(false);
    expect(policy.check('clipboard-sanitized-write', 'file://', main('https://example.com/'))).toBe(false);
  });

  it('grants the Vite dev server only when it is configured', () => {
    expect(policy.request('clipboard-sanitized-write', main('http://localhost:5173/'))).toBe(false);
    const dev = permissionPolicy({ appFileUrl, devServerUrl: 'http://localhost:5173' });
    expect(dev.request('clipboard-sanitized-write', main('http://localhost:5173/'))).toBe(true);
    expect(dev.check('clipboard-sanitized-write', 'http://localhost:5173', main('http://localhost:5173/'))).toBe(true);
    expect(dev.check('clipboard-sanitized-write', 'http://localhost:5174', main('http://localhost:5173/'))).toBe(false);
    expect(dev.request('clipboard-sanitized-write', main('http://localhost:5174/'))).toBe(false);
  });
});
