/**
 * The app's settings: a JSON file in the data folder, written atomically (temp file, fsync,
 * rename), mode 0600. A missing or unreadable file gives the defaults; an invalid field is
 * dropped back to its default rather than stopping the app.
 *
 * Several app windows may share one data folder: a change is merged into what the file holds
 * now (only the fields changed are written, under a lock file), and the file is watched, so a
 * change made in another window is picked up here (`onChange`) instead of being overwritten.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tightenPrivateFile, withFileLock, writePrivateJson } from '../files/index.ts';
import type { Settings } from './api.ts';
import { SettingsSchema } from './apiSchemas.ts';

export const DEFAULT_SETTINGS: Settings = Object.freeze({ language: 'sv', engineerMode: false, service: Object.freeze({ mode: 'embedded' }) }) as Settings;

export class SettingsStore {
  readonly file: string;
  private readonly lockFile: string;
  /** What the file holds (as last read or written). */
  private saved: Settings = structuredClone(DEFAULT_SETTINGS);
  /** This run's own changes that are not saved (a service given on the command line). */
  private overrides: Partial<Settings> = {};
  private watcher: FSWatcher | undefined;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    this.lockFile = `${this.file}.lock`;
  }

  /** The file's settings, each invalid or missing field at its default. */
  private async read(): Promise<Settings> {
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
    return SettingsSchema.parse(merged);
  }

  async load(): Promise<Settings> {
    this.saved = await this.read();
    return this.get();
  }

  /** Changes the settings for this run only (not saved), e.g. a service given on the command line. */
  override(patch: Partial<Settings>): void {
    this.overrides = { ...this.overrides, ...patch };
  }

  get(): Settings {
    return SettingsSchema.parse(structuredClone({ ...this.saved, ...this.overrides }));
  }

  /** Saves `patch` over what the file holds now: another window's changes to other fields stay. */
  async update(patch: Partial<Settings>): Promise<Settings> {
    SettingsSchema.parse({ ...this.saved, ...patch });
    await withFileLock(this.lockFile, async () => {
      const next = SettingsSchema.parse({ ...(await this.read()), ...patch });
      await writePrivateJson(this.file, next);
      this.saved = next;
    });
    for (const key of Object.keys(patch) as Array<keyof Settings>) delete this.overrides[key];
    return this.get();
  }

  /**
   * Watches the file for changes made by another window; `onChange` gets the settings when they
   * differ from what this store had. The folder is watched (the file is replaced on each write).
   */
  watch(onChange: (settings: Settings) => void): void {
    if (this.watcher) return;
    let timer: NodeJS.Timeout | undefined;
    const check = async () => {
      const before = JSON.stringify(this.get());
      this.saved = await this.read();
      const after = this.get();
      if (JSON.stringify(after) !== before) onChange(after);
    };
    try {
      this.watcher = watch(path.dirname(this.file), (_event, name) => {
        if (name !== path.basename(this.file)) return;
        // A burst of events for one write (temp file renamed over it): read once, after it.
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void check().catch(() => undefined), 50);
      });
      this.watcher.on('error', () => this.unwatch());
      this.watcher.unref();
    } catch {
      // No watching here (a folder gone or unsupported): changes are seen at the next start.
    }
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
