import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { systemAvailable } from '../../support/system.ts';

/** Debian's Chromium (`apt-get install chromium`); never a browser a tool downloads. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Whether the browser suite runs. Without Chromium it is skipped with a printed reason, unless
 * WSGATE_REQUIRE_ALL=1, where a missing browser fails the run instead of hiding it.
 */
export function chromiumAvailable(): boolean {
  return systemAvailable(
    'the browser suite',
    existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`,
  );
}

/** One browser user: a Chromium with a fresh profile of its own (its own cookies). */
export interface Profile {
  context: BrowserContext;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/**
 * Launches Chromium on a fresh `--user-data-dir` (a mkdtemp directory, removed on close). Playwright takes
 * the directory as `launchPersistentContext`'s argument (it refuses `--user-data-dir` among the args).
 * `extraArgs` are added to the usual flags (`--ignore-certificate-errors` for a test certificate).
 */
export async function launchProfile(extraArgs: readonly string[] = []): Promise<Profile> {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      args: [...ARGS, ...extraArgs],
      headless: true,
      timeout: 60_000,
      viewport: { width: 960, height: 600 },
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
