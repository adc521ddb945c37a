/**
 * The Redis scenario: runs redis-latency.ts (its own redis-server and two processes) without and with topic
 * history, then history-cpu.ts (CPU per publish, history off and on), and keeps their tables.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from '../lib/rpc.ts';

export async function redisLatency(seconds: number): Promise<string> {
  const tables: string[] = [];
  tables.push(await runScript('redis-latency.ts', ['--seconds', String(seconds)], seconds));
  tables.push(await runScript('redis-latency.ts', ['--seconds', String(seconds), '--history'], seconds));
  tables.push(await runScript('history-cpu.ts', ['--messages', '20000'], 60));
  return tables.join('\n\n');
}

function runScript(file: string, args: string[], seconds: number): Promise<string> {
  const script = fileURLToPath(new URL(`../${file}`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@wsgate/source', '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
      else reject(new Error(`${file} exited with ${code}`));
    });
  });
}
