/**
 * zod as the project uses it: zod/mini, whose schemas are built with functions
 * (`z.optional(s)`, `s.check(z.maxLength(n))`) and carry no methods of their own, with English
 * messages. Classic zod gave every schema instance some forty methods of its own, and made its
 * whole API at load: 2 MB of every server's start for the 800 schemas of the API. zod/mini loads
 * no language by itself: without this, every issue said only "Invalid input".
 *
 * Imported as a namespace (`import * as z from './zod.ts'`), so the bundles keep only the parts
 * of zod the project calls.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
