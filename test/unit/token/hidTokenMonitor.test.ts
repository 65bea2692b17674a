import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HidTokenDescriptor } from '../../../src/token/hidDevice.ts';
import { HidTokenMonitor } from '../../../src/token/hidTokenMonitor.ts';
import { NodeHidTransport } from '../../../src/token/nodeHidTransport.ts';

const key = (path: string, serial?: string): HidTokenDescriptor => ({
  path,
  vendorId: 0x1050,
  productId: 0x0407,
  ...(serial === undefined ? {} : { serial }),
});

/** A fake enumerator whose list the test changes; `fail` makes the next enumerations throw. */
function fakeBus(initial: HidTokenDescriptor[] = []) {
  const bus = { list: initial, fail: undefined as Error | undefined, calls: 0 };
  const enumerate = (): HidTokenDescriptor[] => {
    bus.calls++;
    if (bus.fail) throw bus.fail;
    return bus.list.map((d) => ({ ...d }));
  };
  return { bus, enumerate };
}

function record(monitor: HidTokenMonitor) {
  const events: string[] = [];
  monitor.on('token-added', (d) => events.push(`+${d.path}${d.serial ? `#${d.serial}` : ''}`));
  monitor.on('token-removed', (d) => events.push(`-${d.path}${d.serial ? `#${d.serial}` : ''}`));
  return events;
}

const monitors: HidTokenMonitor[] = [];
afterEach(async () => {
  for (const m of monitors.splice(0)) await m.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('HidTokenMonitor', () => {
  it('reports tokens already present, then additions and removals as the list changes', async () => {
    const { bus, enumerate } = fakeBus([key('/dev/hidraw0')]);
    const monitor = new HidTokenMonitor({ enumerate });
    const events = record(monitor);
    await monitor.poll();
    expect(events).toEqual(['+/dev/hidraw0']);
    await monitor.poll();
    expect(events).toEqual(['+/dev/hidraw0']); // nothing changed, nothing said
    bus.list = [key('/dev/hidraw0'), key('/dev/hidraw3')];
    await monitor.poll();
    bus.list = [key('/dev/hidraw3')];
    await monitor.poll();
    expect(events).toEqual(['+/dev/hidraw0', '+/dev/hidraw3', '-/dev/hidraw0']);
    expect(monitor.tokens()).toEqual([key('/dev/hidraw3')]);
  });

  it('another token on the same path between two polls is a removal and an addition', async () => {
    const { bus, enumerate } = fakeBus([key('/dev/hidraw0', '111')]);
    const monitor = new HidTokenMonitor({ enumerate });
    const events = record(monitor);
    await monitor.poll();
    bus.list = [key('/dev/hidraw0', '222')];
    await monitor.poll();
    expect(events).toEqual(['+/dev/hidraw0#111', '-/dev/hidraw0#111', '+/dev/hidraw0#222']);
  });

  it('polls at the interval after start() and not after stop()', async () => {
    vi.useFakeTimers();
    const { bus, enumerate } = fakeBus([key('/dev/hidraw0')]);
    const monitor = new HidTokenMonitor({ enumerate, intervalMs: 500 });
    monitors.push(monitor);
    const events = record(monitor);
    monitor.start();
    expect(monitor.running).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['+/dev/hidraw0']);
    bus.list = [];
    await vi.advanceTimersByTimeAsync(499);
    expect(events).toEqual(['+/dev/hidraw0']);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['+/dev/hidraw0', '-/dev/hidraw0']);
    const calls = bus.calls;
    await monitor.stop();
    bus.list = [key('/dev/hidraw5')];
    await vi.advanceTimersByTimeAsync(5000);
    expect(bus.calls).toBe(calls);
    expect(events).toHaveLength(2);
  });

  it('stop() and start() during a slow poll leave one polling chain', async () => {
    vi.useFakeTimers();
    let calls = 0;
    let release: (() => void) | undefined;
    const monitor = new HidTokenMonitor({
      intervalMs: 100,
      enumerate: () => {
        calls++;
        if (calls > 1) return [];
        return new Promise<HidTokenDescriptor[]>((resolve) => (release = () => resolve([])));
      },
    });
    monitors.push(monitor);
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopped = monitor.stop();
    monitor.start();
    release!();
    await stopped;
    await vi.advanceTimersByTimeAsync(1000);
    // one chain: about one poll per 100 ms, not two
    expect(calls).toBeGreaterThanOrEqual(9);
    expect(calls).toBeLessThanOrEqual(12);
  });

  it("its timers are unref'd: a started monitor alone lets the process exit", async () => {
    // A child process that starts a monitor (polling every 50 ms) and does nothing else; a
    // referenced timer would keep it alive until the kill below.
    const moduleUrl = new URL('../../../src/token/hidTokenMonitor.ts', import.meta.url).href;
    const script = `import { HidTokenMonitor } from ${JSON.stringify(moduleUrl)};
      const m = new HidTokenMonitor({ enumerate: () => [], intervalMs: 50 }).start();
      await m.poll();
      console.log(m.running ? 'running' : 'stopped');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(kill);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(out.trim()).toBe('running');
  }, 20_000);

  it('an enumeration error is one error event per run of failures; tokens are kept and polling goes on', async () => {
    vi.useFakeTimers();
    const { bus, enumerate } = fakeBus([key('/dev/hidraw0')]);
    const monitor = new HidTokenMonitor({ enumerate, intervalMs: 100 });
    monitors.push(monitor);
    const events = record(monitor);
    const errors: string[] = [];
    monitor.on('error', (e) => errors.push(e.message));
    monitor.start();
    await vi.advanceTimersByTimeAsync(0);
    bus.fail = new Error('hid_enumerate failed');
    await vi.advanceTimersByTimeAsync(300);
    expect(errors).toEqual(['hid_enumerate failed']);
    expect(events).toEqual(['+/dev/hidraw0']); // a failed poll is not a removal
    expect(monitor.tokens()).toHaveLength(1);
    bus.fail = undefined;
    bus.list = [];
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['+/dev/hidraw0', '-/dev/hidraw0']);
    bus.fail = new Error('again');
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toEqual(['hid_enumerate failed', 'again']);
  });

  it('does not crash without an error listener, nor when a listener throws', async () => {
    const { bus, enumerate } = fakeBus([key('/dev/hidraw0')]);
    const monitor = new HidTokenMonitor({ enumerate });
    bus.fail = new Error('no hidraw');
    await expect(monitor.poll()).resolves.toBeUndefined();
    bus.fail = undefined;
    const errors: Error[] = [];
    monitor.on('token-added', () => {
      throw new Error('listener bug');
    });
    monitor.on('error', (e) => errors.push(e));
    await expect(monitor.poll()).resolves.toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['listener bug']);
    expect(monitor.tokens()).toHaveLength(1);
  });

  it('refuses a non-positive interval', () => {
    expect(() => new HidTokenMonitor({ enumerate: () => [], intervalMs: 0 })).toThrow(RangeError);
  });

  it('runs over the real node-hid enumeration', async () => {
    const monitor = new HidTokenMonitor({ enumerate: () => new NodeHidTransport().devices() });
    const errors: Error[] = [];
    monitor.on('error', (e) => errors.push(e));
    await monitor.poll();
    expect(errors).toEqual([]);
    expect(Array.isArray(monitor.tokens())).toBe(true);
  });
});
