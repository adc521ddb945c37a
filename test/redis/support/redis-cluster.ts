import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from './poll.ts';
import { RedisServer } from './redis-server.ts';

const run = promisify(execFile);

/** A real Redis Cluster of `masters` redis-server processes (no replicas) on free loopback ports. */
export class RedisCluster {
  readonly servers: RedisServer[];

  private constructor(servers: RedisServer[]) {
    this.servers = servers;
  }

  /** `host:port` of every master, for ioredis's Cluster. */
  get nodes(): Array<{ host: string; port: number }> {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** Starts the servers, joins them with `redis-cli --cluster create`, and waits for `cluster_state:ok`. */
  static async start(masters = 3): Promise<RedisCluster> {
    const servers = await Promise.all(
      Array.from({ length: masters }, () =>
        RedisServer.start(undefined, ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000']),
      ),
    );
    const cluster = new RedisCluster(servers);
    try {
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...servers.map((s) => `127.0.0.1:${s.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      for (const s of servers) {
        const admin = new Redis(s.url);
        try {
          await eventually(
            async () => ((await admin.cluster('INFO')) as string).includes('cluster_state:ok'),
            'cluster ok',
            20_000,
          );
        } finally {
          admin.disconnect();
        }
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
