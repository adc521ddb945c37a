/** The Redis scenario: runs redis-latency.ts (its own redis-server and two processes) and keeps its table. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from '../lib/rpc.ts';

export function redisLatency(seconds: number): Promise<string> {
  const script = fileURLToPath(new URL('../redis-latency.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=@wsgate/source', '--import', 'tsx', script, '--seconds', String(seconds)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  track(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    // Bounded: the script stops itself after `seconds` plus a 2 s drain; kill it if it does not.
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`redis-latency exited with ${code}`));
    });
  });
}
