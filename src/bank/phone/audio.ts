/**
 * The phone menu's prompts as speech: Debian's espeak-ng with its Swedish voice writes one
 * WAV per prompt (`espeak-ng -v sv -w FILE TEXT`). Nothing is played. native/setup-audio.sh
 * installs espeak-ng.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EkortError } from '../../errors.ts';

export const ESPEAK = process.env.EKORT_ESPEAK ?? 'espeak-ng';

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new EkortError('AUDIO_UNAVAILABLE', 'espeak-ng is not installed; run native/setup-audio.sh (Debian package espeak-ng).'));
      } else reject(new EkortError('AUDIO_FAILED', `espeak-ng could not render the prompt: ${String(stderr).trim() || error.message}`));
    });
  });
}

/** Whether espeak-ng can be run here. */
export async function audioAvailable(): Promise<boolean> {
  try {
    await run(ESPEAK, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Writes `text` as Swedish speech to `file` (WAV). */
export async function renderPrompt(text: string, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await run(ESPEAK, ['-v', 'sv', '-w', file, text]);
}

/** Writes each prompt to DIR/NNN.wav, numbered on from `first`; the files written. */
export async function renderPrompts(prompts: readonly string[], dir: string, first: number): Promise<string[]> {
  const files: string[] = [];
  for (const [i, text] of prompts.entries()) {
    const file = path.join(dir, `${String(first + i).padStart(3, '0')}.wav`);
    await renderPrompt(text, file);
    files.push(file);
  }
  return files;
}
