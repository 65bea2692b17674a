/**
 * The layers of docs/design.md, as lint holds them: the import-boundary rules of
 * eslint.config.js run on small sources placed in the modules they speak of.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries (lint)', () => {
  it('a module may import a lower one through its index.ts', async () => {
    expect(await boundaryErrors('src/piv/x.ts', "import { toHex } from '../iso7816/index.ts';\nimport { signChallenge } from '../pki/index.ts';\nexport const x = [toHex, signChallenge];\n")).toEqual([]);
    expect(await boundaryErrors('src/client/x.ts', "import type { Session } from '../bank/api/schemas.ts';\nexport type X = Session;\n")).toEqual([]);
  });

  it('refuses an import upwards, sideways, or around the index', async () => {
    expect(await boundaryErrors('src/pki/x.ts', "import { VirtualPivCard } from '../virtual/index.ts';\nexport const x = VirtualPivCard;\n")).toEqual([expect.stringContaining('pki is below')]);
    expect(await boundaryErrors('src/bank/x.ts', "import { VirtualDosa } from '../virtual/index.ts';\nexport const x = VirtualDosa;\n")).toEqual([expect.stringContaining('side by side')]);
    expect(await boundaryErrors('src/iso7816/x.ts', "import type { CardTransport } from '../pcsc/index.ts';\nexport type X = CardTransport;\n")).toEqual([expect.stringContaining('iso7816 is below')]);
    expect(await boundaryErrors('src/client/x.ts', "import { enrolDosa } from '../bank/customers.ts';\nexport const x = enrolDosa;\n")).toEqual([expect.stringContaining('through its index.ts')]);
  });

  it('keeps electron, the renderer and src/errors.ts in their places', async () => {
    expect(await boundaryErrors('src/client/x.ts', "import { app } from 'electron';\nexport const x = app;\n")).toEqual([expect.stringContaining('Only electron/main.ts')]);
    expect(await boundaryErrors('electron/main.ts', "import { app } from 'electron';\nimport { createAgent } from '../src/client/index.ts';\nexport const x = [app, createAgent];\n")).toEqual([]);
    expect(await boundaryErrors('renderer/src/x.ts', "import { readFile } from 'node:fs';\nimport { BankClient } from '../../src/bank/index.ts';\nexport const x = [readFile, BankClient];\n")).toHaveLength(2);
    expect(await boundaryErrors('src/errors.ts', "import { toHex } from './iso7816/index.ts';\nexport const x = toHex;\n")).toEqual([expect.stringContaining('bottom')]);
  });
});
