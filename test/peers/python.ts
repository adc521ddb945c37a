import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the one `python3-websockets` and `python3-aiohttp` install into. */
export const PYTHON = '/usr/bin/python3';

let availability: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether the python peers can run here (checked once per process), and why not. */
export function pythonPeers(): { ok: true } | { ok: false; reason: string } {
  if (availability) return availability;
  const probe = spawnSync(PYTHON, ['-c', 'import websockets, aiohttp'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) availability = { ok: false, reason: `${PYTHON} cannot run: ${probe.error.message}` };
  else if (probe.status !== 0)
    availability = {
      ok: false,
      reason: `${PYTHON} lacks websockets/aiohttp (apt-get install python3-websockets python3-aiohttp): ${probe.stderr.trim().split('\n').pop()}`,
    };
  else availability = { ok: true };
  return availability;
}

const running = new Set<ChildProcess>();

/**
 * Runs `test/peers/<script>` with `args` and resolves with the JSON object it printed last. Rejects, with
 * its output, when it exits non-zero, prints no JSON, or outlives `timeoutMs` (then it is killed).
 */
export function runPeer(
  script: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(PYTHON, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(last) as Record<string, unknown>;
      } catch {}
      if (code === 0 && parsed) return resolve(parsed);
      reject(
        new Error(
          `${script} ${signal ? `killed (${signal}) after ${timeoutMs} ms` : `exited ${code}`}\n${stdout}${stderr}`,
        ),
      );
    });
  });
}

/** Kills every peer still running (a test that failed half-way); the suite calls it in afterEach. */
export function killPeers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
