// Starts fixture nodes (test/fixtures/server.mjs) as child processes on 127.0.0.1, so that a
// test can kill one for real (SIGKILL → connection refused) or freeze it (SIGSTOP → accepts
// connections but never answers).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SERVER_SCRIPT = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

export interface TestNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** SIGSTOP: the node stops answering but its port still accepts connections. */
  freeze(): void;
  /** True between freeze() and thaw(). */
  readonly frozen: boolean;
  /** SIGCONT after freeze. */
  thaw(): void;
  /** Requests counted by the node, keyed "METHOD /path", and how many clients hung up early. */
  counts(): Promise<{ counts: Record<string, number>; aborted: number }>;
}

/** Starts one node; `port` to restart a killed node on its old port. */
export function startNode(name: string, port = 0): Promise<TestNode> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_SCRIPT, '--name', name, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      child.stdout?.off('data', onData);
      const { port: actual } = JSON.parse(buffer.slice(0, nl)) as { port: number };
      const url = `http://127.0.0.1:${actual}`;
      let frozen = false;
      resolve({
        name,
        port: actual,
        url,
        process: child,
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        freeze() {
          frozen = true;
          child.kill('SIGSTOP');
        },
        thaw() {
          frozen = false;
          child.kill('SIGCONT');
        },
        get frozen() {
          return frozen;
        },
        async counts() {
          const res = await fetch(`${url}/admin/counts`);
          return (await res.json()) as { counts: Record<string, number>; aborted: number };
        },
      });
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`node ${name} exited before listening (${code ?? signal})`)));
  });
}

/** Starts `n` nodes named n0, n1, …. */
export function startCluster(n = 3): Promise<TestNode[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => startNode(`n${i}`)));
}

/** Kills every node (idempotent). */
export async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()));
}

/** Calls an admin route of a node (fail, delay, health). */
export async function admin(node: TestNode, route: string): Promise<void> {
  const res = await fetch(`${node.url}/admin/${route}`, { method: 'POST' });
  if (!res.ok) throw new Error(`admin ${route} on ${node.name}: ${res.status}`);
  await res.arrayBuffer();
}

/** Polls `check` until it returns true or `ms` pass (for effects seen by another process). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests a node counted for "METHOD /path" (0 when none). */
export async function countOf(node: TestNode, key: string): Promise<number> {
  return (await node.counts()).counts[key] ?? 0;
}

/**
 * Gives every test a clean cluster without paying for three new processes each time: live nodes
 * are reset (counts, injected failures, delays), killed or frozen ones are replaced.
 */
export async function freshCluster(nodes: TestNode[], n = 3): Promise<TestNode[]> {
  const out: TestNode[] = [];
  for (let i = 0; i < n; i++) {
    const old = nodes[i];
    if (old !== undefined && old.process.exitCode === null && old.process.signalCode === null && !old.frozen) {
      try {
        await admin(old, 'reset');
        out.push(old);
        continue;
      } catch {
        await old.kill();
      }
    } else if (old !== undefined) {
      await old.kill();
    }
    out.push(await startNode(`n${i}`));
  }
  return out;
}
