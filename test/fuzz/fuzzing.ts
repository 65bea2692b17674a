/**
 * The fuzz harness's shared parts: the budget (from the environment), the typed-error check
 * every property makes, and mutations of real fixtures (bit flips, truncation, length-field
 * tweaks), which reach much deeper into a parser than uniformly random bytes.
 *
 * Budget: `npm test` runs every property with a fixed seed and a few hundred runs
 * (FUZZ_RUNS, FUZZ_SEED override that); `npm run fuzz` sets FUZZ_MODE=long: 200 000 runs per
 * property and a random seed, printed so that a failure can be replayed with FUZZ_SEED=<seed>.
 *
 * Hangs: a run that takes longer than FUZZ_RUN_MS (default 2 s) fails the property, and so
 * does, outside long mode, a property that takes longer than FUZZ_TIME_MS (default 10 s)
 * in all. Async properties also get fast-check's per-run `timeout`. (A synchronous infinite
 * loop cannot be pre-empted in process; the run limit catches the pathological slow cases
 * such as quadratic rescans or unbounded recursion that terminates late.)
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { EkortError } from '../../src/errors.ts';

const env = process.env;
const long = env.FUZZ_MODE === 'long';

function envInt(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${raw}`);
  return n;
}

/** The default seed: fixed so that CI is reproducible. */
const FIXED_SEED = 0x5eed_7816;

function seedFromEnv(): number {
  const raw = env.FUZZ_SEED;
  if (raw === 'random' || (raw === undefined && long)) {
    const seed = (Math.random() * 0x7fff_ffff) | 0;
    console.log(`fuzz: FUZZ_SEED=${seed} (replay a failure with FUZZ_SEED=${seed} FUZZ_RUNS=<runs> npx vitest run test/fuzz)`);
    return seed;
  }
  return envInt('FUZZ_SEED', FIXED_SEED);
}

export const FUZZ = {
  seed: seedFromEnv(),
  /** Runs of a cheap property; expensive ones take a fraction (see `params`). */
  runs: envInt('FUZZ_RUNS', long ? 200_000 : 400),
  /** One run longer than this is a hang. */
  runMs: envInt('FUZZ_RUN_MS', 2_000),
  /** The whole property's time; a failure outside long mode, the budget's cap in long mode. */
  timeMs: envInt('FUZZ_TIME_MS', long ? 30 * 60_000 : 10_000),
  long,
};

/** vitest's per-test timeout for a fuzz test: the property's limit plus room to shrink. */
export const TEST_TIMEOUT = long ? 0 : FUZZ.timeMs * 3;

/**
 * fast-check parameters for one property. `cost` divides the run count for properties whose
 * single run is expensive (crypto, a whole HTTP request): at least 20 runs remain.
 */
export function params<T>(options: { cost?: number; examples?: T[] } = {}): fc.Parameters<T> {
  const cost = options.cost ?? 1;
  return {
    seed: FUZZ.seed,
    numRuns: Math.max(20, Math.floor(FUZZ.runs / cost)),
    interruptAfterTimeLimit: FUZZ.timeMs,
    markInterruptAsFailure: !FUZZ.long,
    timeout: FUZZ.runMs,
    ...(options.examples ? { examples: options.examples } : {}),
  };
}

/** An error class the parser may throw, with the codes it may carry. */
export interface Allowed {
  type: abstract new (...args: never[]) => EkortError;
  codes: readonly string[];
}

export function allow(type: Allowed['type'], ...codes: string[]): Allowed {
  return { type, codes };
}

/** Fails unless `error` is one of the allowed EkortError classes with one of its codes. */
export function expectTyped(error: unknown, allowed: readonly Allowed[]): void {
  const ok = error instanceof EkortError && allowed.some((a) => error instanceof a.type && a.codes.includes(error.code));
  if (!ok) {
    const what = error instanceof Error ? `${error.constructor.name}${error instanceof EkortError ? `(${error.code})` : ''}: ${error.message}` : String(error);
    const wanted = allowed.map((a) => `${a.type.name}(${a.codes.join('|')})`).join(', ');
    expect.fail(`expected a value or one of ${wanted}; got ${what}\n${error instanceof Error ? error.stack : ''}`);
  }
}

function checkTime(started: number): void {
  const took = performance.now() - started;
  if (took > FUZZ.runMs) expect.fail(`one run took ${Math.round(took)} ms (limit ${FUZZ.runMs} ms): a hang`);
}

/** The property: `fn(input)` returns or throws an allowed typed error, within the run limit. */
export function returnsOrThrowsTyped<T>(fn: (input: T) => unknown, allowed: readonly Allowed[]): (input: T) => void {
  return (input) => {
    const started = performance.now();
    try {
      fn(input);
    } catch (e) {
      expectTyped(e, allowed);
    }
    checkTime(started);
  };
}

export function resolvesOrRejectsTyped<T>(fn: (input: T) => Promise<unknown>, allowed: readonly Allowed[]): (input: T) => Promise<void> {
  return async (input) => {
    const started = performance.now();
    try {
      await fn(input);
    } catch (e) {
      expectTyped(e, allowed);
    }
    checkTime(started);
  };
}

/** One edit of a byte string. Positions are fractions of the length so they shrink well. */
type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'length'; at: number; value: number }
  | { op: 'nudge'; at: number; delta: number }
  | { op: 'truncate'; at: number }
  | { op: 'delete'; at: number; count: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'duplicate'; at: number; count: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

/** Values a length field is most often wrong with: off by one, long forms, huge, zero. */
const LENGTH_VALUES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0xff, 0xfe];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('length' as const), at: position, value: fc.constantFrom(...LENGTH_VALUES) }),
  fc.record({ op: fc.constant('nudge' as const), at: position, delta: fc.constantFrom(-2, -1, 1, 2) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const at = Math.floor(m.at * n);
  switch (m.op) {
    case 'flip': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[at] = out[at]! ^ (1 << m.bit);
      return out;
    }
    case 'set':
    case 'length': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[at] = m.value;
      return out;
    }
    case 'nudge': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[at] = (out[at]! + m.delta) & 0xff;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'delete':
      return new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + m.count)]);
    case 'insert':
      return new Uint8Array([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case 'duplicate':
      return new Uint8Array([...bytes.subarray(0, at + m.count), ...bytes.subarray(at)]);
  }
}

/** Zero to four edits, to apply later with `applyEdits` (when the input is chosen at run time). */
export type Edits = readonly Mutation[];
export const edits: fc.Arbitrary<Edits> = fc.array(mutation, { minLength: 0, maxLength: 4 });

export function applyEdits(bytes: Uint8Array, list: Edits): Uint8Array {
  return list.reduce(apply, bytes);
}

/** Valid inputs with one to four edits each; sometimes unchanged, to keep the happy path in. */
export function mutated(fixtures: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (fixtures.length === 0) throw new Error('mutated() needs at least one fixture');
  return fc
    .tuple(fc.nat({ max: fixtures.length - 1 }), edits)
    .map(([i, ms]) => applyEdits(fixtures[i]!, ms));
}

/** Random bytes and mutated fixtures, half and half. */
export function hostileBytes(fixtures: readonly Uint8Array[], maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof(fc.uint8Array({ maxLength }), mutated(fixtures));
}
