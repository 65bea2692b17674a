/** Benchmark figures as JSON lines: {"name","value","unit",...}, so runs can be compared. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

const figures: Figure[] = [];

/** Keeps a figure for saveFigures() without printing it (one a suite process printed). */
export function recordFigure(figure: Figure): void {
  figures.push(figure);
}

export function report(figure: Figure): void {
  figures.push(figure);
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

/** Writes all figures of this run to bench-results/<timestamp>.json and latest.json. */
export function saveFigures(): string {
  mkdirSync('bench-results', { recursive: true });
  const run = { time: new Date().toISOString(), node: process.version, cpus: os.cpus().length, figures };
  const file = `bench-results/${run.time.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(run, null, 2));
  writeFileSync('bench-results/latest.json', JSON.stringify(run, null, 2));
  return file;
}
