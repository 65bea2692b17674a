/**
 * The app's settings: a JSON file in the data folder, written atomically (temp file, fsync,
 * rename), mode 0600. A missing or unreadable file gives the defaults; an invalid field is
 * dropped back to its default rather than stopping the app.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tightenPrivateFile, writePrivateJson } from '../files/index.ts';
import type { Settings } from './api.ts';
import { SettingsSchema } from './apiSchemas.ts';

export const DEFAULT_SETTINGS: Settings = Object.freeze({ language: 'sv', engineerMode: false, service: Object.freeze({ mode: 'embedded' }) }) as Settings;

export class SettingsStore {
  readonly file: string;
  private current: Settings = structuredClone(DEFAULT_SETTINGS);

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
  }

  async load(): Promise<Settings> {
    let raw: unknown;
    try {
      await tightenPrivateFile(this.file);
      raw = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      raw = undefined;
    }
    const merged: Record<string, unknown> = structuredClone(DEFAULT_SETTINGS) as unknown as Record<string, unknown>;
    if (raw && typeof raw === 'object') {
      for (const key of Object.keys(SettingsSchema.shape) as Array<keyof Settings>) {
        const field = SettingsSchema.shape[key].safeParse((raw as Record<string, unknown>)[key]);
        if (field.success) merged[key] = field.data;
      }
    }
    this.current = SettingsSchema.parse(merged);
    return this.get();
  }

  /** Changes the settings for this run only (not saved), e.g. a service given on the command line. */
  override(patch: Partial<Settings>): void {
    this.current = SettingsSchema.parse({ ...this.current, ...patch });
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = SettingsSchema.parse({ ...this.current, ...patch });
    await writePrivateJson(this.file, next);
    this.current = next;
    return this.get();
  }
}
